package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
)

// TestSendMercadoLivreReadBackAndErrors sends the cancellation of an ME1
// sale (the not-fulfilled feedback) to the simulator, whose first answer
// is lost after the feedback was recorded: the mapping's read-back (GET
// /orders/{id}/feedback) finds it, so it is not posted twice. The same
// event sent again is refused with Mercado Livre's error code and message
// read from its error body.
func TestSendMercadoLivreReadBackAndErrors(t *testing.T) {
	s := sim.New(sim.Options{Faults: []sim.Fault{{Marketplace: sim.MercadoLivre, Path: "/orders/2000003508419013/feedback", DropAfter: true, Times: 1}}})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	tokens := t.TempDir()
	send := func() outcome {
		return rota(t, "", "send", "--base-url", srv.URL+"/mercadolivre", "--secrets", "../../examples/sim.secrets",
			"--tokens", tokens, "../../examples/events/mercadolivre/canceled.json")
	}

	o := send()
	o.wantCode(t, exitOK)
	r := decodeReport(t, o.stdout)
	if r.Outcome != "delivered" || len(r.Calls) != 1 || r.Calls[0].ConfirmedBy != "readBack" {
		t.Fatalf("got %+v, want the feedback delivered, confirmed by the read-back\n%s", r, o.stdout)
	}
	if got := simStatuses(t, srv.URL, "mercadolivre")["2000003508419013"]; got != "cancelled" {
		t.Errorf("the sale is %q, want cancelled", got)
	}

	o = send()
	o.wantCode(t, exitRefused)
	r = decodeReport(t, o.stdout)
	if len(r.Calls) != 1 {
		t.Fatalf("got %+v, want one call", r)
	}
	c := r.Calls[0]
	if c.Status != 400 || c.MarketplaceCode != "business_logic_error" || !strings.Contains(c.Message, "one feedback only") {
		t.Errorf("got status %d, code %q, message %q; want 400, business_logic_error and the simulator's message", c.Status, c.MarketplaceCode, c.Message)
	}
}
