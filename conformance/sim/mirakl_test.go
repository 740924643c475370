package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

// mklKey is the simulator's public Mirakl API key (docs/simulator.md).
const mklKey = "sim-mirakl-api-key"

func mklAuth(r *http.Request) { r.Header.Set("Authorization", mklKey) }

// mklOrderURL is an order call's URL.
func mklOrderURL(e *env, id, call string) string {
	u := e.base(sim.Mirakl) + "/api/orders/" + id
	if call != "" {
		u += "/" + call
	}
	return u
}

// mklSetup sets up an order with the admin endpoint.
func (e *env) mklSetup(id, body string) {
	e.t.Helper()
	e.send(http.MethodPut, e.srv.URL+"/_sim/mirakl/orders/"+id, []byte(body), nil).want(e.t, http.StatusOK)
}

// mklOrder returns an order from the admin view.
func (e *env) mklOrder(id string) map[string]any {
	e.t.Helper()
	list, _ := e.orders(sim.Mirakl)["orders"].([]any)
	for _, o := range list {
		if m := o.(map[string]any); m["id"] == id {
			return m
		}
	}
	e.t.Fatalf("no order %s in the admin view", id)
	return nil
}

// mklLineStates lists an order's line states, in order.
func (e *env) mklLineStates(id string) []string {
	e.t.Helper()
	var out []string
	for _, l := range e.mklOrder(id)["lines"].([]any) {
		out = append(out, l.(map[string]any)["state"].(string))
	}
	return out
}

// wantCode checks a Mirakl error answer's status and code.
func wantCode(t *testing.T, a answer, status int, code string) {
	t.Helper()
	a.want(t, status)
	if a.body["code"] != code || a.body["status"] != float64(status) || a.body["message"] == "" {
		t.Errorf("got %s, want code %s", a.raw, code)
	}
}

func TestMiraklAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	u := e.base(sim.Mirakl) + "/api/orders"
	tests := []struct {
		name  string
		query string
		auth  func(*http.Request)
		want  int
	}{
		{"no key", "", nil, 401},
		{"Bearer prefix", "", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+mklKey) }, 401},
		{"wrong key", "", func(r *http.Request) { r.Header.Set("Authorization", "nope") }, 401},
		{"key", "", mklAuth, 200},
		{"the key's shop", "?shop_id=2001", mklAuth, 200},
		{"another shop", "?shop_id=9179", mklAuth, 403},
		{"shop id not a number", "?shop_id=abc", mklAuth, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(http.MethodGet, u+tt.query, nil, tt.auth).want(t, tt.want)
			if tt.want != 200 && (a.body["message"] == "" || a.body["status"] != float64(tt.want)) {
				t.Errorf("error body %s", a.raw)
			}
		})
	}
	a := e.send(http.MethodGet, u, nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+mklKey) })
	contains(t, a.body["message"].(string), "without Bearer")
}

