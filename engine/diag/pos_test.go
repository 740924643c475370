package diag

import (
	"encoding/json"
	"testing"
)

func TestPosText(t *testing.T) {
	tests := []struct {
		pos  Pos
		text string
	}{
		{Pos{File: "mappings/skyhub.yaml", Line: 12, Col: 5}, "mappings/skyhub.yaml:12:5"},
		{Pos{File: "a.yaml", Line: 3}, "a.yaml:3"},
		{Pos{File: "a.yaml"}, "a.yaml"},
		{Pos{File: `C:\m\a.yaml`, Line: 1, Col: 2}, `C:\m\a.yaml:1:2`},
		{Pos{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := json.Marshal(tt.pos)
			if want, _ := json.Marshal(tt.text); err != nil || string(got) != string(want) {
				t.Errorf("JSON %s (%v), want %s", got, err, want)
			}
			var back Pos
			if err := json.Unmarshal(got, &back); err != nil || back != tt.pos {
				t.Errorf("read back %+v (%v), want %+v", back, err, tt.pos)
			}
		})
	}
}

// TestPosOmitZero: a field tagged omitzero leaves an unknown position out,
// and writes a known one as the string people read.
func TestPosOmitZero(t *testing.T) {
	type out struct {
		Source Pos `json:"source,omitzero"`
	}
	for _, tt := range []struct {
		in   out
		want string
	}{
		{out{}, `{}`},
		{out{Pos{File: "m.yaml", Line: 2, Col: 7}}, `{"source":"m.yaml:2:7"}`},
	} {
		if got, err := json.Marshal(tt.in); err != nil || string(got) != tt.want {
			t.Errorf("got %s (%v), want %s", got, err, tt.want)
		}
	}
}
