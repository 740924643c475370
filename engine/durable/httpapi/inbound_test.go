package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine/durable"
	"github.com/tidwall/gjson"
)

// testWebhookSecret is the forwards' signing secret in the tests.
const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// seedOrder is the seed's order placement (seed 001).
func seedOrder(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "examples", "inbound", "fastshop", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newHub is the hub's side pointed at the fixture, with the simulator's
// credentials and a clock that does not wait.
func (f *fixture) newHub() *sim.Hub {
	sec := sim.DefaultSecrets()
	return &sim.Hub{Target: f.url + "/inbound/fastshop", AppKey: sec["ROTA_SECRET_FASTSHOP_APPKEY"], AppToken: sec["ROTA_SECRET_FASTSHOP_APPTOKEN"],
		Sleep: func(context.Context, time.Duration) error { return nil }}
}

// newERP starts an ERP webhook receiver; the fixture forwards to it.
func newERP(t *testing.T, failFirst int) (*sim.ERP, durable.Inbound) {
	t.Helper()
	erp, err := sim.NewERP(testWebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	erp.FailFirst = failFirst
	srv := httptest.NewServer(erp)
	t.Cleanup(srv.Close)
	return erp, durable.Inbound{ForwardURL: srv.URL + "/webhooks", WebhookSecret: testWebhookSecret,
		ForwardRetrySchedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond,
			10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}}
}

// waitForwarded waits until the ERP has taken n events, then a little
// longer for any extra one, and returns them.
func waitForwarded(t *testing.T, erp *sim.ERP, n int) []json.RawMessage {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for len(erp.Events()) < n {
		if time.Now().After(end) {
			total, rejected := erp.Requests()
			t.Fatalf("the ERP took %d events, want %d (%d requests, %d rejected)", len(erp.Events()), n, total, rejected)
		}
		select {
		case <-erp.Arrived():
		case <-time.After(50 * time.Millisecond):
		}
	}
	return erp.Events()
}

// inboxLen counts the events kept for the seller.
func (f *fixture) inboxLen(t testing.TB) int {
	t.Helper()
	a := f.get("/v1/inbox?after=0&limit=1000")
	if a.status != http.StatusOK {
		t.Fatalf("GET /v1/inbox: %d\n%s", a.status, a.body)
	}
	return len(gjson.GetBytes(a.body, "events").Array())
}

// hubError checks the hub's error shape: {"error": {"code", "message", "exception": null}}.
func hubError(t testing.TB, body []byte) string {
	t.Helper()
	e := gjson.GetBytes(body, "error")
	if !e.IsObject() || e.Get("code").Type != gjson.String || e.Get("message").Type != gjson.String || e.Get("exception").Type != gjson.Null {
		t.Fatalf("the answer is not the hub's error body {\"error\": {\"code\", \"message\", \"exception\": null}}:\n%s", body)
	}
	return e.Get("code").String()
}

func TestInboundAuth(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		erp, in := newERP(t, 0)
		f := newFixture(t, fixtureOptions{db: db, inbound: in})
		good := f.newHub()
		cases := []struct {
			name          string
			key, token    string
			wantCodeInMsg string
		}{
			{"missing key", "", good.AppToken, "X-API-AppKey"},
			{"missing token", good.AppKey, "", "X-API-AppToken"},
			{"wrong key", "not-the-key", good.AppToken, "X-API-AppKey"},
			{"wrong token", good.AppKey, good.AppToken + "x", "X-API-AppToken"},
			{"both missing", "", "", "X-API-App"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := f.newHub()
				h.AppKey, h.AppToken = c.key, c.token
				p, err := h.PlaceOrder(context.Background(), seedOrder(t))
				if !errors.Is(err, sim.ErrBadAnswer) {
					t.Fatalf("got %v, want a refusal", err)
				}
				if len(p.Attempts) != 1 {
					t.Errorf("got %d attempts, want 1 (a 401 is not retried)", len(p.Attempts))
				}
				a := p.Attempts[0]
				if a.Status != http.StatusUnauthorized {
					t.Fatalf("got HTTP %d, want 401\n%s", a.Status, a.Body)
				}
				if code := hubError(t, a.Body); code != "unauthorized" {
					t.Errorf("got code %q, want unauthorized", code)
				}
				if msg := gjson.GetBytes(a.Body, "error.message").String(); !strings.Contains(msg, c.wantCodeInMsg) {
					t.Errorf("message %q does not name %s", msg, c.wantCodeInMsg)
				}
				if strings.Contains(string(a.Body), good.AppToken) || strings.Contains(string(a.Body), good.AppKey) {
					t.Errorf("the answer holds a secret:\n%s", a.Body)
				}
			})
		}
		if n := f.inboxLen(t); n != 0 {
			t.Errorf("got %d events kept after refused requests, want 0", n)
		}
		if n := len(erp.Events()); n != 0 {
			t.Errorf("the ERP got %d events, want 0", n)
		}
	})
}

