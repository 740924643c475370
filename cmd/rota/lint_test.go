package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

const brokenDir = "testdata/lint/broken"

// TestLintBrokenFolder is the acceptance test: one run over a folder whose
// two files break the mapping format in six ways reports all six, each at
// its file:line:col with its code, and exits 1.
func TestLintBrokenFolder(t *testing.T) {
	a, b := brokenDir+"/a.yaml", brokenDir+"/b.yaml"
	want := []struct {
		what, code, pos string
	}{
		{"(4) a string where a list belongs", "schema",
			posOf(t, a, a, "docs: https://", "https://")},
		{"(3) an unknown key in a call", "unknown_key",
			posOf(t, a, a, "leadTo: order_canceled", "leadTo")},
		{"(1) a misspelled event field in a guard", "unknown_field",
			posOf(t, b, b, "require: invoice.kee", "invoice.kee")},
		{"(2) a guard that is not boolean", "guard_not_bool",
			posOf(t, b, b, "require: invoice.key", "invoice.key")},
		{"(5) a template reading a field the canonical event lacks", "unknown_field",
			posOf(t, b, b, "${ shipment.trackingCod }", "shipment.trackingCod")},
		{"(6) a leadsTo status missing from the status table", "unknown_status",
			posOf(t, b, b, "leadsTo: order_delivered", "order_delivered")},
	}
	o := rota(t, "", "lint", brokenDir)
	o.wantCode(t, exitRefused)
	golden(t, "lint/broken.txt", o.stdout)
	lines := strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d findings, want %d:\n%s", len(lines), len(want), o.stdout)
	}
	for i, w := range want {
		prefix := w.pos + ": error: " + w.code + ": "
		if i >= len(lines) || !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("%s: want finding %d to start with %q\n%s", w.what, i+1, prefix, o.stdout)
		}
	}
	if o.stderr != "6 errors, 0 warnings\n" {
		t.Errorf("stderr %q, want the summary line", o.stderr)
	}
}

func TestLintBrokenFolderJSON(t *testing.T) {
	o := rota(t, "", "lint", "--format", "json", brokenDir)
	o.wantCode(t, exitRefused)
	golden(t, "lint/broken.json", o.stdout)
	var rep struct {
		Findings []struct {
			File     string `json:"file"`
			Line     int    `json:"line"`
			Column   int    `json:"column"`
			Severity string `json:"severity"`
			Code     string `json:"code"`
			Message  string `json:"message"`
		} `json:"findings"`
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	}
	decodeStrict(t, o.stdout, "the lint report", &rep)
	if rep.Errors != 6 || rep.Warnings != 0 || len(rep.Findings) != 6 {
		t.Fatalf("%d errors, %d warnings, %d findings; want 6, 0, 6", rep.Errors, rep.Warnings, len(rep.Findings))
	}
	text := strings.Split(rota(t, "", "lint", brokenDir).stdout, "\n")
	for i, f := range rep.Findings {
		line := f.File + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column) + ": " + f.Severity + ": " + f.Code + ": " + f.Message
		if line != text[i] {
			t.Errorf("JSON finding %d reads %q, text says %q", i, line, text[i])
		}
	}
}

// TestLintSyntaxError: a file that is not YAML gives one yaml_syntax
// finding at the line of the mistake.
func TestLintSyntaxError(t *testing.T) {
	file := "testdata/lint/syntax/skyhub.yaml"
	o := rota(t, "", "lint", file)
	o.wantCode(t, exitRefused)
	golden(t, "lint/syntax.txt", o.stdout)
	pos := posOf(t, file, file, "payment_received: canonical: approved", "payment_received")
	if !strings.HasPrefix(o.stdout, pos+": error: yaml_syntax: ") || strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("got\n%s\nwant one yaml_syntax finding at %s", o.stdout, pos)
	}
}

func TestLintSnippets(t *testing.T) {
	file := "testdata/lint/syntax/skyhub.yaml"
	plain := rota(t, "", "lint", file)
	o := rota(t, "", "lint", "--snippets", file)
	o.wantCode(t, exitRefused)
	want := plain.stdout + " |   payment_received: canonical: approved\n |   ^\n"
	if o.stdout != want {
		t.Errorf("got\n%s\nwant\n%s", o.stdout, want)
	}
	if strings.Contains(plain.stdout, " | ") {
		t.Errorf("snippets printed without --snippets:\n%s", plain.stdout)
	}
}

