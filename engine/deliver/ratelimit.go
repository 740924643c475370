package deliver

import (
	"context"

	"github.com/rotahq/rota/engine"
	"golang.org/x/time/rate"
)

// Limiter paces calls to rate-limited endpoints. A Sender calls Wait before
// each request to an endpoint whose mapping declares a rate limit; a
// Limiter shared by several processes (a database table) holds the limit
// across all of them. Implementations must be safe for concurrent use.
type Limiter interface {
	// Wait returns once a call to endpoint (Call.Endpoint) may be sent
	// under a limit of perSecond calls per second with bursts of burst,
	// or with ctx's error when ctx ends first.
	Wait(ctx context.Context, endpoint string, perSecond float64, burst int) error
}

// limiter is the rate limiter of the call's endpoint, or nil.
func (s *Sender) limiter(call *engine.Call) *rate.Limiter {
	perSecond, burst, ok := call.RateLimit()
	if !ok || perSecond <= 0 {
		return nil
	}
	key := call.Endpoint()
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.limiters[key]; ok {
		return l
	}
	if s.limiters == nil {
		s.limiters = map[string]*rate.Limiter{}
	}
	l := rate.NewLimiter(rate.Limit(perSecond), burst)
	s.limiters[key] = l
	return l
}

// wait waits for the call's rate limiter, on the Sender's clock.
func (s *Sender) wait(ctx context.Context, call *engine.Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.Limiter != nil {
		perSecond, burst, ok := call.RateLimit()
		if !ok || perSecond <= 0 {
			return nil
		}
		return s.Limiter.Wait(ctx, call.Endpoint(), perSecond, burst)
	}
	l := s.limiter(call)
	if l == nil {
		return nil
	}
	now := s.now()
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := s.sleep(ctx, d); err != nil {
		r.CancelAt(s.now())
		return err
	}
	return nil
}
