package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/lang"
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
}

// Judge reads an HTTP answer to the call with the mapping's response rules:
// the call's own rules first, then the mapping's, field by field; without
// rules a 2xx is a success and 429 or 5xx is worth a retry. An error means
// a rule failed to run (a mapping problem). Safe for concurrent use.
func (c *Call) Judge(status int, header http.Header, body []byte) (Verdict, error) {
	env := responseEnv(status, header, body)
	rules := c.rules()
	ok, err := evalBool(rules.success, env, status >= 200 && status < 300)
	if err != nil || ok {
		return Verdict{Outcome: VerdictSuccess}, err
	}
	retry, err := evalBool(rules.retry, env, status == http.StatusTooManyRequests || status >= 500)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Outcome: VerdictFail}
	if retry {
		v.Outcome = VerdictRetry
	}
	if v.Code, err = evalText(rules.errorCode, env, ""); err != nil {
		return v, err
	}
	v.Message, err = evalText(rules.errorMessage, env, snippet(body))
	return v, err
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

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
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
