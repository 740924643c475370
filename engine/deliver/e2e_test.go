package deliver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/gjson"
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

func wantOutcome(t *testing.T, step string, rep *deliver.Report, outcome deliver.Outcome, attempts ...int) {
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

// simOrders is the simulator's admin view of one marketplace's orders.
func (x *e2e) simOrders(marketplace string) string {
	x.t.Helper()
	resp, err := http.Get(x.url + "/_sim/orders/" + marketplace)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		x.t.Fatal(err)
	}
	return string(b)
}

// A lost answer (the simulator applies the call, then drops the
// connection) is never reported refused or failed, and the change is not
// applied twice: the read-back or the marketplace's answer to the repeat
// establishes that it was delivered.
func TestLostAnswerEstablished(t *testing.T) {
	cases := []struct {
		name, marketplace, file string
		edits                   []any
		path                    string // the call whose answer is lost
		confirmedBy             deliver.Confirmation
		attempts, readBacks     int
		once                    string // gjson path in the simulator's orders view: a count that must be 1
	}{
		{name: "skyhub read-back", marketplace: "skyhub", file: "skyhub/invoiced.json", path: "/orders/",
			confirmedBy: deliver.ConfirmedByReadBack, attempts: 1, readBacks: 1, once: "orders.0.history.#"},
		{name: "napse 1021 on the repeat", marketplace: "napse", file: "napse/handling.json", path: "/order/change-status",
			confirmedBy: deliver.ConfirmedByAlreadyApplied, attempts: 2, once: "orders.0.pending.#"},
		{name: "dafiti items already shipped", marketplace: "dafiti", file: "dafiti/shipped.json", path: "/v2/orders/statuses/set-to-shipped",
			edits:       []any{"order.marketplaceStatus", "ready_to_ship"},
			confirmedBy: deliver.ConfirmedByAlreadyApplied, attempts: 2, once: "orderItems.0.history.#(to==\"shipped\")#|#"},
		{name: "fastshop invoice read back", marketplace: "fastshop", file: "fastshop/invoiced.json", path: "/pvt/orders/",
			confirmedBy: deliver.ConfirmedByReadBack, attempts: 1, readBacks: 1, once: "orders.0.invoices.*.accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newE2E(t)
			if tc.marketplace == "dafiti" {
				x.setStatus(t, "dafiti", "123456", "ready_to_ship")
				x.setStatus(t, "dafiti", "654321", "ready_to_ship")
			}
			if err := x.sim.AddFault(sim.Fault{Marketplace: tc.marketplace, Method: "POST", Path: tc.path, DropAfter: true, Times: 1}); err != nil {
				t.Fatal(err)
			}
			s := x.sender(tc.marketplace, simSecrets())
			s.Confirm = false
			rep := x.send(s, tc.file, tc.edits...)
			wantOutcome(t, "lost answer", rep, deliver.Delivered, tc.attempts)
			c := rep.Calls[len(rep.Calls)-1]
			if c.ConfirmedBy != tc.confirmedBy || c.ReadBacks != tc.readBacks {
				t.Errorf("call %+v: got confirmedBy %q after %d read-backs, want %q after %d", c, c.ConfirmedBy, c.ReadBacks, tc.confirmedBy, tc.readBacks)
			}
			view := x.simOrders(tc.marketplace)
			if got := gjson.Get(view, tc.once).String(); got != "1" {
				t.Errorf("simulator %s = %s, want 1 (the change applied once): %s", tc.once, got, view)
			}
		})
	}
}

