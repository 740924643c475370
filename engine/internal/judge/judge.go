// Package judge reads a marketplace's answer to a call with the mapping's
// response rules: a success, a failure worth a retry or one for good, the
// marketplace's own code and message, a change it had already applied. It
// is the last stage of the pipeline: it sees compiled rules and answers,
// never the mapping file or the event.
//
// Everything here is safe for concurrent use: rules are immutable programs
// and each call builds its own environment.
package judge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/internal/lang"
)

// Rules are a call's response rules; a nil rule is not given.
type Rules struct {
	Success, Retry, ErrorCode, ErrorMessage, AlreadyApplied *lang.Program
}

// Merge returns the rules of the layers, field by field, a later layer's
// rule taking the place of an earlier one's (the mapping's, then the
// call's). A nil layer gives nothing.
func Merge(layers ...*Rules) Rules {
	var out Rules
	for _, r := range layers {
		if r == nil {
			continue
		}
		out.Success = pick(r.Success, out.Success)
		out.Retry = pick(r.Retry, out.Retry)
		out.ErrorCode = pick(r.ErrorCode, out.ErrorCode)
		out.ErrorMessage = pick(r.ErrorMessage, out.ErrorMessage)
		out.AlreadyApplied = pick(r.AlreadyApplied, out.AlreadyApplied)
	}
	return out
}

func pick(p, fallback *lang.Program) *lang.Program {
	if p != nil {
		return p
	}
	return fallback
}

// Answer is one HTTP answer of the marketplace.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Request is the call an answer is to, as rules see it (request.method,
// request.url, request.body and leadsTo).
type Request struct {
	Method, URL, LeadsTo string
	Body                 []byte
}

// Outcomes of a verdict.
const (
	Success = "success" // the call did what it should
	Retry   = "retry"   // a passing failure: try again later
	Fail    = "fail"    // refused for good: do not retry
)

// Verdict is an answer as the rules read it.
type Verdict struct {
	Outcome        string
	Code, Message  string
	AlreadyApplied bool
}

// Judge reads an answer with rules: without rules a 2xx is a success and
// 429 or 5xx is worth a retry. An answer that is not a success but
// satisfies AlreadyApplied is a success with AlreadyApplied set. The error
// is a rule that failed to run, named by its position.
func Judge(rules Rules, req Request, ans Answer) (Verdict, error) {
	env := requestEnv(req, ans, rules.Success, rules.Retry, rules.ErrorCode, rules.ErrorMessage, rules.AlreadyApplied)
	ok, err := evalBool(rules.Success, env, ans.Status >= 200 && ans.Status < 300)
	if err != nil || ok {
		return Verdict{Outcome: Success}, err
	}
	if rules.AlreadyApplied != nil {
		if done, err := evalBool(rules.AlreadyApplied, env, false); err != nil || done {
			v := Verdict{Outcome: Success, AlreadyApplied: done}
			if err == nil {
				v.Code, v.Message, err = explain(rules, env, ans.Body)
			}
			return v, err
		}
	}
	retry, err := evalBool(rules.Retry, env, ans.Status == http.StatusTooManyRequests || ans.Status >= 500)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Outcome: Fail}
	if retry {
		v.Outcome = Retry
	}
	v.Code, v.Message, err = explain(rules, env, ans.Body)
	return v, err
}

// HoldsFor reports whether rule holds for an answer to req (a read-back's
// applied rule), def when there is no rule.
func HoldsFor(rule *lang.Program, req Request, ans Answer, def bool) (bool, error) {
	return evalBool(rule, requestEnv(req, ans, rule), def)
}

// Holds reports whether rule holds for an answer alone (a confirmation's
// until, a token's rejectedWhen), def when there is no rule.
func Holds(rule *lang.Program, ans Answer, def bool) (bool, error) {
	return evalBool(rule, answerEnv(ans), def)
}

// explain extracts the marketplace's code and message from an answer.
func explain(rules Rules, env *lang.Response, body []byte) (code, msg string, err error) {
	if code, err = evalText(rules.ErrorCode, env, ""); err != nil {
		return code, "", err
	}
	msg, err = evalText(rules.ErrorMessage, env, strings.TrimSpace(string(body)))
	return code, msg, err
}

// requestEnv is what rules about an answer to req see. The request's body
// is decoded only when one of the rules that will run reads request.
func requestEnv(req Request, ans Answer, rules ...*lang.Program) *lang.Response {
	env := answerEnv(ans)
	env.LeadsTo = req.LeadsTo
	env.Request = lang.Request{Method: req.Method, URL: req.URL}
	var doc any
	if len(req.Body) > 0 && readsRequest(rules) && json.Unmarshal(req.Body, &doc) == nil {
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

func answerEnv(ans Answer) *lang.Response {
	env := &lang.Response{Status: ans.Status, Headers: map[string]string{}}
	for k, v := range ans.Header {
		env.Headers[k] = strings.Join(v, ", ")
	}
	var doc any
	if len(ans.Body) > 0 && json.Unmarshal(ans.Body, &doc) == nil {
		env.Body = doc
	} else {
		env.Body = string(ans.Body)
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
