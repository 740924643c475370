package mapping

import (
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// chainSchema refuses a node of a chain that has lost its next node (a
// node has x and next, or x and end), so that each removal exposes a new
// finding one level up: a chain of depth d whose last next is refused is
// removed in d+2 rounds, and the third round finds it accepted.
const chainSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {"marketplace": {"type": "string"}, "chain": {"$ref": "#/$defs/node"}},
  "$defs": {"node": {
    "type": "object", "minProperties": 2, "additionalProperties": false,
    "properties": {"x": {"type": "string"}, "end": {"type": "boolean"}, "next": {"$ref": "#/$defs/node"}}
  }}
}`

// chain builds a chain of depth nodes whose last next is not a node.
func chain(depth int) string {
	var b strings.Builder
	b.WriteString("marketplace: m\nchain:\n")
	indent := "  "
	for range depth {
		b.WriteString(indent + "x: a\n" + indent + "next:\n")
		indent += "  "
	}
	b.WriteString(indent + "x: a\n" + indent + "next: 5\n")
	return b.String()
}

// TestSalvageRounds: Salvage removes what the schema refuses round after
// round, up to maxSalvageRounds, and gives up past it.
func TestSalvageRounds(t *testing.T) {
	schema, err := jsonschema.CompileString("chain.schema.json", chainSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		depth   int
		removed int // values removed; -1: nothing salvaged
	}{
		{0, 2}, // next: 5, then the node left with x alone
		{maxSalvageRounds - 3, maxSalvageRounds - 1}, // the deepest that fits
		{maxSalvageRounds - 2, -1},                   // one round too many
	} {
		f, removed := Salvage("m.yaml", []byte(chain(tt.depth)), schema)
		switch {
		case tt.removed < 0 && f != nil:
			t.Errorf("depth %d: salvaged %v, want nothing past %d rounds", tt.depth, removed, maxSalvageRounds)
		case tt.removed >= 0 && (f == nil || f.Mapping == nil || len(removed) != tt.removed):
			t.Errorf("depth %d: file %v, removed %v; want %d values removed", tt.depth, f, removed, tt.removed)
		case f != nil && f.Mapping.Marketplace != "m":
			t.Errorf("depth %d: marketplace %q, want the part the schema accepts kept", tt.depth, f.Mapping.Marketplace)
		}
	}
}

// TestSalvageKeepsPositions: what is left keeps the positions of the
// original source, and a refused top level is not salvaged.
func TestSalvageKeepsPositions(t *testing.T) {
	schema, err := jsonschema.CompileString("chain.schema.json", chainSchema)
	if err != nil {
		t.Fatal(err)
	}
	f, removed := Salvage("m.yaml", []byte("marketplace: m\nchain: {x: a, y: b, next: {x: c, end: true}}\n"), schema)
	if f == nil || strings.Join(removed, " ") != "/chain/y" {
		t.Fatalf("removed %v (file %v)", removed, f)
	}
	if got := f.PosOf("/chain/next/x").String(); got != "m.yaml:2:31" {
		t.Errorf("position of /chain/next/x %s, want m.yaml:2:31", got)
	}
	if f, _ := Salvage("m.yaml", []byte("- a list\n"), schema); f != nil {
		t.Error("a top level the schema refuses was salvaged")
	}
}
