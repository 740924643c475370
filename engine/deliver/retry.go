package deliver

import (
	"time"
)

// RetryPolicy bounds the retries of one call. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts is how many times a call may be sent (default 5).
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; it doubles with each
	// retry up to MaxDelay, and the delay is drawn at random below it (full
	// jitter). A Retry-After answer header is a minimum. Defaults 500ms, 30s.
	BaseDelay, MaxDelay time.Duration
	// MaxElapsed bounds the time from a call's first attempt to its last:
	// no retry is made that would start later (default 2m).
	MaxElapsed time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultMaxElapsed
	}
	return p
}

// backoff is the delay before the retry that follows attempt n: drawn at
// random below BaseDelay·2^(n-1), capped at MaxDelay, and at least
// retryAfter.
func (s *Sender) backoff(p RetryPolicy, n int, retryAfter time.Duration) time.Duration {
	ceil := p.MaxDelay
	if n-1 < 32 {
		if c := p.BaseDelay << (n - 1); c > 0 && c < ceil {
			ceil = c
		}
	}
	d := time.Duration(s.rand() * float64(ceil))
	return max(d, retryAfter)
}
