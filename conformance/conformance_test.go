package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/event"
)

const (
	fixtureMappings = "testdata/mappings"
	fixtureCases    = "testdata/cases"
)

// TestBundled runs the real suite: the bundled mappings against
// conformance/cases, as rota test does. Any failing case or check fails
// the test, so go test ./... catches a mapping regression.
func TestBundled(t *testing.T) {
	rep, err := Run(Options{Cases: "cases", Seed: 1})
	if rep == nil {
		t.Fatalf("Run: %v", err)
	}
	if err != nil {
		t.Errorf("broken case input: %v", err)
	}
	for _, f := range rep.Failures() {
		t.Error(f)
	}
	t.Logf("%d passed, %d failed", rep.Passed, rep.Failed)
}

func run(t *testing.T, o Options) *Report {
	t.Helper()
	if o.Seed == 0 {
		o.Seed = 1
	}
	rep, err := Run(o)
	if rep == nil {
		t.Fatalf("Run(%+v): %v", o, err)
	}
	return rep
}

func text(t *testing.T, rep *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFixturePasses(t *testing.T) {
	rep := run(t, Options{Mappings: fixtureMappings, Cases: fixtureCases + "/pass"})
	for _, f := range rep.Failures() {
		t.Error(f)
	}
	out := text(t, rep)
	if !strings.HasSuffix(out, "\n24 passed, 0 failed\n") {
		t.Errorf("text ends with %q, want the closing line 24 passed, 0 failed", out[max(0, len(out)-60):])
	}
	g := rep.Mappings[0].Guards
	if len(g) != 2 || !g[0].Covered() || !g[1].Covered() || g[1].Kind != "when" {
		t.Errorf("guard coverage %+v, want the guard and the when condition covered", g)
	}
}

// caseResult finds a case's result by name.
func caseResult(t *testing.T, rep *Report, name string) CaseResult {
	t.Helper()
	for _, f := range rep.Files {
		for _, c := range f.Cases {
			if c.Name == name {
				return c
			}
		}
	}
	t.Fatalf("no result for case %q", name)
	return CaseResult{}
}

func TestFailureVerdicts(t *testing.T) {
	rep, err := Run(Options{Mappings: fixtureMappings, Cases: fixtureCases + "/fail", Seed: 1})
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 3 {
		t.Errorf("err = %v, want an *InputError with the 3 broken cases", err)
	}
	tests := []struct {
		name, message, source, diff string
	}{
		{name: "passes"},
		{"wrong body", "calls[0].body.tracking differs", "shop.yaml:49:24", "-         \"tracking\": \"BR999\"\n+         \"tracking\": \"BR123\""},
		{"wrong error code", "error.code differs", "shop.yaml:74:18", "-     \"code\": \"transition_not_allowed\",\n+     \"code\": \"final_status\","},
		{"missing expectation", "fail.yaml:24:5: the case has no expectation", "", ""},
		{"two expectations", "the case has 2 expectations (error, ignore); give exactly one", "", ""},
		{"calls expected, error got", "expected calls, got error rejected/items_required", "shop.yaml:41:18", "+   \"error\": {"},
		{"wrong ignore reason", "ignore differs", "shop.yaml:30:3", "+   \"ignore\": \"Shop creates orders itself.\""},
		{"one call too many", "expected 1 call(s), got 2", "shop.yaml:56:3", "+       \"name\": \"notify\","},
		{"event file missing", "fail.yaml:52:12: cannot read ../../../events/nowhere.json", "", ""},
		{"event for another marketplace", "the event is for marketplace \"skyhub\"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := caseResult(t, rep, tt.name)
			if c.Passed != (tt.message == "") {
				t.Fatalf("passed = %v, want %v (%+v)", c.Passed, tt.message == "", c.Failure)
			}
			if c.Passed {
				return
			}
			f := c.Failure
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q, want it to contain %q", f.Message, tt.message)
			}
			if !strings.HasSuffix(f.Source, tt.source) || (tt.source == "") != (f.Source == "") {
				t.Errorf("source %q, want %q", f.Source, tt.source)
			}
			if !strings.Contains(f.Diff, tt.diff) {
				t.Errorf("diff\n%s\nwant it to contain\n%s", f.Diff, tt.diff)
			}
		})
	}
	if rep.Passed+rep.Failed == 0 || rep.OK() {
		t.Errorf("report says %d passed, %d failed", rep.Passed, rep.Failed)
	}
}

