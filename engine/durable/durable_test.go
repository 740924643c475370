package durable_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
)

const skyhubOrder = "Lojas Americanas-1000000000000"

var skyhubKey = durable.OrderKey{Marketplace: "skyhub", MarketplaceOrderID: skyhubOrder}

func TestOpenTwiceKeepsEverything(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		first := h.open()
		acc := h.accept(first, h.event("skyhub/invoiced.json", noStatus...))
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		// Rota's first migration creates its tables without IF NOT EXISTS:
		// opening again succeeds only if the version table says it ran.
		var wg sync.WaitGroup
		svcs := make([]*durable.Service, 2)
		errs := make([]error, 2)
		for i := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svcs[i], errs[i] = durable.Open(ctx, h.config())
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Open %d again: %v", i, err)
			}
			t.Cleanup(func() { _ = svcs[i].Close() })
		}
		rec, err := svcs[0].Event(ctx, acc.EventID)
		if err != nil || rec.State != durable.Pending {
			t.Fatalf("after reopening: %+v, %v; want the pending event", rec, err)
		}
		again, err := svcs[1].Accept(ctx, h.event("skyhub/invoiced.json", noStatus...))
		if err != nil || !again.Duplicate {
			t.Errorf("accept after reopening: %+v, %v; want a duplicate", again, err)
		}
	})
}

func TestDuplicateIsAcceptedOnceDeliveredOnce(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.start()
		raw := h.event("skyhub/invoiced.json", noStatus...)
		first := h.accept(svc, raw)
		if first.Duplicate || first.State != durable.Pending {
			t.Fatalf("first acceptance = %+v, want pending, not a duplicate", first)
		}
		h.waitState(svc, first.EventID, durable.Delivered)
		second := h.accept(svc, raw)
		if !second.Duplicate || second.State != durable.Delivered || !second.AcceptedAt.Equal(first.AcceptedAt) {
			t.Errorf("second acceptance = %+v, want the first one (accepted %s), delivered, as a duplicate", second, first.AcceptedAt)
		}
		if got := h.writes("skyhub", "/invoice"); len(got) != 1 {
			t.Errorf("the simulator received %v, want one invoice", got)
		}
	})
}

func TestConcurrentDuplicatesDeliverOnce(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.start()
		raw := h.event("skyhub/invoiced.json", noStatus...)
		const n = 20
		accs := make([]durable.Acceptance, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				accs[i], errs[i] = svc.Accept(context.Background(), raw)
			}()
		}
		close(start)
		wg.Wait()
		firsts := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Accept %d: %v", i, errs[i])
			}
			if !accs[i].Duplicate {
				firsts++
			}
		}
		if firsts != 1 {
			t.Errorf("%d acceptances were not duplicates, want 1", firsts)
		}
		h.waitState(svc, accs[0].EventID, durable.Delivered)
		page, err := svc.Events(context.Background(), durable.EventQuery{})
		if err != nil || len(page.Events) != 1 {
			t.Errorf("events stored: %+v, %v; want 1", page.Events, err)
		}
		if got := h.writes("skyhub", "/invoice"); len(got) != 1 {
			t.Errorf("the simulator received %v, want one invoice", got)
		}
	})
}

func TestRefusalStoresNothing(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.open()
		cases := []struct {
			name string
			raw  []byte
			kind engine.Kind
		}{
			{"malformed JSON", []byte(`{"id": "evt-1",`), engine.KindInvalidEvent},
			{"unknown marketplace", h.event("skyhub/invoiced.json", "marketplace", "nowhere"), engine.KindUnknownMarketplace},
			{"no marketplaceOrderId", h.event("skyhub/invoiced.json", "order.marketplaceOrderId", nil), engine.KindInvalidEvent},
			{"no invoice", h.event("skyhub/invoiced.json", "invoice", nil), engine.KindInvalidEvent},
			{"transition refused", h.event("skyhub/shipped.json", "order.marketplaceStatus", "order_canceled", "order.status", "canceled"), engine.KindRejected},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				acc, err := svc.Accept(context.Background(), c.raw)
				if !isEngineError(err, c.kind) {
					t.Fatalf("Accept = %+v, %v; want an *engine.Error of kind %s", acc, err, c.kind)
				}
			})
		}
		page, err := svc.Events(context.Background(), durable.EventQuery{})
		if err != nil || len(page.Events) != 0 {
			t.Errorf("events stored: %+v, %v; want none", page.Events, err)
		}
		if _, err := svc.Order(context.Background(), skyhubKey); !errors.Is(err, durable.ErrNotFound) {
			t.Errorf("Order after refusals: %v, want ErrNotFound", err)
		}
	})
}