// setStatus puts an order (a Dafiti order item) at status in the simulator.
func (x *e2e) setStatus(t *testing.T, marketplace, id, status string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, x.url+"/_sim/orders/"+marketplace+"/"+id, strings.NewReader(`{"status":"`+status+`"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("setting %s %s to %s: HTTP %d", marketplace, id, status, resp.StatusCode)
	}
}

// A lost answer that neither a read-back nor a repeat can settle is
// reported unknown, and the call is not sent again.
func TestLostAnswerUnknown(t *testing.T) {
	x := newE2E(t)
	// The read-back is lost too: every GET of the order is dropped.
	for _, f := range []sim.Fault{
		{Marketplace: "fastshop", Method: "POST", Path: "/pvt/orders/", DropAfter: true, Times: 1},
		{Marketplace: "fastshop", Method: "GET", Path: "/pvt/orders/", Drop: true},
	} {
		if err := x.sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	s := x.sender("fastshop", simSecrets())
	s.Retry.MaxAttempts = 3
	rep := x.send(s, "fastshop/invoiced.json")
	wantOutcome(t, "lost answer, lost read-backs", rep, deliver.Unknown, 1)
	if c := rep.Calls[0]; c.Outcome != deliver.CallUnknown || c.ReadBacks != 2 || !strings.Contains(c.Message, "may or may not have been applied") {
		t.Errorf("call %+v: want unknown after 2 read-backs", c)
	}
	posts := 0
	for _, r := range x.sim.Requests("fastshop") {
		if r.Method == "POST" {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("the invoice was posted %d times, want 1", posts)
	}
}

// BaseURL moves every URL of the mapping, token URLs included, for every
// auth scheme with a token URL: given on another host (moved), left at
// the mapping's default (moved), or not set at all (the path of the
// mapping's example of it, on BaseURL).
func TestBaseURLMovesEveryTokenURL(t *testing.T) {
	cases := []struct {
		name, marketplace, scheme, file string
		vars                            map[string]string
		tokenPath                       string
	}{
		{"oauth2, default token URL", "dafiti", "oauth2", "dafiti/ready_to_ship.json", nil, "/oauth/client-credentials"},
		{"oauth2, token URL on another host", "dafiti", "oauth2", "dafiti/ready_to_ship.json",
			map[string]string{"tokenUrl": "https://auth.example.com/oauth/client-credentials"}, "/oauth/client-credentials"},
		{"token, token URL on another host", "napse", "", "napse/handling.json",
			map[string]string{"tokenUrl": "https://bridge.example:8090/auth/token"}, "/auth/token"},
		{"token, token URL not set", "napse", "", "napse/handling.json", nil, "/auth/token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newE2E(t)
			s := x.sender(tc.marketplace, simSecrets())
			s.Vars, s.Confirm = tc.vars, false
			if tc.scheme != "" {
				s.AuthScheme = map[string]string{tc.marketplace: tc.scheme}
			}
			wantOutcome(t, "send", x.send(s, tc.file), deliver.Delivered, 1)
			var paths []string
			for _, r := range x.sim.Requests(tc.marketplace) {
				paths = append(paths, r.Method+" "+r.Path)
			}
			if len(paths) != 2 || paths[0] != "POST "+tc.tokenPath {
				t.Errorf("the simulator saw %q, want the token request (POST %s) then the call", paths, tc.tokenPath)
			}
		})
	}
}

// A base URL with a user name or password is refused before anything is
// sent (net/http would make it Basic authentication), and the error does
// not show it.
func TestBaseURLUserinfoRefused(t *testing.T) {
	x := newE2E(t)
	s := x.sender("skyhub", simSecrets())
	s.BaseURL = strings.Replace(x.url, "http://", "http://admin:hunter22@", 1) + "/skyhub"
	raw, err := os.ReadFile("../../examples/events/skyhub/invoiced.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.eng.Translate(raw, engine.TranslateOptions{BaseURL: x.url + "/skyhub"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Send(context.Background(), res)
	var e *engine.Error
	if !errors.As(err, &e) || e.Code != engine.CodeBadBaseURL || strings.Contains(e.Error(), "hunter22") || rep != nil {
		t.Errorf("Send = %+v, %v; want bad_url without the password", rep, err)
	}
	if n := len(x.sim.Requests("skyhub")); n != 0 {
		t.Errorf("%d requests reached the simulator, want none", n)
	}
}

// Resend, after a crash during a delivery: a call the marketplace applied
// is not applied again; one it did not is sent.
func TestResendAfterCrash(t *testing.T) {
	x := newE2E(t)
	s := x.sender("fastshop", simSecrets())
	wantOutcome(t, "first delivery", x.send(s, "fastshop/invoiced.json"), deliver.Delivered, 1)
	// The process died before it saw the answer: the event is resent.
	raw, err := os.ReadFile("../../examples/events/fastshop/invoiced.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.eng.Translate(raw, engine.TranslateOptions{BaseURL: s.BaseURL})
	if err != nil {
		t.Fatal(err)
	}
	fresh := x.sender("fastshop", simSecrets()) // a new process: an empty store
	rep, err := fresh.Resend(context.Background(), res)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Calls[0]; rep.Outcome != deliver.Delivered || c.ConfirmedBy != deliver.ConfirmedByReadBack || c.Attempts != 0 {
		t.Errorf("resend: %s, call %+v; want delivered by the read-back, nothing sent", rep.Outcome, c)
	}
	if got := gjson.Get(x.simOrders("fastshop"), "orders.0.invoices.*.accepted").String(); got != "1" {
		t.Errorf("the invoice was accepted %s times, want 1", got)
	}
	// A call never sent before: the read-back says so, and it is sent.
	other := strings.NewReplacer(`"number": "12345"`, `"number": "12346"`, `"evt-fastshop-invoiced-0001"`, `"evt-fastshop-invoiced-0002"`).Replace(string(raw))
	res2, err := x.eng.Translate([]byte(other), engine.TranslateOptions{BaseURL: s.BaseURL})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = fresh.Resend(context.Background(), res2)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Calls[0]; rep.Outcome != deliver.Delivered || c.ConfirmedBy != "" || c.Attempts != 1 || c.ReadBacks != 1 {
		t.Errorf("resend of a call not applied: %s, call %+v; want it read back once, then sent once", rep.Outcome, c)
	}
}

// Napse answers a repeated change to a final state with 1023 naming that
// state: after a lost answer, a cancel BRIDGE applied is delivered.
func TestLostAnswerNapseFinalState(t *testing.T) {
	x := newE2E(t)
	if err := x.sim.AddFault(sim.Fault{Marketplace: "napse", Path: "/order/change-status", DropAfter: true, Times: 1}); err != nil {
		t.Fatal(err)
	}
	s := x.sender("napse", simSecrets())
	s.Confirm = false
	rep := x.send(s, "napse/canceled.json", "order.attributes", map[string]string{"internalNumber": "bridge000001"},
		"order.marketplaceStatus", nil, "order.status", nil)
	wantOutcome(t, "lost answer of a cancel", rep, deliver.Delivered, 2)
	if c := rep.Calls[0]; c.ConfirmedBy != deliver.ConfirmedByAlreadyApplied || c.MarketplaceCode != "1023" {
		t.Errorf("call %+v: want delivered by the repeat's 1023 naming cancelled", c)
	}
}
