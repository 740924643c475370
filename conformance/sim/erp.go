package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WebhookTolerance is how far a webhook-timestamp may be from the
// receiver's clock (the Standard Webhooks specification's recommendation).
const WebhookTolerance = 5 * time.Minute

// ERP is a seller's ERP receiving canonical events by webhook, verifying
// each request as the Standard Webhooks specification says
// (https://www.standardwebhooks.com): the signed content is
// webhook-id + "." + webhook-timestamp + "." + body; its HMAC-SHA256 under
// the secret (whsec_ and base64) must equal, base64-encoded, one of the
// "v1,<signature>" values of webhook-signature (space-separated); the
// timestamp must be within WebhookTolerance; and a webhook-id received
// before is acknowledged without being processed again. It is safe for
// concurrent use.
type ERP struct {
	key []byte
	// FailFirst answers this many requests with HTTP 503 before taking
	// any (an ERP that is down), counted from the start.
	FailFirst int
	// Now is the receiver's clock (default time.Now).
	Now func() time.Time
	// OnEvent, when set, is called with each new event taken, and
	// OnReject with why a request did not verify; calls are serialized.
	OnEvent  func(event []byte)
	OnReject func(why string)

	mu       sync.Mutex
	requests int
	rejected int
	seen     map[string]bool
	events   []json.RawMessage
	notify   chan struct{}
}

// NewERP returns a receiver for the secret, in whsec_<base64> form.
func NewERP(secret string) (*ERP, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("erp: the webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("erp: the webhook secret is not base64 after whsec_")
	}
	return &ERP{key: key, seen: map[string]bool{}, notify: make(chan struct{}, 1)}, nil
}

// ServeHTTP takes one webhook request: 503 while FailFirst lasts, 401 for a
// request whose signature or timestamp does not verify, 400 for a body that
// is not JSON, 204 otherwise (a repeat of an id included).
func (e *ERP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests++
	if e.requests <= e.FailFirst {
		http.Error(w, "the ERP is down", http.StatusServiceUnavailable)
		return
	}
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "want a POST with a body", http.StatusBadRequest)
		return
	}
	id := r.Header.Get("webhook-id")
	if err := e.verify(id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body); err != nil {
		e.rejected++
		if e.OnReject != nil {
			e.OnReject(err.Error())
		}
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if !json.Valid(body) {
		http.Error(w, "the body is not JSON", http.StatusBadRequest)
		return
	}
	if !e.seen[id] {
		e.seen[id] = true
		e.events = append(e.events, json.RawMessage(body))
		if e.OnEvent != nil {
			e.OnEvent(body)
		}
		select {
		case e.notify <- struct{}{}:
		default:
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify checks a request's signature and timestamp per the specification.
func (e *ERP) verify(id, ts, sigs string, body []byte) error {
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not Unix seconds")
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	if d := now().Sub(time.Unix(sec, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return errors.New("webhook-timestamp is too far from now")
	}
	mac := hmac.New(sha256.New, e.key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature of webhook-signature matches")
}

// Events returns the events taken, in the order they arrived.
func (e *ERP) Events() []json.RawMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]json.RawMessage(nil), e.events...)
}

// Requests counts the requests received (refused ones included); Rejected
// those whose signature did not verify.
func (e *ERP) Requests() (total, rejected int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests, e.rejected
}

// Arrived is signaled (without blocking) when a new event is taken.
func (e *ERP) Arrived() <-chan struct{} { return e.notify }
