package engine

import (
	"testing"

	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/judge"
)

// TestFacadeConstantsMatchStages: the values the facade spells out are
// those the stages use.
func TestFacadeConstantsMatchStages(t *testing.T) {
	for _, c := range []struct{ name, facade, stage string }{
		{"SpecVersion", SpecVersion, event.SpecVersion},
		{"VerdictSuccess", VerdictSuccess, judge.Success},
		{"VerdictRetry", VerdictRetry, judge.Retry},
		{"VerdictFail", VerdictFail, judge.Fail},
	} {
		if c.facade != c.stage {
			t.Errorf("%s = %q, the stage's is %q", c.name, c.facade, c.stage)
		}
	}
}
