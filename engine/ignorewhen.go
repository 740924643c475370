package engine

import (
	"fmt"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
)

// ignoreCond is one entry of a rule's ignoreWhen: when it holds, the event
// is ignored with the rendered reason.
type ignoreCond struct {
	index  int
	when   *lang.Program
	reason *tmpl
	pos    diag.Pos // the entry's when
}

// IgnoreWhenTrace is one ignoreWhen entry of the rule as evaluated, in
// order. Held is true for the entry that ignored the event (the last one
// traced); Reason is then its rendered reason. Entries after the one that
// held are not evaluated and not traced.
type IgnoreWhenTrace struct {
	// Index is the entry's position in ignoreWhen, from 0.
	Index  int      `json:"index"`
	Expr   string   `json:"expr"`
	Value  *bool    `json:"value,omitempty"`
	Source diag.Pos `json:"source"`
	Error  string   `json:"error,omitempty"`
	Held   bool     `json:"held,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

// compileIgnoreWhen compiles a rule's ignoreWhen entries. A rule with a
// fixed ignore ignores every event already, so lint warns that they are
// never used.
func (mk *compiledMapping) compileIgnoreWhen(c *compiler, r *mapping.EventRule, ru *rule, ptr string) {
	if len(r.IgnoreWhen) == 0 {
		return
	}
	if r.Ignore != "" {
		pos, _ := c.file.KeyPos(ptr + "/ignoreWhen")
		c.ds = append(c.ds, diag.Diagnostic{Pos: pos, Severity: diag.Warning, Code: diag.UnusedIgnoreWhen,
			Message: "ignoreWhen is never used: the rule ignores every event with ignore; remove ignoreWhen, or replace ignore with calls or unsupported"})
	}
	for i := range r.IgnoreWhen {
		e := &r.IgnoreWhen[i]
		ic := &ignoreCond{index: i, pos: c.file.PosOf(fmt.Sprintf("%s/ignoreWhen/%d/when", ptr, i))}
		if e.When.Node != nil {
			ic.when = c.expr(e.When.Node, lang.Options{Bool: true})
		}
		if e.Reason.Kind != 0 {
			ic.reason = c.template(&e.Reason)
		}
		if ic.when != nil && ic.reason != nil {
			ru.ignoreWhen = append(ru.ignoreWhen, ic)
		}
	}
}

// checkIgnoreWhen runs the rule's ignoreWhen entries in order and returns
// the rendered reason of the first that holds (ok true), or ok false when
// none does. The error is the one a guard condition would give (a field
// read that is absent: missing_field), or the reason's.
func (mk *compiledMapping) checkIgnoreWhen(r *renderer, ru *rule) (reason string, ok bool, err error) {
	for _, ic := range ru.ignoreWhen {
		held, err := r.runBool(ic.when)
		if err != nil || !held {
			r.trace.ignoreWhen(ic, held, err, "")
			if err != nil {
				return "", false, err
			}
			continue
		}
		s, err := r.renderString(ic.reason)
		if err != nil {
			r.trace.ignoreWhen(ic, true, err, "")
			return "", false, err
		}
		s = strings.Clone(s)
		r.trace.ignoreWhen(ic, true, nil, s)
		return s, true, nil
	}
	return "", false, nil
}

// applyIgnoreWhen answers a rule with ignoreWhen: done is true when the
// event is ignored (res is the ignore result), when the rule is
// unsupported for the events no entry ignores (err is the refusal), or
// when an entry fails (res nil). Otherwise the rule goes on to its guards.
func (mk *compiledMapping) applyIgnoreWhen(r *renderer, ru *rule, res *Result, eventID string) (*Result, bool, error) {
	reason, ok, err := mk.checkIgnoreWhen(r, ru)
	switch {
	case err != nil:
		return nil, true, err
	case ok:
		res.EventID = strings.Clone(eventID)
		res.Outcome, res.Reason = OutcomeIgnore, reason
		return res, true, nil
	case ru.unsupported != "":
		res.EventID = strings.Clone(eventID)
		return res, true, unsupportedError(ru)
	}
	return nil, false, nil
}

// unsupportedError is the refusal of an unsupported rule.
func unsupportedError(ru *rule) *Error {
	return &Error{Kind: KindUnsupported, Code: CodeUnsupported, Path: "/type", Source: ru.pos, Message: ru.unsupported}
}

// ignoreWhen records one evaluated ignoreWhen entry: held with the
// rendered reason, not held, or an error.
func (t *tracer) ignoreWhen(ic *ignoreCond, held bool, err error, reason string) {
	if t == nil {
		return
	}
	it := IgnoreWhenTrace{Index: ic.index, Expr: strings.TrimSpace(ic.when.Source().Text), Source: ic.when.Source().Pos}
	if err != nil && !held {
		it.Error = err.Error()
	} else {
		it.Value = &held
		it.Held = held && err == nil
		it.Reason = reason
		if err != nil {
			it.Error = err.Error()
		}
	}
	t.ex.IgnoreWhen = append(t.ex.IgnoreWhen, it)
}
