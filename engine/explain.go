package engine

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
)

// Explanation shows how an event was translated: which mapping rule applied,
// each guard and condition with its value and position, each output field
// with the expression and value it came from, and the result or error.
type Explanation struct {
	Marketplace string   `json:"marketplace,omitempty"`
	Mapping     string   `json:"mapping,omitempty"`
	EventType   string   `json:"eventType,omitempty"`
	Rule        diag.Pos `json:"rule,omitzero"`
	// IgnoreWhen are the rule's ignoreWhen entries evaluated, in order;
	// the last one has Held true when it ignored the event. Empty when
	// the rule has none or none was reached.
	IgnoreWhen []IgnoreWhenTrace `json:"ignoreWhen,omitempty"`
	Guards     []GuardTrace      `json:"guards"`
	Calls      []CallTrace       `json:"calls"`
	Result     *Result           `json:"result,omitempty"`
	Error      *Error            `json:"error,omitempty"`
}

// GuardTrace is one guard (or a call's when condition) as evaluated. A
// guard whose own when condition is false is skipped: Skipped is true,
// Value is nil and When holds the condition.
type GuardTrace struct {
	Code   string   `json:"code"`
	Expr   string   `json:"expr"`
	Value  *bool    `json:"value,omitempty"`
	Source diag.Pos `json:"source"`
	Error  string   `json:"error,omitempty"`
	// When is the guard's when condition, when it has one.
	When *GuardTrace `json:"when,omitempty"`
	// Skipped is true when the guard's when condition is false (or could
	// not be evaluated: When.Error says why), so the guard was not checked.
	Skipped bool `json:"skipped,omitempty"`
}

// CallTrace is one call of the rule: whether it was made and from what.
type CallTrace struct {
	Name       string           `json:"name"`
	Source     diag.Pos         `json:"source"`
	When       *GuardTrace      `json:"when,omitempty"`
	Transition *TransitionTrace `json:"transition,omitempty"`
	Made       bool             `json:"made"`
	Fields     []FieldTrace     `json:"fields"`
	Request    *Call            `json:"request,omitempty"`
}

// TransitionTrace is the status move a call makes.
type TransitionTrace struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
}

// FieldTrace is one output value and where it came from.
type FieldTrace struct {
	// Location is where the value went: path, query.NAME, headers.NAME, body.a.b.
	Location string `json:"location"`
	// Expr is the template expression; empty for a literal.
	Expr    string          `json:"expr,omitempty"`
	Reads   []string        `json:"reads,omitempty"`
	Value   json.RawMessage `json:"value,omitempty"`
	Omitted bool            `json:"omitted,omitempty"`
	Source  diag.Pos        `json:"source"`
}

// Explain translates an event as Translate does and reports how. The error
// is returned only for problems before a mapping was chosen (invalid event,
// unknown marketplace); other refusals are in Explanation.Error.
func (e *Engine) Explain(raw []byte, o TranslateOptions) (*Explanation, error) {
	tr := &tracer{ex: &Explanation{Guards: []GuardTrace{}, Calls: []CallTrace{}}}
	res, mk, err := e.translate(raw, o, tr, nil)
	if mk == nil {
		return nil, err
	}
	tr.ex.Marketplace, tr.ex.Mapping = mk.id, mk.path
	tr.ex.Result = res
	var te *Error
	if errors.As(err, &te) {
		tr.ex.Error = te
	} else if err != nil {
		return nil, err
	}
	return tr.ex, nil
}

// tracer records a translation for Explain. All methods accept a nil
// receiver, so translation code calls them unconditionally.
type tracer struct {
	ex   *Explanation
	call *CallTrace
}

func (t *tracer) rule(ru *rule) {
	if t == nil {
		return
	}
	t.ex.EventType, t.ex.Rule = ru.eventType, ru.pos
}

func (t *tracer) guard(g *guard, ok bool, err error) {
	if t == nil {
		return
	}
	gt := condTrace(g.code, g.prog, ok, err)
	if g.when != nil {
		w := condTrace("when", g.when, true, nil)
		gt.When = &w
	}
	t.ex.Guards = append(t.ex.Guards, gt)
}

