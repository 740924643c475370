package deliver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/rotahq/rota/engine"
	"golang.org/x/time/rate"
)

// Defaults of a Sender.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 500 * time.Millisecond
	DefaultMaxDelay    = 30 * time.Second
	DefaultMaxElapsed  = 2 * time.Minute
)

// maxBody is how much of an answer is read: 1 MiB.
const maxBody = 1 << 20

// Sender delivers translation results. Set its fields before the first
// Send or DryRun and do not change them afterwards; then a Sender is safe
// for concurrent use: rate limiters (per Call.Endpoint), credentials and
// cached tokens (per marketplace and scheme) are shared by its goroutines.
type Sender struct {
	// Engine gives the marketplaces' auth schemes (Engine.Auth). Required.
	Engine *engine.Engine
	// Client sends the requests. Default: a client that does not follow
	// redirects (credentials are never sent to a host the call did not name).
	Client *http.Client
	// Secrets gives secret values (default EnvSecrets).
	Secrets Secrets
	// Store remembers delivered events (default a MemoryStore of this Sender).
	Store Store
	// Retry bounds the retries of each call.
	Retry RetryPolicy
	// Limiter paces the calls of endpoints whose mapping declares a rate
	// limit. Default: a limiter per endpoint in this Sender's memory.
	Limiter Limiter
	// Timeout bounds each attempt, token fetch included (default 30s).
	Timeout time.Duration
	// AuthScheme picks, per marketplace id, one of its mapping's auth
	// schemes; a marketplace not listed uses its mapping's default.
	AuthScheme map[string]string
	// Vars are the run-time variables of the mappings (the CLI's --var);
	// each marketplace gets those its mapping declares. They resolve token
	// URLs and token request bodies.
	Vars map[string]string
	// BaseURL, when set, moves every token URL that is not on BaseURL's
	// scheme and host already to them (its path prefixed with BaseURL's
	// path), as TranslateOptions.BaseURL does for the calls, so that no
	// credential leaves for another host while testing against a simulator.
	BaseURL string
	// Confirm confirms the calls whose mapping declares a confirmation
	// (Napse BRIDGE's asynchronous change) with the status query.
	Confirm bool
	// TokenRejected tells, for token schemes, whether an answer rejects
	// the token. When nil, the mapping's token.rejectedWhen rule decides,
	// or DefaultTokenRejected when the mapping has none.
	TokenRejected func(status int, v engine.Verdict) bool
	// Sleep waits d or until ctx ends (default: a timer). Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of timestamps, rate limits and retry bounds (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	auths    map[string]authorizer
	limiters map[string]*rate.Limiter
	inflight map[string]chan struct{}
	store0   *MemoryStore
	jitter   func() float64 // in [0, 1); tests fix it
}

var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return defaultClient
}

func (s *Sender) secrets() Secrets {
	if s.Secrets != nil {
		return s.Secrets
	}
	return EnvSecrets{}
}

func (s *Sender) store() Store {
	if s.Store != nil {
		return s.Store
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store0 == nil {
		s.store0 = NewMemoryStore()
	}
	return s.store0
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Sender) rand() float64 {
	if s.jitter != nil {
		return s.jitter()
	}
	return rand.Float64()
}

// varsFor are the Vars the marketplace's mapping declares.
func (s *Sender) varsFor(marketplace string) map[string]string {
	if len(s.Vars) == 0 || s.Engine == nil {
		return nil
	}
	out := map[string]string{}
	for _, name := range s.Engine.Variables(marketplace) {
		if v, ok := s.Vars[name]; ok {
			out[name] = v
		}
	}
	return out
}

// authorizerFor returns the marketplace's authorizer, built on first use.
func (s *Sender) authorizerFor(marketplace string) (authorizer, error) {
	scheme := s.AuthScheme[marketplace]
	key := marketplace + "\x00" + scheme
	s.mu.Lock()
	a, ok := s.auths[key]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	if s.Engine == nil {
		return nil, errors.New("deliver: Sender.Engine is not set; set it to the engine loaded from the mappings (engine.Load)")
	}
	vars := s.varsFor(marketplace)
	ea, err := s.Engine.Auth(marketplace, scheme, vars)
	if err != nil {
		return nil, err
	}
	if a, err = s.newAuthorizer(marketplace, ea, vars); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.auths[key]; ok {
		return prev, nil
	}
	if s.auths == nil {
		s.auths = map[string]authorizer{}
	}
	s.auths[key] = a
	return a, nil
}

// Send delivers res: its calls in order, each retried as the mapping's
// response rules and the RetryPolicy allow, stopping at the first that does
// not succeed. An event the Store has seen is not sent again (Duplicate).
//
// The error is non-nil, with a nil Report, when nothing could be sent
// because the run is misconfigured (a missing secret or token URL, an
// unknown auth scheme): an *engine.Error of kind configuration. A Store
// failure gives both the Report and the error. Everything the marketplace
// or the network did is in the Report, never in the error.
func (s *Sender) Send(ctx context.Context, res *engine.Result) (*Report, error) {
	rep := newReport(res)
	if res.Outcome != engine.OutcomeSend || len(res.Calls) == 0 {
		rep.Outcome, rep.Reason = Ignored, res.Reason
		if rep.Reason == "" {
			rep.Reason = "the translation has no call to make"
		}
		return rep, nil
	}
	auth, err := s.authorizerFor(res.Marketplace)
	if err != nil {
		return nil, err
	}
	release, err := s.claim(ctx, res.EventID)
	if err != nil {
		rep.Outcome, rep.Reason = Canceled, "canceled while another delivery of the same event was in progress"
		return rep, nil
	}
	defer release()
	if prev, seen, err := s.store().Seen(ctx, res.EventID); err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	} else if seen {
		return duplicate(rep, prev), nil
	}
	for i := range res.Calls {
		cr := &rep.Calls[i]
		s.deliverCall(ctx, &res.Calls[i], auth, cr)
		if cr.Outcome != CallSuccess || (cr.Confirmed != nil && !*cr.Confirmed) {
			break
		}
	}
	summarize(rep)
	scrubReport(rep, auth.secretValues())
	if rep.Outcome == Delivered || rep.Outcome == Unconfirmed {
		if err := s.store().Save(ctx, res.EventID, rep); err != nil {
			return rep, fmt.Errorf("idempotency store: %w", err)
		}
	}
	return rep, nil
}

