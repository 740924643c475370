package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	v := struct {
		URL  string            `json:"url"`
		Map  map[string]string `json:"map"`
		Body json.RawMessage   `json:"body"`
	}{"https://x.test/a?b=1&c=<2>", map[string]string{"z": "1", "a": "2"}, json.RawMessage(`{"k":[1,2]}`)}
	if err := writeJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	want := `{
  "url": "https://x.test/a?b=1&c=<2>",
  "map": {
    "a": "2",
    "z": "1"
  },
  "body": {
    "k": [
      1,
      2
    ]
  }
}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestErrorLine(t *testing.T) {
	cases := []struct {
		err  engine.Error
		want string
	}{
		{engine.Error{Kind: engine.KindRejected, Code: "state_not_changeable", Message: "BRIDGE cannot change the state of an order that is closed",
			Path: "/order/marketplaceStatus", Source: diag.Pos{File: "mappings/napse.yaml", Line: 57, Col: 11}},
			"rota: rejected: state_not_changeable: BRIDGE cannot change the state of an order that is closed (mappings/napse.yaml:57:11)"},
		{engine.Error{Kind: engine.KindInvalidEvent, Code: "unknown_field", Message: "unknown field", Path: "/order/x",
			Details: []engine.Detail{{Code: "missing_field"}, {Code: "bad_format"}}},
			"rota: invalid_event: unknown_field: unknown field (at /order/x); and 2 more problems"},
		{engine.Error{Kind: engine.KindInvalidEvent, Code: "malformed_json", Message: "not JSON:\n  line 2"},
			"rota: invalid_event: malformed_json: not JSON: line 2"},
	}
	for _, c := range cases {
		if got := errorLine(&c.err); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestOneLineKeepsSpacesWithinALine(t *testing.T) {
	got := oneLine("a == \"x  y\"\n    && b\n")
	if want := `a == "x  y" && b`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorExitCode(t *testing.T) {
	for kind, want := range map[engine.Kind]int{
		engine.KindInvalidEvent:       exitRefused,
		engine.KindRejected:           exitRefused,
		engine.KindUnsupported:        exitRefused,
		engine.KindUnknownMarketplace: exitRefused,
		engine.KindConfiguration:      exitUsage,
		engine.KindMapping:            exitUsage,
	} {
		if got := errorExitCode(&engine.Error{Kind: kind}); got != want {
			t.Errorf("%s: exit %d, want %d", kind, got, want)
		}
	}
}
