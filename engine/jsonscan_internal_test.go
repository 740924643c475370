package engine

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScanInput holds scanInput to encoding/json: what it accepts is one
// valid JSON document, and what it refuses is malformed or breaks a
// documented limit (never an error without a code); accepted text with a
// number rewritten decodes to the same value.
func FuzzScanInput(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.0,1e2,-0,"x"]}`, `{"a":"\ud83d\ude00"}`, `[[[[]]]]`, `{"a":1,}`, `"\ud800"`, `1e400`, `{"a":` + strings.Repeat("[", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := scanInput(s)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code == "" {
				t.Fatalf("%q: error without a code: %v", s, err)
			}
			if e.Code == CodeMalformedJSON && json.Valid([]byte(s)) && utf8.ValidString(s) {
				t.Fatalf("%q: valid JSON refused as malformed: %v", s, err)
			}
			return
		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("%q: accepted, but encoding/json finds it invalid", s)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("%q: accepted with invalid UTF-8", s)
		}
		if out != s {
			a, errA := decodeJSON([]byte(s))
			b, errB := decodeJSON([]byte(out))
			if errA != nil || errB != nil {
				t.Fatalf("%q rewritten as %q, which does not decode", s, out)
			}
			if !sameValue(a, b) {
				t.Fatalf("%q rewritten as %q, another value", s, out)
			}
		}
		if _, err := buildTree(out, true); err != nil && err.(*Error).Code != CodeDuplicateKey {
			t.Fatalf("%q: accepted, then the tree fails: %v", s, err)
		}
	})
}

// sameValue compares decoded JSON, numbers (json.Number) by exact value.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		ra, okA := new(big.Rat).SetString(string(x))
		rb, okB := new(big.Rat).SetString(string(y))
		return ok && okA && okB && ra.Cmp(rb) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !sameValue(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}