func TestIgnoredIsRecorded(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.start()
		acc := h.accept(svc, h.event("dafiti/approved.json"))
		if acc.State != durable.Ignored || acc.Reason == "" {
			t.Fatalf("acceptance = %+v, want ignored with the mapping's reason", acc)
		}
		rec, err := svc.Event(context.Background(), acc.EventID)
		if err != nil || rec.State != durable.Ignored || len(rec.Attempts) != 0 {
			t.Errorf("event = %+v, %v; want ignored, without attempts", rec, err)
		}
		if n := len(h.sim.Requests("dafiti")); n != 0 {
			t.Errorf("the simulator received %d calls, want none", n)
		}
	})
}

// The FIFO case: invoiced gets 503 three times, shipped is posted
// right after; the simulator must see the invoice before the shipment.
func TestOrderFIFOUnderRetries(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Path: "/orders/" + skyhubOrder + "/invoice", Status: 503, Times: 3}); err != nil {
			t.Fatal(err)
		}
		svc := h.start()
		inv := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		shp := h.accept(svc, h.event("skyhub/shipped.json", noStatus...))
		h.waitState(svc, shp.EventID, durable.Delivered)
		want := []string{
			"POST /orders/" + skyhubOrder + "/invoice 503",
			"POST /orders/" + skyhubOrder + "/invoice 503",
			"POST /orders/" + skyhubOrder + "/invoice 503",
			"POST /orders/" + skyhubOrder + "/invoice 200",
			"POST /orders/" + skyhubOrder + "/shipments 200",
		}
		if got := h.writes("skyhub", "/orders/"); !slices.Equal(got, want) {
			t.Errorf("the simulator received\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		rec := h.waitState(svc, inv.EventID, durable.Delivered)
		if len(rec.Attempts) != 4 || rec.Attempts[0].Status != 503 || rec.Attempts[0].NextAttemptAt == nil {
			t.Errorf("invoice attempts = %+v, want 4, the first a 503 with a next attempt", rec.Attempts)
		}
	})
}

// The ERP sends no status: each event is translated with the state the
// earlier ones left the order in.
func TestOrderStateFillsEvents(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.start()
		var last durable.Acceptance
		for _, f := range []string{"skyhub/invoiced.json", "skyhub/shipped.json", "skyhub/delivered.json"} {
			last = h.accept(svc, h.event(f, noStatus...))
		}
		h.waitState(svc, last.EventID, durable.Delivered)
		ord, err := svc.Order(context.Background(), skyhubKey)
		if err != nil {
			t.Fatal(err)
		}
		if ord.MarketplaceStatus != "complete" || ord.Status != "delivered" || len(ord.Timeline) != 3 {
			t.Errorf("order = %+v, want complete/delivered with 3 events", ord)
		}
		// The stored state is final: a cancel without status is refused
		// at once, as it would be with the status written in it.
		_, err = svc.Accept(context.Background(), h.event("skyhub/canceled.json", append([]any{"order.marketplaceOrderId", skyhubOrder}, noStatus...)...))
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.Kind != engine.KindRejected || ee.Code != engine.CodeFinalStatus {
			t.Errorf("cancel of a delivered order: %v, want rejected/final_status", err)
		}
	})
}

func TestRefusalIsDeadAtOnceWithTheMarketplaceCode(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 422, Times: 1}); err != nil {
			t.Fatal(err)
		}
		svc := h.start()
		acc := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		rec := h.waitState(svc, acc.EventID, durable.Dead)
		if len(rec.Attempts) != 1 || rec.ErrorCode != "refused" || rec.MarketplaceCode == "" || rec.Message == "" {
			t.Errorf("dead event = %+v, want one attempt, error refused, the marketplace's code and message", rec)
		}
		if a := rec.Attempts[0]; a.Status != 422 || a.MarketplaceCode != rec.MarketplaceCode || a.Outcome != "refused" {
			t.Errorf("attempt = %+v, want the 422 refusal", a)
		}
	})
}

