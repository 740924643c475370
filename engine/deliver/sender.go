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
	"github.com/rotahq/rota/engine/internal/timer"
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
	// Client sends the requests. Default: NewClient's, shared by Senders: it
	// does not follow redirects (credentials are never sent to a host the
	// call did not name) and keeps idle connections per host.
	Client *http.Client
	// Secrets gives secret values (default EnvSecrets).
	Secrets Secrets
	// Store remembers delivered events (default a MemoryStore of this Sender).
	Store Store
	// Tokens keeps the token pairs of oauth2-authorization-code schemes,
	// shared by every Sender of the marketplace (a FileTokenStore for the
	// CLI, the database for rota serve). Required by those schemes only.
	Tokens TokenStore
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

// DefaultMaxIdleConnsPerHost is how many idle connections the default
// client keeps open per host, ready for the next call. net/http keeps 2,
// which makes concurrent senders to one marketplace open a new connection
// (and TLS session) for most calls.
const DefaultMaxIdleConnsPerHost = 64

var defaultClient = NewClient()

// NewClient returns the client a Sender uses when Client is nil: it does
// not follow redirects (credentials are never sent to a host the call did
// not name), and its transport (http.DefaultTransport's settings otherwise)
// keeps up to DefaultMaxIdleConnsPerHost idle connections per host. A
// service that sets Sender.Client should start from it. Safe for
// concurrent use.
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.MaxIdleConns = max(t.MaxIdleConns, 4*DefaultMaxIdleConnsPerHost)
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
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
	return timer.Sleep(ctx, d)
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
	return s.send(ctx, res, false)
}

// Resend delivers res as Send does, for an event whose earlier delivery
// may have sent some of its calls without seeing their answers (the
// process stopped during it): each call that is not idempotent is in doubt
// from its first attempt, so it is read back first, or sent only when the
// mapping recognizes a repeat (response.alreadyApplied), and otherwise
// reported CallUnknown without being sent. Errors are Send's.
func (s *Sender) Resend(ctx context.Context, res *engine.Result) (*Report, error) {
	return s.send(ctx, res, true)
}

