package durable

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/tidwall/sjson"
)

// askPlaceholder stands for the seller's order id while a route in ask
// mode is previewed; it is removed from what the ERP is sent.
const askPlaceholder = "\x00rota-ask\x00"

// maxAskedOrderID bounds the order id an ERP answers, in bytes.
const maxAskedOrderID = 200

// askRequest is what the ERP's create-order endpoint receives.
type askRequest struct {
	Marketplace string            `json:"marketplace"`
	Route       string            `json:"route"`
	Events      []json.RawMessage `json:"events"`
}

// askOrderID asks the seller's ERP for the seller's order id of a request
// to a route in ask mode: it POSTs the route's canonical events (without
// order.id) to Inbound.AskURL, signed as the forwards are (webhook-id is
// "ask:" and the first event's id), and reads {"orderId": "..."} from a 2xx
// answer within timeout. Any other outcome is an *engine.Error of kind
// unavailable (code order_id_timeout), answered with the route's error
// answer so that the marketplace sends again; a missing AskURL is a
// configuration error.
func (s *Service) askOrderID(ctx context.Context, marketplace, route string, events []json.RawMessage, timeout time.Duration) (string, error) {
	url := s.cfg.Inbound.AskURL
	if url == "" {
		return "", &engine.Error{Kind: engine.KindConfiguration, Code: engine.CodeMissingOrderID,
			Message: fmt.Sprintf("the %s %s route asks the seller's ERP for the order id (orderIdMode: ask): start rota serve with --order-id-url URL", marketplace, route)}
	}
	body, firstID, err := askBody(marketplace, route, events)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id, err := s.postAsk(ctx, url, "ask:"+firstID, body)
	if err != nil {
		s.log.Warn("order id not given", "marketplace", marketplace, "route", route, "event_id", firstID, "error", err.Error())
		return "", &engine.Error{Kind: KindUnavailable, Code: CodeOrderIDTimeout,
			Message: fmt.Sprintf("the seller's system did not give the order id within %s; send the request again", timeout)}
	}
	return id, nil
}

func askBody(marketplace, route string, events []json.RawMessage) ([]byte, string, error) {
	req := askRequest{Marketplace: marketplace, Route: route}
	firstID := ""
	for i, ev := range events {
		out, err := sjson.DeleteBytes(ev, "order.id")
		if err != nil {
			return nil, "", err
		}
		if bytes.Contains(out, []byte(`\u0000rota-ask`)) {
			return nil, "", &engine.Error{Kind: engine.KindMapping, Code: engine.CodeMissingOrderID,
				Message: fmt.Sprintf("the %s %s route (orderIdMode: ask) reads orderId elsewhere than order.id; the ERP gives it only after the events are built", marketplace, route)}
		}
		if i == 0 {
			var head struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(ev, &head)
			firstID = head.ID
		}
		req.Events = append(req.Events, out)
	}
	b, err := json.Marshal(req)
	return b, firstID, err
}

func (s *Service) postAsk(ctx context.Context, url, msgID string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	ts := s.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", SignWebhook(s.webhookKey, msgID, ts, body))
	client := s.cfg.Inbound.ForwardClient
	if client == nil {
		client = s.client
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("the ERP answered HTTP %d", resp.StatusCode)
	}
	var ans struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || strings.TrimSpace(ans.OrderID) == "" || len(ans.OrderID) > maxAskedOrderID {
		return "", fmt.Errorf("the ERP's answer is not {\"orderId\": \"...\"} with 1 to %d bytes", maxAskedOrderID)
	}
	return ans.OrderID, nil
}
