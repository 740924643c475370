package diag

import (
	"testing"

	"github.com/rotahq/rota/engine/internal/doccheck"
)

// TestEveryCodeIsDocumented: each lint code has a row in the
// troubleshooting table of docs/mapping-format.md that says what to do,
// and the table has no row for a code that does not exist.
func TestEveryCodeIsDocumented(t *testing.T) {
	rows := doccheck.TableCodes(t, "../../docs/mapping-format.md", "## Troubleshooting lint findings")
	codes := doccheck.Constants(t, "codes.go", "")
	if len(codes) < 20 {
		t.Fatalf("found %d codes in codes.go, want them all", len(codes))
	}
	for _, c := range codes {
		if !rows[c] {
			t.Errorf("code %s has no row in the troubleshooting table", c)
		}
		delete(rows, c)
	}
	for c := range rows {
		t.Errorf("the troubleshooting table documents %s, which is not a code", c)
	}
}
