package durable_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/durable"
)

// SkyHub's mapping declares 9 writes per second per endpoint; the simulator
// answers 429 past that. Two Services sharing one database (two processes
// on Postgres; on SQLite, where one process owns the file, one) deliver a
// burst of invoices of different orders: the simulator must see no 429.
func TestRateLimitHoldsAcrossInstances(t *testing.T) {
	// Not parallel: the simulator's rate limit counts calls by when they
	// arrive, and other tests' load could delay some and bunch them.
	eachDriverInTurn(t, func(t *testing.T, h *harness) {
		instances := 2
		if strings.HasPrefix(h.db, "sqlite:") {
			instances = 1
		}
		var svcs []*durable.Service
		for range instances {
			svcs = append(svcs, h.start(func(c *durable.Config) { c.Workers = 32 }))
		}
		const n = 40
		var ids []string
		for i := range n {
			raw := h.event("skyhub/invoiced.json", "id", fmt.Sprintf("evt-rl-%02d", i), "order.marketplaceOrderId", fmt.Sprintf("Lojas Americanas-%02d", i))
			ids = append(ids, h.accept(svcs[i%instances], raw).EventID)
		}
		for _, id := range ids {
			h.waitState(svcs[0], id, durable.Delivered)
		}
		tooMany := 0
		for _, r := range h.sim.Requests("skyhub") {
			if r.Status == 429 {
				tooMany++
			}
		}
		if tooMany != 0 {
			t.Errorf("the simulator answered 429 %d times to %d calls, want 0", tooMany, len(h.sim.Requests("skyhub")))
		}
	})
}
