package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/httpapi"
)

// stored counts the events the service keeps, through the API.
func (f *fixture) stored() int {
	f.t.Helper()
	a := f.get("/v1/events?limit=500")
	if a.status != http.StatusOK {
		f.t.Fatalf("GET /v1/events: %d\n%s", a.status, a.body)
	}
	var page durable.EventPage
	if err := json.Unmarshal(a.body, &page); err != nil {
		f.t.Fatal(err)
	}
	return len(page.Events)
}

// TestBadInputIsRefusedAndNothingStored: every kind of bad request gets
// its status and error JSON, and leaves nothing stored.
func TestBadInputIsRefusedAndNothingStored(t *testing.T) {
	t.Parallel()
	valid := event(t, "skyhub", "invoiced", "evt-bad-input-1", "Lojas Americanas-9100")
	huge := append([]byte(`{"id": "`), bytes.Repeat([]byte("x"), httpapi.DefaultMaxBodyBytes)...)
	huge = append(huge, `"}`...)
	cases := []struct {
		name       string
		method     string
		path       string
		token      string
		body       []byte
		wantStatus int
		wantKind   string
		wantCode   string
	}{
		{"malformed JSON", "POST", "/v1/events", testToken, []byte(`{"id": "evt-1",`), 400, "invalid_event", "malformed_json"},
		{"not an object", "POST", "/v1/events", testToken, []byte(`[1, 2]`), 400, "invalid_event", ""},
		{"empty body", "POST", "/v1/events", testToken, []byte(``), 400, "invalid_event", "malformed_json"},
		{"huge body", "POST", "/v1/events", testToken, huge, 413, "request", "body_too_large"},
		{"huge body to translate", "POST", "/v1/translate", testToken, huge, 413, "request", "body_too_large"},
		{"unknown marketplace", "POST", "/v1/events", testToken, replace(valid, `"marketplace": "skyhub"`, `"marketplace": "shopee"`), 422, "unknown_marketplace", "unknown_marketplace"},
		{"invalid event", "POST", "/v1/events", testToken, replace(valid, `"key": "5206`, `"key": "9206`), 400, "invalid_event", "nfe_key_check_digit"},
		{"missing token", "POST", "/v1/events", "", valid, 401, "request", "unauthorized"},
		{"wrong token", "POST", "/v1/events", "test-token-5f1d", valid, 401, "request", "unauthorized"},
		{"token of another length", "POST", "/v1/events", "t", valid, 401, "request", "unauthorized"},
		{"missing token on a read", "GET", "/v1/events", "", nil, 401, "request", "unauthorized"},
		{"missing token on metrics", "GET", "/metrics", "", nil, 401, "request", "unauthorized"},
		{"missing token on an unknown route", "GET", "/v2/nothing", "", nil, 401, "request", "unauthorized"},
		{"unknown route", "GET", "/v2/nothing", testToken, nil, 404, "request", "not_found"},
		{"wrong method", "DELETE", "/v1/events", testToken, nil, 405, "request", "method_not_allowed"},
		{"unknown event", "GET", "/v1/events/evt-none", testToken, nil, 404, "request", "not_found"},
		{"replay unknown event", "POST", "/v1/events/evt-none/replay", testToken, nil, 404, "request", "not_found"},
		{"skip unknown event", "POST", "/v1/events/evt-none/skip", testToken, nil, 404, "request", "not_found"},
		{"skip with a malformed body", "POST", "/v1/events/evt-none/skip", testToken, []byte(`{"why": 1}`), 400, "request", "malformed_json"},
		{"unknown order", "GET", "/v1/orders/skyhub/none", testToken, nil, 404, "request", "not_found"},
		{"bad state", "GET", "/v1/events?state=lost", testToken, nil, 400, "request", "bad_parameter"},
		{"bad limit", "GET", "/v1/events?limit=0", testToken, nil, 400, "request", "bad_parameter"},
		{"limit too large", "GET", "/v1/events?limit=501", testToken, nil, 400, "request", "bad_parameter"},
		{"bad cursor", "GET", "/v1/events?cursor=%25%25", testToken, nil, 400, "request", "bad_parameter"},
		{"unknown parameter", "GET", "/v1/events?status=dead", testToken, nil, 400, "request", "bad_parameter"},
		{"unknown marketplace filter", "GET", "/v1/events?marketplace=shopee", testToken, nil, 400, "request", "bad_parameter"},
	}
	f := newFixture(t, fixtureOptions{noStart: true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, c.path, c.token, c.body)
			if a.status != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", a.status, c.wantStatus, a.body)
			}
			kind, code := a.errorCode(t)
			if kind != c.wantKind || (c.wantCode != "" && code != c.wantCode) {
				t.Errorf("error %s/%s, want %s/%s", kind, code, c.wantKind, c.wantCode)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if c.wantStatus == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if strings.Contains(string(a.body), testToken) {
				t.Errorf("the answer holds the token:\n%s", a.body)
			}
		})
	}
	if n := f.stored(); n != 0 {
		t.Errorf("%d events stored after bad input, want 0", n)
	}
}

