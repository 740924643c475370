package engine_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
)

// TestInboundErrorResponse: an error found outside Ingest is answered in
// the route's error shape, with the public message only.
func TestInboundErrorResponse(t *testing.T) {
	e := bundled(t)
	order, err := os.ReadFile("../examples/inbound/fastshop/order.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, route  string
		err          *engine.Error
		wantNil      bool
		wantCode     string
		notInMessage string
	}{
		{"unauthorized", "orders", &engine.Error{Kind: engine.KindRejected, Code: "unauthorized", Message: "the request has no X-API-AppKey header"}, false, "unauthorized", ""},
		{"configuration hidden", "orders", &engine.Error{Kind: engine.KindConfiguration, Code: "missing_secret", Message: "set ROTA_SECRET_FASTSHOP_APPKEY"}, false, "missing_secret", "ROTA_SECRET"},
		{"unknown route", "nope", &engine.Error{Kind: engine.KindRejected, Code: "x", Message: "m"}, true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.InboundErrorResponse("fastshop", c.route, order, c.err)
			if c.wantNil {
				if resp != nil {
					t.Fatalf("got %s, want nil", resp.Body)
				}
				return
			}
			if resp == nil {
				t.Fatal("got nil, want the route's error answer")
			}
			var body struct {
				Error struct {
					Code, Message string
					Exception     *string
				}
			}
			if err := json.Unmarshal(resp.Body, &body); err != nil || resp.Status != 500 {
				t.Fatalf("got %d %s, want 500 and the hub's error body", resp.Status, resp.Body)
			}
			if body.Error.Code != c.wantCode || body.Error.Message == "" {
				t.Errorf("got code %q message %q, want code %q", body.Error.Code, body.Error.Message, c.wantCode)
			}
			if c.notInMessage != "" && strings.Contains(body.Error.Message, c.notInMessage) {
				t.Errorf("message %q tells the marketplace the seller's configuration", body.Error.Message)
			}
		})
	}
}

// FuzzInboundErrorResponse: any payload (what a marketplace, or anyone,
// sends) renders an error answer that is JSON, or none; never a panic.
func FuzzInboundErrorResponse(f *testing.F) {
	e := bundled(f)
	for _, name := range []string{"order.json", "cancellation.json"} {
		raw, err := os.ReadFile("../examples/inbound/fastshop/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("orders", raw, "unauthorized")
	}
	f.Add("cancellation", []byte(`[`), "unavailable")
	f.Add("paymentApproved", []byte(`{"a":`+strings.Repeat("[", 100)), "")
	f.Fuzz(func(t *testing.T, route string, payload []byte, code string) {
		resp := e.InboundErrorResponse("fastshop", route, payload, &engine.Error{Kind: engine.KindRejected, Code: code, Message: "refused"})
		if resp != nil && !json.Valid(resp.Body) {
			t.Fatalf("%q %q: the error answer is not JSON: %s", route, payload, resp.Body)
		}
	})
}
