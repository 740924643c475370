package sim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
)

const skyOrder = "Lojas Americanas-1000000000000"

// skyInvoice is a valid invoice body (the seed's, with a valid NF-e key).
var skyInvoice = []byte(`{"status": "order_invoiced", "invoice": {"key": "52060433009911002506550120000007800267301615", "issue_date": "2023-03-10T12:30:00-03:00"}}`)

func skyURL(e *env, code, call string) string {
	return e.base(sim.SkyHub) + "/orders/" + url.PathEscape(code) + "/" + call
}

func TestSkyHubAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"no account manager key", func(r *http.Request) { skyAuth(r); r.Header.Del("X-Accountmanager-Key") }, http.StatusUnauthorized},
		{"wrong api key", func(r *http.Request) { skyAuth(r); r.Header.Set("X-Api-Key", "wrong") }, http.StatusUnauthorized},
		{"wrong account manager key", func(r *http.Request) { skyAuth(r); r.Header.Set("X-Accountmanager-Key", "wrong") }, http.StatusUnauthorized},
		{"old X-User-Token", func(r *http.Request) {
			skyAuth(r)
			r.Header.Set("X-User-Token", r.Header.Get("X-Api-Key"))
			r.Header.Del("X-Api-Key")
		}, http.StatusUnauthorized},
		{"good", skyAuth, http.StatusOK},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(http.MethodPost, skyURL(e, fmt.Sprintf("Lojas Americanas-%d", i), "invoice"), skyInvoice, tt.auth).want(t, tt.want)
			if tt.want != http.StatusOK && errorText(a) == "" {
				t.Errorf("no {\"error\": ...} in %s", a.raw)
			}
		})
	}
	if got := e.status(sim.SkyHub, "Lojas Americanas-0"); got != "" {
		t.Errorf("a refused call changed the order: %q", got)
	}
}

// TestSkyHubLifecycle sends what the mapping sends for the example events.
func TestSkyHubLifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, step := range []struct{ event, status string }{
		{"invoiced", "order_invoiced"},
		{"shipped", "order_shipped"},
		{"shipment_exception", "shipment_exception"},
		{"delivered", "complete"},
	} {
		ev := event(t, sim.SkyHub, step.event, map[string]any{"order": map[string]any{"marketplaceOrderId": skyOrder}})
		for _, c := range e.translate(sim.SkyHub, ev) {
			a := e.call(c, skyAuth).want(t, http.StatusOK)
			if v := judge(t, c, a); v.Outcome != engine.VerdictSuccess {
				t.Fatalf("%s: the mapping reads %+v", step.event, v)
			}
		}
		if got := e.status(sim.SkyHub, skyOrder); got != step.status {
			t.Fatalf("after %s the order is %q, want %q", step.event, got, step.status)
		}
	}

	// Cancelling after delivery: the mapping refuses it when it knows the
	// status; without it the call goes out and SkyHub answers 422.
	ev := event(t, sim.SkyHub, "canceled", map[string]any{"order": map[string]any{"marketplaceOrderId": skyOrder, "marketplaceStatus": nil}})
	c := e.translate(sim.SkyHub, ev)[0]
	a := e.call(c, skyAuth).want(t, http.StatusUnprocessableEntity)
	contains(t, errorText(a), "invalid status transition")
	if v := judge(t, c, a); v.Outcome != engine.VerdictFail || v.Code != "422" {
		t.Errorf("the mapping reads %+v, want fail 422 (not retried)", v)
	}
	if got := e.status(sim.SkyHub, skyOrder); got != "complete" {
		t.Errorf("refused cancel changed the order to %q", got)
	}
}

func TestSkyHubTransitions(t *testing.T) {
	e := newEnv(t, sim.Options{})
	shipments := []byte(`{"status": "order_shipped", "shipment": {"code": "Lojas Americanas-9", "items": [{"sku": "1", "qty": 1}], "track": {"code": "BR1", "carrier": "Correios"}}}`)
	tests := []struct {
		name, start, call string
		body              []byte
		want              int
		status            string
	}{
		{"unknown order starts approved: invoice", "", "invoice", skyInvoice, 200, "order_invoiced"},
		{"unknown order cannot ship", "", "shipments", shipments, 422, "payment_received"},
		{"new order cannot be invoiced", "book_product", "invoice", skyInvoice, 422, "book_product"},
		{"approval", "book_product", "approval", []byte(`{"status": "payment_received"}`), 200, "payment_received"},
		{"cancel when invoiced", "order_invoiced", "cancel", []byte(`{"status": "order_canceled"}`), 200, "order_canceled"},
		{"cancel when shipped", "order_shipped", "cancel", []byte(`{"status": "order_canceled"}`), 422, "order_shipped"},
		{"cancel twice", "order_canceled", "cancel", []byte(`{"status": "order_canceled"}`), 422, "order_canceled"},
		{"invoice twice", "order_invoiced", "invoice", skyInvoice, 422, "order_invoiced"},
		{"delivery before shipping", "order_invoiced", "delivery", []byte(`{"status": "complete", "delivered_date": "13/03/2023"}`), 422, "order_invoiced"},
		{"exception before shipping", "order_invoiced", "shipment_exception",
			[]byte(`{"shipment_exception": {"occurrence_date": "2023-03-10T19:30:00+00:00", "observation": "x"}}`), 422, "order_invoiced"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := fmt.Sprintf("Lojas Americanas-%d", i)
			if tt.start != "" {
				e.setStatus(sim.SkyHub, code, tt.start)
			}
			body := tt.body
			if tt.call == "shipments" {
				body = []byte(fmt.Sprintf(`{"status": "order_shipped", "shipment": {"code": %q, "items": [{"sku": "1", "qty": 1}], "track": {"code": "BR1", "carrier": "Correios"}}}`, code))
			}
			e.send(http.MethodPost, skyURL(e, code, tt.call), body, skyAuth).want(t, tt.want)
			if got := e.status(sim.SkyHub, code); got != tt.status && !(got == "" && tt.status == "payment_received") {
				t.Errorf("order is %q, want %q", got, tt.status)
			}
		})
	}
}

