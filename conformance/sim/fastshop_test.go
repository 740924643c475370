package sim_test

import (
	"net/http"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
)

const fshOrder = "999999999"

func fshURL(e *env, rest string) string { return e.base(sim.FastShop) + "/pvt/orders/" + rest }

func TestFastShopAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	body := []byte(`{"reason": "x"}`)
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"wrong token", func(r *http.Request) { fshAuth(r); r.Header.Set("X-API-AppToken", "wrong") }, http.StatusUnauthorized},
		{"key and token of two schemes", func(r *http.Request) {
			r.Header.Set("X-API-AppKey", secrets["ROTA_SECRET_FASTSHOP_APPKEY"])
			r.Header.Set("X-VTEX-API-AppToken", secrets["ROTA_SECRET_FASTSHOP_APPTOKEN"])
		}, http.StatusUnauthorized},
		{"seed's headers", fshAuth, http.StatusOK},
		{"VTEX headers", func(r *http.Request) {
			r.Header.Set("X-VTEX-API-AppKey", secrets["ROTA_SECRET_FASTSHOP_APPKEY"])
			r.Header.Set("X-VTEX-API-AppToken", secrets["ROTA_SECRET_FASTSHOP_APPTOKEN"])
		}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(http.MethodPost, fshURL(e, tt.name+"/cancel"), body, tt.auth).want(t, tt.want)
			if tt.want == http.StatusUnauthorized {
				contains(t, errorText(a), "1 Unauthorized access")
				if exc, ok := a.body["error"].(map[string]any)["exception"]; !ok || exc != nil {
					t.Errorf("no \"exception\": null in %s", a.raw)
				}
			}
		})
	}
}

// TestFastShopLifecycle: invoice, tracking, delivery with the calls the
// mapping makes; then cancelling the invoiced order is refused.
func TestFastShopLifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, name := range []string{"invoiced", "shipped", "shipment_exception", "delivered"} {
		for _, c := range e.translate(sim.FastShop, event(t, sim.FastShop, name, nil)) {
			a := e.call(c, fshAuth).want(t, http.StatusOK)
			if a.body["orderId"] != fshOrder || a.body["receipt"] == "" || a.body["date"] == nil {
				t.Errorf("%s: answer %s, want {date, orderId, receipt}", name, a.raw)
			}
			if v := judge(t, c, a); v.Outcome != engine.VerdictSuccess {
				t.Fatalf("%s: the mapping reads %+v", name, v)
			}
		}
		if got := e.status(sim.FastShop, fshOrder); got != "invoiced" {
			t.Fatalf("after %s the order is %q, want invoiced", name, got)
		}
	}
	ev := event(t, sim.FastShop, "canceled", map[string]any{"order": map[string]any{"marketplaceStatus": nil, "status": "approved"}})
	c := e.translate(sim.FastShop, ev)[0]
	a := e.call(c, fshAuth).want(t, http.StatusConflict)
	if v := judge(t, c, a); v.Outcome != engine.VerdictFail || v.Code != "OMS003" {
		t.Errorf("the mapping reads %+v, want fail OMS003", v)
	}
	if got := e.status(sim.FastShop, fshOrder); got != "invoiced" {
		t.Errorf("refused cancel changed the order to %q", got)
	}
}

