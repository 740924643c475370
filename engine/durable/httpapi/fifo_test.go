package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine/durable"
)

// TestFIFOThroughTheAPI: the invoice call answers 503 three times; the
// shipment, posted right after, waits for it: the simulator receives the
// shipment only once the invoice went through.
func TestFIFOThroughTheAPI(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		f := newFixture(t, fixtureOptions{db: db, faults: []sim.Fault{
			{Marketplace: sim.SkyHub, Path: "/orders/Lojas Americanas-9500/invoice", Status: 503, Times: 3},
		}})
		order := "Lojas Americanas-9500"
		for _, name := range []string{"invoiced", "shipped"} {
			if a := f.post("/v1/events", event(t, "skyhub", name, "evt-fifo-"+name, order)); a.status != http.StatusAccepted {
				t.Fatalf("POST %s: %d\n%s", name, a.status, a.body)
			}
		}
		states := f.waitSettled(t, 30*time.Second, "evt-fifo-invoiced", "evt-fifo-shipped")
		for id, s := range states {
			if s != durable.Delivered {
				t.Errorf("%s is %s, want delivered", id, s)
			}
		}
		var calls []string
		for _, r := range f.sim.Requests(sim.SkyHub) {
			if strings.Contains(r.Path, "9500") {
				calls = append(calls, r.Path[strings.LastIndex(r.Path, "/")+1:]+":"+http.StatusText(r.Status))
			}
		}
		want := []string{"invoice:Service Unavailable", "invoice:Service Unavailable", "invoice:Service Unavailable", "invoice:OK", "shipments:OK"}
		if !slices.Equal(calls, want) {
			t.Errorf("the simulator received %q, want %q", calls, want)
		}
	})
}
