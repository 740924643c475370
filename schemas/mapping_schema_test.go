package schemas

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"
)

// The mapping fixtures are mapping files written as JSON, the shape the
// engine validates after converting YAML: valid/ holds mappings that must
// pass, invalid/ holds mappings that differ from valid/minimal.json by one
// defect each.
const (
	mappingFixtures = "testdata/mapping"
	// mappingComplete uses every key the schema defines (see
	// TestMappingFixtureCoversSchema).
	mappingComplete = mappingFixtures + "/valid/skyhub-complete.json"
	// mappingDoc holds the annotated example(s) that must validate.
	mappingDoc = "../docs/mapping-format.md"
	// mappingDocMarker is the first line of every full example in mappingDoc.
	mappingDocMarker = "# yaml-language-server: $schema=../schemas/mapping.schema.json"
)

// mappingLeaf is one expected leaf error: the instance location and the
// tail of its absolute keyword location (whole segments, after $refs are
// followed: "call/additionalProperties" matches
// #/$defs/call/additionalProperties), or all of it when it starts with #.
//
// jsonschema v5 writes instance locations as JSON pointers whose tokens are
// also URL path-escaped ("X Api Key" becomes "X%20Api%20Key"), and gives a
// property with an empty name the location of its parent object.
type mappingLeaf struct {
	pointer string
	keyword string
}

// mappingInvalidCases maps each file of testdata/mapping/invalid to the leaf
// errors it must produce, and nothing else. Every file there must be listed.
var mappingInvalidCases = []struct {
	file string
	want []mappingLeaf
}{
	{"unknown-top-level-key", []mappingLeaf{{"", "#/additionalProperties"}}},
	{"unknown-key-in-call", []mappingLeaf{{"/events/order.invoiced/calls/0", "call/additionalProperties"}}},
	{"calls-as-string", []mappingLeaf{{"/events/order.invoiced/calls", "calls/type"}}},
	{"calls-and-ignore", []mappingLeaf{{"/events/order.invoiced/ignore", "dependentSchemas/calls/properties/ignore"}}},
	{"ignore-and-unsupported", []mappingLeaf{{"/events/order.delivery_failed/unsupported", "dependentSchemas/ignore/properties/unsupported"}}},
	{"guard-without-code", []mappingLeaf{{"/events/order.invoiced/guards/0", "guard/required"}}},
	{"guard-code-camel-case", []mappingLeaf{{"/events/order.invoiced/guards/0/code", "code/pattern"}}},
	{"bad-method", []mappingLeaf{{"/events/order.invoiced/calls/0/method", "httpMethod/enum"}}},
	{"event-type-typo", []mappingLeaf{{"/events/order.shiped", "events/propertyNames/enum"}}},
	{"headers-scheme-without-headers", []mappingLeaf{{"/auth/schemes/account", "authScheme/allOf/1/then/required"}}},
	{"hmac-scheme-with-headers", []mappingLeaf{{"/auth/schemes/signed/headers", "authScheme/allOf/2/then/properties/headers"}}},
	{"rate-limit-zero", []mappingLeaf{{"/events/order.invoiced/calls/0/rateLimit/perSecond", "perSecond/exclusiveMinimum"}}},
	{"calls-empty", []mappingLeaf{{"/events/order.invoiced/calls", "calls/minItems"}}},
	{"missing-events", []mappingLeaf{{"", "#/required"}}},
	{"marketplace-upper-case", []mappingLeaf{{"/marketplace", "marketplace/pattern"}}},
	{"doc-not-uri", []mappingLeaf{{"/docs/0", "docs/items/format"}}},
	{"canonical-status-unknown", []mappingLeaf{{"/statuses/payment_received/canonical", "canonical/enum"}}},
	{"header-name-with-space", []mappingLeaf{{"/headers/X%20Api%20Key", "headers/propertyNames/pattern"}}},
	{"header-value-number", []mappingLeaf{{"/headers/X-Version", "stringTemplate/type"}}},
	{"empty-condition", []mappingLeaf{{"/events/order.invoiced/calls/0/when", "expression/minLength"}}},
	{"each-with-extra-key", []mappingLeaf{{"/events/order.invoiced/calls/0/body/items", "template/then/additionalProperties"}}},
	{"each-without-value", []mappingLeaf{{"/events/order.invoiced/calls/0/body/items", "template/then/required"}}},
	{"value-without-each", []mappingLeaf{{"/events/order.invoiced/calls/0/body/invoice/items/$value", "template/else/properties/$value"}}},
	{"nested-each-not-string", []mappingLeaf{{"/events/order.invoiced/calls/0/body/lines/0/skus/$each", "expression/type"}}},
	{"confirm-attempts-21", []mappingLeaf{{"/events/order.invoiced/calls/0/confirm/attempts", "attempts/maximum"}}},
	{"confirm-interval-words", []mappingLeaf{{"/events/order.invoiced/calls/0/confirm/interval", "interval/pattern"}}},
	{"status-code-empty", []mappingLeaf{{"/statuses", "statuses/propertyNames/minLength"}}},
	{"path-without-slash", []mappingLeaf{{"/events/order.invoiced/calls/0/path", "path/pattern"}}},
	{"secret-name-with-dash", []mappingLeaf{{"/auth/schemes/account/headers/X-Api-Key", "secretName/pattern"}}},
	{"route-status-600", []mappingLeaf{{"/inbound/orders/response/status", "status/maximum"}}},
	{"route-path-with-query", []mappingLeaf{{"/inbound/orders/path", "path/pattern"}}},
	{"route-method-without-path", []mappingLeaf{{"/inbound/orders", "route/dependentRequired/method/0"}, {"/inbound/orders", "route/then/required"}}},
	{"token-without-field", []mappingLeaf{{"/auth/schemes/session/token", "tokenRequest/required"}}},
	{"mapping-header-null", []mappingLeaf{{"/headers/Content-Type", "stringTemplate/type"}}},
	{"mapping-query-null", []mappingLeaf{{"/query/format", "stringTemplate/type"}}},
	{"otherwise-without-calls", []mappingLeaf{{"/events/order.delivered", "eventRule/dependentRequired/otherwise/0"}}},
	{"otherwise-without-ignore", []mappingLeaf{{"/events/order.canceled/otherwise", "otherwise/required"}, {"/events/order.canceled/otherwise", "otherwise/additionalProperties"}}},
}

