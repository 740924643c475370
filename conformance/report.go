package conformance

import (
	"encoding/json"
	"strings"

	"github.com/rotahq/rota/engine/diag"
)

// Report is the outcome of a conformance run: the case results grouped by
// case file, the checks run against each mapping, guard coverage and the
// coverage matrix. Build one with Run; it is plain data, safe to read from
// many goroutines.
type Report struct {
	// Files holds the case results, one entry per case file, sorted by path.
	Files []FileResult `json:"files"`
	// Mappings holds the checks run against each mapping, sorted by marketplace.
	Mappings []MappingResult `json:"mappings"`
	// Matrix says how each mapping answers each canonical event type.
	Matrix Matrix `json:"matrix"`
	// Skipped lists, per marketplace, the case files found for a
	// marketplace that was not tested or whose mapping does not load: their
	// cases did not run and count neither as passed nor as failed.
	Skipped []SkippedCases `json:"skipped"`
	// Notes say what a person should know about the run: the copy of the
	// mappings tested, cases not run, checks not run.
	Notes []string `json:"notes"`
	// Passed and Failed count case results and check results.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// partial is set when Options.Run cut the cases down: guard coverage
	// was not measured.
	partial bool
}

// SkippedCases is the cases of one marketplace that did not run.
type SkippedCases struct {
	Marketplace string `json:"marketplace"`
	// Reason says why: no mapping for the marketplace among those tested,
	// or its mapping does not load.
	Reason string `json:"reason"`
	// Files are the case files, as shown, sorted.
	Files []string `json:"files"`
	// Cases counts the cases of those files (a broken file counts as one).
	Cases int `json:"cases"`
}

// FileResult is the results of the cases of one case file, in file order.
type FileResult struct {
	// Path is the case file as shown (conformance/cases/skyhub/invoiced.yaml).
	Path        string       `json:"path"`
	Marketplace string       `json:"marketplace,omitempty"`
	Cases       []CaseResult `json:"cases"`
}

// CaseResult is the verdict on one case.
type CaseResult struct {
	Name string `json:"name"`
	// Pos is where the case is written; it shows, in JSON too, as
	// file:line:col.
	Pos     diag.Pos `json:"pos"`
	Passed  bool     `json:"passed"`
	Failure *Failure `json:"failure,omitempty"`
}

// Failure says why a case failed.
type Failure struct {
	// Message says what differs, or why the case could not run.
	Message string `json:"message"`
	// Source is the mapping rule involved, as file:line:col: the rule, guard,
	// call or body field that produced the difference.
	Source diag.Pos `json:"source,omitzero"`
	// Diff is a line diff of Expected and Actual (pretty-printed JSON, keys
	// sorted): lines starting with - are expected only, + actual only.
	Diff     string          `json:"diff,omitempty"`
	Expected json.RawMessage `json:"expected,omitempty"`
	Actual   json.RawMessage `json:"actual,omitempty"`
}

// MappingResult is the checks run against one mapping file.
type MappingResult struct {
	Marketplace string `json:"marketplace"`
	// File is the mapping file as shown (mappings/skyhub.yaml).
	File   string        `json:"file"`
	Checks []CheckResult `json:"checks"`
	// Guards lists every guard and call condition of the mapping with how
	// often the cases found it true and false.
	Guards []GuardCoverage `json:"guards"`
}

// CheckResult is the verdict of one check on one mapping.
type CheckResult struct {
	// Name is the check: lint, answered, request-schemas, guards, coverage,
	// statuses, property or secrets.
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Note says what was checked (e.g. the property run's seed).
	Note     string    `json:"note,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one finding of a check, or one reason a case file is broken.
type Problem struct {
	// Pos is the position in the mapping or case file, when known; it
	// shows, in JSON too, as file:line:col.
	Pos     diag.Pos `json:"pos,omitzero"`
	Message string   `json:"message"`
}

// String renders p as pos: message.
func (p Problem) String() string {
	if p.Pos.IsZero() {
		return p.Message
	}
	return p.Pos.String() + ": " + p.Message
}

// problemLines renders problems one per line, as pos: message.
func problemLines(ps []Problem) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// GuardCoverage is how the cases exercised one guard (or one call's when
// condition). It is covered both ways when True and False are both above 0.
type GuardCoverage struct {
	EventType string `json:"eventType"`
	// Kind is guard, when (a call's condition) or ignoreWhen.
	Kind string `json:"kind"`
	// Name is the guard's code, the call's name for a when condition, or
	// "entry i" for the i-th ignoreWhen entry (from 0).
	Name string `json:"name"`
	// Source is the condition's position in the mapping file.
	Source diag.Pos `json:"source"`
	True   int      `json:"true"`
	False  int      `json:"false"`
}

// Covered reports whether some case found the condition true and some false.
func (g GuardCoverage) Covered() bool { return g.True > 0 && g.False > 0 }

// coveredCount is how many of gs are covered both ways.
func coveredCount(gs []GuardCoverage) int {
	n := 0
	for _, g := range gs {
		if g.Covered() {
			n++
		}
	}
	return n
}

// Matrix is the coverage matrix: how each marketplace answers each canonical
// event type.
type Matrix struct {
	EventTypes   []string `json:"eventTypes"`
	Marketplaces []string `json:"marketplaces"`
	// Cells[i][j] is how marketplace j answers event type i: call, ignore,
	// unsupported, missing, or broken when the mapping does not load.
	Cells [][]string `json:"cells"`
}

// Answer values of the coverage matrix.
const (
	AnswerCall        = "call"
	AnswerIgnore      = "ignore"
	AnswerUnsupported = "unsupported"
	AnswerMissing     = "missing"
	AnswerBroken      = "broken"
)

// caseCount is how many case results the report holds.
func (r *Report) caseCount() int {
	n := 0
	for _, f := range r.Files {
		n += len(f.Cases)
	}
	return n
}

// OK reports whether every case and every check passed.
func (r *Report) OK() bool { return r.Failed == 0 }

// count sets Passed and Failed.
func (r *Report) count() {
	r.Passed, r.Failed = 0, 0
	for _, f := range r.Files {
		for _, c := range f.Cases {
			r.tally(c.Passed)
		}
	}
	for _, m := range r.Mappings {
		for _, c := range m.Checks {
			r.tally(c.Passed)
		}
	}
}

func (r *Report) tally(ok bool) {
	if ok {
		r.Passed++
	} else {
		r.Failed++
	}
}

// Failures lists every failing case and check, one line each, with where
// it is and why: what a test prints when the suite fails.
func (r *Report) Failures() []string {
	var out []string
	for _, f := range r.Files {
		for _, c := range f.Cases {
			if !c.Passed {
				out = append(out, failureLine(c))
			}
		}
	}
	for _, m := range r.Mappings {
		for _, c := range m.Checks {
			if !c.Passed {
				out = append(out, checkLine(m, c))
			}
		}
	}
	return out
}

func failureLine(c CaseResult) string {
	s := c.Pos.String() + ": case " + quote(c.Name) + ": " + c.Failure.Message
	if !c.Failure.Source.IsZero() {
		s += " [mapping " + c.Failure.Source.String() + "]"
	}
	if c.Failure.Diff != "" {
		s += "\n" + indent(c.Failure.Diff, "    ")
	}
	return s
}

func checkLine(m MappingResult, c CheckResult) string {
	var b strings.Builder
	b.WriteString(m.File + ": check " + c.Name + " failed")
	for _, p := range c.Problems {
		b.WriteString("\n    " + p.String())
	}
	return b.String()
}

func quote(s string) string { return "\"" + s + "\"" }

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
