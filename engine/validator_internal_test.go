package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rotahq/rota/schemas"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

func TestFastValidatorRecognisesTheSchema(t *testing.T) {
	v, err := canonicalValidator()
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

// TestFastValidatorAgrees validates events with the whole canonical schema
// and with the fast validator (schema without its allOf + the type rules in
// Go) and requires the same findings: every fixture and example, and each
// of them with every top-level member, and order.id, removed, for every
// event type.
func TestFastValidatorAgrees(t *testing.T) {
	t.Parallel() // CPU-bound and independent: the slowest tests of the package overlap
	agree := validatorsAgree(t)
	n := 0
	for _, raw := range corpus(t) {
		for _, variant := range append(variants(t, raw), leafVariants(t, raw)...) {
			if agree(t, variant) {
				n++
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d events compared", n)
	}
}

func corpus(t *testing.T) [][]byte {
	out := corpusFiles()
	if len(out) < 20 {
		t.Fatalf("corpus of %d events is too small", len(out))
	}
	return out
}

// corpusFiles reads the example events and the schema's test events.
func corpusFiles() [][]byte {
	var out [][]byte
	for _, glob := range []string{"../examples/events/*/*.json", "../schemas/testdata/*/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err == nil && json.Valid(raw) {
				out = append(out, raw)
			}
		}
	}
	return out
}

var eventTypes = []string{"order.created", "order.approved", "order.handling", "order.invoiced", "order.ready_to_ship",
	"order.shipped", "order.delivered", "order.canceled", "order.delivery_failed", "order.shipment_exception", "nope"}

func variants(t *testing.T, raw []byte) [][]byte {
	out := [][]byte{raw}
	for _, typ := range eventTypes {
		typed, _ := sjson.SetBytes(raw, "type", typ)
		out = append(out, typed)
		for _, p := range []string{"order.id", "order", "invoice", "delivery", "cancellation", "failure", "exception", "type"} {
			cut, err := sjson.DeleteBytes(typed, p)
			if err == nil {
				out = append(out, cut)
			}
		}
	}
	return out
}

// leafVariants returns raw with each leaf value replaced in turn by values
// of every JSON type, integers out of range and numbers written with a
// fraction or an exponent: the cases the integer keyword decides.
func leafVariants(t *testing.T, raw []byte) [][]byte {
	var out [][]byte
	for _, path := range leafPaths(gjson.ParseBytes(raw), "") {
		for _, v := range []string{`-1`, `0`, `1.5`, `1e2`, `2.0`, `-0`, `99999999999999999999`, `-9223372036854775809`, `"7"`, `""`, `true`, `null`, `{}`, `[]`} {
			edited, err := sjson.SetRawBytes(raw, path, []byte(v))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, edited)
		}
	}
	return out
}

// findings renders details for comparison: code, path and message, except
// the explanation the type rules add to a missing field's message (": a
// order.invoiced event carries it"), which the schema cannot give.
func findings(ds []Detail) []string {
	var out []string
	for _, d := range ds {
		msg := d.Message
		if d.Code == CodeMissingField {
			msg, _, _ = strings.Cut(msg, ": a ")
		}
		out = append(out, d.Code+" "+d.Path+" "+msg)
	}
	sort.Strings(out)
	return out
}

// FuzzFastValidatorAgrees holds the runtime schema (type rules in Go,
// references inlined, integers checked by intKeyword) to the whole
// canonical schema's findings on arbitrary JSON:
// go test ./engine -run '^$' -fuzz '^FuzzFastValidatorAgrees$'
func FuzzFastValidatorAgrees(f *testing.F) {
	for _, raw := range corpusFiles() {
		f.Add(raw)
	}
	agree := validatorsAgree(f)
	f.Fuzz(func(t *testing.T, raw []byte) { agree(t, raw) })
}

// validatorsAgree returns a check that validates an event with the whole
// canonical schema and with the runtime one and fails the test when their
// findings differ; it reports false for input that is not JSON.
func validatorsAgree(tb testing.TB) func(*testing.T, []byte) bool {
	full, err := schemas.CanonicalEventSchema()
	if err != nil {
		tb.Fatal(err)
	}
	fast, err := canonicalValidator()
	if err != nil {
		tb.Fatal(err)
	}
	return func(t *testing.T, raw []byte) bool {
		doc, err := decodeJSON(raw)
		if err != nil {
			return false
		}
		var want []Detail
		if err := full.Validate(doc); err != nil {
			want = schemaDetails(err)
		}
		if w, g := findings(want), findings(fast.validate(doc)); !reflect.DeepEqual(w, g) {
			t.Fatalf("findings differ for %s\nfull: %v\nfast: %v", raw, w, g)
		}
		return true
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
