package main

import (
	"testing"

	"github.com/rotahq/rota/engine"
)

// TestStderrLineEscapesControlCharacters: text an event or a marketplace
// put in an error (an ESC sequence, a CR that would rewrite the line, a C1
// control, bytes that are not UTF-8) reaches stderr escaped.
func TestStderrLineEscapesControlCharacters(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"order \x1b[31mX\x1b[0m refused", `rota: rejected: g: order \x1b[31mX\x1b[0m refused (at /order/id)`},
		{"a\rrota: ok", `rota: rejected: g: a\x0drota: ok (at /order/id)`},
		{"c1 \u009b1m and \xff", `rota: rejected: g: c1 \u009b1m and \xff (at /order/id)`},
		{"plain, acentuação", `rota: rejected: g: plain, acentuação (at /order/id)`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := errorLine(&engine.Error{Kind: engine.KindRejected, Code: "g", Message: tt.msg, Path: "/order/id"})
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if got, want := escapeControls("line 1\n\tline 2\x1b", true), "line 1\n\tline 2\\x1b"; got != want {
		t.Errorf("keeping lines: got %q, want %q", got, want)
	}
}