// TestMiraklLifecycle: accept (OR21), tracking (OR23), ship (OR24); a
// repeat of OR24 or OR21 is refused with ORDER_INVALID_STATE.
func TestMiraklLifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	const id = "Order_00012-B"
	accept := []byte(`{"order_lines": [{"id": "Order_00012-B-1", "accepted": true}, {"id": "Order_00012-B-2", "accepted": true}]}`)
	a := e.send(http.MethodPut, mklOrderURL(e, id, "accept")+"?shop_id=2001", accept, mklAuth).want(t, http.StatusNoContent)
	if len(a.raw) != 0 {
		t.Errorf("204 with a body: %s", a.raw)
	}
	if got := e.status(sim.Mirakl, id); got != "SHIPPING" {
		t.Fatalf("after OR21 the order is %q, want SHIPPING (the operator debits at once)", got)
	}
	if h := e.mklOrder(id)["history"].([]any); len(h) != 2 || h[0].(map[string]any)["to"] != "WAITING_DEBIT" {
		t.Errorf("history %v, want WAITING_DEBIT then SHIPPING", h)
	}
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, id, "accept"), accept, mklAuth), 400, "ORDER_INVALID_STATE")
	e.send(http.MethodPut, mklOrderURL(e, id, "tracking"), example(t, "mirakl", "OR23-update-tracking.request.json"), mklAuth).want(t, http.StatusNoContent)
	e.send(http.MethodPut, mklOrderURL(e, id, "ship"), nil, mklAuth).want(t, http.StatusNoContent)
	if got := e.mklLineStates(id); !reflect.DeepEqual(got, []string{"SHIPPED", "SHIPPED"}) {
		t.Errorf("lines %v", got)
	}
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, id, "ship"), nil, mklAuth), 400, "ORDER_INVALID_STATE")
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, id, "cancel"), nil, mklAuth), 400, "ORDER_INVALID_STATE")
	// OR23 again after shipping: harmless, counted.
	e.send(http.MethodPut, mklOrderURL(e, id, "tracking"), example(t, "mirakl", "OR23-update-tracking.request.json"), mklAuth).want(t, http.StatusNoContent)
	if n := e.mklOrder(id)["trackingUpdates"]; n != 2.0 {
		t.Errorf("trackingUpdates %v, want 2", n)
	}
	l := e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/orders?order_ids="+id, nil, mklAuth).want(t, http.StatusOK)
	o := l.body["orders"].([]any)[0].(map[string]any)
	if o["order_state"] != "SHIPPED" || o["shipping_tracking"] != "5555" || o["shipping_carrier_code"] != "UPS" ||
		!strings.Contains(o["shipping_tracking_url"].(string), "5555") || o["commercial_id"] != "Order_00012" {
		t.Errorf("OR11 %s", l.raw)
	}
}

