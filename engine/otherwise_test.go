package engine_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// loadFindings loads docBaseMapping with rules added under events (and
// extra top-level YAML), and returns its findings.
func loadFindings(t *testing.T, extra, events string) diag.List {
	t.Helper()
	src := strings.Replace(docBaseMapping, "events: {}\n", extra+"events:\n"+events, 1)
	_, err := engine.Load(fstest.MapFS{"example.yaml": {Data: []byte(src)}})
	var ds diag.List
	if err != nil && !errors.As(err, &ds) {
		t.Fatalf("load: %v", err)
	}
	lint := lintSource("example.yaml", []byte(src))
	if err != nil && len(lint.Errors()) != len(ds.Errors()) {
		t.Errorf("load gives %v, lint %v", ds, lint)
	}
	var out diag.List
	for _, d := range lint {
		if d.Code != diag.MissingEventType {
			out = append(out, d)
		}
	}
	return out
}

const shipWhen = `  order.shipped:
    calls:
      - name: a
        when: %s
        method: POST
        path: /a
`

// TestZeroCallsFindings: a rule that can end with no call must say why.
func TestZeroCallsFindings(t *testing.T) {
	tests := []struct {
		name     string
		events   string
		severity diag.Severity
		line     int
		msg      string
	}{
		{"all calls conditional, no otherwise", strings.Replace(shipWhen, "%s", `current == "pending"`, 1), diag.Error, 14, "with otherwise: {ignore: <why>}"},
		{"two conditions that are not complements", strings.Replace(shipWhen, "%s", `current == "pending"`, 1) + `      - name: b
        when: current == "shipped"
        method: POST
        path: /b
`, diag.Error, 14, "an event can make none"},
		{"otherwise never used", `  order.shipped:
    calls:
      - name: a
        method: POST
        path: /a
    otherwise: {ignore: never}
`, diag.Warning, 18, `call "a" has no when`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := loadFindings(t, "", tt.events)
			var found []diag.Diagnostic
			for _, d := range ds {
				if d.Code == diag.ZeroCalls {
					found = append(found, d)
				}
			}
			if len(found) != 1 {
				t.Fatalf("got %v, want one zero_calls finding", ds)
			}
			d := found[0]
			if d.Severity != tt.severity || d.Pos.Line != tt.line || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("got %s, want a %v at line %d saying %q", d, tt.severity, tt.line, tt.msg)
			}
		})
	}
}

// TestZeroCallsNotNeeded: rules that always make a call load cleanly.
func TestZeroCallsNotNeeded(t *testing.T) {
	tests := map[string]string{
		"complementary conditions": strings.Replace(shipWhen, "%s", `(order.attributes.n ?? "") != ""`, 1) + `      - name: b
        when: (order.attributes.n ?? "") == ""
        method: POST
        path: /b
`,
		"otherwise given":   strings.Replace(shipWhen, "%s", `current == "pending"`, 1) + "    otherwise: {ignore: Already shipped.}\n",
		"one unconditional": strings.Replace(shipWhen, "%s", `current == "pending"`, 1) + "      - {name: b, method: POST, path: /b}\n",
	}
	for name, events := range tests {
		t.Run(name, func(t *testing.T) {
			if ds := loadFindings(t, "", events); len(ds) > 0 {
				t.Errorf("got %v, want no findings", ds)
			}
		})
	}
}

// TestDropOfNothing: null on a name the mapping does not send is an error
// that names the likely one.
func TestDropOfNothing(t *testing.T) {
	extra := "headers: {Content-Type: application/json}\nquery: {format: json}\n"
	tests := []struct {
		name, call, msg string
	}{
		{"header", "headers: {Content-Typ: null}", `header "Content-Typ": null drops nothing, the mapping sends no such header (did you mean "Content-Type"?)`},
		{"query", "query: {fromat: null}", `query parameter "fromat": null drops nothing, the mapping sends no such query parameter (did you mean "format"?)`},
		{"query case matters", "query: {Format: null}", `(did you mean "format"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := loadFindings(t, extra, "  order.shipped:\n    calls:\n      - {name: a, method: POST, path: /a, "+tt.call+"}\n")
			if len(ds) != 1 || ds[0].Code != diag.UnknownKey || !strings.Contains(ds[0].Message, tt.msg) {
				t.Errorf("got %v, want one unknown_key saying %q", ds, tt.msg)
			}
		})
	}
}
