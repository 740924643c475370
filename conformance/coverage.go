package conformance

import (
	"fmt"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// guardCoverage lists every guard and call condition of the mapping, in
// file order, with how often the cases found it true and false.
func (m *mappingUnit) guardCoverage() []GuardCoverage {
	md := m.model()
	out := []GuardCoverage{}
	for _, rule := range md.Events {
		typ := rule.Type
		for i := range rule.IgnoreWhen {
			c := m.obs.conds[ignoreWhenKey(typ, i)]
			out = append(out, coverageOf(typ, "ignoreWhen", fmt.Sprintf("entry %d", i), m.pos(fmt.Sprintf("%s/ignoreWhen/%d/when", rule.Pointer, i)), c))
		}
		for i, code := range rule.Guards {
			c := m.obs.conds[guardKey(typ, i)]
			out = append(out, coverageOf(typ, "guard", code, m.pos(fmt.Sprintf("%s/guards/%d/require", rule.Pointer, i)), c))
		}
		for _, call := range rule.Calls {
			if !call.HasWhen {
				continue
			}
			ptr := call.Pointer
			c := m.obs.conds[whenKey(typ, m.pos(ptr))]
			out = append(out, coverageOf(typ, "when", call.Name, m.pos(ptr+"/when"), c))
		}
	}
	return out
}

func coverageOf(typ, kind, name string, source diag.Pos, c *[2]int) GuardCoverage {
	g := GuardCoverage{EventType: typ, Kind: kind, Name: name, Source: source}
	if c != nil {
		g.False, g.True = c[0], c[1]
	}
	return g
}

// buildMatrix says how each mapping answers each canonical event type.
func buildMatrix(ms []*mappingUnit) Matrix {
	types := engine.EventTypes()
	mx := Matrix{EventTypes: types, Marketplaces: []string{}, Cells: [][]string{}}
	for _, m := range ms {
		mx.Marketplaces = append(mx.Marketplaces, m.id)
	}
	for _, typ := range types {
		row := make([]string, len(ms))
		for j, m := range ms {
			row[j] = m.answer(typ)
		}
		mx.Cells = append(mx.Cells, row)
	}
	return mx
}

func (m *mappingUnit) answer(typ string) string {
	if m.eng == nil || m.model() == nil {
		return AnswerBroken
	}
	rule, ok := m.rule(typ)
	switch {
	case !ok:
		return AnswerMissing
	case len(rule.Calls) > 0:
		return AnswerCall
	case rule.Ignore != "":
		return AnswerIgnore
	case rule.Unsupported != "":
		return AnswerUnsupported
	}
	return AnswerMissing
}