// TestMiraklOR21Codes reproduces every error code of OR21's table.
func TestMiraklOR21Codes(t *testing.T) {
	e := newEnv(t, sim.Options{})
	strict := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{PartialAcceptanceDisabled: true, KnownOrdersOnly: true}})
	e.mklSetup("O-2", `{"lines": [{"id": "O-2-1"}, {"id": "O-2-2"}]}`)
	e.mklSetup("O-3", `{"state": "SHIPPING"}`)
	e.mklSetup("O-4", `{"fulfilled": true}`)
	strict.mklSetup("O-5", `{"lines": [{"id": "O-5-1"}, {"id": "O-5-2"}]}`)
	tests := []struct {
		name, order, body string
		on                *env
		status            int
		code              string
	}{
		{"null element", "O-1", `{"order_lines": [null]}`, e, 400, "ORDER_LINE_NULL_ELEMENT"},
		{"duplicate id", "O-1", `{"order_lines": [{"id": "O-1-1", "accepted": true}, {"id": "O-1-1", "accepted": false}]}`, e, 400, "ORDER_LINE_DUPLICATE_ID"},
		{"no accepted", "O-1", `{"order_lines": [{"id": "O-1-1"}]}`, e, 400, "VALIDATION_ERROR"},
		{"no order_lines", "O-1", `{}`, e, 400, "VALIDATION_ERROR"},
		{"malformed JSON", "O-1", `{"order_lines": [],}`, e, 400, "VALIDATION_ERROR"},
		{"line not found", "O-2", `{"order_lines": [{"id": "O-2-1", "accepted": true}, {"id": "O-2-2", "accepted": true}, {"id": "O-9-1", "accepted": true}]}`, e, 400, "ORDER_LINE_NOT_FOUND"},
		{"decision missing", "O-2", `{"order_lines": [{"id": "O-2-1", "accepted": true}]}`, e, 400, "ORDER_LINE_ACCEPTANCE_DECISION_MISSING"},
		{"invalid state", "O-3", `{"order_lines": [{"id": "O-3-1", "accepted": true}]}`, e, 400, "ORDER_INVALID_STATE"},
		{"fulfilled", "O-4", `{"order_lines": [{"id": "O-4-1", "accepted": true}]}`, e, 400, "ORDER_FULFILLED_UNAUTHORIZED"},
		{"partial acceptance disabled", "O-5", `{"order_lines": [{"id": "O-5-1", "accepted": true}, {"id": "O-5-2", "accepted": false}]}`, strict, 400, "ORDER_PARTIAL_ACCEPTANCE_DISABLED"},
		{"order not found", "O-6", `{"order_lines": [{"id": "O-6-1", "accepted": true}]}`, strict, 404, "ORDER_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.on.send(http.MethodPut, mklOrderURL(tt.on, tt.order, "accept"), []byte(tt.body), mklAuth), tt.status, tt.code)
		})
	}
	if got := e.mklLineStates("O-2"); !reflect.DeepEqual(got, []string{"WAITING_ACCEPTANCE", "WAITING_ACCEPTANCE"}) {
		t.Errorf("refused calls changed the lines: %v", got)
	}
	t.Run("partial acceptance", func(t *testing.T) {
		e.send(http.MethodPut, mklOrderURL(e, "O-2", "accept"), []byte(`{"order_lines": [{"id": "O-2-1", "accepted": true}, {"id": "O-2-2", "accepted": false}]}`), mklAuth).want(t, http.StatusNoContent)
		if got := e.mklLineStates("O-2"); !reflect.DeepEqual(got, []string{"SHIPPING", "REFUSED"}) || e.status(sim.Mirakl, "O-2") != "SHIPPING" {
			t.Errorf("lines %v, order %s", got, e.status(sim.Mirakl, "O-2"))
		}
	})
	t.Run("refuse every line", func(t *testing.T) {
		e.send(http.MethodPut, mklOrderURL(e, "O-7", "accept"), []byte(`{"order_lines": [{"id": "O-7-1", "accepted": false}]}`), mklAuth).want(t, http.StatusNoContent)
		if got := e.status(sim.Mirakl, "O-7"); got != "REFUSED" {
			t.Errorf("order %s, want REFUSED", got)
		}
	})
	t.Run("error status option", func(t *testing.T) {
		e422 := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{ErrorStatus: 422}})
		e422.mklSetup("O-3", `{"state": "SHIPPING"}`)
		wantCode(t, e422.send(http.MethodPut, mklOrderURL(e422, "O-3", "accept"), []byte(`{"order_lines": [{"id": "O-3-1", "accepted": true}]}`), mklAuth), 422, "ORDER_INVALID_STATE")
	})
}

func TestMiraklHoldDebit(t *testing.T) {
	e := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{HoldDebit: true}})
	e.send(http.MethodPut, mklOrderURL(e, "H-1", "accept"), []byte(`{"order_lines": [{"id": "H-1-1", "accepted": true}]}`), mklAuth).want(t, http.StatusNoContent)
	if got := e.status(sim.Mirakl, "H-1"); got != "WAITING_DEBIT" {
		t.Fatalf("order %s, want WAITING_DEBIT", got)
	}
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, "H-1", "ship"), nil, mklAuth), 400, "ORDER_INVALID_STATE")
	e.setStatus(sim.Mirakl, "H-1", "SHIPPING")
	e.send(http.MethodPut, mklOrderURL(e, "H-1", "ship"), nil, mklAuth).want(t, http.StatusNoContent)
}

func TestMiraklTracking(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.mklSetup("T-1", `{"state": "SHIPPING"}`)
	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"registered carrier", `{"carrier_code": "CORREIOS", "tracking_number": "BR1"}`, 204},
		{"another carrier", `{"carrier_name": "Transportadora X", "carrier_url": "https://x.example/t/1", "tracking_number": "1"}`, 204},
		{"unknown carrier code", `{"carrier_code": "XYZ", "tracking_number": "1"}`, 400},
		{"registered without tracking number", `{"carrier_code": "UPS"}`, 400},
		{"no carrier", `{"tracking_number": "1"}`, 400},
		{"not a string", `{"carrier_name": "X", "tracking_number": 1}`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.send(http.MethodPut, mklOrderURL(e, "T-1", "tracking"), []byte(tt.body), mklAuth).want(t, tt.want)
		})
	}
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, "T-2", "tracking"), []byte(`{"carrier_code": "UPS", "tracking_number": "1"}`), mklAuth), 400, "ORDER_INVALID_STATE")
	c := e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/shipping/carriers", nil, mklAuth).want(t, http.StatusOK)
	contains(t, string(c.raw), `"code":"UPS"`)
}

