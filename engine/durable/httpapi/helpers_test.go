package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/durabletest"
	"github.com/rotahq/rota/engine/durable/httpapi"
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/sjson"
)

// postgresDSNVar names the environment variable that holds a Postgres URL
// for the tests; they skip the Postgres runs only when it is unset.
const postgresDSNVar = durabletest.PostgresDSNVar

// testToken is the API token of the test servers.
const testToken = "test-token-5f1c"

// root is the repository root, from this package's folder.
const root = "../../.."

var (
	engineOnce sync.Once
	testEngine *engine.Engine
	engineErr  error
)

// bundledEngine loads the bundled mappings once for all tests.
func bundledEngine(t testing.TB) *engine.Engine {
	t.Helper()
	engineOnce.Do(func() {
		testEngine, engineErr = engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return testEngine
}

// TestMain runs more tests at once than go test's default (see
// durabletest.RaiseParallel): most of them wait on retries, not the CPU.
func TestMain(m *testing.M) {
	durabletest.RaiseParallel(durabletest.ParallelTests)
	os.Exit(m.Run())
}

// forEachDB runs f as a subtest per database (durabletest.Kinds).
func forEachDB(t *testing.T, f func(t *testing.T, db string)) {
	for _, kind := range durabletest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, newDatabase(t, kind))
		})
	}
}

// newDatabase makes an empty database of the kind for one test and returns
// its DSN (durabletest.NewDatabase).
func newDatabase(t testing.TB, kind string) string {
	t.Helper()
	return durabletest.NewDatabase(t, kind, "rota_httpapi_")
}

// fixture is a running API over a durable Service that delivers to an
// in-process simulator.
type fixture struct {
	t   testing.TB
	eng *engine.Engine
	svc *durable.Service
	sim *sim.Server
	// simURL is the simulator's root URL.
	simURL string
	// url is the API's root URL.
	url string
}

// fixtureOptions tune a fixture.
type fixtureOptions struct {
	// db is the database DSN (default a fresh SQLite file).
	db string
	// schedule is the retry schedule (default 20ms steps).
	schedule []time.Duration
	// noStart keeps the workers stopped (events stay pending).
	noStart bool
	// faults are injected into the simulator from the start.
	faults []sim.Fault
	// inbound configures the forwards of inbound events.
	inbound durable.Inbound
	// eng is the engine (default the bundled mappings).
	eng *engine.Engine
}

// fastSchedule retries quickly, so that tests of retries take milliseconds.
var fastSchedule = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond,
	100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond,
	200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	if o.db == "" {
		o.db = newDatabase(t, "sqlite")
	}
	if o.schedule == nil {
		o.schedule = fastSchedule
	}
	eng := o.eng
	if eng == nil {
		eng = bundledEngine(t)
	}
	lag := sim.Lag{}
	s := sim.New(sim.Options{Faults: o.faults, NapseLag: &lag, Mirakl: miraklTakingXML})
	simSrv := httptest.NewServer(s.Handler())
	t.Cleanup(simSrv.Close)
	reg := prometheus.NewRegistry()
	ctx := context.Background()
	svc, err := durable.Open(ctx, durable.Config{
		Engine: eng,
		DB:     o.db,
		Delivery: durable.Delivery{
			Secrets:  deliver.MapSecrets(sim.DefaultSecrets()),
			BaseURLs: simBaseURLs(simSrv.URL),
			Vars: map[string]string{"baseUrl": simSrv.URL + "/napse", "tokenUrl": simSrv.URL + "/napse/auth/token",
				"invoiceDocumentType": miraklInvoiceType},
			// The simulator applies Napse's changes at once (lag 0): the
			// status query, which waits seconds between queries, is left out.
			Timeout: 5 * time.Second,
		},
		Inbound:       o.inbound,
		RetrySchedule: o.schedule,
		Registerer:    reg,
	})
	if err != nil {
		t.Fatalf("durable.Open: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	if !o.noStart {
		if err := svc.Start(ctx); err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = svc.Stop(stop)
		})
	}
	h, err := httpapi.New(httpapi.Config{
		Service: svc,
		Engine:  eng,
		TranslateOptions: func(m string) engine.TranslateOptions {
			return engine.TranslateOptions{BaseURL: simBaseURLs(simSrv.URL)[m]}
		},
		Token:    testToken,
		Gatherer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	return &fixture{t: t, eng: eng, svc: svc, sim: s, simURL: simSrv.URL, url: api.URL}
}

// mappedMarketplaces is the simulated marketplaces that have a bundled
// mapping: the ones the tests send events to.
func mappedMarketplaces() []string {
	var out []string
	for _, m := range sim.Marketplaces {
		if _, err := fs.Stat(mappings.FS, m+".yaml"); err == nil {
			out = append(out, m)
		}
	}
	return out
}

func simBaseURLs(root string) map[string]string {
	out := map[string]string{}
	for _, m := range sim.Marketplaces {
		out[m] = root + "/" + m
	}
	return out
}

// answer is an HTTP answer of the API.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the answer's body into a generic value.
func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", a.status, err, a.body)
	}
	return v
}

