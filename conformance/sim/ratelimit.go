package sim

import (
	"sync"
	"time"
)

// limiter counts calls in fixed one-second windows of the server's clock,
// per key: SkyHub's "N requests per second per endpoint and method", after
// which one waits for the next window.
type limiter struct {
	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// allow counts a call under key at now; past limit calls in the current
// window it refuses and says how long until the next window.
func (l *limiter) allow(key string, limit int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*window{}
	}
	start := now.Truncate(time.Second)
	w, ok := l.windows[key]
	if !ok || !w.start.Equal(start) {
		w = &window{start: start}
		l.windows[key] = w
	}
	if w.n >= limit {
		return false, start.Add(time.Second).Sub(now)
	}
	w.n++
	return true, 0
}
