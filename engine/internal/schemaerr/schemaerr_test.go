package schemaerr

import (
	"reflect"
	"testing"
)

func TestQuotedNames(t *testing.T) {
	for msg, want := range map[string][]string{
		"missing properties: 'a', 'b'":                 {"a", "b"},
		`additionalProperties 'e\'0000' not allowed`:   {"e'0000"},
		`additionalProperties 'say "hi"' not allowed`:  {`say "hi"`},
		`additionalProperties 'tab\there' not allowed`: {"tab\there"},
		`additionalProperties 'ç' not allowed`:         {"ç"},
		"no names here":                                nil,
	} {
		if got := quotedNames(msg); !reflect.DeepEqual(got, want) {
			t.Errorf("quotedNames(%q) = %q, want %q", msg, got, want)
		}
	}
}
