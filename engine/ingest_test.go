package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rotahq/rota/engine"
)

var receivedAt = time.Date(2024, 5, 10, 13, 0, 0, 0, time.UTC)

const orders = `{"orders":[{"code":"X1","total":1500,"lines":[{"sku":"a","qty":2}]},{"code":"X2","lines":[]}]}`

func TestIngest(t *testing.T) {
	res, err := acme(t).Ingest("acme", []byte(orders), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
	if err != nil {
		t.Fatal(err)
	}
	if res.Route != "orders" || len(res.Events) != 2 {
		t.Fatalf("route %s, %d events; want orders, 2", res.Route, len(res.Events))
	}
	jsonEqual(t, res.Events[0], `{"specVersion":"1.0","id":"acme:order.created:X1","type":"order.created","occurredAt":"2024-05-10T10:00:00-03:00",
		"marketplace":"acme","order":{"marketplaceOrderId":"X1","totals":{"items":1500,"shipping":0,"discounts":0,"total":1500}},
		"items":[{"sku":"a","quantity":2}]}`)
	jsonEqual(t, res.Events[1], `{"specVersion":"1.0","id":"acme:order.created:X2","type":"order.created","occurredAt":"2024-05-10T10:00:00-03:00",
		"marketplace":"acme","order":{"marketplaceOrderId":"X2"},"items":[]}`)
	if res.Response.Status != 200 {
		t.Errorf("status %d, want 200", res.Response.Status)
	}
	jsonEqual(t, res.Response.Body, `[{"code":"X1","orderId":"S-9"},{"code":"X2","orderId":"S-9"}]`)
}

func TestIngestIsDeterministic(t *testing.T) {
	e := acme(t)
	a, err := e.Ingest("acme", []byte(orders), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Ingest("acme", []byte(orders), engine.IngestOptions{OrderID: "S-9", Now: receivedAt.Add(40 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var ea, eb struct{ ID string }
	_ = json.Unmarshal(a.Events[0], &ea)
	_ = json.Unmarshal(b.Events[0], &eb)
	if ea.ID == "" || ea.ID != eb.ID {
		t.Errorf("a re-sent payload got ids %q and %q; want the same", ea.ID, eb.ID)
	}
}

func TestIngestErrors(t *testing.T) {
	e := acme(t)
	tests := []struct {
		name, payload string
		opts          engine.IngestOptions
		kind          engine.Kind
		code, path    string
		status        int // of the marketplace error response; 0 when none
	}{
		{"payload lacks a field", `{"orders":[{"lines":[]}]}`, engine.IngestOptions{OrderID: "S"}, engine.KindInvalidEvent, engine.CodeMissingField, "/orders/0/code", 500},
		{"built event invalid", `{"orders":[{"code":"X","lines":[{"sku":"a","qty":0}]}]}`, engine.IngestOptions{OrderID: "S"}, engine.KindInvalidEvent, engine.CodeBadValue, "/items/0/quantity", 500},
		{"nothing to ingest", `{"orders":[]}`, engine.IngestOptions{OrderID: "S"}, engine.KindInvalidEvent, engine.CodeNoEvents, "", 500},
		{"malformed payload", `{"orders":`, engine.IngestOptions{OrderID: "S"}, engine.KindInvalidEvent, engine.CodeMalformedJSON, "", 500},
		{"order id needed", orders, engine.IngestOptions{}, engine.KindConfiguration, engine.CodeMissingOrderID, "", 500},
		{"unknown route", orders, engine.IngestOptions{Route: "x"}, engine.KindConfiguration, engine.CodeUnknownRoute, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Ingest("acme", []byte(tt.payload), tt.opts)
			var te *engine.Error
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *engine.Error", err)
			}
			if te.Kind != tt.kind || te.Code != tt.code || (tt.path != "" && te.Path != tt.path) {
				t.Errorf("got %s/%s at %q, want %s/%s at %q: %s", te.Kind, te.Code, te.Path, tt.kind, tt.code, tt.path, te.Message)
			}
			switch {
			case tt.status == 0 && te.Response != nil:
				t.Errorf("unexpected error response %+v", te.Response)
			case tt.status != 0 && (te.Response == nil || te.Response.Status != tt.status):
				t.Fatalf("error response = %+v, want status %d", te.Response, tt.status)
			case tt.status != 0:
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(te.Response.Body, &body); err != nil || body.Error.Code != tt.code || body.Error.Message == "" {
					t.Errorf("error body %s does not carry code %s and a message", te.Response.Body, tt.code)
				}
			}
		})
	}
}

func TestExplain(t *testing.T) {
	ex, err := acme(t).Explain(baseEvent(t), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Mapping != "testdata/acme/acme.yaml" || ex.EventType != "order.shipped" || ex.Error != nil {
		t.Fatalf("explanation header = %s %s %v", ex.Mapping, ex.EventType, ex.Error)
	}
	if len(ex.Guards) != 1 || ex.Guards[0].Code != "items_required" || ex.Guards[0].Value == nil || !*ex.Guards[0].Value || ex.Guards[0].Source.String() != "testdata/acme/acme.yaml:50:18" {
		t.Errorf("guards = %+v", ex.Guards)
	}
	if len(ex.Calls) != 2 || !ex.Calls[0].Made || ex.Calls[0].When == nil || !*ex.Calls[0].When.Value {
		t.Fatalf("calls = %+v", ex.Calls)
	}
	if tr := ex.Calls[1].Transition; tr == nil || tr.From != "packed" || tr.To != "sent" || !tr.Allowed {
		t.Errorf("second call transition = %+v, want packed → sent allowed", tr)
	}
	found := false
	for _, f := range ex.Calls[1].Fields {
		if f.Location == "body.tracking" {
			found = true
			if f.Expr != "shipment.trackingCode" || string(f.Value) != `"TR1"` || f.Source.String() != "testdata/acme/acme.yaml:73:24" {
				t.Errorf("body.tracking traced as %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("no trace for body.tracking in %+v", ex.Calls[1].Fields)
	}
}

func TestExplainRefusal(t *testing.T) {
	ex, err := acme(t).Explain(edit(t, baseEvent(t), "items", []any{}), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Error == nil || ex.Error.Code != "items_required" || len(ex.Guards) != 1 || *ex.Guards[0].Value {
		t.Errorf("explanation = %+v, want the refusing guard and its error", ex)
	}
}

// TestInboundGuardWhen checks that an inbound guard applies only when its
// when holds: the route below refuses a payload of two orders and lets one
// order through.
func TestInboundGuardWhen(t *testing.T) {
	src, err := os.ReadFile("testdata/acme/acme.yaml")
	if err != nil {
		t.Fatal(err)
	}
	guarded := strings.Replace(string(src), "    as: o\n", `    as: o
    guards:
      - code: one_order_only
        when: len(payload.orders) > 1
        require: "false"
        message: send one order per request
`, 1)
	if guarded == string(src) {
		t.Fatal("the acme route no longer has the line the guard is inserted after")
	}
	e, err := engine.Load(fstest.MapFS{"acme.yaml": {Data: []byte(guarded)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Ingest("acme", []byte(orders), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
	if !errors.Is(err, &engine.Error{Kind: engine.KindRejected, Code: "one_order_only"}) {
		t.Fatalf("two orders: err = %v, want rejected one_order_only", err)
	}
	one := `{"orders":[{"code":"X1","lines":[]}]}`
	res, err := e.Ingest("acme", []byte(one), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("one order: %v, %+v; want one event", err, res)
	}
}
