package fastschema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rotahq/rota/schemas"
)

func TestFastValidatorRecognisesTheSchema(t *testing.T) {
	v, err := Compile()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.rules) != 6 {
		t.Fatalf("%d type rules recognised, want the schema's 6 (the full schema would be used)", len(v.rules))
	}
	doc, _, _, err := runtimeSchema()
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, left := range []string{`"$ref"`, `"integer"`} {
		if strings.Contains(string(out), left) {
			t.Errorf("the runtime schema still has %s: a reference or an integer leaf took a shape the rewrite does not know", left)
		}
	}
	src, err := schemas.FS.ReadFile(schemas.CanonicalEvent)
	if err != nil {
		t.Fatal(err)
	}
	// Inlining copies a definition to each place that refers to it, so
	// there are at least as many rewritten leaves as the file has.
	if n, want := strings.Count(string(out), `"`+intKeyword+`"`), strings.Count(string(src), `"integer"`); n < want || want == 0 {
		t.Errorf("%d integer leaves rewritten, want at least the schema's %d", n, want)
	}
}

// TestInlineRefs checks the reference inlining on its own: a definition is
// copied in (and its own references too), a reference back into a
// definition being expanded stays a reference, and a reference with other
// keywords beside it, or to anything but a definition, is left alone.
func TestInlineRefs(t *testing.T) {
	var doc map[string]any
	src := `{
		"$defs": {
			"leaf": {"type": "string"},
			"pair": {"type": "object", "properties": {"a": {"$ref": "#/$defs/leaf"}}},
			"tree": {"type": "object", "properties": {"child": {"$ref": "#/$defs/tree"}}}
		},
		"properties": {
			"p": {"$ref": "#/$defs/pair", "description": "a pair"},
			"q": {"$ref": "#/$defs/pair"},
			"t": {"$ref": "#/$defs/tree"},
			"s": {"$ref": "#/$defs/leaf", "minLength": 1},
			"o": {"$ref": "other.json#/$defs/leaf"}
		}
	}`
	if err := json.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	inlineRefs(doc)
	props := doc["properties"].(map[string]any)
	want := map[string]string{
		"p": `{"properties":{"a":{"type":"string"}},"type":"object"}`,
		"t": `{"properties":{"child":{"$ref":"#/$defs/tree"}},"type":"object"}`,
		"s": `{"$ref":"#/$defs/leaf","minLength":1}`,
		"o": `{"$ref":"other.json#/$defs/leaf"}`,
	}
	for name, w := range want {
		got, err := json.Marshal(props[name])
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != w {
			t.Errorf("%s: got %s, want %s", name, got, w)
		}
	}
	// Each place gets its own copy: changing one changes neither the other
	// nor the definition.
	props["p"].(map[string]any)["type"] = "changed"
	if q := props["q"].(map[string]any); q["type"] != "object" {
		t.Errorf("two places share one copy of $defs/pair: q became %v", q)
	}
	if def := doc["$defs"].(map[string]any)["pair"].(map[string]any); def["type"] != "object" {
		t.Errorf("inlining shares the definition's map: $defs/pair became %v", def)
	}
}