func TestMiraklCancel(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.mklSetup("C-1", `{"state": "SHIPPING"}`)
	e.mklSetup("C-2", `{"state": "SHIPPING", "canCancel": false}`)
	e.mklSetup("C-3", `{"state": "SHIPPING", "lines": [{"id": "C-3-1", "quantity": 2}, {"id": "C-3-2"}]}`)
	e.send(http.MethodPut, mklOrderURL(e, "C-1", "cancel"), nil, mklAuth).want(t, http.StatusNoContent)
	if got := e.status(sim.Mirakl, "C-1"); got != "CANCELED" {
		t.Errorf("C-1 %s", got)
	}
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, "C-1", "cancel"), nil, mklAuth), 400, "ORDER_INVALID_STATE")
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, "C-2", "cancel"), nil, mklAuth), 400, "ORDER_INVALID_STATE")
	wantCode(t, e.send(http.MethodPut, mklOrderURL(e, "C-9", "cancel"), nil, mklAuth), 400, "ORDER_INVALID_STATE")

	line := func(id string, qty int) string {
		return fmt.Sprintf(`{"order_line_id": %q, "quantity": %d, "amount": 10.5, "shipping_amount": 0, "reason_code": "34"}`, id, qty)
	}
	cancel := func(entries ...string) answer {
		return e.send(http.MethodPut, e.base(sim.Mirakl)+"/api/orders/cancel", []byte(`{"cancelations": [`+strings.Join(entries, ",")+`]}`), mklAuth)
	}
	a := cancel(line("C-3-1", 1)).want(t, http.StatusOK)
	if c := a.body["cancelations"].([]any)[0].(map[string]any); c["cancelation_id"] == nil || c["order_line_id"] != "C-3-1" {
		t.Errorf("answer %s", a.raw)
	}
	wantCode(t, cancel(line("C-3-1", 2)), 400, "ORDER_LINE_INVALID_QUANTITY")
	wantCode(t, cancel(line("C-3-2", 1), line("nope", 1)), 400, "ORDER_LINE_NOT_FOUND")
	if got := e.mklLineStates("C-3"); !reflect.DeepEqual(got, []string{"SHIPPING", "SHIPPING"}) {
		t.Errorf("a refused batch changed the lines: %v", got)
	}
	cancel(line("C-3-1", 1), line("C-3-2", 1)).want(t, http.StatusOK)
	if got := e.status(sim.Mirakl, "C-3"); got != "CANCELED" {
		t.Errorf("every line canceled, order %s", got)
	}
	for _, body := range []string{
		`{"cancelations": [{"order_line_id": "C-3-1", "quantity": 1, "shipping_amount": 0, "reason_code": "34"}]}`,
		`{"cancelations": [{"order_line_id": "C-3-1", "quantity": 1, "amount": -1, "shipping_amount": 0, "reason_code": "34"}]}`,
		`{"cancelations": [{"order_line_id": "C-3-1", "amount": 1, "shipping_amount": 0, "reason_code": "34"}]}`,
		`{"cancelations": [{"order_line_id": "C-3-1", "quantity": 1, "amount": 1, "shipping_amount": 0}]}`,
		`{"cancelations": [{"order_line_id": "C-3-1", "quantity": 1, "amount": "1", "shipping_amount": 0, "reason_code": "34"}]}`,
		`{"cancelations": []}`,
		`{"cancelations": [{"order_line_id": "C-3-1", "quantity": 1, "amount": 1, "shipping_amount": 0, "reason_code": "34"}], "order_tax_mode": "NONE"}`,
	} {
		wantCode(t, e.send(http.MethodPut, e.base(sim.Mirakl)+"/api/orders/cancel", []byte(body), mklAuth), 400, "VALIDATION_ERROR")
	}
}

