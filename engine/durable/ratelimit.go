package durable

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/internal/timer"
)

// dbLimiter is a deliver.Limiter over the rota_rate_limits table, so that
// every process sharing the database shares each endpoint's limit.
//
// A mapping's rateLimit {perSecond, burst} is read as: at most burst calls
// in any window of burst/perSecond seconds (SkyHub's 9/s with burst 9: at
// most 9 calls in any second), so that a marketplace counting calls in
// fixed or sliding one-second windows never sees too many. The window is
// widened (widenWindow) to absorb the calls' transit
// jitter. One row per endpoint keeps the start times of the last burst
// calls (Unix microseconds, reserved ones included, in order); a call
// takes the first slot that keeps the rule, in one transaction holding the
// row's lock, then waits for it. The processes' clocks are assumed to agree
// to within the margin.
type dbLimiter struct {
	be  backend
	now func() time.Time
}

// widenWindow returns a window of micros microseconds widened by a
// twentieth, and by at least minMarginMicros: a call held back by a busy
// CPU or network on its way can land in the same one-second window of the
// marketplace's clock as the next one, and for a limit of 1 a second a
// twentieth (50 ms) is less than such a delay, seen at 60 to 150 ms on a
// loaded machine.
func widenWindow(micros int64) int64 {
	return micros + max(micros/20, minMarginMicros)
}

// minMarginMicros is the least a window is widened by: 200 ms.
const minMarginMicros = 200_000

// Wait implements deliver.Limiter.
func (l *dbLimiter) Wait(ctx context.Context, endpoint string, perSecond float64, burst int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wait, err := l.reserve(ctx, endpoint, perSecond, burst)
	if err != nil || wait <= 0 {
		return err
	}
	return timer.Sleep(ctx, wait)
}

// reserve takes the endpoint's next slot and returns how long to wait for
// it (0 or less: at once).
func (l *dbLimiter) reserve(ctx context.Context, endpoint string, perSecond float64, burst int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	burst = max(burst, 1)
	window := int64(float64(burst) / perSecond * 1e6)
	window = widenWindow(window)
	now := micros(l.now())
	var slot int64
	err := l.be.inTx(ctx, func(tx txn) error {
		if _, err := tx.exec(ctx, `INSERT INTO rota_rate_limits (endpoint, slots) VALUES ($1, '') ON CONFLICT (endpoint) DO NOTHING`, endpoint); err != nil {
			return err
		}
		// The no-op update takes the row's lock (Postgres; SQLite has one writer).
		if _, err := tx.exec(ctx, `UPDATE rota_rate_limits SET slots = slots WHERE endpoint = $1`, endpoint); err != nil {
			return err
		}
		var text string
		if err := tx.queryRow(ctx, `SELECT slots FROM rota_rate_limits WHERE endpoint = $1`, endpoint).Scan(&text); err != nil {
			return err
		}
		now = micros(l.now()) // the row's lock held: no slot before this
		slots := parseSlots(text)
		slot = nextSlot(slots, now, window, burst)
		slots = append(slots, slot)
		slots = slots[max(len(slots)-burst, 0):]
		_, err := tx.exec(ctx, `UPDATE rota_rate_limits SET slots = $1 WHERE endpoint = $2`, formatSlots(slots), endpoint)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rate limit of %s: %w", endpoint, err)
	}
	// From the clock after the commit: a transaction that waited for the
	// database would otherwise delay this call past its slot by as long.
	return time.Duration(slot-micros(l.now())) * time.Microsecond, nil
}

// nextSlot is the earliest start, not before now nor before the last slot
// taken, that leaves at most burst starts in any window.
func nextSlot(slots []int64, now, window int64, burst int) int64 {
	slot := now
	if n := len(slots); n > 0 {
		slot = max(slot, slots[n-1])
		if n >= burst {
			slot = max(slot, slots[n-burst]+window)
		}
	}
	return slot
}

func parseSlots(s string) []int64 {
	var out []int64
	for f := range strings.SplitSeq(s, ",") {
		if v, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func formatSlots(slots []int64) string {
	parts := make([]string, len(slots))
	for i, v := range slots {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, ",")
}
