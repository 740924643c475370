// Package durabletest gives tests of the durable layer, and of services
// built on it, an empty database of each kind the layer runs on: a SQLite
// file always, and a Postgres schema of its own when ROTA_TEST_POSTGRES_DSN
// names a database (the tests skip Postgres only when it is unset). It also
// says whether the long tests run in full (Full, ROTA_TEST_FULL) and lets a
// package's TestMain run more of its waiting tests at once (RaiseParallel).
package durabletest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresDSNVar names the environment variable holding the Postgres URL
// (postgres://...) the tests also run on.
const PostgresDSNVar = "ROTA_TEST_POSTGRES_DSN"

// FullRunsVar names the environment variable that makes the long tests run
// in full (CI's second test step sets it): README's go test ./... runs them
// smaller, to stay quick on a developer's machine.
const FullRunsVar = "ROTA_TEST_FULL"

// Full reports whether FullRunsVar is set: the long tests run in full.
func Full() bool { return os.Getenv(FullRunsVar) != "" }

// Kinds of database, as NewDatabase takes them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Kinds lists the databases tests run on: SQLite, and Postgres when
// PostgresDSNVar is set.
func Kinds() []string {
	kinds := []string{SQLite}
	if os.Getenv(PostgresDSNVar) != "" {
		kinds = append(kinds, Postgres)
	}
	return kinds
}

// NewDatabase makes an empty database of the kind for one test and returns
// the durable layer's DSN for it: a SQLite file in the test's temporary
// folder, or a schema of its own (named prefix and random hex) in the
// Postgres database of PostgresDSNVar, as its search path, dropped when the
// test ends. It skips the test when Postgres is asked for and the variable
// is unset, and fails it when the database cannot be reached.
func NewDatabase(t testing.TB, kind, prefix string) string {
	t.Helper()
	if kind == SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "rota.db")
	}
	dsn := os.Getenv(PostgresDSNVar)
	if dsn == "" {
		t.Skipf("%s is not set", PostgresDSNVar)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s must be a postgres:// URL: %v", PostgresDSNVar, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	exec(t, dsn, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, dsn, "DROP SCHEMA "+schema+" CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on a connection of its own.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresDSNVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// ParallelTests is how many parallel tests RaiseParallel lets run at once.
// The tests of the durable layer mostly wait (on retry schedules, on
// Retry-After, on child processes), not compute: go test's default of
// GOMAXPROCS leaves a 2-core machine idle through those waits.
const ParallelTests = 8

// RaiseParallel sets go test's -parallel to n when the command line did not
// set it and it is lower. Under the race detector it sets it to 1 instead:
// each test costs several times the CPU there, and timeouts such as the
// metrics' queries would run out with several at once. Call it from
// TestMain, before m.Run; it parses the command line.
func RaiseParallel(n int) {
	flag.Parse()
	f := flag.Lookup("test.parallel")
	if f == nil {
		return
	}
	explicit := false
	flag.Visit(func(v *flag.Flag) { explicit = explicit || v.Name == f.Name })
	if raceDetector {
		n = 1
	}
	if cur, err := strconv.Atoi(f.Value.String()); explicit || err != nil || (cur >= n && !raceDetector) {
		return
	}
	_ = f.Value.Set(strconv.Itoa(n))
}