func TestMiraklRefund(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.mklSetup("R-1", `{"state": "SHIPPING"}`)
	e.mklSetup("R-2", `{"state": "CLOSED"}`)
	body := func(line string) []byte {
		return []byte(`{"refunds": [{"order_line_id": "` + line + `", "amount": 1.5, "shipping_amount": 2, "reason_code": "15"}]}`)
	}
	u := e.base(sim.Mirakl) + "/api/orders/refund"
	wantCode(t, e.send(http.MethodPut, u, body("R-1-1"), mklAuth), 400, "ORDER_INVALID_STATE")
	wantCode(t, e.send(http.MethodPut, u, body("R-2-1"), mklAuth), 400, "ORDER_INVALID_STATE")
	e.send(http.MethodPut, mklOrderURL(e, "R-1", "ship"), nil, mklAuth).want(t, http.StatusNoContent)
	a := e.send(http.MethodPut, u, body("R-1-1"), mklAuth).want(t, http.StatusOK)
	if r := a.body["refunds"].([]any)[0].(map[string]any); r["refund_id"] == nil || r["order_refund_id"] == nil {
		t.Errorf("answer %s", a.raw)
	}
	lines := e.mklOrder("R-1")["lines"].([]any)
	if n := len(lines[0].(map[string]any)["refunds"].([]any)); n != 1 {
		t.Errorf("%d refunds recorded, want 1", n)
	}
}

// mklUpload posts an OR74 body of files and the order_documents JSON.
func (e *env) mklUpload(order, docs string, files ...[2]string) answer {
	e.t.Helper()
	parts := [][4]string{}
	if docs != "" {
		parts = append(parts, [4]string{"order_documents", "", "application/json", docs})
	}
	for _, f := range files {
		parts = append(parts, [4]string{"files", f[0], "application/octet-stream", f[1]})
	}
	ct, body := multipartBody(e.t, parts...)
	return e.raw(http.MethodPost, mklOrderURL(e, order, "documents"), ct, body, mklAuth)
}

