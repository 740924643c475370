package native

import (
	"reflect"
	"testing"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/lang"
)

// compiled is an expression compiled by lang for expr's VM, with the
// native form Compile gave its checked tree.
type compiled struct {
	*lang.Program
	native *Program
}

// compile compiles text as the engine does: lang checks it and compiles it
// for the VM, and asks Compile for its native form.
func compile(t *testing.T, text string, o lang.Options) compiled {
	t.Helper()
	var np *Program
	lib := *o.Lib
	lib.Configs = lang.NewConfigs(func(root ast.Node, l *lang.Library) (lang.Native, ast.Node) {
		p, ok := Compile(root, l)
		np = p
		if !ok {
			return nil, p.Culprit()
		}
		return p, nil
	})
	o.Lib = &lib
	p, ds := lang.Compile(lang.Source{Text: text, Pos: diag.Pos{File: "m.yaml", Line: 10, Col: 15}}, o)
	if len(ds) > 0 {
		t.Fatalf("%s: %v", text, ds)
	}
	return compiled{p, np}
}

func mustEnv(t *testing.T, js string) *lang.Env {
	t.Helper()
	ev, ok := event.Decode([]byte(js))
	if !ok {
		t.Fatalf("bad test event %s", js)
	}
	return &lang.Env{Event: *ev, Vars: map[string]string{"baseUrl": "https://h"}}
}

func lib(t *testing.T) *lang.Library {
	t.Helper()
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	return &lang.Library{Location: loc, Tables: map[string]map[string]string{"reason": {"out_of_stock": "Sem estoque"}}}
}

// fastEvents are the events the native evaluation is checked against: a
// full one, one with empty and odd values, and one with almost nothing.
var fastEvents = []string{
	`{"id":"e1","type":"order.shipped","order":{"id":"o1","status":"invoiced","marketplaceStatus":"pending","attributes":{"internalNumber":"77","empty":""}},
	  "items":[{"sku":"A","marketplaceItemId":"9172","quantity":2,"price":1500},{"sku":"B","marketplaceItemId":"12","quantity":1,"price":300}],
	  "invoice":{"key":"35230312345678000190550010000012341000012345","issuedAt":"2023-03-10T12:30:00-03:00","total":3300},
	  "shipment":{"carrier":" Total Express ","trackingCode":"TR1"},"cancellation":{"reason":"out_of_stock"}}`,
	`{"id":"e2","type":"order.shipped","order":{"id":"o2","marketplaceStatus":"","attributes":{"internalNumber":null}},
	  "items":[{"sku":"A","marketplaceItemId":"0x1"},{"sku":"B"}],
	  "invoice":{"key":"123","issuedAt":"yesterday","total":0},"shipment":{"carrier":"","trackingCode":null},
	  "cancellation":{"reason":"other"}}`,
	`{"id":"e3","type":"order.created","items":[]}`,
}

// fastExprs are expressions of every shape the native evaluation models.
var fastExprs = []struct {
	text   string
	inLoop bool
}{
	{`has(invoice.key) && len(invoice.key) == 44`, false},
	{`(order.marketplaceStatus ?? "") not in ["closed", "pending"]`, false},
	{`(order.marketplaceStatus ?? "none") == "pending" || !has(order.status)`, false},
	{`(current ?? "invoiced") in ["pending", "invoiced"]`, false},
	{`all(items, .marketplaceItemId matches "^[1-9][0-9]{0,17}$")`, false},
	{`any(items, .sku == "B")`, false},
	{`none(items, .quantity > 1)`, false},
	{`has(items) && len(items) > 0`, false},
	{`has(shipment.carrier) && trim(shipment.carrier) != ""`, false},
	{`upper(trim(shipment.carrier ?? "x")) + "-" + lower(order.id)`, false},
	{`invoice.total > 0 && invoice.total * 2 - 1 >= 6599`, false},
	{`-invoice.total < 0`, false},
	{`lookup("reason", cancellation.reason)`, false},
	{`lookup("reason", cancellation.reason, "Outro")`, false},
	{`lookup("reason", cancellation.reason, upper(order.id))`, false},
	{`cancellation.reason in tables.reason`, false},
	{`(cancellation.reason ?? "x") not in tables.reason`, false},
	{`date(invoice.issuedAt, "2006-01-02 15:04")`, false},
	{`date(invoice.issuedAt, "15:04", "UTC")`, false},
	{`validNFeKey(invoice.key) ? "ok" : "bad"`, false},
	{`digits(invoice.key) startsWith "35" and invoice.key contains "000"`, false},
	{`toInt(invoice.key) > 0`, false},
	{`order.attributes.internalNumber ?? "none"`, false},
	{`(order.attributes.internalNumber ?? "") != "" || has(order.channel)`, false},
	{`vars.baseUrl + "/x"`, false},
	{`order.id endsWith "1" ? 1 : 2`, false},
	{`toInt(item.marketplaceItemId)`, true},
	{`toInt(item.quantity) + item.price`, true},
	{`item.sku ?? "none"`, true},
	{`has(item.name) ? item.name : item.sku`, true},
	{`validCPF("52998224725") && !validCNPJ("1")`, false},
}

