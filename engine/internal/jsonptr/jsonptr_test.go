package jsonptr

import "testing"

func TestEscapeRoundTrip(t *testing.T) {
	tests := []struct{ token, escaped string }{
		{"plain", "plain"},
		{"a/b", "a~1b"},
		{"m~n", "m~0n"},
		{"~1", "~01"}, // a literal ~1 must not come back as /
		{"/~", "~1~0"},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			if got := Escape(tt.token); got != tt.escaped {
				t.Errorf("Escape(%q) = %q, want %q", tt.token, got, tt.escaped)
			}
			if got := Unescape(tt.escaped); got != tt.token {
				t.Errorf("Unescape(%q) = %q, want %q", tt.escaped, got, tt.token)
			}
		})
	}
}

func TestJoinAndParent(t *testing.T) {
	ptr := Join("events", "order.shipped", "calls", "0", "a/b")
	if want := "/events/order.shipped/calls/0/a~1b"; ptr != want {
		t.Fatalf("Join = %q, want %q", ptr, want)
	}
	if got, want := Parent(ptr), "/events/order.shipped/calls/0"; got != want {
		t.Errorf("Parent(%q) = %q, want %q", ptr, got, want)
	}
	if got := Parent("/events"); got != "" {
		t.Errorf(`Parent("/events") = %q, want ""`, got)
	}
	if got := Join(); got != "" {
		t.Errorf(`Join() = %q, want ""`, got)
	}
}