func TestFastShopTransitions(t *testing.T) {
	e := newEnv(t, sim.Options{})
	invoice := `{"type": "Output", "invoiceNumber": "1", "invoiceValue": 100, "items": [{"id": "96", "quantity": 1, "price": 100}]}`
	tests := []struct {
		name, start, path, body string
		want                    int
		after                   string
	}{
		{"unknown order starts ready for handling: cancel", "", "cancel", `{"reason": "sem estoque"}`, 200, "canceled"},
		{"unknown order: invoice", "", "invoice", invoice, 200, "invoiced"},
		{"pending order cannot be invoiced", "waiting-ffmt-authorization", "invoice", invoice, 409, "waiting-ffmt-authorization"},
		{"pending order can be canceled", "waiting-ffmt-authorization", "cancel", `{"reason": "x"}`, 200, "canceled"},
		{"handling order: invoice", "handling", "invoice", invoice, 200, "invoiced"},
		{"canceled order cannot be invoiced", "canceled", "invoice", invoice, 409, "canceled"},
		{"tracking before the invoice", "", "invoice/1", `{"courier": "c", "trackingNumber": "t", "trackingUrl": "u", "dispatchedDate": "2024-05-14"}`, 409, ""},
		{"tracking of an unknown invoice", "invoiced", "invoice/77", `{"courier": "c", "trackingNumber": "t", "trackingUrl": "u", "dispatchedDate": "2024-05-14"}`, 404, "invoiced"},
		{"return invoice of a handling order", "handling", "invoice", `{"type": "Input", "invoiceNumber": "1", "invoiceValue": 100, "items": [{"id": "96", "quantity": 1, "price": 100}]}`, 409, "handling"},
		{"malformed JSON", "", "invoice", `{"type": "Output",}`, 400, ""},
		{"zero invoice value", "", "invoice", `{"type": "Output", "invoiceNumber": "1", "invoiceValue": 0, "items": [{"id": "96", "quantity": 1, "price": 100}]}`, 400, ""},
		{"no items", "", "invoice", `{"type": "Output", "invoiceNumber": "1", "invoiceValue": 10, "items": []}`, 400, ""},
		{"bad invoice key", "", "invoice", `{"type": "Output", "invoiceNumber": "1", "invoiceValue": 10, "invoiceKey": "35230843708379010830550060005593291105593292", "items": [{"id": "96", "quantity": 1, "price": 100}]}`, 400, ""},
		{"cancel without reason", "", "cancel", `{}`, 400, ""},
		{"tracking without trackingUrl", "invoiced", "invoice/1", `{"courier": "c", "trackingNumber": "t", "dispatchedDate": "2024-05-14"}`, 400, "invoiced"},
		{"tracking status without isDelivered", "invoiced", "invoice/1/tracking", `{"events": []}`, 400, "invoiced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.name
			if tt.start != "" {
				e.setStatus(sim.FastShop, id, tt.start)
			}
			a := e.send(http.MethodPost, fshURL(e, id+"/"+tt.path), []byte(tt.body), fshAuth).want(t, tt.want)
			if tt.want >= 400 && errorText(a) == "" {
				t.Errorf("no VTEX error envelope in %s", a.raw)
			}
			want := tt.after
			if want == "" && tt.want >= 400 {
				want = "ready-for-handling" // created by the call, unchanged
			}
			if got := e.status(sim.FastShop, id); got != want && !(got == "" && tt.want == 400) {
				t.Errorf("order is %q, want %q", got, want)
			}
		})
	}
}

// TestFastShopReadBack: the hub accepts the same invoice twice (counted in
// the admin view), and GET /pvt/orders/{id} shows the invoices as
// packages, which the mapping's read-back reads.
func TestFastShopReadBack(t *testing.T) {
	e := newEnv(t, sim.Options{})
	a := e.send(http.MethodGet, fshURL(e, fshOrder), nil, fshAuth).want(t, http.StatusOK)
	if pk := a.body["packageAttachment"].(map[string]any)["packages"].([]any); len(pk) != 0 || a.body["status"] != "ready-for-handling" {
		t.Errorf("an unseen order: %s, want ready for handling without packages", a.raw)
	}
	calls := e.translate(sim.FastShop, event(t, sim.FastShop, "invoiced", nil))
	for range 2 {
		e.call(calls[0], fshAuth).want(t, http.StatusOK)
	}
	inv := e.orders(sim.FastShop)["orders"].([]any)[0].(map[string]any)["invoices"].(map[string]any)["12345"].(map[string]any)
	if inv["accepted"] != float64(2) {
		t.Errorf("invoice 12345 accepted %v times, want 2", inv["accepted"])
	}
	a = e.send(http.MethodGet, fshURL(e, fshOrder), nil, fshAuth).want(t, http.StatusOK)
	rb := calls[0].ReadBack()
	if rb == nil {
		t.Fatal("the invoice call has no read-back")
	}
	if applied, err := rb.Applied(&calls[0], http.StatusOK, http.Header{}, []byte(a.raw)); err != nil || !applied {
		t.Errorf("the read-back reads %s as %v, %v; want applied", a.raw, applied, err)
	}
	e.send(http.MethodGet, fshURL(e, fshOrder), nil, nil).want(t, http.StatusUnauthorized)
}