// TestFailureText: a failure names the case and where it is, the mapping
// line, and shows the difference.
func TestFailureText(t *testing.T) {
	out := text(t, run(t, Options{Mappings: fixtureMappings, Cases: fixtureCases + "/fail"}))
	for _, want := range []string{
		"  FAIL  wrong body  (testdata/cases/fail/shop/fail.yaml:9:5)\n",
		"        mapping: testdata/mappings/shop.yaml:49:24\n",
		"        --- expected\n        +++ actual\n",
		"        -         \"tracking\": \"BR999\"\n        +         \"tracking\": \"BR123\"\n",
		"  ok    passes\n",
		"coverage matrix (event type × marketplace)\n",
		"guard coverage",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n7 passed, 11 failed\n") {
		t.Errorf("closing line: %q", out[max(0, len(out)-40):])
	}
}

func TestBrokenCaseFiles(t *testing.T) {
	rep, err := Run(Options{Mappings: fixtureMappings, Cases: fixtureCases + "/broken", PropertyRuns: -1})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *InputError", err)
	}
	for _, want := range []string{
		"syntax.yaml:3:3: YAML syntax: a line below this list is indented like its items but does not start with -",
		"schema.yaml:5:5: unknown key \"expct\"",
		"wrong_folder.yaml:1:14: the file is in the skyhub folder but names marketplace shop",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if c := caseResult(t, rep, "(case file)"); c.Passed || !strings.HasSuffix(c.Pos, ":3:3") && !strings.HasSuffix(c.Pos, ":1:14") {
		t.Errorf("broken file result %+v, want a failure at the problem", c)
	}
	if c := caseResult(t, rep, "still runs"); !c.Passed {
		t.Errorf("a good case next to a broken one fails: %+v", c.Failure)
	}
	if c := caseResult(t, rep, "unknown key"); c.Passed {
		t.Error("a case with an unknown key passes")
	}
}

func checkResult(t *testing.T, m MappingResult, name string) CheckResult {
	t.Helper()
	for _, c := range m.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s: no check %s", m.File, name)
	return CheckResult{}
}

// TestChecks runs the checks against a mapping built to fail all of them
// but property's happy path.
func TestChecks(t *testing.T) {
	rep := run(t, Options{Mappings: "testdata/checks/mappings", Cases: "testdata/checks/cases", PropertyRuns: 50})
	if len(rep.Mappings) != 1 {
		t.Fatalf("mappings %+v", rep.Mappings)
	}
	m := rep.Mappings[0]
	tests := []struct{ check, want string }{
		{CheckLint, "leaky.yaml:23:3: warning: missing_event_type"},
		{CheckAnswered, "leaky.yaml:23:3: order.created is not answered"},
		{CheckSchemas, "leaky.yaml:29:9: call ship has no request schema: add schemas/marketplaces/leaky/ship.request.schema.json"},
		{CheckGuards, "leaky.yaml:26:18: order.shipped guard items_required is never false in a case"},
		{CheckCoverage, "leaky.yaml:36:9: no case makes call cancel of order.canceled"},
		{CheckStatuses, "leaky.yaml:39:18: call cancel of order.canceled leads to gone, but no transition leads there"},
		{CheckProperty, "a valid event ended in mapping_error/bad_output"},
		{CheckSecrets, "leaky.yaml:12:14: X-Api-Key holds a literal value (9f8a…)"},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			c := checkResult(t, m, tt.check)
			var all []string
			for _, p := range c.Problems {
				all = append(all, p.String())
			}
			if c.Passed || !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("passed=%v, problems:\n%s\nwant one containing %q", c.Passed, strings.Join(all, "\n"), tt.want)
			}
		})
	}
	if strings.Contains(text(t, rep), "9f8a7b6c5d4e3f2a") {
		t.Error("the report prints the secret itself")
	}
}