func TestMiraklDocuments(t *testing.T) {
	e := newEnv(t, sim.Options{})
	xmlOK := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{FileExtensions: []string{"pdf", "xml"}}})
	invoice := func(name string) string {
		return `{"order_documents": [{"file_name": "` + name + `", "type_code": "CUSTOMER_INVOICE"}]}`
	}
	a := e.mklUpload("D-1", invoice("nfe-1.pdf"), [2]string{"nfe-1.pdf", "%PDF-1.4"}).want(t, http.StatusOK)
	sameJSON(t, a.raw, []byte(`{"errors_count": 0, "order_documents": []}`))
	a = e.mklUpload("D-1", invoice("nfe-1.xml"), [2]string{"nfe-1.xml", string(mlNFe(mlNFeKey))}).want(t, http.StatusOK)
	if a.body["errors_count"] != 1.0 || !strings.Contains(string(a.raw), "valid_order_document.file_name") {
		t.Errorf("XML with the documented file types: %s", a.raw)
	}
	a = xmlOK.mklUpload("D-1", invoice("nfe-1.xml"), [2]string{"nfe-1.xml", string(mlNFe(mlNFeKey))}).want(t, http.StatusOK)
	if a.body["errors_count"] != 0.0 {
		t.Errorf("XML allowed by the option: %s", a.raw)
	}
	a = e.mklUpload("D-1", `{"order_documents": [{"file_name": "slip.pdf", "type_code": "SYSTEM_DELIVERY_BILL"}]}`, [2]string{"slip.pdf", "%PDF"}).want(t, http.StatusOK)
	contains(t, string(a.raw), "valid_order_document.type")
	// The same file again is a second document: the view shows both.
	e.mklUpload("D-1", invoice("nfe-1.pdf"), [2]string{"nfe-1.pdf", "%PDF-1.4"}).want(t, http.StatusOK)
	l := e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/orders/documents?order_ids=D-1", nil, mklAuth).want(t, http.StatusOK)
	if l.body["total_count"] != 2.0 {
		t.Errorf("OR72 %s, want the two PDFs", l.raw)
	}
	wantKeys(t, mustJSON(t, l.body["order_documents"].([]any)[0]), mustJSON(t, mklExampleDoc(t)))
	e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/orders/documents", nil, mklAuth).want(t, http.StatusBadRequest)

	for _, tt := range []struct {
		name, docs string
		files      [][2]string
	}{
		{"no order_documents", "", [][2]string{{"a.pdf", "%PDF"}}},
		{"no files", invoice("a.pdf"), nil},
		{"file without entry", invoice("a.pdf"), [][2]string{{"a.pdf", "%PDF"}, {"b.pdf", "%PDF"}}},
		{"entry without file", `{"order_documents": [{"file_name": "a.pdf", "type_code": "CUSTOMER_INVOICE"}, {"file_name": "b.pdf", "type_code": "CUSTOMER_INVOICE"}]}`, [][2]string{{"a.pdf", "%PDF"}}},
		{"non-ASCII file name", invoice("nota-fiscal-ção.pdf"), [][2]string{{"nota-fiscal-ção.pdf", "%PDF"}}},
		{"same name twice", invoice("a.pdf"), [][2]string{{"a.pdf", "%PDF"}, {"a.pdf", "%PDF"}}},
		{"order_documents not JSON", `order_documents`, [][2]string{{"a.pdf", "%PDF"}}},
		{"no type_code", `{"order_documents": [{"file_name": "a.pdf"}]}`, [][2]string{{"a.pdf", "%PDF"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.mklUpload("D-2", tt.docs, tt.files...), 400, "VALIDATION_ERROR")
		})
	}
	if docs := e.mklOrder("D-1")["documents"].([]any); len(docs) != 2 {
		t.Errorf("%d documents, want 2", len(docs))
	}
}

func mklExampleDoc(t *testing.T) any {
	var v struct {
		OrderDocuments []any `json:"order_documents"`
	}
	if err := json.Unmarshal(example(t, "mirakl", "OR72-list-documents.response.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v.OrderDocuments[0]
}

func TestMiraklRateLimit(t *testing.T) {
	e := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{RatePerSecond: 2}})
	u := e.base(sim.Mirakl) + "/api/orders"
	e.send(http.MethodGet, u, nil, mklAuth).want(t, http.StatusOK)
	e.send(http.MethodGet, u, nil, mklAuth).want(t, http.StatusOK)
	a := e.send(http.MethodGet, u, nil, mklAuth).want(t, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") != "1" || a.body["status"] != 429.0 {
		t.Errorf("429: Retry-After %q, body %s", a.header.Get("Retry-After"), a.raw)
	}
	e.clock.Advance(time.Second)
	e.send(http.MethodGet, u, nil, mklAuth).want(t, http.StatusOK)
}

