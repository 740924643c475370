package lang

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

// TestAllowListIsEnforced: what the documented allow-list leaves out does
// not compile, with expr_not_allowed at the call; let, which the list
// documents, does.
func TestAllowListIsEnforced(t *testing.T) {
	for _, text := range []string{
		`len(reduce(items, #acc + #.quantity, 0)) > 0`,
		`len(groupBy(items, #.sku)) > 0`,
		`len(sortBy(items, #.sku)) > 0`,
		`len(keys($env)) > 0`,
		`findLast(items, #.quantity > 1) != nil`,
		`findLastIndex(items, #.quantity > 1) > 0`,
	} {
		t.Run(text, func(t *testing.T) {
			_, ds := Compile(src(text), Options{Lib: lib(t), Bool: true})
			if len(ds) == 0 || ds[0].Code != diag.ExprNotAllowed {
				t.Fatalf("got %v, want %s", ds, diag.ExprNotAllowed)
			}
		})
	}
	if _, ds := Compile(src(`let n = len(items); n > 1`), Options{Lib: lib(t), Bool: true}); len(ds) > 0 {
		t.Errorf("let: %v, want it compiled", ds)
	}
}

// TestCostIsBoundedAtLoad: a constant repeat too long, string building in
// a predicate and a predicate in a predicate are lint errors (expr_cost).
func TestCostIsBoundedAtLoad(t *testing.T) {
	for _, text := range []string{
		`len(repeat(repeat("x", 99999), 1000000)) > 0`,
		`len(repeat("ab", 40000)) > 0`,
		`len(map(items, order.id + "x")) > 0`,
		`len(map(1..1000, repeat(order.id, 10))) > 0`,
		`len(map(items, join([#.sku], ","))) > 0`,
		`len(map(items, toJSON(#))) > 0`,
		`len(map(items, string(#))) > 0`,
		`len(map(items, replace(#.sku, "a", "b"))) > 0`,
		`any(items, any(items, true))`,
		`any(items, any(1..100000, true))`,
		`let s = order.id; len(map(1..10, s + s)) > 0`,
	} {
		t.Run(text, func(t *testing.T) {
			_, ds := Compile(src(text), Options{Lib: lib(t), Bool: true})
			if len(ds) == 0 || ds[0].Code != diag.ExprCost {
				t.Fatalf("got %v, want %s", ds, diag.ExprCost)
			}
		})
	}
	if _, ds := Compile(src(`sum(items, sum(#.tags ?? [], 1)) > 0`), Options{Lib: lib(t), Bool: true, Dialect: Inbound, Names: []string{"items"}}); len(ds) > 0 {
		t.Errorf("a loop over the element's own list: %v, want it compiled", ds)
	}
	if _, ds := Compile(src(`len(repeat("ab", 32768)) > 0`), Options{Lib: lib(t), Bool: true}); len(ds) > 0 {
		t.Errorf("repeat at the limit: %v, want it compiled", ds)
	}
}

// TestCostIsBoundedBeforeAllocating: at run time an operation that would
// build more than MaxTextBytes fails before it allocates the text, and one
// at the limit succeeds.
func TestCostIsBoundedBeforeAllocating(t *testing.T) {
	env := mustEnv(t, strings.Replace(ev, `"id":"o1"`, `"id":"`+strings.Repeat("a", 1000)+`"`, 1))
	tests := []struct {
		text string
		ok   bool
	}{
		{`len(repeat(order.id, 65)) > 0`, true},
		{`len(repeat(order.id, 66)) > 0`, false},
		{`len(repeat(repeat(order.id, 60), 1000000)) > 0`, false},
		{`len(join(map(1..65, order.id), "")) > 0`, true},
		{`len(join(map(1..66, order.id), "")) > 0`, false},
		{`len(join(map(1..20000, order.id), ",")) > 0`, false},
		{`len(toJSON(map(1..20000, order.id))) > 0`, false},
		{`len(string(map(1..20000, order.id))) > 0`, false},
		{`len(replace(order.id, "a", repeat("b", 65))) > 0`, true},
		{`len(replace(order.id, "a", repeat("b", 66))) > 0`, false},
		{`len(replace(order.id, "", repeat("b", 100))) > 0`, false},
		{`let a = repeat(order.id, 33); let b = a + a; len(b) > 0`, false},
		{`let a = repeat(order.id, 32); let b = a + a; len(b) > 0`, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, ds := Compile(src(tt.text), Options{Lib: lib(t), Bool: true})
			if len(ds) > 0 {
				t.Fatalf("compile: %v", ds)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := p.Run(env)
			runtime.ReadMemStats(&after)
			var tl *TextTooLongError
			if got := err == nil; got != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok && !errors.As(err, &tl) {
				t.Errorf("err = %v, want a *TextTooLongError", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d bytes, want at most a few times MaxTextBytes", grew)
			}
		})
	}
}
