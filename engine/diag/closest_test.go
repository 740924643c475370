package diag

import "testing"

func TestClosest(t *testing.T) {
	candidates := []string{"order.shipped", "order.invoiced", "approved"}
	tests := []struct{ got, want string }{
		{"order.shiped", "order.shipped"},   // one deletion
		{"order.invoicd", "order.invoiced"}, // one deletion
		{"aproved", "approved"},
		{"aprvd", ""}, // three edits: too far
		{"", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.got, candidates); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}