func TestSkyHubBodies(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tests := []struct {
		name, call, body string
		want             int
		msg              string
	}{
		{"malformed JSON", "invoice", `{"status": "order_invoiced",}`, 400, "malformed JSON"},
		{"wrong status", "invoice", `{"status": "invoiced", "invoice": {"key": "52060433009911002506550120000007800267301615"}}`, 422, "order_invoiced"},
		{"bad NF-e check digit", "invoice", `{"status": "order_invoiced", "invoice": {"key": "52060433009911002506550120000007800267301610"}}`, 422, "invoice.key"},
		{"bad issue_date", "invoice", `{"status": "order_invoiced", "invoice": {"key": "52060433009911002506550120000007800267301615", "issue_date": "10/03/2023"}}`, 422, "issue_date"},
		{"shipment code is another order", "shipments", `{"status": "order_shipped", "shipment": {"code": "X", "items": [{"sku": "1", "qty": 1}], "track": {"code": "a", "carrier": "b"}}}`, 422, "shipment.code"},
		{"shipment without items", "shipments", `{"status": "order_shipped", "shipment": {"code": "C", "items": [], "track": {"code": "a", "carrier": "b"}}}`, 422, "items"},
		{"delivery date not DD/MM/YYYY", "delivery", `{"status": "complete", "delivered_date": "2023-03-13"}`, 422, "DD/MM/AAAA"},
		{"exception without observation", "shipment_exception", `{"shipment_exception": {"occurrence_date": "2023-03-10T19:30:00+00:00"}}`, 422, "observation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(http.MethodPost, skyURL(e, "C", tt.call), []byte(tt.body), skyAuth).want(t, tt.want)
			contains(t, errorText(a), tt.msg)
		})
	}
	t.Run("Content-Type", func(t *testing.T) {
		e.send(http.MethodPost, skyURL(e, "C", "invoice"), skyInvoice, func(r *http.Request) {
			skyAuth(r)
			r.Header.Set("Content-Type", "text/plain")
		}).want(t, http.StatusUnsupportedMediaType)
	})
	t.Run("Accept", func(t *testing.T) {
		e.send(http.MethodPost, skyURL(e, "C", "invoice"), skyInvoice, func(r *http.Request) {
			skyAuth(r)
			r.Header.Set("Accept", "text/html")
		}).want(t, http.StatusNotAcceptable)
	})
	if got := e.status(sim.SkyHub, "C"); got != "" {
		t.Errorf("refused calls changed the order: %q", got)
	}
}

// TestSkyHubRateLimit: 9 writes per second per endpoint and method, then
// 429 with Retry-After until the next second of the (injected) clock.
func TestSkyHubRateLimit(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for i := range 9 {
		e.send(http.MethodPost, skyURL(e, fmt.Sprintf("Lojas Americanas-%d", i), "invoice"), skyInvoice, skyAuth).want(t, http.StatusOK)
	}
	a := e.send(http.MethodPost, skyURL(e, "Lojas Americanas-9", "invoice"), skyInvoice, skyAuth).want(t, http.StatusTooManyRequests)
	if got := a.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if got := e.status(sim.SkyHub, "Lojas Americanas-9"); got != "" {
		t.Errorf("a call over the limit changed the order: %q", got)
	}
	// Another endpoint has its own budget.
	e.send(http.MethodPost, skyURL(e, "Lojas Americanas-0", "cancel"), []byte(`{"status": "order_canceled"}`), skyAuth).want(t, http.StatusOK)
	// The next second opens a new window.
	e.clock.Advance(500 * time.Millisecond)
	e.send(http.MethodPost, skyURL(e, "Lojas Americanas-9", "invoice"), skyInvoice, skyAuth).want(t, http.StatusOK)
}

func TestSkyHubReadAndRoutes(t *testing.T) {
	e := newEnv(t, sim.Options{})
	a := e.send(http.MethodGet, e.base(sim.SkyHub)+"/orders/"+url.PathEscape(skyOrder), nil, skyAuth).want(t, http.StatusOK)
	st, _ := a.body["status"].(map[string]any)
	if a.body["code"] != skyOrder || st["code"] != "payment_received" || st["type"] != "APPROVED" {
		t.Errorf("GET order: %s", a.raw)
	}
	// Reads: 1 per second.
	e.send(http.MethodGet, e.base(sim.SkyHub)+"/orders/x", nil, skyAuth).want(t, http.StatusTooManyRequests)
	a = e.send(http.MethodGet, skyURL(e, skyOrder, "invoice"), nil, skyAuth).want(t, http.StatusMethodNotAllowed)
	contains(t, errorText(a), "not allowed")
	a = e.send(http.MethodPost, e.base(sim.SkyHub)+"/nothing", []byte(`{}`), skyAuth).want(t, http.StatusNotFound)
	contains(t, errorText(a), "no such endpoint")
}
