package engine

import (
	"net/http"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/judge"
	"github.com/rotahq/rota/engine/internal/lang"
)

// Verdict outcomes: how a mapping reads one answer of the marketplace.
const (
	VerdictSuccess = "success" // the call did what it should
	VerdictRetry   = "retry"   // a passing failure: try again later
	VerdictFail    = "fail"    // refused for good: do not retry
)

// Verdict is a marketplace answer as the mapping's response rules read it.
type Verdict struct {
	Outcome string
	// Code is the marketplace's own error code, when the rules extract one.
	Code string
	// Message is the marketplace's error message, or the start of the body.
	Message string
	// AlreadyApplied is set, with Outcome VerdictSuccess, when the answer
	// refuses a repeat of a change the marketplace had already made (the
	// mapping's response.alreadyApplied rule): the call counts as
	// delivered. Code and Message then hold the marketplace's words.
	AlreadyApplied bool
}

// Judge reads an HTTP answer to the call with the mapping's response rules:
// the call's own rules first, then the mapping's, field by field; without
// rules a 2xx is a success and 429 or 5xx is worth a retry. An answer that
// is not a success but satisfies the alreadyApplied rule is a success with
// AlreadyApplied set. The rules see the answer (status, headers, body), the
// call's leadsTo and the call itself (request.method, request.url,
// request.body). An error means a rule failed to run (a mapping problem).
// Safe for concurrent use.
func (c *Call) Judge(status int, header http.Header, body []byte) (Verdict, error) {
	return c.JudgeWith(status, header, body, JudgeOptions{})
}

// JudgeOptions adjust Call.JudgeWith.
type JudgeOptions struct {
	// Scrub, when set, is applied to the marketplace's code and message
	// before they are cut to diag.MaxMessageLength, so that a secret the
	// marketplace echoes back is replaced whole, never cut in two with its
	// start left in the message. deliver.Sender scrubs its secrets with it.
	Scrub func(string) string
}

// JudgeWith is Judge with options. Safe for concurrent use when Scrub is.
func (c *Call) JudgeWith(status int, header http.Header, body []byte, opts JudgeOptions) (Verdict, error) {
	v, err := c.judge(status, header, body)
	if opts.Scrub != nil && v.Code+v.Message != "" {
		v.Code, v.Message = opts.Scrub(v.Code), opts.Scrub(v.Message)
	}
	v.Code, v.Message = diag.Truncate(v.Code, diag.MaxMessageLength), diag.Truncate(v.Message, diag.MaxMessageLength)
	return v, err
}

func (c *Call) judge(status int, header http.Header, body []byte) (Verdict, error) {
	v, err := judge.Judge(c.rules(), c.judgeRequest(), judge.Answer{Status: status, Header: header, Body: body})
	return Verdict{Outcome: v.Outcome, Code: v.Code, Message: v.Message, AlreadyApplied: v.AlreadyApplied}, err
}

// judgeRequest is the call as response rules see it.
func (c *Call) judgeRequest() judge.Request {
	return judge.Request{Method: c.Method, URL: c.URL, LeadsTo: c.MarketplaceStatus, Body: c.Body}
}

// TellsRepeat reports whether the mapping says how the marketplace answers
// a repeat of this call's change (response.alreadyApplied), so that sending
// it again after a lost answer cannot apply it twice unnoticed.
func (c *Call) TellsRepeat() bool { return c.rules().AlreadyApplied != nil }

// Idempotent reports whether sending the call twice has the effect of
// sending it once, by its HTTP method: GET, HEAD, OPTIONS, PUT, DELETE.
func (c *Call) Idempotent() bool {
	switch c.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// ReadBack is how to ask the marketplace whether a call took effect: send
// Query (a read of the order) and test its answer with Applied.
type ReadBack struct {
	Query   Call
	applied *lang.Program
}

// ReadBack returns how to read the call's effect back, or nil when the
// mapping declares no readBack for it. Each call makes a new ReadBack.
func (c *Call) ReadBack() *ReadBack {
	if c.rbPlan == nil {
		return nil
	}
	q := c.mapping.queries[c.rbPlan.query]
	return &ReadBack{applied: c.rbPlan.applied, Query: Call{Name: q.name, Method: q.method, URL: c.rbURL,
		Headers: c.rbHeaders, Body: c.rbBody, plan: q, mapping: c.mapping}}
}

// Applied reports whether an answer of the read-back query shows the
// change call makes. The applied rule sees the query's answer (status,
// headers, body) with call's leadsTo and request. Safe for concurrent use.
func (rb *ReadBack) Applied(call *Call, status int, header http.Header, body []byte) (bool, error) {
	return judge.HoldsFor(rb.applied, call.judgeRequest(), judge.Answer{Status: status, Header: header, Body: body}, false)
}

// rules merges the call's response rules over the mapping's.
func (c *Call) rules() judge.Rules { return judge.Merge(c.mapping.response, c.plan.response) }

// Marketplace is the id of the mapping the call comes from.
func (c *Call) Marketplace() string { return c.mapping.id }

// Endpoint identifies the call's endpoint for rate limiting: the
// marketplace, the method and the path as the mapping writes it.
func (c *Call) Endpoint() string {
	var b strings.Builder
	for _, p := range c.plan.path {
		if p.prog != nil {
			b.WriteString("{" + p.prog.Source().Text + "}")
		} else {
			b.WriteString(p.text)
		}
	}
	return c.mapping.id + " " + c.Method + " " + b.String()
}

// RateLimit is the marketplace's declared limit for the call's endpoint.
func (c *Call) RateLimit() (perSecond float64, burst int, ok bool) {
	if c.plan.rateLimit == nil {
		return 0, 0, false
	}
	burst = c.plan.rateLimit.Burst
	if burst < 1 {
		burst = 1
	}
	return c.plan.rateLimit.PerSecond, burst, true
}

// Confirmation describes how to confirm a change the marketplace applies
// asynchronously: send Query until its answer satisfies the mapping's
// condition, at most Attempts times, Interval apart.
type Confirmation struct {
	Query    Call
	Attempts int
	Interval time.Duration
	until    *lang.Program
}

// Confirmation returns how to confirm the call, or nil when the mapping
// asks for no confirmation.
func (c *Call) Confirmation() *Confirmation { return c.confirm }

// Confirmed reports whether a query answer confirms the change.
func (cf *Confirmation) Confirmed(status int, header http.Header, body []byte) (bool, error) {
	return judge.Holds(cf.until, judge.Answer{Status: status, Header: header, Body: body}, false)
}

func (mk *compiledMapping) buildConfirmation(r *renderer, cp *confirmPlan, base string) (*Confirmation, error) {
	q := mk.queries[cp.query]
	saved := r.trace
	r.trace = nil
	call, err := mk.buildCall(r, q, base, false)
	r.trace = saved
	if err != nil {
		return nil, err
	}
	return &Confirmation{Query: call, Attempts: cp.attempts, Interval: cp.interval, until: cp.until}, nil
}
