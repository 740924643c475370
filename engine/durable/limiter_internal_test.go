package durable

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
)

func openInternal(t *testing.T, db string) *Service {
	t.Helper()
	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Config{Engine: eng, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Two Services over one database share each endpoint's slots: with
// 9/s and burst 9, the 10th call of the pair waits for the first's window.
func TestLimiterSlotsAreShared(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "rota.db")
	a, b := openInternal(t, db), openInternal(t, db)
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	a.limiter.now, b.limiter.now = clock, clock
	window := time.Duration(widenWindow(1_000_000)) * time.Microsecond
	var waits []time.Duration
	for i := range 12 {
		l := a.limiter
		if i%2 == 1 {
			l = b.limiter
		}
		w, err := l.reserve(context.Background(), "skyhub POST /orders/{id}/invoice", 9, 9)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	for i, w := range waits {
		want := time.Duration(0)
		if i >= 9 {
			want = window
		}
		if w != want {
			t.Errorf("call %d waits %s, want %s (all waits %v)", i+1, w, want, waits)
		}
	}
}
