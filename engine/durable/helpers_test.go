package durable_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strconv"
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
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/sjson"
)

// testSchedule retries quickly: the simulator's Retry-After (1s on 503)
// is the minimum that matters.
var testSchedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}

// eachDriver runs fn on SQLite and, when durabletest.PostgresDSNVar is
// set, on Postgres, as parallel subtests.
func eachDriver(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, kind := range []string{durabletest.SQLite, durabletest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarness(t, durabletest.NewDatabase(t, kind, "rota_test_")))
		})
	}
}

// eachDriverInTurn runs fn on SQLite, then on Postgres when
// durabletest.PostgresDSNVar is set, one after the other.
func eachDriverInTurn(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, kind := range []string{durabletest.SQLite, durabletest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			fn(t, newHarness(t, durabletest.NewDatabase(t, kind, "rota_test_")))
		})
	}
}

var (
	engineOnce sync.Once
	testEngine *engine.Engine
	engineErr  error
)

// bundledEngine loads the bundled mappings once for all tests (an Engine
// is safe for concurrent use).
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

// harness is a simulator of the marketplaces and a database; open makes
// Services over them.
type harness struct {
	t   *testing.T
	db  string
	sim *sim.Server
	url string
	eng *engine.Engine
}

func newHarness(t *testing.T, db string) *harness {
	t.Helper()
	eng := bundledEngine(t)
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, db: db, sim: s, url: srv.URL, eng: eng}
}

// config is a Config aimed at the simulator.
func (h *harness) config() durable.Config {
	base := map[string]string{}
	for _, m := range sim.Marketplaces {
		base[m] = h.url + "/" + m
	}
	return durable.Config{
		Engine: h.eng,
		DB:     h.db,
		Delivery: durable.Delivery{
			Secrets:  deliver.MapSecrets(sim.DefaultSecrets()),
			BaseURLs: base,
			Vars:     map[string]string{"tokenUrl": "https://bridge.example:8090/auth/token"},
			Timeout:  5 * time.Second,
		},
		RetrySchedule: testSchedule,
		PollInterval:  50 * time.Millisecond,
	}
}

// open opens a Service (closed at the end of the test); edit changes its
// config first.
func (h *harness) open(edit ...func(*durable.Config)) *durable.Service {
	h.t.Helper()
	cfg := h.config()
	for _, e := range edit {
		e(&cfg)
	}
	svc, err := durable.Open(context.Background(), cfg)
	if err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	h.t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// start opens and starts a Service, stopped at the end of the test.
func (h *harness) start(edit ...func(*durable.Config)) *durable.Service {
	h.t.Helper()
	svc := h.open(edit...)
	if err := svc.Start(context.Background()); err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			h.t.Errorf("Stop: %v", err)
		}
	})
	return svc
}

// event reads an example event and edits it: sjson path/value pairs, a
// nil value deletes the path.
func (h *harness) event(file string, edits ...any) []byte {
	h.t.Helper()
	raw, err := os.ReadFile("../../examples/events/" + file)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i < len(edits); i += 2 {
		if edits[i+1] == nil {
			raw, err = sjson.DeleteBytes(raw, edits[i].(string))
		} else {
			raw, err = sjson.SetBytes(raw, edits[i].(string), edits[i+1])
		}
		if err != nil {
			h.t.Fatal(err)
		}
	}
	return raw
}

// noStatus are the edits that remove what the ERP no longer needs to send.
var noStatus = []any{"order.status", nil, "order.marketplaceStatus", nil}

func (h *harness) accept(svc *durable.Service, raw []byte) durable.Acceptance {
	h.t.Helper()
	acc, err := svc.Accept(context.Background(), raw)
	if err != nil {
		h.t.Fatalf("Accept: %v", err)
	}
	return acc
}

// waitState waits until the event reaches state (or a final state that is
// not it, which fails the test).
func (h *harness) waitState(svc *durable.Service, id string, want durable.State) durable.EventRecord {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rec, err := svc.Event(context.Background(), id)
		if err != nil {
			h.t.Fatalf("Event(%s): %v", id, err)
		}
		if rec.State == want {
			return rec
		}
		if rec.State != durable.Pending || time.Now().After(deadline) {
			h.t.Fatalf("event %s is %s (%s), want %s; attempts %+v", id, rec.State, rec.Reason, want, rec.Attempts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writes are the calls the simulator received for a marketplace whose
// path contains part, in order, as "METHOD PATH STATUS".
func (h *harness) writes(marketplace, part string) []string {
	var out []string
	for _, r := range h.sim.Requests(marketplace) {
		if r.Method != "GET" && strings.Contains(r.Path, part) {
			out = append(out, r.Method+" "+r.Path+" "+itoa(r.Status))
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "dropped"
	}
	return strconv.Itoa(n)
}

func isEngineError(err error, kind engine.Kind) bool {
	var ee *engine.Error
	return errors.As(err, &ee) && ee.Kind == kind
}

// metricValue reads one metric's value from reg: the sum over the series whose
// labels include the given name/value pairs.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			case m.Histogram != nil:
				total += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return total
}