func TestDeadThenReplayDelivers(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		// One attempt more than the schedule allows retries for.
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 503, Times: len(testSchedule) + 1}); err != nil {
			t.Fatal(err)
		}
		svc := h.start()
		ctx := context.Background()
		acc := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		dead := h.waitState(svc, acc.EventID, durable.Dead)
		if len(dead.Attempts) != len(testSchedule)+1 || dead.ErrorCode != "retries_exhausted" {
			t.Errorf("dead event: %d attempts, error %q; want %d, retries_exhausted", len(dead.Attempts), dead.ErrorCode, len(testSchedule)+1)
		}
		if _, err := svc.Skip(ctx, "no-such-event", ""); !errors.Is(err, durable.ErrNotFound) {
			t.Errorf("Skip of an unknown event: %v, want ErrNotFound", err)
		}
		// The replayed event may be delivered before Replay reads it back.
		rec, err := svc.Replay(ctx, acc.EventID)
		if err != nil || (rec.State != durable.Pending && rec.State != durable.Delivered) {
			t.Fatalf("Replay = %s (%s), %v; want pending (or delivered already)", rec.State, rec.Reason, err)
		}
		h.waitState(svc, acc.EventID, durable.Delivered)
		if _, err := svc.Replay(ctx, acc.EventID); !errors.Is(err, durable.ErrConflict) {
			t.Errorf("Replay of a delivered event: %v, want ErrConflict", err)
		}
		if got := h.writes("skyhub", "/invoice"); len(got) != len(testSchedule)+2 {
			t.Errorf("the simulator received %d invoices, want %d", len(got), len(testSchedule)+2)
		}
	})
}

func TestSkipUnblocksTheOrder(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 422, Times: 1}); err != nil {
			t.Fatal(err)
		}
		svc := h.start()
		ctx := context.Background()
		bad := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		// The ERP re-sends the invoice, saying where the order stands (the
		// projection, after the first invoice, would refuse a second one).
		fixed := h.accept(svc, h.event("skyhub/invoiced.json", "id", "evt-skyhub-invoiced-0002"))
		h.waitState(svc, bad.EventID, durable.Dead)
		// Parked behind the dead head: nothing of it was sent.
		if rec, err := svc.Event(ctx, fixed.EventID); err != nil || rec.State != durable.Pending || len(rec.Attempts) != 0 {
			t.Fatalf("event behind the dead one = %+v, %v; want pending without attempts", rec, err)
		}
		rec, err := svc.Skip(ctx, bad.EventID, "invoice re-sent as evt-skyhub-invoiced-0002")
		if err != nil || rec.State != durable.Skipped || rec.Reason != "invoice re-sent as evt-skyhub-invoiced-0002" {
			t.Fatalf("Skip = %+v, %v; want skipped with the reason", rec, err)
		}
		h.waitState(svc, fixed.EventID, durable.Delivered)
		if _, err := svc.Skip(ctx, bad.EventID, ""); !errors.Is(err, durable.ErrConflict) {
			t.Errorf("Skip of a skipped event: %v, want ErrConflict", err)
		}
	})
}

func TestRetryAfterIsAMinimum(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 429, RetryAfter: 2, Times: 1}); err != nil {
			t.Fatal(err)
		}
		svc := h.start()
		acc := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		rec := h.waitState(svc, acc.EventID, durable.Delivered)
		if len(rec.Attempts) != 2 || rec.Attempts[0].NextAttemptAt == nil {
			t.Fatalf("attempts = %+v, want a 429 then a success", rec.Attempts)
		}
		first := rec.Attempts[0]
		if wait := first.NextAttemptAt.Sub(first.At); wait < 2*time.Second {
			t.Errorf("next attempt %s after the 429, want at least Retry-After (2s) although the schedule says %s", wait, testSchedule[0])
		}
	})
}