// errorCode is the answer's error kind and code.
func (a answer) errorCode(t testing.TB) (kind, code string) {
	t.Helper()
	var eb struct {
		Error struct {
			Kind, Code, Message string
		}
	}
	if err := json.Unmarshal(a.body, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Fatalf("answer %d is not the error JSON (%v):\n%s", a.status, err, a.body)
	}
	return eb.Error.Kind, eb.Error.Code
}

// do sends a request with the test token (token "" sends none).
func (f *fixture) do(method, path, token string, body []byte) answer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) get(path string) answer { return f.do(http.MethodGet, path, testToken, nil) }

func (f *fixture) post(path string, body []byte) answer {
	return f.do(http.MethodPost, path, testToken, body)
}

// eventState reads an event's state through the API.
func (f *fixture) eventState(t testing.TB, id string) durable.State {
	t.Helper()
	a := f.get("/v1/events/" + url.PathEscape(id))
	if a.status != http.StatusOK {
		t.Fatalf("GET event %s: %d\n%s", id, a.status, a.body)
	}
	var rec durable.EventRecord
	if err := json.Unmarshal(a.body, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.State
}

// waitSettled waits until none of the ids is pending, or one is dead (the
// later events of its order then wait for an operator), and returns their
// states. It fails the test after the deadline.
func (f *fixture) waitSettled(t testing.TB, deadline time.Duration, ids ...string) map[string]durable.State {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		states := map[string]durable.State{}
		pending, dead := 0, 0
		for _, id := range ids {
			s := f.eventState(t, id)
			states[id] = s
			switch s {
			case durable.Pending:
				pending++
			case durable.Dead:
				dead++
			}
		}
		if pending == 0 || dead > 0 {
			return states
		}
		if time.Now().After(end) {
			t.Fatalf("%d of %d events still pending after %s: %v", pending, len(ids), deadline, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// event reads an example event and rewrites it: its id, its order's
// marketplace id, and without order.status and order.marketplaceStatus
// (the ERP says only what happened).
func event(t testing.TB, marketplace, name, id, orderID string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "examples", "events", marketplace, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct {
		path string
		v    any
	}{{"id", id}, {"order.marketplaceOrderId", orderID}} {
		if raw, err = sjson.SetBytes(raw, set.path, set.v); err != nil {
			t.Fatal(err)
		}
	}
	for _, del := range []string{"order.status", "order.marketplaceStatus"} {
		if raw, err = sjson.DeleteBytes(raw, del); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// simOrders reads the simulator's orders of a marketplace: id -> status.
func (f *fixture) simOrders(marketplace string) map[string]any {
	f.t.Helper()
	resp, err := http.Get(f.simURL + "/_sim/orders/" + marketplace)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// requestCount counts the simulator's answered requests of a marketplace
// whose path contains part, by method.
func (f *fixture) requestCount(marketplace, method, part string) int {
	n := 0
	for _, r := range f.sim.Requests(marketplace) {
		if r.Method == method && strings.Contains(r.Path, part) && r.Status >= 200 && r.Status < 300 {
			n++
		}
	}
	return n
}