var mappingSchemaOnce = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return Compile(Mapping)
})

// compiledMappingSchema returns the compiled mapping schema or stops the test.
func compiledMappingSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := mappingSchemaOnce()
	if err != nil {
		t.Fatalf("compiling %s: %#v", Mapping, err)
	}
	return s
}

func TestMappingValidFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(mappingFixtures, "valid", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under %s/valid (%v)", mappingFixtures, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if err := compiledMappingSchema(t).Validate(readMappingJSON(t, file)); err != nil {
				t.Fatalf("got %s, want valid", mappingLeavesText(err))
			}
		})
	}
}

func TestMappingInvalidFixtures(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range mappingInvalidCases {
		listed[tc.file+".json"] = true
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join(mappingFixtures, "invalid", tc.file+".json")
			err := compiledMappingSchema(t).Validate(readMappingJSON(t, file))
			if err == nil {
				t.Fatalf("got valid, want %v", tc.want)
			}
			got := leafErrors(t, err)
			if missing, extra := matchLeaves(got, tc.want); len(missing)+len(extra) > 0 {
				t.Errorf("leaf errors: got %s; missing %v, unexpected %s",
					mappingLeavesText(err), missing, leafText(extra))
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(mappingFixtures, "invalid", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under %s/invalid (%v)", mappingFixtures, err)
	}
	for _, file := range files {
		if !listed[filepath.Base(file)] {
			t.Errorf("%s has no expectation in mappingInvalidCases", file)
		}
	}
}

// TestMappingInvalidFixturesDifferByOneDefect checks that each invalid
// fixture is valid/minimal.json with one change, so that it tests one thing.
func TestMappingInvalidFixturesDifferByOneDefect(t *testing.T) {
	base := readMappingJSON(t, filepath.Join(mappingFixtures, "valid", "minimal.json"))
	for _, tc := range mappingInvalidCases {
		t.Run(tc.file, func(t *testing.T) {
			doc := readMappingJSON(t, filepath.Join(mappingFixtures, "invalid", tc.file+".json"))
			if diffs := jsonDiffs(base, doc, ""); len(diffs) != 1 {
				t.Errorf("differs from valid/minimal.json at %q, want exactly one place", diffs)
			}
		})
	}
}

// TestMappingFixtureCoversSchema checks that the complete fixture uses every
// key the schema defines, every auth scheme type and every event type, so
// that TestMappingValidFixtures exercises the whole format.
func TestMappingFixtureCoversSchema(t *testing.T) {
	schema := readMappingJSON(t, Mapping).(map[string]any)
	fixture := readMappingJSON(t, mappingComplete)
	used := map[string]bool{}
	collectKeys(fixture, used)
	var missing []string
	for _, name := range schemaPropertyNames(schema) {
		if !used[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s never uses the keys %q", mappingComplete, missing)
	}

	defs := schema["$defs"].(map[string]any)
	types := defs["authScheme"].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["enum"].([]any)
	usedTypes := map[any]bool{}
	for _, s := range fixture.(map[string]any)["auth"].(map[string]any)["schemes"].(map[string]any) {
		usedTypes[s.(map[string]any)["type"]] = true
	}
	for _, typ := range types {
		if !usedTypes[typ] {
			t.Errorf("%s has no auth scheme of type %v", mappingComplete, typ)
		}
	}

	events := fixture.(map[string]any)["events"].(map[string]any)
	for _, typ := range mappingEnum(t, schema, "properties", "events", "propertyNames", "enum") {
		if _, ok := events[typ]; !ok {
			t.Errorf("%s does not answer %s", mappingComplete, typ)
		}
	}
}

// TestMappingSchemaAgreesWithCanonicalEvent checks the lists the mapping
// schema copies from the canonical event schema.
func TestMappingSchemaAgreesWithCanonicalEvent(t *testing.T) {
	mapping := readMappingJSON(t, Mapping).(map[string]any)
	event := readMappingJSON(t, CanonicalEvent).(map[string]any)
	tests := []struct {
		name      string
		got, want []string
	}{
		{"event types", mappingEnum(t, mapping, "properties", "events", "propertyNames", "enum"),
			mappingEnum(t, event, "properties", "type", "enum")},
		{"canonical statuses", mappingEnum(t, mapping, "$defs", "status", "properties", "canonical", "enum"),
			mappingEnum(t, event, "$defs", "order", "properties", "status", "enum")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.got, tc.want) {
				t.Errorf("got %q, want %q (from %s)", tc.got, tc.want, CanonicalEvent)
			}
		})
	}
}

// TestMappingSchemaShape checks what editors and the engine rely on: the $id;
// a $defs entry per model type, each with a title and a description; a title,
// a description and examples on every property; every object closed or
// typed by additionalProperties.
func TestMappingSchemaShape(t *testing.T) {
	schema := readMappingJSON(t, Mapping).(map[string]any)
	if got, want := schema["$id"], BaseURL+Mapping; got != want {
		t.Errorf("$id: got %v, want %s", got, want)
	}
	if got, want := schema["$schema"], "https://json-schema.org/draft/2020-12/schema"; got != want {
		t.Errorf("$schema: got %v, want %s", got, want)
	}
	defs, _ := schema["$defs"].(map[string]any)
	for _, name := range []string{"variable", "environment", "auth", "authScheme", "tokenRequest", "status", "eventRule",
		"guard", "call", "response", "rateLimit", "confirm", "route", "routeResponse", "template", "expression"} {
		def, ok := defs[name].(map[string]any)
		if !ok {
			t.Errorf("$defs/%s is missing", name)
			continue
		}
		if def["title"] == nil || def["description"] == nil {
			t.Errorf("$defs/%s: want a title and a description", name)
		}
	}
	walkMappingSchema(schema, "", func(ptr string, s map[string]any, isProperty bool) {
		if isProperty && (s["title"] == nil || s["description"] == nil || s["examples"] == nil) {
			t.Errorf("%s: want a title, a description and examples", ptr)
		}
		if s["type"] == "object" && s["additionalProperties"] == nil && !strings.HasSuffix(ptr, "/if") {
			t.Errorf("%s: object without additionalProperties", ptr)
		}
		for _, kw := range []string{"oneOf", "anyOf"} {
			if s[kw] != nil {
				t.Errorf("%s: %s gives confusing leaf errors; use if/then or dependentSchemas", ptr, kw)
			}
		}
	})
}

// TestMappingDocExample validates the full examples of docs/mapping-format.md
// (YAML blocks whose first line is mappingDocMarker), converted to JSON as
// the engine does.
func TestMappingDocExample(t *testing.T) {
	blocks := yamlBlocks(t, mappingDoc)
	n := 0
	for i, block := range blocks {
		if !strings.HasPrefix(block.text, mappingDocMarker+"\n") {
			continue
		}
		n++
		t.Run(fmt.Sprintf("line %d", block.line), func(t *testing.T) {
			var doc any
			if err := yaml.Unmarshal([]byte(block.text), &doc); err != nil {
				t.Fatalf("block %d: %v", i, err)
			}
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatalf("block %d: %v", i, err)
			}
			var v any
			mustUnmarshal(t, data, &v)
			if err := compiledMappingSchema(t).Validate(v); err != nil {
				t.Fatalf("got %s, want valid", mappingLeavesText(err))
			}
		})
	}
	if n == 0 {
		t.Fatalf("%s has no yaml block starting with %q", mappingDoc, mappingDocMarker)
	}
}

