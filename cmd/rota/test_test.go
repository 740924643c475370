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

// TestTestFails: mappings that lack the cases' marketplaces fail them, with
// exit 1; --format json reports the counts.
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