// renameTable renames a table of the fixture's database from another
// connection: the service's next write to it fails, as a database that is
// unavailable does.
func renameTable(t *testing.T, db, from, to string) {
	t.Helper()
	ctx := context.Background()
	q := "ALTER TABLE " + from + " RENAME TO " + to
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		h, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if _, err := h.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		return
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
}

func TestInboundDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		erp, in := newERP(t, 0)
		f := newFixture(t, fixtureOptions{db: db, inbound: in})
		renameTable(t, db, "rota_inbox", "rota_inbox_away")
		h := f.newHub()
		var waits []time.Duration
		h.Sleep = func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			if len(waits) == 1 {
				renameTable(t, db, "rota_inbox_away", "rota_inbox") // the database is back
			}
			return nil
		}
		p, err := h.PlaceOrder(context.Background(), seedOrder(t))
		if err != nil {
			t.Fatalf("PlaceOrder: %v (attempts %+v)", err, p.Attempts)
		}
		if len(p.Attempts) != 2 {
			t.Fatalf("got %d attempts, want 2: %+v", len(p.Attempts), p.Attempts)
		}
		first := p.Attempts[0]
		if first.Status != http.StatusInternalServerError {
			t.Fatalf("first attempt: HTTP %d, want 500\n%s", first.Status, first.Body)
		}
		if code := hubError(t, first.Body); code != durable.CodeUnavailable {
			t.Errorf("first attempt: code %q, want %s", code, durable.CodeUnavailable)
		}
		if waits[0] != sim.HubRetryEvery {
			t.Errorf("the hub waited %s, want %s", waits[0], sim.HubRetryEvery)
		}
		if p.OrderID != "FSH-999999999" {
			t.Errorf("orderId %q, want FSH-999999999", p.OrderID)
		}
		evs := waitForwarded(t, erp, 1)
		time.Sleep(200 * time.Millisecond) // room for a wrong second forward
		if evs = erp.Events(); len(evs) != 1 {
			t.Fatalf("the ERP got %d events, want 1", len(evs))
		}
		if id := gjson.GetBytes(evs[0], "id").String(); id != "fastshop:order.created:999999999" {
			t.Errorf("event id %q, want fastshop:order.created:999999999", id)
		}
	})
}

func TestInboundRepeatsAndConcurrent(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		erp, in := newERP(t, 0)
		f := newFixture(t, fixtureOptions{db: db, inbound: in})
		var ids []string
		for i := range 3 {
			p, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t))
			if err != nil {
				t.Fatalf("POST %d: %v", i+1, err)
			}
			ids = append(ids, p.OrderID)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		order := bytes.ReplaceAll(seedOrder(t), []byte(`"999999999"`), []byte(`"888888888"`))
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := f.newHub().PlaceOrder(context.Background(), order)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("concurrent POST: %v", err)
					return
				}
				ids = append(ids, p.OrderID)
			}()
		}
		wg.Wait()
		for i, id := range ids {
			want := "FSH-999999999"
			if i >= 3 {
				want = "FSH-888888888"
			}
			if id != want {
				t.Errorf("answer %d: orderId %q, want %q", i+1, id, want)
			}
		}
		waitForwarded(t, erp, 2)
		time.Sleep(200 * time.Millisecond) // room for a wrong extra forward
		if n := len(erp.Events()); n != 2 {
			t.Errorf("the ERP got %d events, want 2 (one per order)", n)
		}
		if total, _ := erp.Requests(); total != 2 {
			t.Errorf("the ERP got %d requests, want 2", total)
		}
		if n := f.inboxLen(t); n != 2 {
			t.Errorf("the inbox holds %d events, want 2", n)
		}
	})
}

