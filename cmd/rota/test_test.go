package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testArgs runs rota test on the repository's cases, without the property
// run, from this package's folder.
func testArgs(extra ...string) []string {
	return append([]string{"test", "--cases", "../../conformance/cases", "--property-runs", "-1"}, extra...)
}

// TestTestPasses: the bundled SkyHub mapping passes its cases; the output
// ends with the contract's closing line and --junit writes the report.
func TestTestPasses(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "report.xml")
	o := rota(t, "", testArgs("--junit", junit, "../../mappings/skyhub.yaml")...)
	o.wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^[1-9][0-9]* passed, 0 failed$`).MatchString(last) {
		t.Errorf("last line %q, want N passed, 0 failed", last)
	}
	if xml := readFile(t, junit); !strings.Contains(xml, `<testsuites name="rota conformance"`) || !strings.Contains(xml, `failures="0"`) {
		t.Errorf("JUnit report:\n%s", xml)
	}
}

// TestTestFails: a mapping without cases fails the checks that need them
// (coverage, guards), with exit 1; --format json reports the counts.
func TestTestFails(t *testing.T) {
	o := rota(t, "", testArgs("--format", "json", "--mappings", "testdata/mappings/shop")...)
	o.wantCode(t, exitRefused)
	var rep struct {
		Passed int `json:"passed"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil || rep.Failed == 0 {
		t.Errorf("report %+v (%v), want failures:\n%s", rep, err, o.stdout)
	}
}

// TestTestRefusesWhatIsNotAMapping: a file that is not a mapping file, or a
// folder without one, is a usage error (exit 2) that says so, not a run of
// every case failing for want of a mapping.
func TestTestRefusesWhatIsNotAMapping(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an event file", testArgs("../../examples/events/skyhub/shipped.json"), "shipped.json is not a mapping file"},
		{"a folder of events", testArgs("../../examples/events/skyhub"), "no mapping files (*.yaml, *.yml) in ../../examples/events/skyhub"},
		{"a --mappings folder of events", testArgs("--mappings", "../../examples/events/skyhub"), "no mapping files"},
	} {
		o := rota(t, "", tc.args...)
		o.wantCode(t, exitUsage)
		if !strings.Contains(o.stderr, tc.want) || o.stdout != "" {
			t.Errorf("%s: stderr %q, stdout %q; want only %q", tc.name, o.stderr, o.stdout, tc.want)
		}
	}
}

// TestTestListsCasesNotRun: cases of marketplaces not tested do not run
// and are listed once per marketplace, not failed one by one.
func TestTestListsCasesNotRun(t *testing.T) {
	o := rota(t, "", testArgs("--mappings", "testdata/mappings/shop")...)
	for _, id := range []string{"dafiti", "fastshop", "napse", "skyhub"} {
		re := regexp.MustCompile(`(?m)^note: \d+ cases \(\d+ files\) of ` + id + ` not run: no mapping for ` + id + ` among those tested$`)
		if n := len(re.FindAllString(o.stdout, -1)); n != 1 {
			t.Errorf("%d notes for %s, want 1:\n%s", n, id, o.stdout)
		}
	}
	if strings.Contains(o.stdout, "FAIL  ") && strings.Contains(o.stdout, "no mapping for marketplace") {
		t.Errorf("cases fail for want of a mapping:\n%s", o.stdout)
	}
}

// TestTestRunFlag: --run selects cases by name; a bad expression is a usage
// error.
func TestTestRunFlag(t *testing.T) {
	o := rota(t, "", testArgs("--run", "^invoice reproduces", "../../mappings/skyhub.yaml")...)
	o.wantCode(t, exitOK)
	if n := strings.Count(o.stdout, "  ok    "); n != 2 || !strings.Contains(o.stdout, "  ok    invoice reproduces the seed body\n") || !strings.Contains(o.stdout, "  ok    lint\n") {
		t.Errorf("%d results, want the one case matching and the lint check:\n%s", n, o.stdout)
	}
	if !strings.HasSuffix(o.stdout, "\n2 passed, 0 failed\n") {
		t.Errorf("closing line, want 2 passed (the case and lint):\n%s", o.stdout)
	}
	bad := rota(t, "", testArgs("--run", "(", "../../mappings/skyhub.yaml")...)
	bad.wantCode(t, exitUsage)
	if !strings.Contains(bad.stderr, `--run "(":`) {
		t.Errorf("stderr %q", bad.stderr)
	}
}
