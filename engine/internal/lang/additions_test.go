package lang

import (
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

// TestListEquality: lists compare element by element, whatever Go type holds
// them, so that (items ?? []) == [] is true exactly for an empty list.
func TestListEquality(t *testing.T) {
	empty := mustEnv(t, `{"id":"e1","items":[]}`)
	two := mustEnv(t, ev)
	noItems := mustEnv(t, `{"id":"e1"}`)
	tests := []struct {
		name string
		env  *Env
		text string
		want bool
	}{
		{"empty items == []", empty, `(items ?? []) == []`, true},
		{"absent items ?? [] == []", noItems, `(items ?? []) == []`, true},
		{"two items == []", two, `(items ?? []) == []`, false},
		{"empty items != []", empty, `items != []`, false},
		{"two items != []", two, `items != []`, true},
		{"[] == items", empty, `[] == items`, true},
		{"equal string lists", two, `map(items, .sku) == ["s1", "s2"]`, true},
		{"other order", two, `map(items, .sku) == ["s2", "s1"]`, false},
		{"numbers across types", two, `map(items, .quantity) == [1, 2.0]`, true},
		{"shorter", two, `map(items, .sku) == ["s1"]`, false},
		{"scalars untouched", two, `order.id == "o1"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ds := Compile(src(tt.text), Options{Lib: lib(t), Bool: true})
			if len(ds) > 0 {
				t.Fatalf("compile: %v", ds)
			}
			got, err := p.Run(tt.env)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTables: lookup with a default, and key in tables.NAME.
func TestTables(t *testing.T) {
	env := mustEnv(t, ev) // cancellation.reason is "fraud", not in the table
	tests := []struct {
		text string
		want any
	}{
		{`lookup("reason", cancellation.reason, "Outro")`, "Outro"},
		{`lookup("reason", "out_of_stock", "Outro")`, "Sem estoque"},
		{`cancellation.reason in tables.reason`, false},
		{`"out_of_stock" in tables.reason`, true},
		{`cancellation.reason not in tables.reason`, true},
		{`"out_of_stock" in tables.reason ? lookup("reason", "out_of_stock") : "x"`, "Sem estoque"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, ds := Compile(src(tt.text), Options{Lib: lib(t)})
			if len(ds) > 0 {
				t.Fatalf("compile: %v", ds)
			}
			got, err := p.Run(env)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestTablesErrors(t *testing.T) {
	tests := []struct {
		text string
		col  int
		msg  string
	}{
		{`cancellation.reason in tables.reasons`, 38, `unknown value table "reasons"; declare it under tables: (did you mean 'reason'?)`},
		{`len(tables.reason) > 0`, 19, "can only be tested with in"},
		{`len(tables) > 0`, 19, "tables is read only as key in tables.NAME"},
		{`lookup("reason", cancellation.reason, 1) == ""`, 53, "cannot use"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, ds := Compile(src(tt.text), Options{Lib: lib(t), Bool: true})
			if len(ds) == 0 {
				t.Fatalf("no diagnostics for %q", tt.text)
			}
			d := ds[0]
			if d.Pos.Col != tt.col || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("got %d %s: %s, want col %d and %q", d.Pos.Col, d.Code, d.Message, tt.col, tt.msg)
			}
			if tt.msg != "cannot use" && d.Code != diag.UnknownTable {
				t.Errorf("code %s, want %s", d.Code, diag.UnknownTable)
			}
		})
	}
}

func TestComplementary(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`(order.attributes.n ?? "") != ""`, `(order.attributes.n ?? "") == ""`, true},
		{`current == "pending"`, `current != "pending"`, true},
		{`has(invoice.key)`, `!has(invoice.key)`, true},
		{`not has(invoice.key)`, `has(invoice.key)`, true},
		{`len(items) > 1`, `len(items) <= 1`, true},
		{`len(items) < 1`, `len(items) >= 1`, true},
		{`current in ["pending", "paid"]`, `current not in ["pending", "paid"]`, true},
		{`current in ["pending", "paid"]`, `current not in ["pending"]`, false},
		{`current == "pending"`, `current == "pending"`, false},
		{`current == "pending"`, `current != "shipped"`, false},
		{`len(items) > 1`, `len(items) < 1`, false},
		{`has(invoice.key)`, `has(invoice.number)`, false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" | "+tt.b, func(t *testing.T) {
			a, ds := Compile(src(tt.a), Options{Bool: true})
			b, ds2 := Compile(src(tt.b), Options{Bool: true})
			if len(ds)+len(ds2) > 0 {
				t.Fatalf("compile: %v %v", ds, ds2)
			}
			if got := Complementary(a, b); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