// matchLeaves pairs got with want (same pointer, absolute keyword location
// ending in the wanted keyword) and returns what is left of each.
func matchLeaves(got []*jsonschema.ValidationError, want []mappingLeaf) (missing []mappingLeaf, extra []*jsonschema.ValidationError) {
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && g.InstanceLocation == w.pointer && keywordEndsWith(g, w.keyword) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	for i, g := range got {
		if !used[i] {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// keywordEndsWith reports whether the fragment of e's absolute keyword
// location ends with the segments of tail, or is tail when tail starts with #.
func keywordEndsWith(e *jsonschema.ValidationError, tail string) bool {
	_, frag, _ := strings.Cut(e.AbsoluteKeywordLocation, "#")
	if strings.HasPrefix(tail, "#") {
		return "#"+frag == tail
	}
	return strings.HasSuffix("/"+frag, "/"+tail)
}

// mappingLeavesText lists the leaf errors of err as "pointer (keyword
// location): message", for failure messages.
func mappingLeavesText(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	return leafText(appendLeaves(nil, ve))
}

func leafText(leaves []*jsonschema.ValidationError) string {
	var lines []string
	for _, e := range leaves {
		_, frag, _ := strings.Cut(e.AbsoluteKeywordLocation, "#")
		lines = append(lines, fmt.Sprintf("%q (#%s): %s", e.InstanceLocation, frag, e.Message))
	}
	sort.Strings(lines)
	return "[" + strings.Join(lines, "; ") + "]"
}

// jsonDiffs returns the JSON pointers where a and b differ, stopping at the
// first differing value on each branch.
func jsonDiffs(a, b any, ptr string) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			out = append(out, jsonDiffs(am[k], bm[k], ptr+"/"+k)...)
		}
		sort.Strings(out)
		return out
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		var out []string
		for i := range as {
			out = append(out, jsonDiffs(as[i], bs[i], fmt.Sprintf("%s/%d", ptr, i))...)
		}
		return out
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return nil
	}
	return []string{ptr}
}

