package engine

import (
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

// TestCappedSummarySeverity checks the finding that stands for those not
// shown: a warning when it hides only warnings, so that warnings never stop
// mappings from loading, and an error when it hides one.
func TestCappedSummarySeverity(t *testing.T) {
	warnings := func(n int) diag.List {
		var l diag.List
		for i := range n {
			l = append(l, diag.Diagnostic{Pos: diag.Pos{File: "m.yaml", Line: i + 1, Col: 1}, Severity: diag.Warning, Code: diag.UnknownKey, Message: "w"})
		}
		return l
	}
	got := capped(warnings(maxFindings+5), "m.yaml")
	if len(got) != maxFindings+1 || got.HasErrors() {
		t.Fatalf("%d findings (errors: %v), want %d and no error", len(got), got.HasErrors(), maxFindings+1)
	}
	if msg := got[len(got)-1].Message; msg != "5 more findings in m.yaml not shown (at most 100 are shown per file); fix these first" {
		t.Errorf("summary %q, want the count hidden and the cap", msg)
	}
	withError := warnings(maxFindings + 5)
	withError[maxFindings+2].Severity = diag.Error
	got = capped(withError, "m.yaml")
	if last := got[len(got)-1]; last.Severity != diag.Error {
		t.Fatalf("summary severity %s, want error when an error is hidden", last.Severity)
	}
}
