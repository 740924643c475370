package yamldoc

import (
	"errors"
	"testing"
)

// FuzzParse: any input reads, or fails with one of Parse's three errors;
// every value's pointer of a document that reads has a position in it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a: &a [*a]\n", "- {b: [1, 2]}\n", "a: {b: 2\n", "", "x: !!binary aGVsbG8=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("f.yaml", src)
		var se *SyntaxError
		var tl *TooLargeError
		switch {
		case err == nil:
		case errors.As(err, &se):
			if se.Pos.File != "f.yaml" || se.Pos.Line < 1 {
				t.Fatalf("syntax error without a position: %+v", se)
			}
			return
		case errors.Is(err, ErrEmpty), errors.As(err, &tl):
			return
		default:
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		for ptr := range d.values {
			if p := d.PosOf(ptr); p.File != "f.yaml" || p.Line < 1 {
				t.Fatalf("value at %q has no position: %+v", ptr, p)
			}
		}
	})
}