func TestForwardRetriedUntilTheERPAnswers(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		erp, in := newERP(t, 5)
		f := newFixture(t, fixtureOptions{db: db, inbound: in})
		if _, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t)); err != nil {
			t.Fatal(err)
		}
		evs := waitForwarded(t, erp, 1)
		total, rejected := erp.Requests()
		if total != 6 || rejected != 0 {
			t.Errorf("the ERP got %d requests (%d with a bad signature), want 6 (0)", total, rejected)
		}
		if got := gjson.GetBytes(evs[0], "order.id").String(); got != "FSH-999999999" {
			t.Errorf("forwarded order.id %q, want FSH-999999999", got)
		}
		f.waitForwardState(t, "delivered")
		m := f.get("/metrics")
		for _, want := range []string{
			`rota_forward_attempts_total{outcome="failed"} 5`,
			`rota_forward_attempts_total{outcome="delivered"} 1`,
			`rota_inbound_requests_total{marketplace="fastshop",outcome="accepted"} 1`,
			`rota_inbound_events_total{marketplace="fastshop",type="order.created"} 1`,
		} {
			if !strings.Contains(string(m.body), want) {
				t.Errorf("GET /metrics lacks %s", want)
			}
		}
	})
}

// waitForwardState waits until the first inbox event's forward is in state.
func (f *fixture) waitForwardState(t *testing.T, state string) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		page := f.get("/v1/inbox?after=0")
		if gjson.GetBytes(page.body, "events.0.forward").String() == state {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("the forward is not %s:\n%s", state, page.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestForwardDeadAfterTheScheduleThenReplayed(t *testing.T) {
	t.Parallel()
	erp, in := newERP(t, 3)
	in.ForwardRetrySchedule = in.ForwardRetrySchedule[:2]
	f := newFixture(t, fixtureOptions{inbound: in})
	if _, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t)); err != nil {
		t.Fatal(err)
	}
	f.waitForwardState(t, "dead")
	if total, _ := erp.Requests(); total != 3 {
		t.Errorf("the ERP got %d requests, want 3 (1 + 2 retries)", total)
	}
	if n := len(erp.Events()); n != 0 {
		t.Fatalf("the ERP took %d events, want 0", n)
	}
	const id = "fastshop:order.created:999999999"
	if a := f.post("/v1/inbox/"+id+"/replay", nil); a.status != http.StatusOK {
		t.Fatalf("replay: %d\n%s", a.status, a.body)
	}
	if a := f.post("/v1/inbox/"+id+"/replay", nil); a.status != http.StatusConflict {
		t.Errorf("replay of a forward that is not dead: %d, want 409\n%s", a.status, a.body)
	}
	waitForwarded(t, erp, 1)
	f.waitForwardState(t, "delivered")
}

func TestInboundCancellationRefusesShipped(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		f := newFixture(t, fixtureOptions{db: db})
		orderStatus := func(want, wantMk string) {
			t.Helper()
			o := f.get("/v1/orders/fastshop/999999999")
			if o.status != http.StatusOK {
				t.Fatalf("GET order: %d\n%s", o.status, o.body)
			}
			st, mk := gjson.GetBytes(o.body, "status").String(), gjson.GetBytes(o.body, "marketplaceStatus").String()
			if st != want || mk != wantMk {
				t.Errorf("order status %q/%q, want %q/%q", st, mk, want, wantMk)
			}
		}
		if _, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t)); err != nil {
			t.Fatal(err)
		}
		orderStatus("new", "waiting-ffmt-authorization")
		f.postNotice(t, "/api/fulfillment/pvt/orders/FSH-999999999/fulfill", "payment-approved.json")
		orderStatus("approved", "")
		f.postNotice(t, "/api/fulfillment/pvt/orders/FSH-999999999/cancel", "cancellation.json")
		orderStatus("canceled", "")
		before := len(f.sim.Requests("fastshop"))
		shipped := event(t, "fastshop", "shipped", "evt-after-cancel", "999999999")
		a := f.post("/v1/events", shipped)
		if a.status != http.StatusUnprocessableEntity {
			t.Fatalf("shipped after the hub's cancellation: HTTP %d, want 422\n%s", a.status, a.body)
		}
		if _, code := a.errorCode(t); code != durable.CodeCanceledByMarketplace {
			t.Errorf("code %q, want %s", code, durable.CodeCanceledByMarketplace)
		}
		if got := len(f.sim.Requests("fastshop")); got != before {
			t.Errorf("the simulator got %d requests, want none", got-before)
		}
	})
}