func TestEventsArePaged(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		svc := h.open()
		ctx := context.Background()
		var ids []string
		for _, id := range []string{"e1", "e2", "e3", "e4", "e5"} {
			ids = append(ids, h.accept(svc, h.event("skyhub/invoiced.json", "id", id, "order.marketplaceOrderId", "order-"+id)).EventID)
		}
		var got []string
		q := durable.EventQuery{Limit: 2}
		for range 4 {
			page, err := svc.Events(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				got = append(got, e.ID)
			}
			if q.Cursor = page.NextCursor; q.Cursor == "" {
				break
			}
		}
		slices.Reverse(ids)
		if !slices.Equal(got, ids) {
			t.Errorf("paged ids = %v, want %v (newest first)", got, ids)
		}
		if page, err := svc.Events(ctx, durable.EventQuery{State: durable.Dead}); err != nil || len(page.Events) != 0 {
			t.Errorf("dead events = %+v, %v; want none", page.Events, err)
		}
		if _, err := svc.Events(ctx, durable.EventQuery{Cursor: "not a cursor"}); !errors.Is(err, durable.ErrBadCursor) {
			t.Errorf("bad cursor: %v, want ErrBadCursor", err)
		}
	})
}

func TestMetricsAndAttemptLog(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		reg := prometheus.NewRegistry()
		var buf syncBuffer
		svc := h.start(func(c *durable.Config) {
			c.Registerer = reg
			c.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		})
		acc := h.accept(svc, h.event("skyhub/invoiced.json", noStatus...))
		if _, err := svc.Accept(context.Background(), h.event("skyhub/invoiced.json", "marketplace", "nowhere")); err == nil {
			t.Fatal("an unknown marketplace was accepted")
		}
		h.waitState(svc, acc.EventID, durable.Delivered)
		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"rota_events_accepted_total", []string{"marketplace", "skyhub", "outcome", "pending"}, 1},
			{"rota_events_accepted_total", []string{"marketplace", "unknown", "outcome", "unknown_marketplace"}, 1},
			{"rota_events_delivered_total", []string{"marketplace", "skyhub"}, 1},
			{"rota_delivery_attempts_total", []string{"marketplace", "skyhub", "outcome", "success"}, 1},
			{"rota_delivery_latency_seconds", []string{"marketplace", "skyhub"}, 1},
			{"rota_queue_depth", nil, 0},
			{"rota_events_dead_total", nil, 0},
		}
		for _, c := range checks {
			if got := metricValue(t, reg, c.name, c.labels...); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		log := buf.String()
		if !strings.Contains(log, `"msg":"attempt"`) || !strings.Contains(log, `"event_id":"`+acc.EventID+`"`) ||
			!strings.Contains(log, `"order":"skyhub/`+skyhubOrder+`"`) {
			t.Errorf("no attempt line with the event id and order key in the log:\n%s", log)
		}
		for name, v := range sim.DefaultSecrets() {
			if strings.Contains(log, v) {
				t.Errorf("the log holds the value of %s", name)
			}
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Stop whose deadline passes during a call cancels it: the attempt is kept
// as canceled, the event stays pending, and the next process delivers it.
func TestStopCancelsAnAttemptAndARestartDelivers(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, h *harness) {
		if err := h.sim.AddFault(sim.Fault{Marketplace: "skyhub", Delay: 5 * time.Second, Times: 1}); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		first := h.open()
		if err := first.Start(ctx); err != nil {
			t.Fatal(err)
		}
		acc := h.accept(first, h.event("skyhub/invoiced.json", noStatus...))
		// The simulator holds the call back once it has taken the fault.
		for deadline := time.Now().Add(30 * time.Second); len(h.sim.Faults()) > 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the call never reached the simulator")
			}
		}
		stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if err := first.Stop(stopCtx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop = %v, want the deadline's error (an attempt was running)", err)
		}
		rec, err := first.Event(ctx, acc.EventID)
		if err != nil || rec.State != durable.Pending || len(rec.Attempts) != 1 || rec.Attempts[0].Outcome != "canceled" {
			t.Fatalf("after Stop: %+v, %v; want pending with one canceled attempt", rec, err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		second := h.start()
		rec = h.waitState(second, acc.EventID, durable.Delivered)
		if len(rec.Attempts) != 2 || rec.Attempts[1].Outcome != "success" {
			t.Errorf("attempts = %+v, want the canceled one and a success", rec.Attempts)
		}
	})
}
