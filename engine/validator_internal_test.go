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
		if w, g := findings(want), findings(checkEvent(fast, doc)); !reflect.DeepEqual(w, g) {
			t.Fatalf("findings differ for %s\nfull: %v\nfast: %v", raw, w, g)
		}
		return true
	}
}
