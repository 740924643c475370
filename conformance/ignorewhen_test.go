package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	ignoreWhenMappings = "testdata/ignorewhen/mappings"
	ignoreWhenCases    = "testdata/ignorewhen/cases"
)

// TestIgnoreWhenCoverage: each ignoreWhen entry is a condition of the
// guard coverage, credited with its own evaluations: the second entry is
// evaluated only when the first does not hold.
func TestIgnoreWhenCoverage(t *testing.T) {
	rep := run(t, Options{Mappings: ignoreWhenMappings, Cases: ignoreWhenCases, PropertyRuns: -1})
	for _, f := range rep.Files {
		for _, c := range f.Cases {
			if !c.Passed {
				t.Errorf("case %q fails: %s", c.Name, c.Failure.Message)
			}
		}
	}
	got := map[string][2]int{}
	for _, g := range rep.Mappings[0].Guards {
		if g.Kind == "ignoreWhen" && g.EventType == "order.shipped" {
			got[g.Name] = [2]int{g.True, g.False}
			if g.Source.Line == 0 {
				t.Errorf("%s has no source", g.Name)
			}
		}
	}
	want := map[string][2]int{"entry 0": {2, 5}, "entry 1": {1, 4}}
	if len(got) != len(want) {
		t.Errorf("got ignoreWhen coverage %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s found true/false %d/%d times, want %d/%d", name, got[name][0], got[name][1], w[0], w[1])
		}
	}
}

// TestIgnoreWhenMutants: the mutator flips and disables each ignoreWhen
// entry, and the cases of the fixture catch every one of those mutants:
// each makes some case or check fail that passes on the intact mapping (the
// fixture has no case for the other rules, so their checks fail on both).
func TestIgnoreWhenMutants(t *testing.T) {
	file := filepath.Join(ignoreWhenMappings, "shop.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	base := ignoreWhenRun(t, src)
	for name := range base {
		if !strings.HasPrefix(name, "check ") {
			t.Fatalf("the intact fixture fails: %v", base)
		}
	}
	kinds := map[string]int{}
	for _, mu := range mutantsOf(parse(t, src), file) {
		if mu.kind != "flip ignoreWhen" && mu.kind != "disable ignoreWhen" {
			continue
		}
		kinds[mu.kind]++
		t.Run(mu.desc, func(t *testing.T) {
			out, err := mutated(src, &mu)
			if err != nil {
				t.Fatal(err)
			}
			if got := ignoreWhenRun(t, out); !hasNew(got, base) {
				t.Errorf("survivor: no case or check fails")
			}
		})
	}
	if kinds["flip ignoreWhen"] != 2 || kinds["disable ignoreWhen"] != 2 {
		t.Errorf("got mutants %v, want each of the two entries flipped and disabled", kinds)
	}
}

// ignoreWhenRun runs the fixture's cases against a version of its mapping
// and returns the failing results.
func ignoreWhenRun(t *testing.T, src []byte) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	rep := run(t, Options{Mappings: dir, Cases: ignoreWhenCases, PropertyRuns: -1})
	return failing(rep)
}
