package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/diag"
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
	rules := c.rules()
	env := c.answerEnv(status, header, body, rules.success, rules.retry, rules.errorCode, rules.errorMessage, rules.alreadyApplied)
	ok, err := evalBool(rules.success, env, status >= 200 && status < 300)
	if err != nil || ok {
		return Verdict{Outcome: VerdictSuccess}, err
	}
	if rules.alreadyApplied != nil {
		if done, err := evalBool(rules.alreadyApplied, env, false); err != nil || done {
			v := Verdict{Outcome: VerdictSuccess, AlreadyApplied: done}
			if err == nil {
				v.Code, v.Message, err = explain(rules, env, body)
			}
			return v, err
		}
	}
	retry, err := evalBool(rules.retry, env, status == http.StatusTooManyRequests || status >= 500)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Outcome: VerdictFail}
	if retry {
		v.Outcome = VerdictRetry
	}
	v.Code, v.Message, err = explain(rules, env, body)
	return v, err
}

// explain extracts the marketplace's code and message from an answer.
func explain(rules respPlan, env *lang.Response, body []byte) (code, msg string, err error) {
	if code, err = evalText(rules.errorCode, env, ""); err != nil {
		return code, "", err
	}
	msg, err = evalText(rules.errorMessage, env, strings.TrimSpace(string(body)))
	return code, msg, err
}

// TellsRepeat reports whether the mapping says how the marketplace answers
// a repeat of this call's change (response.alreadyApplied), so that sending
// it again after a lost answer cannot apply it twice unnoticed.
func (c *Call) TellsRepeat() bool { return c.rules().alreadyApplied != nil }

// Idempotent reports whether sending the call twice has the effect of
// sending it once, by its HTTP method: GET, HEAD, OPTIONS, PUT, DELETE.
func (c *Call) Idempotent() bool {
	switch c.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// answerEnv is what rules about an answer to c see. The call's body is
// decoded only when one of the rules that will run reads request.
func (c *Call) answerEnv(status int, header http.Header, body []byte, rules ...*lang.Program) *lang.Response {
	env := responseEnv(status, header, body)
	env.LeadsTo = c.MarketplaceStatus
	env.Request = lang.Request{Method: c.Method, URL: c.URL}
	var doc any
	if len(c.Body) > 0 && readsRequest(rules) && json.Unmarshal(c.Body, &doc) == nil {
		env.Request.Body = doc
	}
	return env
}

// readsRequest reports whether a rule's source names request.
func readsRequest(rules []*lang.Program) bool {
	for _, p := range rules {
		if p != nil && strings.Contains(p.Source().Text, "request") {
			return true
		}
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
	q := c.market.queries[c.rbPlan.query]
	return &ReadBack{applied: c.rbPlan.applied, Query: Call{Name: q.name, Method: q.method, URL: c.rbURL,
		Headers: c.rbHeaders, Body: c.rbBody, plan: q, market: c.market}}
}

// Applied reports whether an answer of the read-back query shows the
// change call makes. The applied rule sees the query's answer (status,
// headers, body) with call's leadsTo and request. Safe for concurrent use.
func (rb *ReadBack) Applied(call *Call, status int, header http.Header, body []byte) (bool, error) {
	return evalBool(rb.applied, call.answerEnv(status, header, body, rb.applied), false)
}

// rules merges the call's response rules over the mapping's.
func (c *Call) rules() respPlan {
	var out respPlan
	for _, r := range []*respPlan{c.market.response, c.plan.response} {
		if r == nil {
			continue
		}
		out.success = pick(r.success, out.success)
		out.retry = pick(r.retry, out.retry)
		out.errorCode = pick(r.errorCode, out.errorCode)
		out.errorMessage = pick(r.errorMessage, out.errorMessage)
		out.alreadyApplied = pick(r.alreadyApplied, out.alreadyApplied)
	}
	return out
}

func pick(p, fallback *lang.Program) *lang.Program {
	if p != nil {
		return p
	}
	return fallback
}

func responseEnv(status int, header http.Header, body []byte) *lang.Response {
	env := &lang.Response{Status: status, Headers: map[string]string{}}
	for k, v := range header {
		env.Headers[k] = strings.Join(v, ", ")
	}
	var doc any
	if len(body) > 0 && json.Unmarshal(body, &doc) == nil {
		env.Body = doc
	} else {
		env.Body = string(body)
	}
	return env
}

// runRule runs a response rule, naming the rule's position on failure.
func runRule(p *lang.Program, env *lang.Response) (any, error) {
	v, err := p.Run(env)
	if err != nil {
		return nil, fmt.Errorf("response rule at %s: %w", p.Source().Pos, err)
	}
	return v, nil
}

func evalBool(p *lang.Program, env *lang.Response, def bool) (bool, error) {
	if p == nil {
		return def, nil
	}
	v, err := runRule(p, env)
	b, _ := v.(bool)
	return b, err
}

func evalText(p *lang.Program, env *lang.Response, def string) (string, error) {
	if p == nil {
		return def, nil
	}
	v, err := runRule(p, env)
	if err != nil {
		return def, err
	}
	switch x := v.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case float64:
		return strconv.FormatFloat(x, 'f', 0, 64), nil
	case int, int64, bool:
		return fmt.Sprint(x), nil
	}
	return def, nil // nothing usable: fall back
}

// Marketplace is the id of the mapping the call comes from.
func (c *Call) Marketplace() string { return c.market.id }

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
	return c.market.id + " " + c.Method + " " + b.String()
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
	return evalBool(cf.until, responseEnv(status, header, body), false)
}

func (mk *market) buildConfirmation(r *renderer, cp *confirmPlan, base string) (*Confirmation, error) {
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
