package conformance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rotahq/rota/engine"
)

// maxProblems caps the problems one check lists; the rest are counted.
const maxProblems = 10

// propertyCheck translates runs generated valid events of every canonical
// event type (seeded: the same seed gives the same events) and requires
// each to end as send, ignore or a refusal that blames the event: never a
// panic, an untyped error, a mapping or configuration error; every body
// sent validates against its request schema and every status it leads to
// is in the status table.
func (m *mappingUnit) propertyCheck(seed int64, runs int) CheckResult {
	g := newGenerator(m)
	var ps []Problem
	for _, typ := range engine.EventTypes() {
		ps = append(ps, m.propertyRun(g, seed, typ, runs)...)
	}
	note := fmt.Sprintf("%d generated events per event type, seed %d", runs, seed)
	return newCheck(CheckProperty, note, capProblems(ps))
}

// propertyRun translates the generated events of one type and returns one
// problem per distinct failure, showing the first event that had it.
func (m *mappingUnit) propertyRun(g *generator, seed int64, typ string, runs int) []Problem {
	r := rngFor(seed, m.id, typ)
	type failure struct {
		first int
		event []byte
		count int
	}
	var order []string
	seen := map[string]*failure{}
	for i := range runs {
		raw, _ := marshalJSON(g.event(r, typ, i))
		msg := m.property(raw, g.vars)
		if msg == "" {
			continue
		}
		if f, ok := seen[msg]; ok {
			f.count++
			continue
		}
		seen[msg] = &failure{first: i, event: raw, count: 1}
		order = append(order, msg)
	}
	ps := make([]Problem, len(order))
	for k, msg := range order {
		f := seen[msg]
		ps[k] = Problem{Pos: m.pos(engine.JSONPointer("events", typ)),
			Message: fmt.Sprintf("seed %d, generated %s #%d (%d of %d events alike): %s\n  event: %s", seed, typ, f.first, f.count, runs, msg, f.event)}
	}
	return ps
}

// property translates one generated event and returns what is wrong with
// the outcome, or "".
func (m *mappingUnit) property(raw []byte, vars map[string]string) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprintf("the engine panicked: %v", p)
		}
	}()
	res, err := m.eng.Translate(raw, engine.TranslateOptions{Vars: vars})
	if err != nil {
		return refusalProblem(err)
	}
	switch res.Outcome {
	case engine.OutcomeIgnore:
		if len(res.Calls) > 0 {
			return "outcome ignore with calls"
		}
		return ""
	case engine.OutcomeSend:
		return m.sentProblems(res.Calls)
	}
	return fmt.Sprintf("outcome %q is neither send nor ignore", res.Outcome)
}

func (m *mappingUnit) sentProblems(calls []engine.Call) string {
	if len(calls) == 0 {
		return "outcome send without calls"
	}
	var out []string
	for _, c := range calls {
		m.checkSent("generated event", c, func(_ string, p Problem) { out = append(out, p.Message) })
	}
	return strings.Join(out, "; ")
}

// acceptedRefusals are the errors a valid event may end in: the mapping
// refused it, cannot tell the marketplace, or needs a field or value the
// event lacks.
var acceptedRefusals = map[engine.Kind]map[string]bool{
	engine.KindInvalidEvent: {engine.CodeMissingField: true, engine.CodeBadValue: true, engine.CodeBadBaseURL: true},
}

func refusalProblem(err error) string {
	var e *engine.Error
	switch {
	case !errors.As(err, &e):
		return "untyped error: " + err.Error()
	case e.Kind == "" || e.Code == "":
		return "error without kind or code: " + err.Error()
	case e.Kind == engine.KindRejected || e.Kind == engine.KindUnsupported:
		return ""
	case acceptedRefusals[e.Kind][e.Code]:
		return ""
	}
	return fmt.Sprintf("a valid event ended in %s/%s: %s [%s]", e.Kind, e.Code, e.Message, e.Source)
}

// capProblems keeps the first maxProblems and says how many were left out.
func capProblems(ps []Problem) []Problem {
	if len(ps) <= maxProblems {
		return ps
	}
	more := len(ps) - maxProblems
	return append(ps[:maxProblems:maxProblems], Problem{Message: fmt.Sprintf("... and %d more", more)})
}