// guardWhen records a guard skipped because its when condition is false,
// or could not be evaluated (err).
func (t *tracer) guardWhen(g *guard, ok bool, err error) {
	if t == nil {
		return
	}
	gt := GuardTrace{Code: g.code, Expr: strings.TrimSpace(g.prog.Source().Text), Source: g.prog.Source().Pos, Skipped: true}
	w := condTrace("when", g.when, ok, err)
	gt.When = &w
	t.ex.Guards = append(t.ex.Guards, gt)
}

func condTrace(code string, p *lang.Program, ok bool, err error) GuardTrace {
	gt := GuardTrace{Code: code, Expr: strings.TrimSpace(p.Source().Text), Source: p.Source().Pos}
	if err != nil {
		gt.Error = err.Error()
	} else {
		gt.Value = &ok
	}
	return gt
}

func (t *tracer) when(cp *callPlan, ok bool, err error) {
	if t == nil {
		return
	}
	ct := CallTrace{Name: cp.name, Source: cp.pos, Fields: []FieldTrace{}}
	w := condTrace("when", cp.when, ok, err)
	ct.When = &w
	t.ex.Calls = append(t.ex.Calls, ct)
	t.call = &t.ex.Calls[len(t.ex.Calls)-1]
}

func (t *tracer) transition(cp *callPlan, from string, allowed bool) {
	if t == nil {
		return
	}
	t.current(cp).Transition = &TransitionTrace{From: from, To: cp.leadsTo, Allowed: allowed}
}

// current returns the trace of the call being built, starting one if the
// call had no condition.
func (t *tracer) current(cp *callPlan) *CallTrace {
	if t.call == nil || t.call.Name != cp.name || t.call.Made || t.call.Request != nil {
		t.ex.Calls = append(t.ex.Calls, CallTrace{Name: cp.name, Source: cp.pos, Fields: []FieldTrace{}})
		t.call = &t.ex.Calls[len(t.ex.Calls)-1]
	}
	return t.call
}

func (t *tracer) startCall(cp *callPlan) {
	if t == nil {
		return
	}
	t.current(cp)
}

func (t *tracer) endCall(c Call) {
	if t == nil {
		return
	}
	req := c
	t.call.Made = true
	t.call.Request = &req
}

func (t *tracer) pathValue(p *lang.Program, s string) {
	if t == nil || t.call == nil {
		return
	}
	v, _ := marshalString(s)
	t.call.Fields = append(t.call.Fields, FieldTrace{Location: "path", Expr: p.Source().Text, Reads: readNames(p), Value: v, Source: p.Source().Pos})
}

func (t *tracer) field(where []string, tm *tmpl, v any) {
	if t.call == nil {
		return
	}
	ft := FieldTrace{Location: strings.Join(where, "."), Source: tm.pos}
	switch tm.kind {
	case tExpr:
		ft.Expr, ft.Reads, ft.Source = tm.prog.Source().Text, readNames(tm.prog), tm.prog.Source().Pos
	case tInterp:
		ft.Expr = interpText(tm)
		for _, p := range tm.parts {
			if p.prog != nil {
				ft.Reads = append(ft.Reads, readNames(p.prog)...)
			}
		}
	}
	switch x := v.(type) {
	case json.RawMessage:
		ft.Value = x
	case string:
		ft.Value, _ = marshalString(x)
	}
	t.call.Fields = append(t.call.Fields, ft)
}

func (t *tracer) omitted(where []string, pos diag.Pos) {
	if t.call == nil {
		return
	}
	t.call.Fields = append(t.call.Fields, FieldTrace{Location: strings.Join(where, "."), Omitted: true, Source: pos})
}

func readNames(p *lang.Program) []string {
	var out []string
	for _, r := range p.Reads() {
		out = append(out, r.String())
	}
	return out
}

func interpText(tm *tmpl) string {
	var b strings.Builder
	for _, p := range tm.parts {
		if p.prog == nil {
			b.WriteString(p.text)
		} else {
			b.WriteString("${" + p.prog.Source().Text + "}")
		}
	}
	return b.String()
}
