package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// Names of the checks run against every mapping.
const (
	CheckLint     = "lint"            // the mapping lints clean: no error, no warning
	CheckAnswered = "answered"        // every canonical event type has calls, ignore or unsupported
	CheckSchemas  = "request-schemas" // every call with a body has a request schema, and every body validates
	CheckGuards   = "guards"          // every guard and when condition is found true and false by some case
	CheckCoverage = "coverage"        // every event rule and every call is exercised by some case
	CheckStatuses = "statuses"        // every leadsTo is in the status table and reachable; every move made is allowed
	CheckProperty = "property"        // generated events never panic and end as send, ignore or a typed refusal
	CheckSecrets  = "secrets"         // no secret-looking literal in the mapping file
)

// observations is what running the cases saw of one mapping.
type observations struct {
	// conds counts condition values by condKey: [0] false, [1] true.
	conds map[string]*[2]int
	// calls counts the calls made, by the call's position in the mapping.
	calls map[diag.Pos]int
	// rules counts the cases that reached each event type's rule.
	rules map[string]int
	// problems found while running cases, by check name.
	problems map[string][]Problem
}

func newObservations() *observations {
	return &observations{conds: map[string]*[2]int{}, calls: map[diag.Pos]int{}, rules: map[string]int{}, problems: map[string][]Problem{}}
}

// guardKey names the i-th guard of an event rule; whenKey a call's when
// condition, by the call's position.
func guardKey(typ string, i int) string      { return typ + "|guard|" + strconv.Itoa(i) }
func ignoreWhenKey(typ string, i int) string { return typ + "|ignoreWhen|" + strconv.Itoa(i) }
func whenKey(typ string, callSource diag.Pos) string {
	return typ + "|when|" + callSource.String()
}

func (o *observations) cond(key string, v *bool) {
	if v == nil {
		return
	}
	c := o.conds[key]
	if c == nil {
		c = &[2]int{}
		o.conds[key] = c
	}
	if *v {
		c[1]++
	} else {
		c[0]++
	}
}

func (o *observations) add(check string, p Problem) {
	o.problems[check] = append(o.problems[check], p)
}

// observe records what one case's translation exercised and checks what it
// sent: statuses, transitions and request bodies.
func (m *mappingUnit) observe(who string, ex *engine.Explanation) {
	o := m.obs
	if ex.EventType != "" {
		o.rules[ex.EventType]++
	}
	for i, g := range ex.Guards {
		o.cond(guardKey(ex.EventType, i), g.Value)
	}
	for _, it := range ex.IgnoreWhen {
		o.cond(ignoreWhenKey(ex.EventType, it.Index), it.Value)
	}
	for _, ct := range ex.Calls {
		if ct.When != nil {
			o.cond(whenKey(ex.EventType, ct.Source), ct.When.Value)
		}
		if ct.Made {
			o.calls[ct.Source]++
		}
		if ct.Made && ct.Transition != nil && !ct.Transition.Allowed {
			o.add(CheckStatuses, Problem{Pos: ct.Source, Message: fmt.Sprintf("%s: call %s moved the order from %s to %s, which transitions does not allow", who, ct.Name, ct.Transition.From, ct.Transition.To)})
		}
	}
	if ex.Result != nil && ex.Error == nil {
		for _, c := range ex.Result.Calls {
			m.checkSent(who, c, o.add)
		}
	}
}

// checkSent checks one call the mapping produced: its status is in the
// table and its body validates against the call's request schema.
func (m *mappingUnit) checkSent(who string, c engine.Call, report func(string, Problem)) {
	if c.MarketplaceStatus != "" && !m.hasStatus(c.MarketplaceStatus) {
		report(CheckStatuses, Problem{Pos: m.schemaPos(c.Name), Message: fmt.Sprintf("%s: call %s leads to %q, which is not in the status table", who, c.Name, c.MarketplaceStatus)})
	}
	if msg := m.validateBody(c); msg != "" {
		report(CheckSchemas, Problem{Pos: m.schemaPos(c.Name), Message: fmt.Sprintf("%s: call %s: %s", who, c.Name, msg)})
	}
}

func (m *mappingUnit) hasStatus(code string) bool {
	md := m.model()
	return md == nil || slices.Contains(md.Statuses, code)
}

// validateBody returns "" when the call's body validates against its
// request schema (or the call has no body, or no schema: that is reported
// once, by the request-schemas check), else what is wrong.
func (m *mappingUnit) validateBody(c engine.Call) string {
	if c.Parts != nil {
		return m.validateParts(c)
	}
	s := m.requestSchemas[c.Name]
	if s == nil || len(c.Body) == 0 {
		return ""
	}
	doc, err := decodeJSON(c.Body)
	if err != nil {
		return "body is not JSON: " + err.Error()
	}
	if msg := schemaMessage(s.Validate(doc)); msg != "" {
		return "the body breaks " + requestSchemaName(m.id, c.Name) + ": " + msg
	}
	return ""
}

// schemaMessage renders a validation error as "body/pointer: message; ...".
func schemaMessage(err error) string {
	if err == nil {
		return ""
	}
	leaves := diag.SchemaFailures(err)
	if len(leaves) == 0 {
		return err.Error()
	}
	parts := make([]string, len(leaves))
	for i, l := range leaves {
		parts[i] = fmt.Sprintf("body%s: %s", l.Pointer, l.Message)
	}
	return strings.Join(parts, "; ")
}

// schemaPos points at the first call with that name, else at the file.
func (m *mappingUnit) schemaPos(name string) diag.Pos {
	for _, c := range m.calls() {
		if c.call.Name == name {
			return m.pos(c.ptr)
		}
	}
	return diag.Pos{File: m.path}
}
