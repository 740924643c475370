package engine_test

import (
	"testing"

	"github.com/rotahq/rota/engine/internal/doccheck"
)

// TestEveryErrorCodeIsDocumented: each kind and each code of errors.go has
// a row in docs/errors.md. (The docs also list codes that bundled mappings'
// guards declare, so the check is one way.)
func TestEveryErrorCodeIsDocumented(t *testing.T) {
	rows := doccheck.TableCodes(t, "../docs/errors.md", "## Kinds")
	for _, prefix := range []string{"Kind", "Code"} {
		names := doccheck.Constants(t, "errors.go", prefix)
		if len(names) < 6 {
			t.Fatalf("found %d %s constants in errors.go, want them all", len(names), prefix)
		}
		for _, c := range names {
			if !rows[c] {
				t.Errorf("%s %s has no row in docs/errors.md", prefix, c)
			}
		}
	}
}
