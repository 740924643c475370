package yamldoc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/diag"
	"go.yaml.in/yaml/v3"
)

func TestParseKeepsPositions(t *testing.T) {
	src := "a:\n  b: [1, x]\n  \"c/d\": true\n"
	d, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{"b": []any{json.Number("1"), "x"}, "c/d": true}}
	if !reflect.DeepEqual(d.Value, want) {
		t.Errorf("value %#v, want %#v", d.Value, want)
	}
	tests := []struct {
		ptr  string
		want string
	}{
		{"/a/b/1", "f.yaml:2:10"},
		{"/a/c~1d", "f.yaml:3:10"},
		{"/a/b/7", "f.yaml:2:6"}, // missing: the nearest enclosing value
		{"/nowhere", "f.yaml:1:1"},
	}
	for _, tt := range tests {
		if got := d.PosOf(tt.ptr).String(); got != tt.want {
			t.Errorf("PosOf(%q) = %s, want %s", tt.ptr, got, tt.want)
		}
	}
	if p, ok := d.KeyPos("/a/c~1d"); !ok || p.String() != "f.yaml:3:3" {
		t.Errorf("KeyPos = %s, %v; want f.yaml:3:3, true", p, ok)
	}
	if _, ok := d.KeyPos("/a/b/0"); ok {
		t.Error("KeyPos of an array item found a key")
	}
}

// TestValueBound: a document of exactly MaxValues values reads; one more
// is refused, and an alias that refers to itself is refused at the alias.
func TestValueBound(t *testing.T) {
	list := func(n int) string { // a list of n-1 items: n values
		return "[" + strings.TrimSuffix(strings.Repeat("1,", n-1), ",") + "]"
	}
	if _, err := Parse("f.yaml", []byte(list(MaxValues))); err != nil {
		t.Errorf("%d values: %v, want it read", MaxValues, err)
	}
	var tl *TooLargeError
	if _, err := Parse("f.yaml", []byte(list(MaxValues+1))); !errors.As(err, &tl) || tl.At != nil {
		t.Errorf("%d values: %v, want a TooLargeError without alias", MaxValues+1, err)
	}
	_, err := Parse("f.yaml", []byte("a: &a\n  b: *a\n"))
	if !errors.As(err, &tl) || tl.At == nil || tl.At.Line != 2 || tl.At.Column != 6 {
		t.Errorf("self alias: %v, want a TooLargeError at 2:6", err)
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse("f.yaml", []byte("# nothing\n")); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v, want ErrEmpty", err)
	}
	_, err := Parse("f.yaml", []byte("a: 1\nb: {c: 2\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != (diag.Pos{File: "f.yaml", Line: 2, Col: 1}) || !strings.Contains(se.Message, "is not closed") {
		t.Errorf("syntax: %v, want the unclosed { at f.yaml:2:1 with advice", err)
	}
}

func TestDecodeDocuments(t *testing.T) {
	src := []byte("a: 1\n---\nb: 2\n")
	d, serr := DecodeDocuments("f.yaml", diag.SplitLines(src), src)
	if serr != nil || !d.HasSecond || d.Second.String() != "f.yaml:3:1" {
		t.Errorf("got %s, %v, %v; want a second document at f.yaml:3:1", d.Second, serr, d.HasSecond)
	}
	if d.First.Kind != yaml.DocumentNode || len(d.First.Content) != 1 {
		t.Errorf("first document not decoded: %+v", d.First)
	}
	if d, serr := DecodeDocuments("f.yaml", nil, []byte("a: 1\n")); serr != nil || d.HasSecond {
		t.Errorf("one document: got second %v, error %v", d.HasSecond, serr)
	}
	bad := []byte("a: 1\n---\nb: [\n")
	if _, serr := DecodeDocuments("f.yaml", diag.SplitLines(bad), bad); serr == nil {
		t.Error("a syntax error in the second document was not reported")
	}
	if d, serr := DecodeDocuments("f.yaml", nil, nil); serr != nil || len(d.First.Content) != 0 {
		t.Errorf("empty source: got %+v, %v", d.First, serr)
	}
}
