package durable

import (
	"context"
	"errors"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable/durabletest"
	"github.com/rotahq/rota/mappings"
)

// TestGroupCommitIsolatesFailures runs one group of writes in which one
// write fails after writing a row and noting a job: the others commit and
// get nil, the failing one gets its own error and leaves nothing (its row
// and its job rolled back to its savepoint), and a write whose caller gave
// up before its turn is not run.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{durabletest.SQLite, durabletest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, Config{Engine: eng, DB: durabletest.NewDatabase(t, kind, "rota_commit_")})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			errBroken := errors.New("broken write")
			write := func(endpoint string, fail bool) func(context.Context, *groupTx) error {
				return func(ctx context.Context, tx *groupTx) error {
					if _, err := tx.exec(ctx, `INSERT INTO rota_rate_limits (endpoint, slots) VALUES ($1, '')`, endpoint); err != nil {
						return err
					}
					tx.insertJobLater("evt-" + endpoint)
					if fail {
						return errBroken
					}
					return nil
				}
			}
			gone, cancel := context.WithCancel(ctx)
			cancel()
			ran := false
			group := []*groupWrite{
				{ctx: ctx, key: "b", fn: write("ok-1", false), err: make(chan error, 1)},
				{ctx: ctx, key: "a", fn: write("broken", true), err: make(chan error, 1)},
				{ctx: gone, key: "a", fn: func(context.Context, *groupTx) error { ran = true; return nil }, err: make(chan error, 1)},
				{ctx: ctx, key: "c", fn: write("ok-2", false), err: make(chan error, 1)},
			}
			s.commits.commit(group)
			want := []error{nil, errBroken, context.Canceled, nil}
			for i, w := range group {
				if got := <-w.err; !errors.Is(got, want[i]) || (want[i] == nil && got != nil) {
					t.Errorf("write %d: got error %v, want %v", i, got, want[i])
				}
			}
			if ran {
				t.Error("the write whose context ended before its turn ran")
			}
			for endpoint, want := range map[string]int{"ok-1": 1, "ok-2": 1, "broken": 0} {
				var n int
				if err := s.be.pool().queryRow(ctx, `SELECT count(*) FROM rota_rate_limits WHERE endpoint = $1`, endpoint).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("rows of %s: got %d, want %d", endpoint, n, want)
				}
			}
			// The jobs of ok-1 and ok-2, not the broken write's.
			var jobs int
			if err := s.be.pool().queryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1`, deliverArgs{}.Kind()).Scan(&jobs); err != nil {
				t.Fatal(err)
			}
			if jobs != 2 {
				t.Errorf("delivery jobs: got %d, want 2", jobs)
			}
		})
	}
}
