package mapping

import (
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

// TestFileSizeLimit: a file of MaxFileBytes is parsed; one byte more is
// refused with too_large before it is.
func TestFileSizeLimit(t *testing.T) {
	head := "marketplace: acme\n"
	at := head + "#" + strings.Repeat("x", MaxFileBytes-len(head)-2) + "\n"
	if _, ds := Parse("m.yaml", []byte(at), nil); len(ds) > 0 && ds[0].Code == diag.TooLarge {
		t.Errorf("at the limit: got %v, want it parsed", ds)
	}
	past := at + "\n"
	_, ds := Parse("m.yaml", []byte(past), nil)
	if len(ds) != 1 || ds[0].Code != diag.TooLarge {
		t.Errorf("past the limit: got %v, want one too_large finding", ds)
	}
}