func replace(b []byte, old, new string) []byte {
	if !bytes.Contains(b, []byte(old)) {
		panic("replace: " + old + " not found")
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// TestHealthAndReadinessNeedNoToken: /healthz answers always, /readyz once
// the workers run, both without a token.
func TestHealthAndReadinessNeedNoToken(t *testing.T) {
	t.Parallel()
	stopped := newFixture(t, fixtureOptions{noStart: true})
	if a := stopped.do("GET", "/healthz", "", nil); a.status != 200 {
		t.Errorf("healthz: %d, want 200\n%s", a.status, a.body)
	}
	a := stopped.do("GET", "/readyz", "", nil)
	if a.status != 503 {
		t.Fatalf("readyz before Start: %d, want 503\n%s", a.status, a.body)
	}
	if _, code := a.errorCode(t); code != httpapi.CodeNotReady {
		t.Errorf("readyz code %s, want %s", code, httpapi.CodeNotReady)
	}
	started := newFixture(t, fixtureOptions{})
	if a := started.do("GET", "/readyz", "", nil); a.status != 200 {
		t.Errorf("readyz after Start: %d, want 200\n%s", a.status, a.body)
	}
	if a := started.post("/v1/events", event(t, "skyhub", "invoiced", "evt-metrics-1", "Lojas Americanas-9600")); a.status != 202 {
		t.Fatalf("POST: %d\n%s", a.status, a.body)
	}
	m := started.get("/metrics")
	if m.status != 200 || !strings.Contains(string(m.body), "rota_events_accepted_total{") || !strings.Contains(string(m.body), "rota_queue_depth") {
		t.Errorf("metrics: %d, want 200 and the service's metrics\n%.600s", m.status, m.body)
	}
}

// TestAcceptAnswers: an event to send is 202 pending with its Location; an
// ignored one is 200 ignored; a second POST answers the first acceptance.
func TestAcceptAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{noStart: true})
	send := event(t, "skyhub", "invoiced", "evt-accept-send", "Lojas Americanas-9200")
	ignore := event(t, "skyhub", "approved", "evt-accept-ignore", "Lojas Americanas-9200")
	cases := []struct {
		name       string
		body       []byte
		wantStatus int
		wantState  durable.State
		wantDup    bool
	}{
		{"send", send, 202, durable.Pending, false},
		{"ignore", ignore, 200, durable.Ignored, false},
		{"send again", send, 202, durable.Pending, true},
		{"ignore again", ignore, 200, durable.Ignored, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.post("/v1/events", c.body)
			if a.status != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", a.status, c.wantStatus, a.body)
			}
			var acc durable.Acceptance
			if err := json.Unmarshal(a.body, &acc); err != nil {
				t.Fatal(err)
			}
			if acc.State != c.wantState || acc.Duplicate != c.wantDup {
				t.Errorf("state %s duplicate %v, want %s %v", acc.State, acc.Duplicate, c.wantState, c.wantDup)
			}
			if got, want := a.header.Get("Location"), "/v1/events/"+acc.EventID; got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
		})
	}
	if n := f.stored(); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

// TestDuplicatePostsDeliverOnce: 20 concurrent POSTs of one event id
// answer one acceptance and lead to one call.
func TestDuplicatePostsDeliverOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		f := newFixture(t, fixtureOptions{db: db})
		body := event(t, "skyhub", "invoiced", "evt-dup-1", "Lojas Americanas-9300")
		const n = 20
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = f.post("/v1/events", body)
			}()
		}
		wg.Wait()
		first := 0
		var acceptedAt time.Time
		for i, a := range answers {
			if a.status != http.StatusAccepted {
				t.Fatalf("POST %d: %d, want 202\n%s", i, a.status, a.body)
			}
			var acc durable.Acceptance
			if err := json.Unmarshal(a.body, &acc); err != nil {
				t.Fatal(err)
			}
			if !acc.Duplicate {
				first++
			}
			if i > 0 && !acc.AcceptedAt.Equal(acceptedAt) {
				t.Errorf("POST %d: acceptedAt %s, want the first acceptance's %s", i, acc.AcceptedAt, acceptedAt)
			}
			acceptedAt = acc.AcceptedAt
		}
		if first != 1 {
			t.Errorf("%d answers are not duplicates, want 1", first)
		}
		if s := f.waitSettled(t, 20*time.Second, "evt-dup-1")["evt-dup-1"]; s != durable.Delivered {
			t.Fatalf("state %s, want delivered", s)
		}
		if got := f.requestCount("skyhub", "POST", "/invoice"); got != 1 {
			t.Errorf("the simulator saw %d invoice calls, want 1", got)
		}
	})
}
