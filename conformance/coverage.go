package conformance

import (
	"fmt"

	"github.com/rotahq/rota/engine/event"
)

// guardCoverage lists every guard and call condition of the mapping, in
// file order, with how often the cases found it true and false.
func (m *mappingUnit) guardCoverage() []GuardCoverage {
	md := m.model()
	out := []GuardCoverage{}
	for _, typ := range md.Events.Keys {
		rule := md.Events.Values[typ]
		base := "/events/" + escapePointer(typ)
		for i, g := range rule.Guards {
			c := m.obs.conds[guardKey(typ, i)]
			out = append(out, coverageOf(typ, "guard", g.Code, m.pos(fmt.Sprintf("%s/guards/%d/require", base, i)), c))
		}
		for i, call := range rule.Calls {
			if call.When == nil {
				continue
			}
			ptr := fmt.Sprintf("%s/calls/%d", base, i)
			c := m.obs.conds[whenKey(typ, m.pos(ptr))]
			out = append(out, coverageOf(typ, "when", call.Name, m.pos(ptr+"/when"), c))
		}
	}
	return out
}

func coverageOf(typ, kind, name, source string, c *[2]int) GuardCoverage {
	g := GuardCoverage{EventType: typ, Kind: kind, Name: name, Source: source}
	if c != nil {
		g.False, g.True = c[0], c[1]
	}
	return g
}

// buildMatrix says how each mapping answers each canonical event type.
func buildMatrix(ms []*mappingUnit) Matrix {
	mx := Matrix{EventTypes: append([]string(nil), event.Types...), Marketplaces: []string{}, Cells: [][]string{}}
	for _, m := range ms {
		mx.Marketplaces = append(mx.Marketplaces, m.id)
	}
	for _, typ := range event.Types {
		row := make([]string, len(ms))
		for j, m := range ms {
			row[j] = m.answer(typ)
		}
		mx.Cells = append(mx.Cells, row)
	}
	return mx
}

func (m *mappingUnit) answer(typ string) string {
	md := m.model()
	if m.eng == nil || md == nil {
		return AnswerBroken
	}
	rule, ok := md.Events.Values[typ]
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
