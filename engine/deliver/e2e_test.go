package deliver_test

import (
	"context"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/sjson"
)

// The end-to-end tests send the bundled example events through the
// simulator of each marketplace, as `rota send --base-url` does.

type e2e struct {
	t      *testing.T
	sim    *sim.Server
	url    string
	eng    *engine.Engine
	mu     sync.Mutex
	sleeps []time.Duration
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &e2e{t: t, sim: s, url: srv.URL, eng: eng}
}

// sender is a Sender aimed at the simulator, with a sleep that returns at
// once and records how long it was asked to wait.
func (x *e2e) sender(marketplace string, secrets deliver.Secrets) *deliver.Sender {
	var vars map[string]string
	if marketplace == "napse" {
		// BRIDGE's token service is per installation; the sender moves it
		// to the simulator, as it does the calls.
		vars = map[string]string{"tokenUrl": "https://bridge.example:8090/auth/token"}
	}
	return &deliver.Sender{
		Engine: x.eng, Secrets: secrets, BaseURL: x.url + "/" + marketplace, Confirm: true, Vars: vars,
		Sleep: func(ctx context.Context, d time.Duration) error {
			x.mu.Lock()
			x.sleeps = append(x.sleeps, d)
			x.mu.Unlock()
			return ctx.Err()
		},
	}
}

func simSecrets() deliver.Secrets { return deliver.MapSecrets(sim.DefaultSecrets()) }

// send translates an example event (edited by sjson path/value pairs; a nil
// value deletes) for the simulator and delivers it.
func (x *e2e) send(s *deliver.Sender, file string, edits ...any) *deliver.Report {
	x.t.Helper()
	raw, err := os.ReadFile("../../examples/events/" + file)
	if err != nil {
		x.t.Fatal(err)
	}
	for i := 0; i < len(edits); i += 2 {
		if edits[i+1] == nil {
			raw, err = sjson.DeleteBytes(raw, edits[i].(string))
		} else {
			raw, err = sjson.SetBytes(raw, edits[i].(string), edits[i+1])
		}
		if err != nil {
			x.t.Fatal(err)
		}
	}
	res, err := x.eng.Translate(raw, engine.TranslateOptions{BaseURL: s.BaseURL, Vars: s.Vars})
	if err != nil {
		x.t.Fatalf("translate %s: %v", file, err)
	}
	rep, err := s.Send(context.Background(), res)
	if err != nil {
		x.t.Fatalf("send %s: %v", file, err)
	}
	return rep
}

func wantOutcome(t *testing.T, step string, rep *deliver.Report, outcome string, attempts ...int) {
	t.Helper()
	if rep.Outcome != outcome {
		t.Fatalf("%s: outcome %s (%s), want %s; calls %+v", step, rep.Outcome, rep.Reason, outcome, rep.Calls)
	}
	for i, a := range attempts {
		if got := rep.Calls[i].Attempts; got != a {
			t.Errorf("%s: call %d took %d attempts, want %d", step, i, got, a)
		}
	}
}

func TestLifecycleSkyHub(t *testing.T) {
	x := newE2E(t)
	s := x.sender("skyhub", simSecrets())
	for _, f := range []string{"skyhub/invoiced.json", "skyhub/shipped.json", "skyhub/delivered.json"} {
		wantOutcome(t, f, x.send(s, f), deliver.Delivered, 1)
	}
	// Cancel after delivery: the event does not say the order is complete,
	// so the engine lets it through and SkyHub's 422 refuses it, once.
	rep := x.send(s, "skyhub/canceled.json", "order.marketplaceOrderId", "Lojas Americanas-1000000000000",
		"order.marketplaceStatus", nil, "order.status", nil)
	wantOutcome(t, "cancel after delivery", rep, deliver.Refused, 1)
	if c := rep.Calls[0]; c.Status != 422 || c.MarketplaceCode != "422" || c.Message == "" {
		t.Errorf("cancel after delivery: %+v, want 422 with SkyHub's message", c)
	}
}

