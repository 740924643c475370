package sim

import "testing"

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short kept", "abc", 3, "abc"},
		{"cut", "abcdef", 3, "abc..."},
		{"split character dropped", "não", 2, "n..."},
		{"whole character kept", "não", 3, "nã..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
