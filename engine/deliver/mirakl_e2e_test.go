package deliver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/tidwall/gjson"
)

// Mirakl's calls are PUTs, sent again as they are after a lost answer.
// Mirakl answers the repeat of a change it made as a call in the wrong state
// (400 ORDER_INVALID_STATE naming the order's state): the mapping's
// alreadyApplied rules read it, so the call is delivered, once.
func TestLostAnswerMirakl(t *testing.T) {
	cases := []struct {
		name  string
		setup string // the simulator's order Order_00012-B, PUT /_sim/mirakl/orders/{id}
		file  string
		edits []any
		path  string // the call whose answer is lost
		call  int    // its index in the report
		state string // where the simulator ends
	}{
		{name: "OR21 accept", file: "mirakl/accepted.json",
			path: "/api/orders/Order_00012-B/accept", state: "SHIPPING"},
		{name: "OR21 refuse", file: "mirakl/canceled.json",
			edits: []any{"order.marketplaceStatus", "WAITING_ACCEPTANCE", "order.status", "new",
				"items", []map[string]any{{"sku": "CAF-ESP-220V", "marketplaceItemId": "Order_00012-B-1", "quantity": 1}}},
			path: "/api/orders/Order_00012-B/accept", state: "REFUSED"},
		{name: "OR24 ship", setup: `{"state": "SHIPPING", "lines": [{"id": "Order_00012-B-1"}]}`, file: "mirakl/shipped.json",
			path: "/api/orders/Order_00012-B/ship", call: 1, state: "SHIPPED"},
		{name: "OR29 cancel", setup: `{"state": "SHIPPING", "lines": [{"id": "Order_00012-B-1"}]}`, file: "mirakl/canceled.json",
			path: "/api/orders/Order_00012-B/cancel", state: "CANCELED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newE2E(t)
			if tc.setup != "" {
				x.putMirakl(t, "Order_00012-B", tc.setup)
			}
			if err := x.sim.AddFault(sim.Fault{Marketplace: "mirakl", Method: "PUT", Path: tc.path, DropAfter: true, Times: 1}); err != nil {
				t.Fatal(err)
			}
			rep := x.send(x.sender("mirakl", simSecrets()), tc.file, tc.edits...)
			if rep.Outcome != deliver.Delivered {
				t.Fatalf("outcome %s (%s), want delivered; calls %+v", rep.Outcome, rep.Reason, rep.Calls)
			}
			c := rep.Calls[tc.call]
			if c.Attempts != 2 || c.ConfirmedBy != deliver.ConfirmedByAlreadyApplied || c.MarketplaceCode != "ORDER_INVALID_STATE" {
				t.Errorf("call %+v: got %d attempts confirmed by %q, want 2 confirmed by the repeat's ORDER_INVALID_STATE", c, c.Attempts, c.ConfirmedBy)
			}
			view := x.simOrders("mirakl")
			if got := gjson.Get(view, `orders.#(id=="Order_00012-B").status`).String(); got != tc.state {
				t.Errorf("simulator order is %q, want %q: %s", got, tc.state, view)
			}
		})
	}
}

// A call refused in a state that does not show its change stays refused:
// OR29 on an order Mirakl has shipped is not taken for a repeat.
func TestMiraklWrongStateIsRefused(t *testing.T) {
	x := newE2E(t)
	x.putMirakl(t, "Order_00012-B", `{"state": "SHIPPED", "lines": [{"id": "Order_00012-B-1"}]}`)
	rep := x.send(x.sender("mirakl", simSecrets()), "mirakl/canceled.json")
	wantOutcome(t, "cancel a shipped order", rep, deliver.Refused, 1)
	if c := rep.Calls[0]; c.ConfirmedBy != "" || c.Status != http.StatusBadRequest || !strings.Contains(c.Message, "is SHIPPED") {
		t.Errorf("call %+v: want refused with Mirakl's 400 naming SHIPPED", c)
	}
}

// putMirakl sets up a Mirakl order in the simulator.
func (x *e2e) putMirakl(t *testing.T, id, setup string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, x.url+"/_sim/mirakl/orders/"+id, strings.NewReader(setup))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("setting up Mirakl order %s: HTTP %d", id, resp.StatusCode)
	}
}