func newReport(res *engine.Result) *Report {
	rep := &Report{EventID: res.EventID, Marketplace: res.Marketplace, Calls: []CallReport{}}
	for _, c := range res.Calls {
		rep.Calls = append(rep.Calls, CallReport{Name: c.Name, Method: c.Method, URL: c.URL,
			MarketplaceStatus: c.MarketplaceStatus, Outcome: CallNotSent})
	}
	return rep
}

func duplicate(rep, prev *Report) *Report {
	rep.Outcome = Duplicate
	rep.Reason = fmt.Sprintf("event %s was delivered already; nothing was sent", rep.EventID)
	if prev != nil && prev.Outcome == Unconfirmed {
		rep.Reason = fmt.Sprintf("event %s was sent already (accepted, not confirmed); nothing was sent", rep.EventID)
	}
	for i := range rep.Calls {
		rep.Calls[i].Outcome = CallSkipped
	}
	return rep
}

// claim makes concurrent Sends of one event id wait for each other, so
// that the Store is asked only once the earlier one has finished.
func (s *Sender) claim(ctx context.Context, id string) (func(), error) {
	if id == "" {
		return func() {}, nil
	}
	for {
		s.mu.Lock()
		ch, busy := s.inflight[id]
		if !busy {
			if s.inflight == nil {
				s.inflight = map[string]chan struct{}{}
			}
			ch = make(chan struct{})
			s.inflight[id] = ch
			s.mu.Unlock()
			return func() {
				s.mu.Lock()
				delete(s.inflight, id)
				s.mu.Unlock()
				close(ch)
			}, nil
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// deliverCall sends one call until it succeeds, is refused, or the retry
// budget runs out, then confirms it when asked. It fills cr.
func (s *Sender) deliverCall(ctx context.Context, call *engine.Call, auth authorizer, cr *CallReport) {
	pol := s.Retry.withDefaults()
	start := s.now()
	for {
		ans := s.try(ctx, call, auth, &cr.Attempts)
		if ans.canceled {
			cr.Outcome, cr.Error, cr.Message = CallCanceled, ErrCanceled, ans.msg
			return
		}
		cr.Status, cr.MarketplaceCode, cr.Error, cr.Message = ans.status, ans.verdict.Code, ans.code, ans.msg
		if ans.err == nil && ans.code == "" {
			cr.Message = ans.verdict.Message
			switch ans.verdict.Outcome {
			case engine.VerdictSuccess:
				cr.Outcome, cr.MarketplaceCode, cr.Message = CallSuccess, "", ""
				s.confirm(ctx, call, auth, cr)
				return
			case engine.VerdictFail:
				cr.Outcome = CallRefused
				return
			}
		} else if !ans.retryable {
			cr.Outcome = CallFailed
			return
		}
		// A retry: the verdict said so, or the failure is passing.
		delay := s.backoff(pol, cr.Attempts, ans.retryAfter)
		if cr.Attempts >= pol.MaxAttempts || s.now().Add(delay).Sub(start) > pol.MaxElapsed {
			cr.Outcome = CallFailed
			if cr.Error == "" {
				cr.Error = ErrRetriesExhausted
			}
			return
		}
		if err := s.sleep(ctx, delay); err != nil {
			cr.Outcome, cr.Error, cr.Message = CallCanceled, ErrCanceled, cancelMessage(err)
			return
		}
	}
}

func cancelMessage(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the delivery's deadline passed"
	}
	return "the delivery was canceled"
}
