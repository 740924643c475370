package durable

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryAfterTransport notes the Retry-After header of every answer in the
// answerNote of the request's context, so that the worker can honour it
// when it schedules the event's next attempt.
type retryAfterTransport struct{ base http.RoundTripper }

func (t retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if n, ok := req.Context().Value(noteKey{}).(*answerNote); ok {
			n.set(parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
		}
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the base transport.
func (t retryAfterTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type noteKey struct{}

// answerNote is what the transport saw of the last answer of one attempt.
type answerNote struct {
	mu         sync.Mutex
	retryAfter time.Duration
}

func withAnswerNote(ctx context.Context) (context.Context, *answerNote) {
	n := &answerNote{}
	return context.WithValue(ctx, noteKey{}, n), n
}

func (n *answerNote) set(d time.Duration) {
	n.mu.Lock()
	n.retryAfter = d
	n.mu.Unlock()
}

func (n *answerNote) get() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.retryAfter
}

// maxRetryAfter bounds the wait a marketplace can ask for.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil && t.After(now) {
		d = t.Sub(now)
	}
	return min(d, maxRetryAfter)
}

// micros is t as stored: Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is a stored time; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// optMicros is a stored optional time: nil for 0.
func optMicros(us int64) *time.Time {
	if us == 0 {
		return nil
	}
	t := fromMicros(us)
	return &t
}
