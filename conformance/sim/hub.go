package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The hub's retry policy (seed 001): on HTTP 500 with the error body, the
// order is sent again every 20 minutes, 3 times.
const (
	HubRetryEvery = 20 * time.Minute
	HubRetries    = 3
)

// Hub is Fast Shop's hub (Kaive, seed 001) placing orders with a seller's
// integration: it POSTs each order to {Target}/api/fulfillment/pvt/orders
// ?sc=..&affiliateId=FSH with X-API-AppKey and X-API-AppToken, expects
// [{"marketplaceOrderId", "orderId"}] back, and on HTTP 500 (or no answer)
// sends the same order again every RetryEvery, Retries times. A Hub is safe
// for concurrent use once set up.
type Hub struct {
	// Target is the integration's prefix the hub is configured with, such
	// as http://127.0.0.1:8080/inbound/fastshop (required).
	Target string
	// AppKey and AppToken are the credentials sent in X-API-AppKey and
	// X-API-AppToken (examples/sim.secrets holds the simulator's).
	AppKey, AppToken string
	// SalesChannel is the sc query parameter (default "1"); AffiliateID the
	// affiliateId (default "FSH").
	SalesChannel, AffiliateID string
	// RetryEvery and Retries are the retry policy (default HubRetryEvery,
	// HubRetries; a negative Retries sends once). Tests shorten RetryEvery.
	RetryEvery time.Duration
	Retries    int
	// Sleep waits between attempts (default: a timer, ending early when ctx
	// ends). Tests may run a faster clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Client sends the requests (default: one with a 30 s timeout).
	Client *http.Client
}

// HubAttempt is one POST of an order and its answer.
type HubAttempt struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
	// Error is the transport error when no answer came.
	Error string `json:"error,omitempty"`
}

// Placement is the outcome of placing one order.
type Placement struct {
	// MarketplaceOrderID is the hub's order id; OrderID the seller's, from
	// the accepted answer.
	MarketplaceOrderID string `json:"marketplaceOrderId"`
	OrderID            string `json:"orderId,omitempty"`
	// Attempts are every POST, in order.
	Attempts []HubAttempt `json:"attempts"`
}

// ErrHubGaveUp is returned when every attempt got HTTP 500 or no answer.
var ErrHubGaveUp = errors.New("the hub gave up: every attempt failed")

// ErrBadAnswer is returned when the integration answered, but not in the
// shape the hub expects.
var ErrBadAnswer = errors.New("the answer is not what the hub expects")

// PlaceOrder sends order (the JSON list of one order the hub posts, as
// examples/inbound/fastshop/order.json) and retries as the hub does. It
// returns the placement with every attempt; the error is nil on a 200
// answer of the right shape, ErrBadAnswer (wrapped, saying what is wrong)
// on an answer of another shape or status (401 included: the hub does not
// retry those), ErrHubGaveUp after the last retry, or ctx's error.
func (h *Hub) PlaceOrder(ctx context.Context, order []byte) (*Placement, error) {
	var list []struct {
		MarketplaceOrderID string `json:"marketplaceOrderId"`
	}
	if err := json.Unmarshal(order, &list); err != nil || len(list) != 1 || list[0].MarketplaceOrderID == "" {
		return nil, errors.New("hub: the order must be a JSON list of one order with a marketplaceOrderId, as the hub sends it")
	}
	target, err := h.url()
	if err != nil {
		return nil, err
	}
	p := &Placement{MarketplaceOrderID: list[0].MarketplaceOrderID}
	retries, every := h.Retries, h.RetryEvery
	switch {
	case retries == 0:
		retries = HubRetries
	case retries < 0:
		retries = 0
	}
	if every <= 0 {
		every = HubRetryEvery
	}
	for attempt := 0; ; attempt++ {
		a := h.post(ctx, target, order)
		p.Attempts = append(p.Attempts, a)
		retry, err := checkHubAnswer(a, p)
		if !retry {
			return p, err
		}
		if attempt == retries {
			return p, fmt.Errorf("%w (%d attempts, the last: %s)", ErrHubGaveUp, len(p.Attempts), describeAttempt(a))
		}
		if err := h.sleep(ctx, every); err != nil {
			return p, err
		}
	}
}

