package durable_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/durabletest"
	"github.com/rotahq/rota/mappings"
)

// BenchmarkAccept measures Accept (validate, translate, commit the event and
// its job in one transaction) against the physical limit of the same
// database in the same run: one row inserted and committed per transaction.
// Each iteration accepts a new event of a new order: one at a time
// ("accept"), and from 16 goroutines per CPU at once ("accept-parallel",
// whose acceptances share transactions: group commit).
func BenchmarkAccept(b *testing.B) {
	for _, kind := range []string{durabletest.SQLite, durabletest.Postgres} {
		b.Run(kind, func(b *testing.B) {
			db := durabletest.NewDatabase(b, kind, "rota_bench_")
			b.Run("accept", func(b *testing.B) { benchAccept(b, db, false) })
			b.Run("accept-parallel", func(b *testing.B) { benchAccept(b, db, true) })
			b.Run("raw-insert-commit", func(b *testing.B) { benchRawInsert(b, db) })
		})
	}
}

func benchAccept(b *testing.B, db string, parallel bool) {
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		b.Fatal(err)
	}
	// Nothing is delivered: the Service is not started.
	h := &harness{db: db, eng: eng, url: "http://127.0.0.1:1"}
	cfg := h.config()
	svc, err := durable.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	tmpl, err := os.ReadFile("../../examples/events/skyhub/invoiced.json")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := runID()
	var n atomic.Int64
	accept := func() error {
		i := n.Add(1)
		raw := strings.Replace(strings.Replace(string(tmpl), "evt-skyhub-invoiced-0001", fmt.Sprintf("evt-bench-%s-%d", run, i), 1),
			"Lojas Americanas-1000000000000", fmt.Sprintf("Lojas Americanas-%s-%d", run, i), 1)
		_, err := svc.Accept(ctx, []byte(raw))
		return err
	}
	if !parallel {
		for b.Loop() {
			if err := accept(); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := accept(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchRawInsert(b *testing.B, db string) {
	ctx := context.Background()
	body := strings.Repeat("x", 700) // about an event's size
	run := runID()
	if path, ok := strings.CutPrefix(db, "sqlite:"); ok {
		h, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		h.SetMaxOpenConns(1)
		if _, err := h.Exec(`CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			tx, err := h.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO bench_raw (id, body) VALUES ($1, $2)`, fmt.Sprintf("%s-%d", run, i), body); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO bench_raw (id, body) VALUES ($1, $2)`, fmt.Sprintf("%s-%d", run, i), body); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// runID tells one benchmark run's rows from another's in the same database
// (-count, b.Loop's rounds).
func runID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
