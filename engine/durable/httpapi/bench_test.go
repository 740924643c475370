package httpapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/durable"
)

// BenchmarkAcceptHTTP measures POST /v1/events (token check, body read,
// validation, translation, the event and its job committed, the 202 answer)
// on a real loopback server, against the limit of the same database in the
// same run: one row inserted and committed per transaction, one at a time.
// The requests come from 1 client (one at a time) and from 32 at once,
// whose acceptances share transactions (group commit); it reports events/s
// and the p50 and p99 latency of the requests. The workers are not started,
// so that nothing but acceptance runs.
//
//	go test ./engine/durable/httpapi -run '^$' -bench AcceptHTTP -benchtime 2000x
func BenchmarkAcceptHTTP(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			if kind == "postgres" && os.Getenv(postgresDSNVar) == "" {
				b.Skipf("%s is not set", postgresDSNVar)
			}
			b.Run("raw-insert-commit", func(b *testing.B) { benchRawInsert(b, newDatabase(b, kind)) })
			for _, clients := range []int{1, acceptClients} {
				b.Run(fmt.Sprintf("post-events/clients=%d", clients), func(b *testing.B) {
					benchPostEvents(b, newDatabase(b, kind), clients)
				})
			}
		})
	}
}

// acceptClients is how many clients post at once in BenchmarkAcceptHTTP.
const acceptClients = 32

func benchPostEvents(b *testing.B, db string, clients int) {
	f := newFixture(b, fixtureOptions{db: db, noStart: true})
	tmpl := string(event(b, "skyhub", "invoiced", "evt-ID", "Lojas Americanas-ORDER"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	n := b.N
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed sync.Once
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				body := strings.Replace(strings.Replace(tmpl, "evt-ID", fmt.Sprintf("evt-bench-%d", i), 1), "ORDER", fmt.Sprint(i), 1)
				req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Do(func() { b.Errorf("POST: %v", err) })
					return
				}
				drain(resp)
				lat[i-1] = time.Since(t0)
				if resp.StatusCode != http.StatusAccepted {
					failed.Do(func() { b.Errorf("POST: %d", resp.StatusCode) })
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	reportRate(b, n, time.Since(start))
	reportLatency(b, lat)
}

// drain reads and closes an answer's body, so that its connection is reused.
func drain(resp *http.Response) {
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
}

// benchRawInsert inserts and commits one row of an event's size per
// transaction: the physical limit of acceptance on the database.
func benchRawInsert(b *testing.B, db string) {
	ctx := context.Background()
	body := strings.Repeat("x", 700)
	i := 0
	start := time.Now()
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		h, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		h.SetMaxOpenConns(1)
		if _, err := h.Exec(`CREATE TABLE bench_raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			i++
			tx, err := h.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO bench_raw (id, body) VALUES ($1, $2)`, fmt.Sprint(i), body); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, i, time.Since(start))
		return
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		i++
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO bench_raw (id, body) VALUES ($1, $2)`, fmt.Sprint(i), body); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, i, time.Since(start))
}

func reportRate(b *testing.B, n int, d time.Duration) {
	b.ReportMetric(float64(n)/d.Seconds(), "events/s")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkDeliverEndToEnd measures delivery through the simulator: b.N
// Fast Shop invoices of b.N orders (no rate limit) are accepted first, then
// timed from Start until the last is delivered. The baseline, in the same
// run, sends the same calls with engine/deliver alone (no store, no queue),
// from as many goroutines as the Service has workers.
//
//	go test ./engine/durable/httpapi -run '^$' -bench DeliverEndToEnd -benchtime 2000x
func BenchmarkDeliverEndToEnd(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			if kind == "postgres" && os.Getenv(postgresDSNVar) == "" {
				b.Skipf("%s is not set", postgresDSNVar)
			}
			b.Run("deliver-alone", benchDeliverAlone)
			b.Run("durable", func(b *testing.B) { benchDurable(b, newDatabase(b, kind)) })
		})
	}
}

// invoices are n Fast Shop invoiced events of n orders.
func invoices(b *testing.B, n int) [][]byte {
	tmpl := string(event(b, "fastshop", "invoiced", "evt-ID", "ORDER"))
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strings.Replace(strings.Replace(tmpl, "evt-ID", fmt.Sprintf("evt-dbench-%d", i), 1), `"ORDER"`, fmt.Sprintf(`"%d"`, 800000000+i), 1))
	}
	return out
}

func benchDurable(b *testing.B, db string) {
	b.StopTimer()
	f := newFixture(b, fixtureOptions{db: db, noStart: true})
	ctx := context.Background()
	n := b.N
	for _, raw := range invoices(b, n) {
		if _, err := f.svc.Accept(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	b.StartTimer()
	if err := f.svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = f.svc.Stop(stop)
	}()
	for {
		page, err := f.svc.Events(ctx, durable.EventQuery{State: durable.Pending, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Events) == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	reportRate(b, n, time.Since(start))
	page, err := f.svc.Events(ctx, durable.EventQuery{State: durable.Dead, Limit: 1})
	if err != nil || len(page.Events) > 0 {
		b.Fatalf("dead events after the run: %v %v", page.Events, err)
	}
}

func benchDeliverAlone(b *testing.B) {
	b.StopTimer()
	eng := bundledEngine(b)
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	base := srv.URL + "/fastshop"
	var results []*engine.Result
	for _, raw := range invoices(b, b.N) {
		res, err := eng.Translate(raw, engine.TranslateOptions{BaseURL: base})
		if err != nil {
			b.Fatal(err)
		}
		results = append(results, res)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = durable.MaxIdleConnsPerHost
	sender := &deliver.Sender{Engine: eng, Secrets: deliver.MapSecrets(sim.DefaultSecrets()), BaseURL: base,
		Client: &http.Client{Transport: t}, Retry: deliver.RetryPolicy{MaxAttempts: 1}}
	work := make(chan *engine.Result)
	var wg sync.WaitGroup
	var failed sync.Once
	ctx := context.Background()
	start := time.Now()
	b.StartTimer()
	for range durable.DefaultWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for res := range work {
				rep, err := sender.Send(ctx, res)
				if err != nil || !rep.OK() {
					failed.Do(func() { b.Errorf("send: %v %+v", err, rep) })
				}
			}
		}()
	}
	for _, res := range results {
		work <- res
	}
	close(work)
	wg.Wait()
	b.StopTimer()
	reportRate(b, len(results), time.Since(start))
}