func (h *Hub) url() (string, error) {
	u, err := url.Parse(strings.TrimSuffix(h.Target, "/") + "/api/fulfillment/pvt/orders")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("hub: target %q: want the integration's http(s) prefix, such as http://127.0.0.1:8080/inbound/fastshop", h.Target)
	}
	sc, aff := h.SalesChannel, h.AffiliateID
	if sc == "" {
		sc = "1"
	}
	if aff == "" {
		aff = "FSH"
	}
	u.RawQuery = url.Values{"sc": {sc}, "affiliateId": {aff}}.Encode()
	return u.String(), nil
}

func (h *Hub) post(ctx context.Context, target string, order []byte) HubAttempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(order))
	if err != nil {
		return HubAttempt{Error: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if h.AppKey != "" {
		req.Header.Set("X-API-AppKey", h.AppKey)
	}
	if h.AppToken != "" {
		req.Header.Set("X-API-AppToken", h.AppToken)
	}
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return HubAttempt{Error: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return HubAttempt{Status: resp.StatusCode, Error: err.Error()}
	}
	a := HubAttempt{Status: resp.StatusCode}
	if json.Valid(body) {
		a.Body = json.RawMessage(bytes.TrimSpace(body))
	} else if len(body) > 0 {
		a.Error = "the answer is not JSON: " + clip(string(body), 200)
	}
	return a
}

// checkHubAnswer reads one answer as the hub does: retry says whether to
// send again (500 or no answer); err is nil only for an accepted order.
func checkHubAnswer(a HubAttempt, p *Placement) (retry bool, err error) {
	switch {
	case a.Status == 0 && a.Error != "":
		return true, nil
	case a.Status == http.StatusInternalServerError:
		var eb struct {
			Error *struct {
				Code    *string `json:"code"`
				Message *string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(a.Body, &eb) != nil || eb.Error == nil || eb.Error.Code == nil || eb.Error.Message == nil {
			return false, fmt.Errorf("%w: HTTP 500 without the body {\"error\": {\"code\", \"message\", \"exception\"}} the hub reads: %s", ErrBadAnswer, clip(string(a.Body), 300))
		}
		return true, nil
	case a.Status != http.StatusOK:
		return false, fmt.Errorf("%w: HTTP %d (the hub retries only on 500): %s", ErrBadAnswer, a.Status, clip(string(a.Body), 300))
	}
	var got []struct {
		MarketplaceOrderID string `json:"marketplaceOrderId"`
		OrderID            string `json:"orderId"`
	}
	if err := json.Unmarshal(a.Body, &got); err != nil {
		return false, fmt.Errorf("%w: want [{\"marketplaceOrderId\", \"orderId\"}], got %s", ErrBadAnswer, clip(string(a.Body), 300))
	}
	switch {
	case len(got) != 1:
		return false, fmt.Errorf("%w: want a list of 1 answer for the 1 order sent, got %d", ErrBadAnswer, len(got))
	case got[0].MarketplaceOrderID != p.MarketplaceOrderID:
		return false, fmt.Errorf("%w: marketplaceOrderId %q, want %q (the order sent)", ErrBadAnswer, got[0].MarketplaceOrderID, p.MarketplaceOrderID)
	case strings.TrimSpace(got[0].OrderID) == "":
		return false, fmt.Errorf("%w: orderId is empty; the hub needs the seller's order id", ErrBadAnswer)
	}
	p.OrderID = got[0].OrderID
	return false, nil
}

func describeAttempt(a HubAttempt) string {
	if a.Status == 0 {
		return "no answer: " + a.Error
	}
	return fmt.Sprintf("HTTP %d %s", a.Status, clip(string(a.Body), 200))
}

func (h *Hub) sleep(ctx context.Context, d time.Duration) error {
	if h.Sleep != nil {
		return h.Sleep(ctx, d)
	}
	return sleep(ctx, d)
}

// sleep waits d, or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clip cuts s to at most n bytes for a message, ending it with "..." when
// cut; a character the cut splits (or any other invalid UTF-8) is dropped,
// so the message stays valid UTF-8.
func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
