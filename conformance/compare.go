package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// compare checks an outcome against the case's expectation and returns nil
// when it holds, else the difference and the mapping rule involved.
func compare(m *mappingUnit, c *caseSpec, o outcome) *Failure {
	act := actualDoc(o)
	proj := project(c.expect, act, c.subset)
	if equalJSON(any(c.expect), any(proj)) {
		return nil
	}
	at := firstDiff(c.expect, proj, nil)
	f := &Failure{
		Message: describe(c.expect, act, at),
		Source:  ruleSource(m, c, o, at),
		Diff:    lineDiff(prettyJSON(c.expect), prettyJSON(proj)),
	}
	f.Expected, _ = marshalJSON(c.expect)
	f.Actual, _ = marshalJSON(act)
	return f
}

// project cuts the actual outcome down to what the expectation compares:
// the same top-level keys, the call fields given, and (subset) the keys
// given. When the outcome is of another kind, all of it is kept.
func project(exp, act map[string]any, subset bool) map[string]any {
	out := map[string]any{}
	for k, e := range exp {
		if a, ok := act[k]; ok {
			out[k] = projectKey(k, e, a, subset)
		}
	}
	if len(out) == 0 {
		return act
	}
	return out
}

func projectKey(key string, e, a any, subset bool) any {
	switch key {
	case "calls":
		return projectList(e, a, func(e, a any) any { return projectFields(e, a, subset, "headers", "body") })
	case "ignore":
		return projectIgnore(e, a)
	case "error":
		return projectFields(e, a, false)
	case "response":
		return projectFields(e, a, subset, "body")
	case "events":
		return projectList(e, a, func(e, a any) any { return projectValue(e, a, subset) })
	}
	return a
}

// projectFields keeps the fields of a that e gives; the fields named in
// deep are compared whole, or as a subset when subset is set.
func projectFields(e, a any, subset bool, deep ...string) any {
	em, ok1 := e.(map[string]any)
	am, ok2 := a.(map[string]any)
	if !ok1 || !ok2 {
		return a
	}
	out := map[string]any{}
	for k := range em {
		v, ok := am[k]
		if !ok {
			continue
		}
		if subset && slices.Contains(deep, k) {
			v = projectValue(em[k], v, true)
		}
		if k == "parts" && slices.Contains(deep, "body") {
			v = projectParts(em[k], v, subset)
		}
		out[k] = v
	}
	return out
}

// projectValue is a itself, or with subset the part of a that e gives:
// the keys of e (recursively), array elements pairwise.
func projectValue(e, a any, subset bool) any {
	if !subset {
		return a
	}
	switch ev := e.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			return a
		}
		out := map[string]any{}
		for k, x := range ev {
			if v, ok := am[k]; ok {
				out[k] = projectValue(x, v, true)
			}
		}
		return out
	case []any:
		return projectList(ev, a, func(e, a any) any { return projectValue(e, a, true) })
	}
	return a
}

func projectList(e, a any, f func(e, a any) any) any {
	el, ok1 := e.([]any)
	al, ok2 := a.([]any)
	if !ok1 || !ok2 {
		return a
	}
	out := make([]any, len(al))
	for i, x := range al {
		out[i] = x
		if i < len(el) {
			out[i] = f(el[i], x)
		}
	}
	return out
}

// projectIgnore: ignore: true holds for any reason; ignore: "text" when the
// reason contains the text.
func projectIgnore(e, a any) any {
	reason, _ := a.(string)
	if e == true {
		return true
	}
	if s, ok := e.(string); ok && strings.Contains(reason, s) {
		return s
	}
	return reason
}

// firstDiff returns the path to the first difference between e and a, in
// sorted key order.
func firstDiff(e, a any, at []string) []string {
	switch ev := e.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			return at
		}
		for _, k := range unionKeys(ev, am) {
			if !equalJSON(ev[k], am[k]) {
				return firstDiff(ev[k], am[k], append(at, k))
			}
		}
	case []any:
		al, ok := a.([]any)
		if !ok || len(al) != len(ev) {
			return at
		}
		for i := range ev {
			if !equalJSON(ev[i], al[i]) {
				return firstDiff(ev[i], al[i], append(at, strconv.Itoa(i)))
			}
		}
	}
	return at
}

func unionKeys(a, b map[string]any) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// describe says in one line what differs.
func describe(exp, act map[string]any, at []string) string {
	want, got := kindOf(exp), kindOf(act)
	if want != got {
		return fmt.Sprintf("expected %s, got %s", want, summary(act))
	}
	if len(at) == 1 && at[0] == "calls" {
		return fmt.Sprintf("expected %d call(s), got %d", lenOf(exp["calls"]), lenOf(act["calls"]))
	}
	if len(at) == 1 && at[0] == "events" {
		return fmt.Sprintf("expected %d event(s), got %d", lenOf(exp["events"]), lenOf(act["events"]))
	}
	return fmt.Sprintf("%s differs", pathString(at))
}

func kindOf(d map[string]any) string {
	for _, k := range []string{"calls", "ignore", "error", "events", "response"} {
		if _, ok := d[k]; ok {
			return k
		}
	}
	return "nothing"
}

func summary(act map[string]any) string {
	switch kindOf(act) {
	case "error":
		e := act["error"].(map[string]any)
		return fmt.Sprintf("error %v/%v: %v", e["kind"], e["code"], e["message"])
	case "ignore":
		return fmt.Sprintf("ignore (%v)", act["ignore"])
	case "calls":
		return fmt.Sprintf("send (%d call(s))", lenOf(act["calls"]))
	}
	return fmt.Sprintf("%d event(s)", lenOf(act["events"]))
}

func lenOf(v any) int {
	l, _ := v.([]any)
	return len(l)
}

// pathString renders a path as calls[0].body.invoice.key.
func pathString(at []string) string {
	var b strings.Builder
	for _, s := range at {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// ruleSource finds the mapping rule behind a difference: the error's source,
// else the body field, call or rule the explanation traced.
func ruleSource(m *mappingUnit, c *caseSpec, o outcome, at []string) diag.Pos {
	var e *engine.Error
	if errors.As(o.err, &e) && !e.Source.IsZero() {
		return e.Source
	}
	if o.ex == nil {
		if c.inbound != nil {
			return m.pos(engine.JSONPointer("inbound", c.inbound.route))
		}
		return diag.Pos{}
	}
	if len(at) >= 2 && at[0] == "calls" {
		i, _ := strconv.Atoi(at[1])
		if ct := madeCall(o.ex, i); ct != nil {
			return fieldSource(ct, strings.Join(at[2:], "."))
		}
	}
	return o.ex.Rule
}

func madeCall(ex *engine.Explanation, i int) *engine.CallTrace {
	n := 0
	for k := range ex.Calls {
		if !ex.Calls[k].Made {
			continue
		}
		if n == i {
			return &ex.Calls[k]
		}
		n++
	}
	return nil
}

// fieldSource is the position of the traced field nearest to location
// (body.invoice.key), else the call's.
func fieldSource(ct *engine.CallTrace, location string) diag.Pos {
	best, bestLen := ct.Source, 0
	for _, f := range ct.Fields {
		l := f.Location
		switch {
		case l == location || strings.HasPrefix(location, l+"."):
			if len(l) > bestLen {
				best, bestLen = f.Source, len(l)
			}
		case strings.HasPrefix(l, location+".") && bestLen == 0:
			best, bestLen = f.Source, 1
		}
	}
	return best
}