// walkMappingSchema calls f on every subschema of s that is an object.
// isProperty is true for the schemas of named properties outside if
// conditions and dependentSchemas (which only restate constraints).
func walkMappingSchema(s map[string]any, ptr string, f func(ptr string, s map[string]any, isProperty bool)) {
	walkMapping(s, ptr, false, f)
}

func walkMapping(s map[string]any, ptr string, inCondition bool, f func(string, map[string]any, bool)) {
	for _, kw := range []string{"properties", "$defs", "dependentSchemas"} {
		m, _ := s[kw].(map[string]any)
		for name, sub := range m {
			if sub, ok := sub.(map[string]any); ok {
				cond := inCondition || kw == "dependentSchemas"
				f(ptr+"/"+kw+"/"+name, sub, kw == "properties" && !cond)
				walkMapping(sub, ptr+"/"+kw+"/"+name, cond, f)
			}
		}
	}
	for _, kw := range []string{"items", "additionalProperties", "propertyNames", "if", "then", "else"} {
		if sub, ok := s[kw].(map[string]any); ok {
			f(ptr+"/"+kw, sub, false)
			walkMapping(sub, ptr+"/"+kw, inCondition || kw == "if", f)
		}
	}
	all, _ := s["allOf"].([]any)
	for i, sub := range all {
		if sub, ok := sub.(map[string]any); ok {
			walkMapping(sub, fmt.Sprintf("%s/allOf/%d", ptr, i), inCondition, f)
		}
	}
}

// schemaPropertyNames returns the sorted names of the properties the schema
// documents (those walkMappingSchema reports as properties).
func schemaPropertyNames(schema map[string]any) []string {
	seen := map[string]bool{}
	walkMappingSchema(schema, "", func(ptr string, _ map[string]any, isProperty bool) {
		if isProperty {
			seen[ptr[strings.LastIndexByte(ptr, '/')+1:]] = true
		}
	})
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// collectKeys adds every object key found in v to keys.
func collectKeys(v any, keys map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			keys[strings.TrimSuffix(k, "?")] = true
			collectKeys(sub, keys)
		}
	case []any:
		for _, sub := range v {
			collectKeys(sub, keys)
		}
	}
}

// mappingEnum returns the strings at the path of keys in doc.
func mappingEnum(t *testing.T, doc map[string]any, path ...string) []string {
	t.Helper()
	var v any = doc
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s", strings.Join(path, "/"))
		}
		v = m[k]
	}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%s is not a list", strings.Join(path, "/"))
	}
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// yamlBlock is a fenced ```yaml block of a Markdown file and the line of its
// first content line.
type yamlBlock struct {
	line int
	text string
}

func yamlBlocks(t *testing.T, name string) []yamlBlock {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []yamlBlock
	var cur *yamlBlock
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &yamlBlock{line: n + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s: yaml block at line %d is not closed", name, cur.line)
	}
	return blocks
}

// readMappingJSON decodes a JSON file (relative to this folder: a bundled
// schema's name works) with numbers as json.Number, as the validator wants.
func readMappingJSON(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	mustUnmarshal(t, data, &v)
	return v
}
