package engine_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// skyhubEdited returns the bundled SkyHub mapping with each pair of edits
// applied (old, new, old, new...), failing when an old text is missing.
func skyhubEdited(t *testing.T, edits ...string) []byte {
	t.Helper()
	src, err := os.ReadFile("../mappings/skyhub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("%q is not in skyhub.yaml", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

func codes(ds diag.List) string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Code))
	}
	return strings.Join(out, " ")
}

// TestLintBeyondTheSchema: lint reports, with the schema's findings, those
// of the parts the schema accepts, sorted by position; findings that would
// only follow from a part the schema refused are left out.
func TestLintBeyondTheSchema(t *testing.T) {
	tests := []struct {
		name  string
		edits []string
		want  string // the codes, in order
	}{
		{"an unknown key and a misspelled field",
			[]string{"        leadsTo: order_invoiced\n", "        leadTo: order_invoiced\n", "${ invoice.key }", "${ invoice.kee }"},
			"unknown_key unknown_field"},
		{"a time zone typo after schema findings",
			[]string{"timezone: America/Sao_Paulo", "timezone: America/Sao_Paolo", "  order_invoiced: {canonical: invoiced, label: Faturado}", "  order_invoiced: {canonical: invoiced, label: [Faturado]}"},
			"unknown_timezone schema"},
		{"a status the schema refuses is not also unknown where it is used",
			[]string{"  order_invoiced: {canonical: invoiced, label: Faturado}", "  order_invoiced: {canonical: invoiced, label: [Faturado]}", "${ invoice.key }", "${ invoice.kee }"},
			"schema unknown_field"},
		{"a guard missing a key is left out, the rest is checked",
			[]string{"        require: len(items) > 0\n", "        require: len(items) > 0\n        requires: x\n", "${ invoice.key }", "${ invoice.kee }"},
			"unknown_field unknown_key"},
		{"the top level refused: the schema's findings alone",
			[]string{"marketplace: skyhub\n", "", "${ invoice.key }", "${ invoice.kee }"},
			"schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := lintSource("skyhub.yaml", skyhubEdited(t, tt.edits...))
			if got := codes(ds); got != tt.want {
				t.Errorf("codes %q, want %q:\n%s", got, tt.want, ds.Format(false))
			}
			for i := 1; i < len(ds); i++ {
				if a, b := ds[i-1].Pos, ds[i].Pos; a.Line > b.Line || (a.Line == b.Line && a.Col > b.Col) {
					t.Errorf("findings out of order:\n%s", ds.Format(false))
				}
			}
		})
	}
}

// TestLintBeyondTheSchemaWithAliases: a refused key inside an anchored
// block repeated by aliases is reported at the anchor, and the rest of the
// file is still checked.
func TestLintBeyondTheSchemaWithAliases(t *testing.T) {
	src, err := os.ReadFile("../mappings/napse.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "        marketplaceCode: \"991\"\n", "        marketplaceCode: \"991\"\n        requires: x\n", 1)
	s = strings.Replace(s, "order.marketplaceOrderId }", "order.marketplaceOrderID }", 1)
	if s == string(src) {
		t.Fatal("napse.yaml changed: the edits do not apply")
	}
	ds := lintSource("napse.yaml", []byte(s))
	if got := codes(ds); got != "unknown_key unknown_field" {
		t.Errorf("codes %q, want the key at the anchor and the misspelled field:\n%s", got, ds.Format(false))
	}
}

// lintSource returns every finding of one mapping file held in memory.
func lintSource(name string, src []byte) diag.List {
	_, _, ds := engine.LoadMapping(name, src)
	return ds
}