func TestMiraklListOrders(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.mklSetup("L-1", `{"state": "SHIPPING"}`)
	e.mklSetup("L-2", `{}`)
	e.mklSetup("L-3", `{"state": "SHIPPING"}`)
	u := e.base(sim.Mirakl) + "/api/orders"
	a := e.send(http.MethodGet, u+"?order_state_codes=SHIPPING&max=1", nil, mklAuth).want(t, http.StatusOK)
	if a.body["total_count"] != 2.0 || len(a.body["orders"].([]any)) != 1 || a.body["orders"].([]any)[0].(map[string]any)["order_id"] != "L-1" {
		t.Errorf("OR11 %s", a.raw)
	}
	a = e.send(http.MethodGet, u+"?order_state_codes=SHIPPING&max=1&offset=1", nil, mklAuth).want(t, http.StatusOK)
	if a.body["orders"].([]any)[0].(map[string]any)["order_id"] != "L-3" {
		t.Errorf("second page %s", a.raw)
	}
	// Every field the simulator writes is one the documented example has.
	var ex struct {
		Orders []map[string]any `json:"orders"`
	}
	_ = json.Unmarshal(example(t, "mirakl", "OR11-list-orders.response.json"), &ex)
	got := a.body["orders"].([]any)[0].(map[string]any)
	wantKeys(t, mustJSON(t, ex.Orders[0]), mustJSON(t, got))
	wantKeys(t, mustJSON(t, ex.Orders[0]["order_lines"].([]any)[0]), mustJSON(t, got["order_lines"].([]any)[0]))
	e.send(http.MethodGet, u+"?order_state_codes=SENT", nil, mklAuth).want(t, http.StatusBadRequest)
	e.send(http.MethodGet, u+"?max=500", nil, mklAuth).want(t, http.StatusBadRequest)
}

// TestMiraklExamples sends every documented request body to its call and
// compares the documented answers the simulator gives.
func TestMiraklExamples(t *testing.T) {
	e := newEnv(t, sim.Options{})
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "marketplaces", "examples", "mirakl", "*.json"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	api := e.base(sim.Mirakl) + "/api"
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body := example(t, "mirakl", name)
			switch name {
			case "OR21-accept-order-lines.request.json":
				e.send(http.MethodPut, api+"/orders/Order_00012-B/accept", body, mklAuth).want(t, http.StatusNoContent)
			case "OR23-update-tracking.request.json":
				e.mklSetup("Order_00023-A", `{"state": "SHIPPING"}`)
				e.send(http.MethodPut, api+"/orders/Order_00023-A/tracking", body, mklAuth).want(t, http.StatusNoContent)
			case "OR28-refund.request.json":
				e.mklSetup("Order_00010-A", `{"state": "RECEIVED", "lines": [{"id": "Order_00010-A-1", "quantity": 3, "price": 165}]}`)
				a := e.send(http.MethodPut, api+"/orders/refund", body, mklAuth).want(t, http.StatusOK)
				wantKeys(t, mustJSON(t, a.body["refunds"].([]any)[0]), []byte(`{"order_line_id": 1, "refund_id": 1, "order_refund_id": 1, "amount": 1, "reason_code": 1}`))
			case "OR30-cancel-order-lines.request.json":
				e.mklSetup("Order_00013-A", `{"state": "SHIPPING"}`)
				a := e.send(http.MethodPut, api+"/orders/cancel", body, mklAuth).want(t, http.StatusOK)
				wantKeys(t, mustJSON(t, a.body["cancelations"].([]any)[0]), []byte(`{"order_line_id": 1, "cancelation_id": 1, "amount": 1, "reason_code": 1}`))
				if a.body["order_tax_mode"] != "TAX_EXCLUDED" {
					t.Errorf("answer %s", a.raw)
				}
			case "OR74-upload-documents.order_documents-part.json":
				a := e.mklUpload("Order_00074-A", string(body), [2]string{"return_label-38294.pdf", "%PDF-1.4"}).want(t, http.StatusOK)
				sameJSON(t, a.raw, example(t, "mirakl", "OR74-upload-documents.response.json"))
			case "DO01-document-types.response.json":
				a := e.send(http.MethodGet, api+"/documents", nil, mklAuth).want(t, http.StatusOK)
				sameJSON(t, a.raw, body)
			case "OR11-list-orders.response.json", "OR28-refund.response.json", "OR30-cancel-order-lines.response.json",
				"OR72-list-documents.response.json", "OR74-upload-documents.response.json":
				t.Skip("an answer; the tests of its call compare it")
			default:
				t.Fatalf("%s: no test sends or compares this example: add it here", name)
			}
		})
	}
}