func TestLifecycleDafiti(t *testing.T) {
	x := newE2E(t)
	s := x.sender("dafiti", simSecrets())
	// Items still pending: ready-to-ship, then shipped, in one event.
	rep := x.send(s, "dafiti/shipped.json", "id", "evt-daf-1", "order.marketplaceStatus", "pending",
		"invoice", map[string]any{"key": "35230942274696002561550060021990691319029098"},
		"shipment.carrier", "Total Express", "shipment.trackingCode", "de312312351234", "shipment.deliveryType", "dropship")
	wantOutcome(t, "ship pending items", rep, deliver.Delivered, 1, 1)
	if got := rep.Succeeded(); len(got) != 2 {
		t.Errorf("succeeded = %v, want both calls", got)
	}
	wantOutcome(t, "deliver", x.send(s, "dafiti/delivered.json"), deliver.Delivered, 1)
	// Cancel after ready-to-ship: refused by Dafiti (the event does not
	// say the items moved on, so the engine cannot refuse it first).
	rep = x.send(s, "dafiti/ready_to_ship.json", "id", "evt-daf-rts", "items", []map[string]any{{"sku": "X", "quantity": 1, "marketplaceItemId": "777"}})
	wantOutcome(t, "ready-to-ship before the cancel", rep, deliver.Delivered, 1)
	rep = x.send(s, "dafiti/canceled.json", "id", "evt-daf-cancel", "items", []map[string]any{{"sku": "X", "quantity": 1, "marketplaceItemId": "777"}})
	wantOutcome(t, "cancel after ready-to-ship", rep, deliver.Refused, 1)
	if c := rep.Calls[0]; c.Status != 422 || c.MarketplaceCode == "" {
		t.Errorf("cancel after ready-to-ship: %+v, want 422 with Dafiti's code", c)
	}
}

func TestDafitiWrongSignatureRefused(t *testing.T) {
	x := newE2E(t)
	secrets := sim.DefaultSecrets()
	secrets[engine.SecretEnvName("dafiti", "apiKey")] = "not-the-key"
	rep := x.send(x.sender("dafiti", deliver.MapSecrets(secrets)), "dafiti/delivered.json")
	wantOutcome(t, "wrong signature", rep, deliver.Refused, 1)
	if c := rep.Calls[0]; c.Status != 401 {
		t.Errorf("wrong signature: %+v, want 401 from the simulator", c)
	}
}

func TestLifecycleFastShop(t *testing.T) {
	x := newE2E(t)
	s := x.sender("fastshop", simSecrets())
	for _, f := range []string{"fastshop/invoiced.json", "fastshop/shipped.json", "fastshop/delivered.json"} {
		wantOutcome(t, f, x.send(s, f), deliver.Delivered, 1)
	}
}

func TestLifecycleNapse(t *testing.T) {
	x := newE2E(t)
	s := x.sender("napse", simSecrets())
	for _, f := range []string{"napse/handling.json", "napse/ready_to_ship.json", "napse/shipped.json", "napse/delivered.json"} {
		rep := x.send(s, f)
		wantOutcome(t, f, rep, deliver.Delivered, 1)
		if c := rep.Calls[0]; c.Confirmed == nil || !*c.Confirmed {
			t.Errorf("%s: the status query did not confirm the change: %+v", f, c)
		}
	}
	// A change of a closed order: HTTP 200 with ack 1023, refused, not retried.
	rep := x.send(s, "napse/canceled.json", "id", "evt-napse-late-cancel", "order.attributes", map[string]string{"internalNumber": "bridge000001"},
		"order.marketplaceStatus", nil, "order.status", nil)
	wantOutcome(t, "change of a closed order", rep, deliver.Refused, 1)
	if c := rep.Calls[0]; c.Status != 200 || c.MarketplaceCode != "1023" {
		t.Errorf("change of a closed order: %+v, want HTTP 200 with ack 1023", c)
	}
}

func TestRetriesThroughFaults(t *testing.T) {
	x := newE2E(t)
	s := x.sender("skyhub", simSecrets())
	if err := x.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 503, Times: 2}); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, "503 twice", x.send(s, "skyhub/invoiced.json"), deliver.Delivered, 3)

	if err := x.sim.AddFault(sim.Fault{Marketplace: "skyhub", Status: 429, RetryAfter: 2, Times: 1}); err != nil {
		t.Fatal(err)
	}
	x.sleeps = nil
	wantOutcome(t, "429", x.send(s, "skyhub/shipped.json"), deliver.Delivered, 2)
	if len(x.sleeps) != 1 || x.sleeps[0] < 2*time.Second {
		t.Errorf("waits before the retry = %v, want one of at least Retry-After (2s)", x.sleeps)
	}
	if n := len(x.sim.Requests("skyhub")); n != 5 {
		t.Errorf("the simulator saw %d requests, want 5 (3 + 2)", n)
	}
}
