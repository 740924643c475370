package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/rotahq/rota/engine"
)

// checkMapping runs every check against one mapping. A mapping that does
// not load gets only its lint check: nothing else can run on it; nor does
// a run cut down by Options.Run, as the other checks need every case.
func (r *runner) checkMapping(m *mappingUnit) MappingResult {
	mr := MappingResult{Marketplace: m.id, File: m.path, Guards: []GuardCoverage{}}
	mr.Checks = append(mr.Checks, m.lintCheck())
	if m.eng == nil || m.model() == nil || r.opts.Run != nil {
		return mr
	}
	mr.Guards = m.guardCoverage()
	mr.Checks = append(mr.Checks,
		m.answeredCheck(),
		m.schemasCheck(),
		guardsCheck(mr.Guards),
		m.coverageCheck(),
		m.statusesCheck(),
		m.propertyCheck(r.opts.Seed, r.opts.PropertyRuns),
		m.secretsCheck(),
	)
	return mr
}

func newCheck(name, note string, ps []Problem) CheckResult {
	return CheckResult{Name: name, Passed: len(ps) == 0, Note: note, Problems: ps}
}

// lintCheck: the mapping loads and lint finds nothing, not even a warning.
func (m *mappingUnit) lintCheck() CheckResult {
	var ps []Problem
	seen := map[string]bool{}
	for _, d := range append(m.lint, m.loadErr...) {
		p := Problem{Pos: d.Pos, Message: fmt.Sprintf("%s: %s: %s", d.Severity, d.Code, d.Message)}
		if !seen[p.String()] {
			seen[p.String()] = true
			ps = append(ps, p)
		}
	}
	return newCheck(CheckLint, "", ps)
}

// answeredCheck: every canonical event type has a rule.
func (m *mappingUnit) answeredCheck() CheckResult {
	var ps []Problem
	for _, typ := range engine.EventTypes() {
		if _, ok := m.rule(typ); !ok {
			ps = append(ps, Problem{Pos: m.pos("/events"), Message: fmt.Sprintf("%s is not answered: add it under events: with calls, ignore: <why> or unsupported: <why>", typ)})
		}
	}
	return newCheck(CheckAnswered, "", ps)
}

// schemasCheck: every call with a body has a request schema, and every body
// the cases produced validates against it.
func (m *mappingUnit) schemasCheck() CheckResult {
	var ps []Problem
	for _, name := range m.bodyCallNames() {
		if err := m.schemaErrs[name]; err != nil {
			ps = append(ps, Problem{Pos: m.schemaPos(name), Message: schemaProblem(m.id, name, err)})
		}
	}
	ps = append(ps, m.partSchemaProblems()...)
	ps = append(ps, m.obs.problems[CheckSchemas]...)
	return newCheck(CheckSchemas, "", ps)
}

func schemaProblem(id, call string, err error) string {
	file := "schemas/" + requestSchemaName(id, call)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("call %s has no request schema: add %s, a JSON Schema 2020-12 of the body as the marketplace documents it (not as the mapping builds it): every body the cases produce is checked against it", call, file)
	}
	return fmt.Sprintf("call %s: request schema %s does not compile: %v", call, file, err)
}

// guardsCheck: every guard and when condition was found true by some case
// and false by some case.
func guardsCheck(gs []GuardCoverage) CheckResult {
	var ps []Problem
	for _, g := range gs {
		for _, way := range uncovered(g) {
			ps = append(ps, Problem{Pos: g.Source, Message: fmt.Sprintf("%s %s %s is never %s in a case; add a case of %s where it is", g.EventType, g.Kind, g.Name, way, g.EventType)})
		}
	}
	return newCheck(CheckGuards, fmt.Sprintf("%d/%d conditions covered both ways", coveredCount(gs), len(gs)), ps)
}

func uncovered(g GuardCoverage) []string {
	var out []string
	if g.True == 0 {
		out = append(out, "true")
	}
	if g.False == 0 {
		out = append(out, "false")
	}
	return out
}

// coverageCheck: some case reaches every event rule and makes every call.
func (m *mappingUnit) coverageCheck() CheckResult {
	var ps []Problem
	canonical := engine.EventTypes()
	for _, r := range m.model().Events {
		if typ := r.Type; slices.Contains(canonical, typ) && m.obs.rules[typ] == 0 {
			ps = append(ps, Problem{Pos: m.pos(r.Pointer), Message: fmt.Sprintf("no case sends %s: add a case with an event of that type (event: a file or inline) and what it must give (expect: calls, ignore or error)", typ)})
		}
	}
	for _, c := range m.calls() {
		if m.obs.calls[m.pos(c.ptr)] == 0 {
			ps = append(ps, Problem{Pos: m.pos(c.ptr), Message: fmt.Sprintf("no case makes call %s of %s: add a case whose event makes it (its when holds) and that expects it under calls", c.call.Name, c.eventType)})
		}
	}
	return newCheck(CheckCoverage, "", ps)
}

// statusesCheck: every leadsTo is in the status table and, when the mapping
// declares transitions, some transition leads to it; every call the cases
// made moved the order as the transitions allow.
func (m *mappingUnit) statusesCheck() CheckResult {
	md := m.model()
	targets := map[string]bool{}
	for _, tos := range md.Transitions {
		for _, to := range tos {
			targets[to] = true
		}
	}
	var ps []Problem
	for _, c := range m.calls() {
		to := c.call.LeadsTo
		switch {
		case to == "":
		case !m.hasStatus(to):
			ps = append(ps, Problem{Pos: m.pos(c.ptr + "/leadsTo"), Message: fmt.Sprintf("call %s of %s leads to %q, which is not in the status table", c.call.Name, c.eventType, to)})
		case md.Transitions != nil && !targets[to]:
			ps = append(ps, Problem{Pos: m.pos(c.ptr + "/leadsTo"), Message: fmt.Sprintf("call %s of %s leads to %s, but no transition leads there: the call is refused for every order whose status is known", c.call.Name, c.eventType, to)})
		}
	}
	ps = append(ps, m.obs.problems[CheckStatuses]...)
	return newCheck(CheckStatuses, "", ps)
}
