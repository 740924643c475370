package prettyjson

import (
	"encoding/json"
	"math"
	"testing"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"map keys sorted, two-space indent, newline", map[string]any{"b": 1, "a": []int{2}}, "{\n  \"a\": [\n    2\n  ],\n  \"b\": 1\n}\n"},
		{"HTML left as is", "<a&b>", "\"<a&b>\"\n"},
		{"raw JSON indented", json.RawMessage(`{"x":{"y":1}}`), "{\n  \"x\": {\n    \"y\": 1\n  }\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Marshal(math.NaN()); err == nil {
		t.Error("NaN marshalled without an error")
	}
}