// TestAgreesWithVM compiles each expression natively and checks, on
// every test event (and every item), that it gives what expr's VM gives:
// the same value, or the same error; and that the native form gives the
// value itself on at least one of them, rather than always leaving it to
// the VM.
func TestAgreesWithVM(t *testing.T) {
	for _, tt := range fastExprs {
		p := compile(t, tt.text, lang.Options{Lib: lib(t), InLoop: tt.inLoop, Vars: map[string]bool{"baseUrl": true}})
		if !p.Native() {
			t.Errorf("%s: not compiled natively", tt.text)
			continue
		}
		native := false
		for _, js := range fastEvents {
			env := mustEnv(t, js)
			items := []*event.Item{nil}
			if tt.inLoop {
				items = env.Items
			}
			for _, it := range items {
				env.Item = it
				env.Current = env.Order.MarketplaceStatus
				if p.Complete(env) {
					_, ok := p.native.Eval(env)
					native = native || ok
				}
				got, err1 := p.Eval(env)
				want, err2 := p.EvalVM(env)
				if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
					t.Errorf("%s on %s: native error %v, VM error %v", tt.text, env.ID, err1, err2)
				} else if !reflect.DeepEqual(got.Interface(), want.Interface()) {
					t.Errorf("%s on %s: native %#v, VM %#v", tt.text, env.ID, got.Interface(), want.Interface())
				}
			}
		}
		if !native {
			t.Errorf("%s: the native form never gave a value", tt.text)
		}
	}
}

// TestValues pins values the native evaluation gives, so that an
// error shared with the VM cannot pass unnoticed.
func TestValues(t *testing.T) {
	env := mustEnv(t, fastEvents[0])
	env.Current = "pending"
	tests := []struct {
		text string
		want any
	}{
		{`all(items, .marketplaceItemId matches "^[1-9][0-9]{0,17}$")`, true},
		{`none(items, .quantity > 1)`, false},
		{`upper(trim(shipment.carrier ?? "x")) + "-" + lower(order.id)`, "TOTAL EXPRESS-o1"},
		{`lookup("reason", cancellation.reason)`, "Sem estoque"},
		{`date(invoice.issuedAt, "2006-01-02 15:04")`, "2023-03-10 12:30"},
		{`date(invoice.issuedAt, "15:04", "UTC")`, "15:30"},
		{`order.attributes.internalNumber ?? "none"`, "77"},
		{`(current ?? "invoiced") in ["pending", "invoiced"]`, true},
		{`invoice.total > 0 && invoice.total * 2 - 1 >= 6599`, true},
	}
	for _, tt := range tests {
		p := compile(t, tt.text, lang.Options{Lib: lib(t), Vars: map[string]bool{"baseUrl": true}})
		got, err := p.Eval(env)
		if err != nil || !reflect.DeepEqual(got.Interface(), tt.want) {
			t.Errorf("%s = %#v, %v; want %#v", tt.text, got.Interface(), err, tt.want)
		}
	}
}

// TestDeclines checks that shapes the native evaluation does not model
// are left to the VM rather than approximated.
func TestDeclines(t *testing.T) {
	for _, text := range []string{
		`invoice.total / 2`,
		`string(invoice.total)`,
		`filter(items, .quantity > 1)`,
		`items[0].sku`,
		`order?.id`,
		`invoice.total == 1.5`,
	} {
		p := compile(t, text, lang.Options{Lib: lib(t)})
		if p.Native() {
			t.Errorf("%s: compiled natively, want the VM", text)
		}
	}
}

// TestNotNativeNamesThePart: a program the native evaluator declines names
// the innermost part it does not model, so that a message can point at it.
func TestNotNativeNamesThePart(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{`invoice.total / 2`, `invoice.total / 2`},
		{`has(invoice.key) && string(invoice.total) == "1"`, `string(invoice.total)`},
		{`upper(order.id) + (items[0].sku ?? "")`, `items[0].sku`},
		{`order.id == "a" ? "x" : upper(string(invoice.total))`, `string(invoice.total)`},
		{`upper(order.id) + ": " + string(invoice.total * 2)`, `string(invoice.total * 2)`},
		{`order.id`, ``},
	} {
		t.Run(tt.text, func(t *testing.T) {
			p := compile(t, tt.text, lang.Options{Lib: lib(t)})
			if got := p.NotNative(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
