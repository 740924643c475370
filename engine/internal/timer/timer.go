// Package timer waits for a duration or a context's end, whichever comes
// first: the one wait shared by the sender's retries, the durable rate
// limiter and the simulator's hub.
package timer

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends. It returns nil when d has passed,
// and ctx.Err() when ctx ended first; a d of zero or less returns
// ctx.Err() at once (nil while ctx is live). The timer is released either
// way. Safe for concurrent use.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
