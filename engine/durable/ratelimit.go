package durable

import (
	"context"
	"fmt"
	"time"
)

// dbLimiter is a deliver.Limiter over the rota_rate_limits table: one row per
// endpoint holds the theoretical arrival time (GCRA) of the next call, in
// Unix microseconds, updated by one atomic statement. Every process sharing
// the database therefore shares each endpoint's limit. Each call reserves its
// slot, then waits until it comes. The processes' clocks are assumed to
// agree (within the limit's interval).
type dbLimiter struct {
	q   querier
	now func() time.Time
}

const takeSlot = `INSERT INTO rota_rate_limits (endpoint, tat) VALUES ($1, $2)
ON CONFLICT (endpoint) DO UPDATE
SET tat = (CASE WHEN rota_rate_limits.tat > $3 THEN rota_rate_limits.tat ELSE $3 END) + $4
RETURNING tat`

// Wait implements deliver.Limiter.
func (l *dbLimiter) Wait(ctx context.Context, endpoint string, perSecond float64, burst int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wait, err := l.reserve(ctx, endpoint, perSecond, burst)
	if err != nil || wait <= 0 {
		return err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the endpoint's next slot and returns how long to wait for
// it (0 or less: at once).
func (l *dbLimiter) reserve(ctx context.Context, endpoint string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := max(int64(1e6/perSecond), 1)
	burst = max(burst, 1)
	now := micros(l.now())
	var tat int64
	if err := l.q.queryRow(ctx, takeSlot, endpoint, now+interval, now, interval).Scan(&tat); err != nil {
		return 0, fmt.Errorf("rate limit of %s: %w", endpoint, err)
	}
	return time.Duration(tat-int64(burst)*interval-now) * time.Microsecond, nil
}