// TestBrokenCopy is the acceptance test: a bundled mapping broken in a copy
// makes the suite fail with the case, the mapping line and the difference.
func TestBrokenCopy(t *testing.T) {
	src, err := os.ReadFile("../mappings/skyhub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"body literal", "          status: order_invoiced\n", "          status: order_invoicedX\n", "-         \"status\": \"order_invoiced\"\n+         \"status\": \"order_invoicedX\""},
		{"path segment", "/orders/{order.marketplaceOrderId}/invoice", "/orders/{order.marketplaceOrderId}/invoices", "https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/invoices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeBrokenCopy(t, string(src), tt.from, tt.to)
			rep := run(t, Options{Mappings: dir, Cases: "cases", Only: []string{"skyhub"}, PropertyRuns: 10})
			c := caseResult(t, rep, "invoice reproduces the seed body")
			if c.Passed {
				t.Fatal("the seed case passes against the broken copy")
			}
			if got := c.Failure.Message + "\n" + c.Failure.Diff; !strings.Contains(got, tt.want) {
				t.Errorf("failure\n%s\nwant it to show %q", got, tt.want)
			}
			out := text(t, rep)
			shown := filepath.ToSlash(filepath.Join(dir, "skyhub.yaml")) + ":"
			for _, want := range []string{"FAIL  invoice reproduces the seed body  (cases/skyhub/invoiced.yaml:", "mapping: " + shown} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func writeBrokenCopy(t *testing.T, src, from, to string) string {
	t.Helper()
	dir := t.TempDir()
	broken := strings.Replace(src, from, to, 1)
	if broken == src {
		t.Fatalf("%q is not in skyhub.yaml", from)
	}
	if err := os.WriteFile(filepath.Join(dir, "skyhub.yaml"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadErrorOnce: a mapping that does not load fails its lint check with
// the load error, once; its cases do not run and are listed once, not each
// failed with a copy of the error.
func TestLoadErrorOnce(t *testing.T) {
	src, err := os.ReadFile("../mappings/skyhub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeBrokenCopy(t, string(src), "        leadsTo: order_invoiced\n", "        leadsTo: order_invoice\n")
	rep := run(t, Options{Mappings: dir, Cases: "cases", Only: []string{"skyhub"}, PropertyRuns: -1})
	if n := rep.caseCount(); n != 0 {
		t.Errorf("%d case results, want none: the mapping does not load", n)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Marketplace != "skyhub" || !strings.Contains(rep.Skipped[0].Reason, "the skyhub mapping does not load") {
		t.Fatalf("skipped %+v, want the skyhub cases, because the mapping does not load", rep.Skipped)
	}
	lint := checkResult(t, rep.Mappings[0], CheckLint)
	if lint.Passed || len(lint.Problems) != 1 || !strings.Contains(lint.Problems[0].Message, "unknown_status") {
		t.Errorf("lint check %+v, want the one load error", lint)
	}
	if rep.Failed != 1 || rep.OK() {
		t.Errorf("%d passed, %d failed; want 1 failed (the lint check)", rep.Passed, rep.Failed)
	}
	out := text(t, rep)
	if n := strings.Count(out, "order_invoice\""); n != 1 {
		t.Errorf("the load error appears %d times, want once:\n%s", n, out)
	}
}

// TestNoMappingForCases: cases of marketplaces not tested do not run; they
// are listed once, per marketplace, not failed.
func TestNoMappingForCases(t *testing.T) {
	rep := run(t, Options{Mappings: fixtureMappings, Cases: "cases", PropertyRuns: -1})
	if n := rep.caseCount(); n != 0 {
		t.Errorf("%d case results, want none: no case is for shop", n)
	}
	var got []string
	for _, s := range rep.Skipped {
		got = append(got, s.Marketplace)
		if s.Cases == 0 || len(s.Files) == 0 || !strings.Contains(s.Reason, "no mapping for "+s.Marketplace) {
			t.Errorf("skipped %+v", s)
		}
	}
	if strings.Join(got, " ") != "dafiti fastshop napse skyhub" {
		t.Errorf("skipped marketplaces %v, want the four bundled", got)
	}
	out := text(t, rep)
	if !strings.Contains(out, "note: ") || strings.Contains(out, "FAIL  ") && strings.Contains(out, "no mapping for marketplace") {
		t.Errorf("text output:\n%s", out)
	}
	if len(rep.Mappings) != 1 || rep.Mappings[0].Marketplace != "shop" {
		t.Errorf("checks ran on %+v, want shop only", rep.Mappings)
	}
	if !strings.Contains(out, "note: no case for shop in cases: write them in cases/shop/*.yaml\n") {
		t.Errorf("no note that shop has no case:\n%s", out)
	}
}

// TestRunFilter: Options.Run runs the cases whose name or full name
// matches, and of the checks only lint.
func TestRunFilter(t *testing.T) {
	for _, tt := range []struct {
		name, re string
		want     []string
	}{
		{"by case name", "^invoice reproduces", []string{"invoice reproduces the seed body"}},
		{"by full name", "^skyhub/invoiced/invoice reproduces", []string{"invoice reproduces the seed body"}},
		{"none", "^no such case$", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := run(t, Options{Cases: "cases", Only: []string{"skyhub"}, Run: regexp.MustCompile(tt.re), PropertyRuns: -1})
			var got []string
			for _, f := range rep.Files {
				for _, c := range f.Cases {
					got = append(got, c.Name)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("ran %q, want %q", got, tt.want)
			}
			if len(rep.Mappings) != 1 || len(rep.Mappings[0].Checks) != 1 || rep.Mappings[0].Checks[0].Name != CheckLint {
				t.Errorf("checks %+v, want lint only", rep.Mappings)
			}
			if !strings.Contains(strings.Join(rep.Notes, "\n"), "tested the mappings built into rota") {
				t.Errorf("notes %q, want one saying the built-in mappings were tested", rep.Notes)
			}
			if len(tt.want) == 0 && !strings.Contains(strings.Join(rep.Notes, "\n"), "no case matches --run") {
				t.Errorf("notes %q, want one saying no case matches", rep.Notes)
			}
		})
	}
}

func TestUnreadableFolders(t *testing.T) {
	if _, err := Run(Options{Mappings: "testdata/nowhere"}); err == nil {
		t.Error("no error for a missing mapping folder")
	}
	rep, err := Run(Options{Mappings: fixtureMappings, Cases: "testdata/nowhere", PropertyRuns: -1})
	if err == nil || rep == nil || len(rep.Mappings) != 1 {
		t.Errorf("missing case folder: rep %v, err %v; want the checks and an error", rep, err)
	}
}

func TestWriteJSON(t *testing.T) {
	rep := run(t, Options{Mappings: fixtureMappings, Cases: fixtureCases + "/fail", PropertyRuns: -1})
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got.Passed != rep.Passed || got.Failed != rep.Failed || len(got.Files) != 1 || len(got.Matrix.Cells) != len(event.Types) {
		t.Errorf("round trip: %+v", got)
	}
	var wrong *Failure
	for _, f := range got.Files {
		for _, c := range f.Cases {
			if c.Name == "wrong body" {
				wrong = c.Failure
			}
		}
	}
	if wrong == nil || !strings.Contains(string(wrong.Expected), `"BR999"`) || !strings.Contains(string(wrong.Actual), `"BR123"`) {
		t.Errorf("the wrong body failure lacks the expected and actual JSON: %+v", wrong)
	}
}

func TestWriteJUnit(t *testing.T) {
	rep := run(t, Options{Mappings: fixtureMappings, Cases: fixtureCases + "/fail", PropertyRuns: -1})
	var b bytes.Buffer
	if err := rep.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != rep.Passed+rep.Failed || doc.Failures != rep.Failed || len(doc.Suites) != 2 {
		t.Errorf("junit: %d tests, %d failures, %d suites; report %d/%d", doc.Tests, doc.Failures, len(doc.Suites), rep.Passed, rep.Failed)
	}
	if !strings.Contains(b.String(), `<testcase name="wrong body" classname="testdata/cases/fail/shop/fail.yaml">`) {
		t.Errorf("no testcase for wrong body:\n%s", b.String())
	}
}

// TestGenerator: generated events are valid canonical events, and the same
// seed gives the same events.
func TestGenerator(t *testing.T) {
	ms, err := loadMappings(mappingSourceOf(""), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.model() == nil {
			continue
		}
		g := newGenerator(m)
		for _, typ := range event.Types {
			a, b := rngFor(7, m.id, typ), rngFor(7, m.id, typ)
			for i := range 50 {
				raw, _ := marshalJSON(g.event(a, typ, i))
				again, _ := marshalJSON(g.event(b, typ, i))
				if !bytes.Equal(raw, again) {
					t.Fatalf("%s %s #%d: the same seed gave two events", m.id, typ, i)
				}
				if err := engine.ValidateEvent(raw); err != nil {
					t.Fatalf("%s %s #%d: %v\n%s", m.id, typ, i, err, raw)
				}
			}
		}
	}
}

func TestPropertyRecoversPanics(t *testing.T) {
	raw, err := os.ReadFile("../examples/events/skyhub/shipped.json")
	if err != nil {
		t.Fatal(err)
	}
	m := &mappingUnit{id: "skyhub"} // no engine: Translate panics past validation
	if msg := m.property(raw, nil); !strings.Contains(msg, "the engine panicked") {
		t.Errorf("got %q", msg)
	}
}

func TestCompare(t *testing.T) {
	act := map[string]any{"calls": []any{map[string]any{
		"name": "a", "url": "u", "headers": map[string]any{"H": "1"},
		"body": map[string]any{"x": json.Number("1"), "y": map[string]any{"z": "w", "extra": true}},
	}}}
	tests := []struct {
		name   string
		exp    string
		subset bool
		equal  bool
	}{
		{"fields not given are not compared", `{"calls": [{"name": "a"}]}`, false, true},
		{"exact body", `{"calls": [{"body": {"x": 1, "y": {"z": "w", "extra": true}}}]}`, false, true},
		{"exact body, key missing", `{"calls": [{"body": {"x": 1, "y": {"z": "w"}}}]}`, false, false},
		{"subset body", `{"calls": [{"body": {"y": {"z": "w"}}}]}`, true, true},
		{"subset body, value differs", `{"calls": [{"body": {"y": {"z": "v"}}}]}`, true, false},
		{"numbers by value", `{"calls": [{"body": {"x": 1.0, "y": {"z": "w", "extra": true}}}]}`, false, true},
		{"call count", `{"calls": []}`, false, false},
		{"other outcome", `{"ignore": true}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := decodeJSON([]byte(tt.exp))
			if err != nil {
				t.Fatal(err)
			}
			exp := e.(map[string]any)
			if got := equalJSON(exp, project(exp, act, tt.subset)); got != tt.equal {
				t.Errorf("equal = %v, want %v (projected %v)", got, tt.equal, project(exp, act, tt.subset))
			}
		})
	}
}

func TestMergePatch(t *testing.T) {
	doc := []byte(`{"a": {"b": 1, "c": 2}, "big": 12345678901234567890123}`)
	got, err := mergePatch(doc, map[string]any{"a": map[string]any{"b": nil, "d": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeJSON(got)
	want, _ := decodeJSON([]byte(`{"a": {"c": 2, "d": "x"}, "big": 12345678901234567890123}`))
	if !equalJSON(v, want) {
		t.Errorf("got %s", got)
	}
}

func TestLineDiff(t *testing.T) {
	if d := lineDiff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n"
	b := "1\n2\n3\n4\nX\n6\n7\n8\n9\n"
	want := "--- expected\n+++ actual\n  ...\n  2\n  3\n  4\n- 5\n+ X\n  6\n  7\n  8\n  ...\n"
	if d := lineDiff(a, b); d != want {
		t.Errorf("got\n%s\nwant\n%s", d, want)
	}
}

func TestSecretScan(t *testing.T) {
	tests := []struct {
		line  string
		found bool
	}{
		{"    X-Token: sk_live_51H8xYz2eZvKYlo2C9aBcDeFgHiJk", true},
		{"  # Authorization: Bearer abcdefghijklmnop", true},
		{"  baseUrl: https://user:hunter2@api.example.com", true},
		{"  key: AKIAIOSFODNN7EXAMPLE", true},
		{"      type: oauth2-client-credentials", false},
		{"  - https://share.linx.com.br/pages/diffpagesbyversion.action?originalVersion=9&pageId=175244970", false},
		{"            key: ${ invoice.key }", false},
	}
	for _, tt := range tests {
		if got := len(scanLines("f.yaml", []byte(tt.line))) > 0; got != tt.found {
			t.Errorf("%q: found = %v, want %v", tt.line, got, tt.found)
		}
	}
}

// TestAliasLoop: a case file whose alias refers to itself, or whose
// aliases expand past the bound, is a positioned problem, not a hang.
func TestAliasLoop(t *testing.T) {
	for name, src := range map[string]string{
		"self":  "cases:\n  - &a\n    name: x\n    event: *a\n",
		"laugh": "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
	} {
		doc, p := parseYAML("loop.yaml", []byte(src))
		if doc != nil || p == nil || p.Pos != "loop.yaml:1:1" || !strings.Contains(p.Message, "an alias that refers to itself") {
			t.Errorf("%s: doc %v, problem %+v; want the alias problem at loop.yaml:1:1", name, doc != nil, p)
		}
	}
}

// TestGuardCoverageAfterSkippedGuard: a guard skipped by its when condition
// is not evaluated, so the guard after it is credited with its own
// evaluations, and the skipped one with none.
func TestGuardCoverageAfterSkippedGuard(t *testing.T) {
	rep := run(t, Options{Mappings: "testdata/guardwhen/mappings", Cases: "testdata/guardwhen/cases", PropertyRuns: -1})
	for _, f := range rep.Files {
		for _, c := range f.Cases {
			if !c.Passed {
				t.Errorf("case %q fails: %s", c.Name, c.Failure.Message)
			}
		}
	}
	got := map[string][2]int{}
	for _, g := range rep.Mappings[0].Guards {
		if g.Kind == "guard" && g.EventType == "order.shipped" {
			got[g.Name] = [2]int{g.True, g.False}
		}
	}
	want := map[string][2]int{"tracking_required": {1, 1}, "items_required": {2, 1}}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s found true/false %d/%d times, want %d/%d", name, got[name][0], got[name][1], w[0], w[1])
		}
	}
}