func TestInboxConsumerAcrossRestart(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		seen := map[string]int{}
		consume := func(f *fixture) {
			for {
				a := f.get("/v1/inbox?limit=1")
				if a.status != http.StatusOK {
					t.Fatalf("GET /v1/inbox: %d\n%s", a.status, a.body)
				}
				evs := gjson.GetBytes(a.body, "events").Array()
				if len(evs) == 0 {
					return
				}
				for _, e := range evs {
					seen[e.Get("event.id").String()]++
				}
				ack, _ := json.Marshal(map[string]string{"cursor": gjson.GetBytes(a.body, "nextCursor").String()})
				if r := f.post("/v1/inbox/ack", ack); r.status != http.StatusOK {
					t.Fatalf("ack: %d\n%s", r.status, r.body)
				}
			}
		}
		place := func(f *fixture, id string) {
			order := bytes.ReplaceAll(seedOrder(t), []byte(`"999999999"`), []byte(`"`+id+`"`))
			if _, err := f.newHub().PlaceOrder(context.Background(), order); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("first process", func(t *testing.T) {
			f := newFixture(t, fixtureOptions{db: db})
			place(f, "1001")
			place(f, "1002")
			consume(f)
			place(f, "1003") // received, not consumed before the restart
		})
		t.Run("after restart", func(t *testing.T) {
			f := newFixture(t, fixtureOptions{db: db})
			place(f, "1001") // the hub re-sends an order taken before
			place(f, "1004")
			consume(f)
		})
		want := []string{"1001", "1002", "1003", "1004"}
		for _, id := range want {
			if n := seen["fastshop:order.created:"+id]; n != 1 {
				t.Errorf("order %s: consumed %d times, want once", id, n)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("consumed %v, want the %d orders once each", seen, len(want))
		}
	})
}

// postNotice posts an example notice of the hub to an inbound path.
func (f *fixture) postNotice(t *testing.T, path, example string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(root, "examples", "inbound", "fastshop", example))
	if err != nil {
		t.Fatal(err)
	}
	h := f.newHub()
	req, _ := http.NewRequest(http.MethodPost, f.url+"/inbound/fastshop"+path, bytes.NewReader(body))
	req.Header.Set("X-API-AppKey", h.AppKey)
	req.Header.Set("X-API-AppToken", h.AppToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200", path, resp.StatusCode)
	}
}

func TestForwardsInOrderPerOrder(t *testing.T) {
	t.Parallel()
	erp, in := newERP(t, 2) // the first event is retried twice: the later ones must wait for it
	f := newFixture(t, fixtureOptions{inbound: in})
	if _, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t)); err != nil {
		t.Fatal(err)
	}
	f.postNotice(t, "/api/fulfillment/pvt/orders/FSH-999999999/fulfill", "payment-approved.json")
	f.postNotice(t, "/api/fulfillment/pvt/orders/FSH-999999999/cancel", "cancellation.json")
	f.postNotice(t, "/api/fulfillment/pvt/orders/FSH%2F1/cancel", "cancellation.json") // a repeat: the same event id
	evs := waitForwarded(t, erp, 3)
	var got []string
	for _, ev := range evs {
		got = append(got, gjson.GetBytes(ev, "type").String())
	}
	want := []string{"order.created", "order.approved", "order.canceled"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the ERP got %v, want %v", got, want)
	}
}
