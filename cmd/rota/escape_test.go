package main

import (
	"os"
	"path/filepath"
	"strings"
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

// TestOversizedInputIsRefusedUnread: an event past engine.MaxInputBytes on
// standard input or in a file ends in too_large (exit 1), with what was
// read bounded.
func TestOversizedInputIsRefusedUnread(t *testing.T) {
	big := `{"id":"` + strings.Repeat("x", 3*engine.MaxInputBytes) + `"}`
	o := rota(t, big, "translate")
	o.wantCode(t, 1)
	if !strings.Contains(o.stdout, `"code": "too_large"`) && !strings.Contains(o.stdout, `"code":"too_large"`) {
		t.Errorf("stdout %.200s, want the too_large error", o.stdout)
	}
	if !strings.Contains(o.stderr, "larger than 1048576 bytes") {
		t.Errorf("stderr %q, want it to name the limit", o.stderr)
	}
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	rota(t, "", "translate", path).wantCode(t, 1)
}