// TestLintBundledMappingsAreClean: the bundled mappings, linted by default
// and by path, have no error (warnings would be allowed).
func TestLintBundledMappingsAreClean(t *testing.T) {
	for _, args := range [][]string{{"lint"}, {"lint", "../../mappings"}} {
		o := rota(t, "", args...)
		o.wantCode(t, exitOK)
		if !strings.HasPrefix(o.stderr, "0 errors, ") || strings.Contains(o.stdout, ": error: ") {
			t.Errorf("%v: stdout %q, stderr %q", args, o.stdout, o.stderr)
		}
	}
	o := rota(t, "", "lint", "--format", "json")
	o.wantCode(t, exitOK)
	var rep struct {
		Findings []json.RawMessage `json:"findings"`
		Errors   *int              `json:"errors"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil || rep.Findings == nil || rep.Errors == nil || *rep.Errors != 0 {
		t.Errorf("lint --format json: %v\n%s", err, o.stdout)
	}
}

func TestLintUnreadablePathExits2(t *testing.T) {
	o := rota(t, "", "lint", "testdata/lint/no-such-dir")
	o.wantCode(t, exitUsage)
	if !strings.HasPrefix(o.stdout, "testdata/lint/no-such-dir: error: unreadable: ") {
		t.Errorf("stdout %q", o.stdout)
	}
}

// TestLintExitCodes checks the mapping from findings to exit codes.
func TestLintExitCodes(t *testing.T) {
	if got := rota(t, "", "lint", "testdata/mappings/shop", "testdata/lint/syntax").code; got != exitRefused {
		t.Errorf("a clean and a broken folder: exit %d, want 1", got)
	}
	if got := rota(t, "", "lint", "testdata/lint/syntax", "testdata/no-such-dir").code; got != exitUsage {
		t.Errorf("a broken folder and a missing one: exit %d, want 2", got)
	}
}

// TestLintWarningsOnlyExit0: warnings are printed and counted but do not
// fail the run.
func TestLintWarningsOnlyExit0(t *testing.T) {
	o := rota(t, "", "lint", "testdata/lint/warning")
	o.wantCode(t, exitOK)
	if !strings.Contains(o.stdout, ": warning: missing_event_type: ") || strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one missing_event_type warning", o.stdout)
	}
	if o.stderr != "0 errors, 1 warning\n" {
		t.Errorf("stderr %q", o.stderr)
	}
}

// TestLintReportsEveryProblemAtOnce is the acceptance test: a mapping broken
// four independent ways, one of them a schema finding, gives all four
// findings in one run, sorted by position, with exit 1; the unknown key
// says which key was meant, and the guard names its type in words.
func TestLintReportsEveryProblemAtOnce(t *testing.T) {
	const file = "testdata/lint/fourways/skyhub.yaml"
	want := []struct{ code, pos, says string }{
		{"unknown_key", posOf(t, file, file, "leadTo: order_invoiced", "leadTo"), `(did you mean "leadsTo"?)`},
		{"unknown_field", posOf(t, file, file, "key: ${ invoice.kee }", "invoice.kee"), "(did you mean 'invoice.key'?)"},
		{"guard_not_bool", posOf(t, file, file, "    require: items", "items"), "gives a list of items"},
		{"unknown_status", posOf(t, file, file, "leadsTo: order_cancelled", "order_cancelled"), `(did you mean "order_canceled"?)`},
	}
	o := rota(t, "", "lint", file)
	o.wantCode(t, exitRefused)
	lines := strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d findings, want %d:\n%s", len(lines), len(want), o.stdout)
	}
	for i, w := range want {
		prefix := w.pos + ": error: " + w.code + ": "
		if i >= len(lines) || !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], w.says) {
			t.Errorf("finding %d: want %q ... %q in\n%s", i+1, prefix, w.says, o.stdout)
		}
	}
	if strings.Contains(o.stdout, "event.Item") {
		t.Errorf("a finding names a Go type:\n%s", o.stdout)
	}
}

// TestLintRefusesPathsWithoutMappings: a path lint would check nothing in
// is a usage error that says what lint expected, not a clean run.
func TestLintRefusesPathsWithoutMappings(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"the current folder", ".", "no mapping files (*.yaml, *.yml) in ."},
		{"an empty folder", empty, "no mapping files (*.yaml, *.yml) in " + empty},
		{"a folder of events", "../../examples/events/skyhub", "no mapping files (*.yaml, *.yml) in ../../examples/events/skyhub"},
		{"an event file", "../../examples/events/skyhub/shipped.json", "shipped.json is not a mapping file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := rota(t, "", "lint", tc.path)
			o.wantCode(t, exitUsage)
			if !strings.Contains(o.stderr, tc.want) || o.stdout != "" {
				t.Errorf("stderr %q, stdout %q; want only %q", o.stderr, o.stdout, tc.want)
			}
		})
	}
}