func TestMiraklAdmin(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, body := range []string{
		`{"state": "SENT"}`,
		`{"lines": [{"id": "a"}, {"id": "a"}]}`,
		`{"lines": [{"id": ""}]}`,
		`{"lines": [{"id": "a", "state": "LOST"}]}`,
		`{"lines": [{"id": "a", "quantity": -1}]}`,
		`{"colour": "red"}`,
	} {
		e.send(http.MethodPut, e.srv.URL+"/_sim/mirakl/orders/A-1", []byte(body), nil).want(t, http.StatusBadRequest)
	}
	e.setStatus(sim.Mirakl, "A-2", "RECEIVED")
	if got := e.mklLineStates("A-2"); !reflect.DeepEqual(got, []string{"RECEIVED"}) {
		t.Errorf("lines %v", got)
	}
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/mirakl/A-2", []byte(`{"status": "DELIVERED"}`), nil).want(t, http.StatusBadRequest)
	// A line moves to the order that names it last.
	e.mklSetup("A-3", `{"lines": [{"id": "X-1"}]}`)
	e.mklSetup("A-4", `{"lines": [{"id": "X-1"}]}`)
	if n := len(e.mklOrder("A-3")["lines"].([]any)); n != 0 {
		t.Errorf("A-3 still has %d lines", n)
	}
	keys := []string{}
	for k := range e.mklOrder("A-4") {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, []string{"canCancel", "documents", "fulfilled", "history", "id", "lines", "status", "tracking", "trackingUpdates"}) {
		t.Errorf("admin view keys %v", keys)
	}
}

func TestSetOption(t *testing.T) {
	var o sim.Options
	for _, kv := range [][2]string{
		{"mercadolivre.accessTokenTTL", "10m"}, {"mercadolivre.ratePerSecond", "5"}, {"mirakl.shopId", "9179"},
		{"mirakl.partialAcceptanceDisabled", "true"}, {"mirakl.holdDebit", "true"}, {"mirakl.knownOrdersOnly", "true"},
		{"mirakl.fileExtensions", "pdf, .XML"}, {"mirakl.ratePerSecond", "3"}, {"mirakl.errorStatus", "422"},
	} {
		if err := o.SetOption(kv[0], kv[1]); err != nil {
			t.Fatalf("%s: %v", kv[0], err)
		}
	}
	want := sim.Options{
		MercadoLivre: sim.MercadoLivreOptions{AccessTokenTTL: 10 * time.Minute, RatePerSecond: 5},
		Mirakl: sim.MiraklOptions{ShopID: 9179, PartialAcceptanceDisabled: true, HoldDebit: true, KnownOrdersOnly: true,
			FileExtensions: []string{"pdf", "xml"}, RatePerSecond: 3, ErrorStatus: 422},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got %+v, want %+v", o, want)
	}
	if got := len(sim.OptionNames()); got != 9 {
		t.Errorf("%d option names, want the 9 set above", got)
	}
	for _, kv := range [][2]string{
		{"mirakl.colour", "red"}, {"mercadolivre.accessTokenTTL", "-1s"}, {"mercadolivre.accessTokenTTL", "soon"},
		{"mirakl.shopId", "0"}, {"mirakl.holdDebit", "maybe"}, {"mirakl.fileExtensions", " , "}, {"mirakl.errorStatus", "500"},
	} {
		if err := o.SetOption(kv[0], kv[1]); err == nil {
			t.Errorf("%s=%s accepted", kv[0], kv[1])
		}
	}
	// The shop id option is what the simulator checks shop_id against.
	e := newEnv(t, sim.Options{Mirakl: sim.MiraklOptions{ShopID: 9179}})
	e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/orders?shop_id=9179", nil, mklAuth).want(t, http.StatusOK)
	e.send(http.MethodGet, e.base(sim.Mirakl)+"/api/orders?shop_id=2001", nil, mklAuth).want(t, http.StatusForbidden)
}