func (s *Sender) send(ctx context.Context, res *engine.Result, resumed bool) (*Report, error) {
	rep := newReport(res)
	if res.Outcome != engine.OutcomeSend || len(res.Calls) == 0 {
		rep.Outcome, rep.Reason = Ignored, res.Reason
		if rep.Reason == "" {
			rep.Reason = "the translation has no call to make"
		}
		return rep, nil
	}
	if err := CheckBaseURL(s.BaseURL); err != nil {
		return nil, err
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
		s.deliverCall(ctx, &res.Calls[i], auth, cr, resumed)
		if cr.Outcome != CallSuccess || (cr.Confirmed != nil && !*cr.Confirmed) {
			break
		}
	}
	secrets := auth.secretValues()
	scrubCalls(rep, secrets)
	summarize(rep)
	scrubReason(rep, secrets)
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
//
// Once an attempt may have reached the marketplace without a usable answer
// (the answer was lost, or a gateway said it lost it: answer.inDoubt), a
// call that is not idempotent is never sent blindly again: the mapping's
// read-back is asked first (applied: delivered; not applied: sent again),
// or, without one, the call is sent again only when the mapping's
// alreadyApplied rule recognizes the marketplace's answer to a repeat.
// Otherwise the call's outcome is CallUnknown.
func (s *Sender) deliverCall(ctx context.Context, call *engine.Call, auth authorizer, cr *CallReport, resumed bool) {
	pol := s.Retry.withDefaults()
	start := s.now()
	var doubt *answer // the last attempt that may have been applied
	if resumed {
		doubt = &answer{resumed: true}
	}
	for {
		var ans answer
		asked := false
		if doubt != nil && !call.Idempotent() {
			switch rb := call.ReadBack(); {
			case rb != nil:
				var applied bool
				ans, applied = s.readBack(ctx, call, rb, auth, cr)
				if ans.canceled {
					cr.Outcome, cr.Error, cr.Message = CallUnknown, ErrCanceled, unknownMessage(doubt, "the run was interrupted before the read-back answered")
					return
				}
				if applied {
					cr.Outcome, cr.ConfirmedBy, cr.Error, cr.Message, cr.MarketplaceCode = CallSuccess, ConfirmedByReadBack, "", "", ""
					s.confirm(ctx, call, auth, cr)
					return
				}
				asked = ans.code != "" || ans.err != nil // no usable read-back answer: wait, then ask again
			case !call.TellsRepeat():
				cr.Outcome = CallUnknown
				cr.Message = unknownMessage(doubt, "the mapping declares no readBack and no alreadyApplied rule, so it was not sent again; check the order at the marketplace")
				return
			}
		}
		if !asked {
			ans = s.try(ctx, call, auth, &cr.Attempts)
			if ans.canceled {
				if ans.written {
					doubt = &ans
				}
				if doubt != nil && !call.Idempotent() {
					cr.Outcome, cr.Error, cr.Message = CallUnknown, ErrCanceled, unknownMessage(doubt, "the run was interrupted while the call was in flight")
					return
				}
				cr.Outcome, cr.Error, cr.Message = CallCanceled, ErrCanceled, ans.msg
				return
			}
			cr.Status, cr.MarketplaceCode, cr.Error, cr.Message = ans.status, ans.verdict.Code, ans.code, ans.msg
			if ans.err == nil && ans.code == "" {
				cr.Message = ans.verdict.Message
				switch ans.verdict.Outcome {
				case engine.VerdictSuccess:
					cr.Outcome, cr.MarketplaceCode, cr.Message = CallSuccess, "", ""
					if ans.verdict.AlreadyApplied {
						cr.ConfirmedBy = ConfirmedByAlreadyApplied
						cr.MarketplaceCode, cr.Message = ans.verdict.Code, ans.verdict.Message
					}
					s.confirm(ctx, call, auth, cr)
					return
				case engine.VerdictFail:
					if doubt != nil && !call.Idempotent() && call.ReadBack() == nil {
						// The repeat was refused, but not as a repeat: the
						// first attempt may still have been applied.
						cr.Outcome = CallUnknown
						cr.Message = unknownMessage(doubt, fmt.Sprintf("the call sent again was refused (HTTP %d: %s), and the mapping's alreadyApplied rule does not read that as a repeat", ans.status, ans.verdict.Message))
						return
					}
					cr.Outcome = CallRefused
					return
				}
			} else if !ans.retryable {
				cr.Outcome = CallFailed
				if doubt != nil && !call.Idempotent() {
					cr.Outcome, cr.Message = CallUnknown, unknownMessage(doubt, "the next attempt failed ("+ans.msg+")")
				}
				return
			}
			if ans.inDoubt() {
				doubt = &ans
			}
		}
		// A retry: the verdict said so, the failure is passing, or the
		// read-back got no answer.
		delay := s.backoff(pol, cr.Attempts+cr.ReadBacks, ans.retryAfter)
		if cr.Attempts+cr.ReadBacks >= pol.MaxAttempts || s.now().Add(delay).Sub(start) > pol.MaxElapsed {
			s.exhausted(call, cr, doubt)
			return
		}
		if err := s.sleep(ctx, delay); err != nil {
			cr.Outcome, cr.Error, cr.Message = CallCanceled, ErrCanceled, cancelMessage(err)
			if doubt != nil {
				cr.Outcome, cr.Message = CallUnknown, unknownMessage(doubt, "the run was interrupted before the call could be checked")
			}
			return
		}
	}
}

// exhausted ends a call whose attempts or time ran out: unknown when an
// attempt may have been applied, else failed.
func (s *Sender) exhausted(call *engine.Call, cr *CallReport, doubt *answer) {
	if doubt != nil && !call.Idempotent() {
		cr.Outcome = CallUnknown
		cr.Message = unknownMessage(doubt, "no later attempt established whether it was applied")
		return
	}
	cr.Outcome = CallFailed
	if cr.Error == "" {
		cr.Error = ErrRetriesExhausted
	}
}

// unknownMessage says why a call's outcome is unknown.
func unknownMessage(doubt *answer, then string) string {
	what := "an attempt got no answer after the request was sent"
	if doubt != nil && doubt.resumed {
		what = "an earlier delivery of the event may have sent it without seeing the answer"
	} else if doubt != nil && doubt.status != 0 {
		what = fmt.Sprintf("an attempt was answered HTTP %d by a gateway that lost the marketplace's answer", doubt.status)
	} else if doubt != nil && doubt.msg != "" {
		what += " (" + doubt.msg + ")"
	}
	return what + ", so the call may or may not have been applied; " + then
}

// readBack sends the call's read-back query once and tells whether its
// answer shows the call's change. An answer without a usable verdict (no
// answer, a retry, a rule error) leaves applied false and is returned with
// its code set, so that the caller asks again later.
func (s *Sender) readBack(ctx context.Context, call *engine.Call, rb *engine.ReadBack, auth authorizer, cr *CallReport) (answer, bool) {
	ans := s.try(ctx, &rb.Query, auth, &cr.ReadBacks)
	if ans.canceled || ans.code != "" {
		return ans, false
	}
	if ans.verdict.Outcome != engine.VerdictSuccess {
		ans.code, ans.msg, ans.retryable = ErrReadBackFailed, fmt.Sprintf("the read-back answered HTTP %d: %s", ans.status, ans.verdict.Message), true
		return ans, false
	}
	applied, err := rb.Applied(call, ans.status, ans.header, ans.body)
	if err != nil {
		ans.code, ans.msg, ans.err = ErrRuleFailed, err.Error(), err
		return ans, false
	}
	return ans, applied
}

func cancelMessage(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the delivery's deadline passed"
	}
	return "the delivery was canceled"
}
