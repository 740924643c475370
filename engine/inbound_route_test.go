package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
)

func bundled(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRoutes(t *testing.T) {
	got := bundled(t).Routes("fastshop")
	want := []string{"orders POST /api/fulfillment/pvt/orders", "paymentApproved POST /api/fulfillment/pvt/orders/{sellerOrderId}/fulfill",
		"cancellation POST /api/fulfillment/pvt/orders/{sellerOrderId}/cancel"}
	if len(got) != len(want) {
		t.Fatalf("got %d routes, want %d", len(got), len(want))
	}
	for i, r := range got {
		if s := r.Name + " " + r.Method + " " + r.Path; s != want[i] || r.Match == "" || r.Sequenced {
			t.Errorf("route %d: got %q (match %q, sequenced %v), want %q with a match, not sequenced", i, s, r.Match, r.Sequenced, want[i])
		}
	}
	if r := bundled(t).Routes("nosuch"); r != nil {
		t.Errorf("unknown marketplace: got %v, want nil", r)
	}
}

func TestSelectRoute(t *testing.T) {
	e := bundled(t)
	read := func(name string) []byte {
		b, err := os.ReadFile("../examples/inbound/fastshop/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name    string
		payload []byte
		o       engine.IngestOptions
		want    string
		code    string
	}{
		{"list by match", read("order.json"), engine.IngestOptions{}, "orders", ""},
		{"approval by match", read("payment-approved.json"), engine.IngestOptions{}, "paymentApproved", ""},
		{"cancellation by path", read("cancellation.json"), engine.IngestOptions{Method: "post", Path: "/api/fulfillment/pvt/orders/S-1/cancel/"}, "cancellation", ""},
		{"by name", []byte(`{}`), engine.IngestOptions{Route: "orders"}, "orders", ""},
		{"nothing fits", []byte(`"text"`), engine.IngestOptions{}, "", engine.CodeUnknownRoute},
		{"malformed payload, no path", []byte(`[`), engine.IngestOptions{}, "", engine.CodeMalformedJSON},
		{"malformed payload, path picks the route for its error answer", []byte(`[`), engine.IngestOptions{Method: "POST", Path: "/api/fulfillment/pvt/orders"}, "orders", ""},
		{"path too long", nil, engine.IngestOptions{Path: "/" + strings.Repeat("a", 9000)}, "", engine.CodeUnknownRoute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := e.SelectRoute("fastshop", c.payload, c.o)
			var ee *engine.Error
			switch {
			case c.code == "" && (err != nil || got != c.want):
				t.Errorf("got %q, %v; want %s", got, err, c.want)
			case c.code != "" && (!errors.As(err, &ee) || ee.Code != c.code):
				t.Errorf("got %q, %v; want error %s", got, err, c.code)
			}
		})
	}
}

// TestIngestPublicMessage: the marketplace's error answer for a seller-side
// configuration failure names the code, never the engine's advice.
func TestIngestPublicMessage(t *testing.T) {
	_, err := bundled(t).Ingest("fastshop", []byte(`{"marketplaceOrderId": "1"}`), engine.IngestOptions{Route: "paymentApproved", Now: receivedAt})
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Code != engine.CodeMissingOrderID || ee.Response == nil {
		t.Fatalf("got %v, want missing_order_id with the hub's error answer", err)
	}
	body := string(ee.Response.Body)
	if ee.Response.Status != 500 || strings.Contains(body, "rota") || !strings.Contains(body, engine.CodeMissingOrderID) {
		t.Errorf("answer %d %s, want 500 naming the code without the engine's advice", ee.Response.Status, body)
	}
}

// FuzzIngestRequest feeds arbitrary methods, paths and payloads (what a
// marketplace, or anyone, can send to rota serve) to SelectRoute and
// Ingest on the bundled Fast Shop mapping: never a panic, only a typed
// *engine.Error; when a route is chosen, Ingest uses that one; events are
// valid JSON.
func FuzzIngestRequest(f *testing.F) {
	e := bundled(f)
	for _, name := range []string{"order.json", "payment-approved.json", "cancellation.json"} {
		raw, err := os.ReadFile("../examples/inbound/fastshop/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("POST", "/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH", raw)
		f.Add("", "", raw)
	}
	f.Add("POST", "/api/fulfillment/pvt/orders/FSH%2F1/fulfill", []byte(`{"marketplaceOrderId":"1"}`))
	f.Add("get", "api//fulfillment/pvt/orders/%zz/cancel?x=%", []byte(`[`))
	f.Add("POST", "https://host/api", []byte(`null`))
	f.Fuzz(func(t *testing.T, method, path string, payload []byte) {
		o := engine.IngestOptions{Method: method, Path: path, Now: receivedAt}
		route, serr := e.SelectRoute("fastshop", payload, o)
		res, err := e.Ingest("fastshop", payload, o)
		for _, err := range []error{serr, err} {
			var te *engine.Error
			if err != nil && (!errors.As(err, &te) || te.Kind == "" || te.Code == "") {
				t.Fatalf("%q %q %q: untyped error %v", method, path, payload, err)
			}
		}
		if err != nil {
			return
		}
		if serr != nil || res.Route != route {
			t.Fatalf("%q %q: Ingest used %s, SelectRoute said %q (%v)", method, path, res.Route, route, serr)
		}
		for _, ev := range res.Events {
			if !json.Valid(ev) {
				t.Fatalf("event %s is not JSON", ev)
			}
		}
	})
}

// TestRouteLoadFindings: a route's path, match and orderId are checked when
// the mapping loads, each finding at its place.
func TestRouteLoadFindings(t *testing.T) {
	src, err := os.ReadFile("../mappings/fastshop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to string
		code, message  string
	}{
		{"parameter the path lacks", "orderId: ${ params.sellerOrderId }", "orderId: ${ params.orderNumber }",
			"unknown_field", "params.orderNumber: the paymentApproved route's path (/api/fulfillment/pvt/orders/{sellerOrderId}/fulfill) has no {orderNumber} segment"},
		{"match not a condition", `match: type(payload) == "array"`, "match: len(payload)", "guard_not_bool", ""},
		{"orderId reads what it cannot", "orderId: FSH-${ placement.marketplaceOrderId }", "orderId: FSH-${ events[0].id }", "", "events"},
		{"method without path", "    path: /api/fulfillment/pvt/orders\n", "", "schema", "path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(src), c.from) {
				t.Fatalf("mappings/fastshop.yaml no longer has %q", c.from)
			}
			edited := strings.Replace(string(src), c.from, c.to, 1)
			_, err := engine.Load(fstest.MapFS{"fastshop.yaml": {Data: []byte(edited)}})
			if err == nil {
				t.Fatal("loaded, want a finding")
			}
			if !strings.Contains(err.Error(), c.code) || !strings.Contains(err.Error(), c.message) {
				t.Errorf("got %v, want %s: %s", err, c.code, c.message)
			}
		})
	}
}

// TestIngestGuardReadsOrderID: a guard cannot read the seller's order id
// the route makes per input after the guards; the error says so and blames
// the mapping, not the payload.
func TestIngestGuardReadsOrderID(t *testing.T) {
	src, err := os.ReadFile("../mappings/fastshop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	from := `require: type(payload) != "array" || len(payload) <= 1`
	if !strings.Contains(string(src), from) {
		t.Fatalf("mappings/fastshop.yaml no longer has %q", from)
	}
	edited := strings.Replace(string(src), from, `require: orderId != ""`, 1)
	e, err := engine.Load(fstest.MapFS{"fastshop.yaml": {Data: []byte(edited)}})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := os.ReadFile("../examples/inbound/fastshop/order.json")
	_, err = e.Ingest("fastshop", payload, engine.IngestOptions{Now: receivedAt})
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindMapping || ee.Code != engine.CodeMissingOrderID || !strings.Contains(ee.Message, "after the guards") {
		t.Fatalf("got %v, want mapping_error missing_order_id saying guards run first", err)
	}
	if _, err := e.Ingest("fastshop", payload, engine.IngestOptions{OrderID: "S-1", Now: receivedAt}); err != nil {
		t.Errorf("with the order id given: %v", err)
	}
}
