package engine_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"go.yaml.in/yaml/v3"
)

// The runnable examples of docs/mapping-format.md: a Markdown comment
// <!-- example: NAME PART --> names the fenced block that follows it, PART
// being mapping (YAML added to docBaseMapping), event (JSON merged into
// docBaseEvent, as a JSON merge patch: null deletes) or result (the output
// of translate, or the error document; "..." matches any value).
const (
	docExamplesFile = "../docs/mapping-format.md"
	docBaseMapping  = `marketplace: example
name: Example
timezone: America/Sao_Paulo
environments:
  production:
    baseUrl: https://api.example.com
statuses:
  pending: {canonical: approved}
  shipped: {canonical: shipped}
  delivered: {canonical: delivered, final: true}
  canceled: {canonical: canceled, final: true}
events: {}
`
	docBaseEvent = `{"specVersion": "1.0", "id": "evt-1", "type": "order.shipped", "occurredAt": "2024-05-10T10:00:00-03:00",
 "marketplace": "example", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1", "marketplaceStatus": "pending"},
 "items": [{"sku": "SKU-1", "quantity": 1}], "shipment": {"carrier": "Correios", "trackingCode": "BR123"}}`
)

// docExamplesWanted are the examples the page must keep: one per language
// or format feature that has no other runnable example.
var docExamplesWanted = []string{"list-equality", "tables", "every-call", "otherwise", "oauth2-authorization-code", "bodies", "ignore-when"}

type docExample struct {
	name, mapping, event, result string
	line                         int
}

func TestMappingFormatExamples(t *testing.T) {
	examples := readDocExamples(t, docExamplesFile)
	for _, name := range docExamplesWanted {
		if _, ok := examples[name]; !ok {
			t.Errorf("%s has no runnable example %q", docExamplesFile, name)
		}
	}
	for name, ex := range examples {
		t.Run(name, func(t *testing.T) {
			if ex.mapping == "" || ex.event == "" || ex.result == "" {
				t.Fatalf("line %d: example %q needs a mapping, an event and a result block", ex.line, name)
			}
			eng := loadDocMapping(t, ex.mapping)
			raw := mergeJSON(t, docBaseEvent, ex.event)
			res, err := eng.Translate(raw, engine.TranslateOptions{})
			var got []byte
			var refusal *engine.Error
			switch {
			case errors.As(err, &refusal):
				got, err = json.Marshal(map[string]any{"error": refusal})
			case err == nil:
				got, err = json.Marshal(res)
			}
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			var g, w any
			mustJSON(t, got, &g)
			mustJSON(t, []byte(ex.result), &w)
			if diff := matchDoc(g, w, ""); diff != "" {
				t.Errorf("line %d: %s\n got %s", ex.line, diff, got)
			}
		})
	}
}

// readDocExamples collects the blocks named by example comments.
func readDocExamples(t *testing.T, file string) map[string]*docExample {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*docExample{}
	sc := bufio.NewScanner(f)
	var target *string
	var block *strings.Builder
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case block != nil && strings.HasPrefix(line, "```"):
			*target, target, block = block.String(), nil, nil
		case block != nil:
			block.WriteString(line + "\n")
		case target != nil && strings.HasPrefix(line, "```"):
			block = &strings.Builder{}
		case strings.HasPrefix(line, "<!-- example: "):
			name, part, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(line, "<!-- example: "), " -->"), " ")
			if !ok {
				t.Fatalf("%s:%d: want <!-- example: NAME PART -->", file, n)
			}
			ex := out[name]
			if ex == nil {
				ex = &docExample{name: name, line: n}
				out[name] = ex
			}
			switch part {
			case "mapping":
				target = &ex.mapping
			case "event":
				target = &ex.event
			case "result":
				target = &ex.result
			default:
				t.Fatalf("%s:%d: part %q is not mapping, event or result", file, n, part)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadDocMapping loads docBaseMapping with the example's YAML added to it.
func loadDocMapping(t *testing.T, fragment string) *engine.Engine {
	t.Helper()
	var base, add map[string]any
	if err := yaml.Unmarshal([]byte(docBaseMapping), &base); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(fragment), &add); err != nil {
		t.Fatalf("example mapping: %v", err)
	}
	merged, err := yaml.Marshal(mergeMaps(base, add))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Load(fstest.MapFS{"example.yaml": {Data: merged}})
	if err != nil {
		t.Fatalf("load:\n%v\n%s", err, merged)
	}
	return eng
}

// mergeMaps adds over to base: objects merge key by key, anything else in
// over replaces, and a null in over deletes (a JSON merge patch).
func mergeMaps(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		b, bok := out[k].(map[string]any)
		o, ook := v.(map[string]any)
		switch {
		case v == nil:
			delete(out, k)
		case bok && ook:
			out[k] = mergeMaps(b, o)
		default:
			out[k] = v
		}
	}
	return out
}

func mergeJSON(t *testing.T, base, patch string) []byte {
	t.Helper()
	var b, p map[string]any
	mustJSON(t, []byte(base), &b)
	mustJSON(t, []byte(patch), &p)
	out, err := json.Marshal(mergeMaps(b, p))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
}

// matchDoc compares got with the documented want, where the string "..."
// matches any value; it returns the first difference, or "".
func matchDoc(got, want any, at string) string {
	if want == "..." {
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", at, got)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s/%s: got %v, which the docs do not show", at, k, g[k])
			}
		}
		for k, v := range w {
			if d := matchDoc(g[k], v, at+"/"+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d elements", at, got, len(w))
		}
		for i := range w {
			if d := matchDoc(g[i], w[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%s: got %v, want %v", at, got, want)
	}
	return ""
}
