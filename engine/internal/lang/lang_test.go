package lang

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/event"
)

func mustEnv(t *testing.T, js string) *Env {
	t.Helper()
	ev, ok := event.Decode([]byte(js))
	if !ok {
		t.Fatalf("bad test event %s", js)
	}
	return &Env{Event: *ev, Vars: map[string]string{"baseUrl": "https://h"}}
}

func src(text string) Source {
	return Source{Text: text, Pos: diag.Pos{File: "m.yaml", Line: 10, Col: 15}}
}

func lib(t *testing.T) *Library {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	return &Library{Location: loc, Tables: map[string]map[string]string{"reason": {"out_of_stock": "Sem estoque"}}}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, text string
		bool       bool
		code       diag.Code
		col        int
		msg        string
	}{
		{"misspelled field", `invoice.kee == "x"`, true, diag.UnknownField, 15, "did you mean 'invoice.key'"},
		{"misspelled root", `invoce.key == "x"`, true, diag.ExprType, 15, "unknown name invoce"},
		{"not bool", `invoice.key`, true, diag.GuardNotBool, 15, "must be true or false"},
		{"syntax", `invoice.key ==`, true, diag.ExprSyntax, 28, "unexpected"},
		{"item outside loop", `item.sku == "x"`, true, diag.ScopeError, 15, "only inside a $each"},
		{"unknown var", `vars.baseUlr != ""`, true, diag.UnknownVariable, 15, "did you mean 'vars.baseUrl'"},
		{"unknown table", `lookup("reasons", cancellation.reason) == ""`, true, diag.UnknownTable, 15, `did you mean 'reason'`},
		{"deep field", `order.customer.documnt == ""`, true, diag.UnknownField, 15, "order.customer.document"},
		{"field of string", `invoice.key.x == ""`, true, diag.UnknownField, 15, "has no field x"},
		{"disabled builtin", `now() != nil`, true, diag.ExprType, 15, "unknown"},
		{"type mismatch", `invoice.total + "x" == ""`, true, diag.ExprType, 29, "invalid operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := Compile(src(tt.text), Options{Lib: lib(t), Bool: tt.bool, Vars: map[string]bool{"baseUrl": true}})
			if len(ds) == 0 {
				t.Fatalf("no diagnostics for %q", tt.text)
			}
			d := ds[0]
			if d.Code != tt.code {
				t.Errorf("code = %s, want %s (%s)", d.Code, tt.code, d.Message)
			}
			if d.Pos.Line != 10 || d.Pos.Col != tt.col {
				t.Errorf("pos = %s, want m.yaml:10:%d", d.Pos, tt.col)
			}
			if !strings.Contains(d.Message, tt.msg) {
				t.Errorf("message %q lacks %q", d.Message, tt.msg)
			}
		})
	}
}

func TestMultilinePosition(t *testing.T) {
	s := Source{Text: "order.id != \"\" &&\n  invoice.kee == \"\"", Pos: diag.Pos{File: "m.yaml", Line: 4, Col: 7}, Indent: 7}
	_, ds := Compile(s, Options{Bool: true})
	if len(ds) != 1 || ds[0].Pos.String() != "m.yaml:5:9" {
		t.Fatalf("got %v, want one finding at m.yaml:5:9", ds)
	}
}

const ev = `{"id":"e1","type":"order.invoiced","order":{"id":"o1","marketplaceOrderId":"A 1","attributes":{"k":"v"}},
"items":[{"sku":"s1","quantity":1,"marketplaceItemId":"9172"},{"sku":"s2","quantity":2}],
"invoice":{"key":"52060433009911002506550120000007800267301615","issuedAt":"2023-03-10T15:30:00Z","number":""},
"cancellation":{"reason":"fraud"}}`

func TestRun(t *testing.T) {
	env := mustEnv(t, ev)
	tests := []struct {
		text string
		want any
	}{
		{`invoice.key`, "52060433009911002506550120000007800267301615"},
		{`date(invoice.issuedAt, "2006-01-02T15:04:05-07:00")`, "2023-03-10T12:30:00-03:00"},
		{`date(invoice.issuedAt, "02/01/2006 15:04", "UTC")`, "10/03/2023 15:30"},
		{`has(invoice.series)`, false},
		{`has(invoice.number)`, true},
		{`invoice.series ?? "1"`, "1"},
		{`has(invoice.series) ? invoice.series : "none"`, "none"},
		{`validNFeKey(invoice.key)`, true},
		{`toInt("9172")`, 9172},
		{`digits("11.222.333/0001-81")`, "11222333000181"},
		{`lookup("reason", "out_of_stock")`, "Sem estoque"},
		{`len(items)`, 2},
		{`order.attributes.k`, "v"},
		{`vars.baseUrl + "/x"`, "https://h/x"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, ds := Compile(src(tt.text), Options{Lib: lib(t), Vars: map[string]bool{"baseUrl": true}})
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

func TestRunErrors(t *testing.T) {
	env := mustEnv(t, ev)
	tests := []struct {
		text    string
		check   func(error) bool
		pointer string
	}{
		{`invoice.series`, isMissing, "/invoice/series"},
		{`order.channel == "x"`, isMissing, "/order/channel"},
		{`lookup("reason", cancellation.reason)`, func(err error) bool { var e *TableMissError; return errors.As(err, &e) && e.Key == "fraud" }, ""},
		{`toInt("91a")`, func(err error) bool { var e *ConvertError; return errors.As(err, &e) }, ""},
		{`date("2023-03-10 12:30", "2006")`, func(err error) bool { var e *ConvertError; return errors.As(err, &e) }, ""},
		{`map(1..100000, # * 2)`, func(err error) bool { return strings.Contains(err.Error(), "memory budget") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			p, ds := Compile(src(tt.text), Options{Lib: lib(t)})
			if len(ds) > 0 {
				t.Fatalf("compile: %v", ds)
			}
			_, err := p.Run(env)
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v, not the expected kind", err)
			}
			var m *MissingError
			if tt.pointer != "" && (!errors.As(err, &m) || m.Pointer != tt.pointer) {
				t.Errorf("pointer = %v, want %s", err, tt.pointer)
			}
		})
	}
}

func isMissing(err error) bool { var m *MissingError; return errors.As(err, &m) }

func TestItemScope(t *testing.T) {
	env := mustEnv(t, ev)
	p, ds := Compile(src(`toInt(item.marketplaceItemId)`), Options{Lib: lib(t), InLoop: true})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	env.Item = env.Items[0]
	if got, err := p.Run(env); err != nil || got != 9172 {
		t.Fatalf("item 0: got %v, %v", got, err)
	}
	env.Item = env.Items[1]
	_, err := p.Run(env)
	var m *MissingError
	if !errors.As(err, &m) || m.Pointer != "/items/1/marketplaceItemId" {
		t.Fatalf("item 1: err = %v, want missing /items/1/marketplaceItemId", err)
	}
}

func TestChain(t *testing.T) {
	for text, want := range map[string]bool{`invoice.key`: true, `order.attributes.k`: true, `invoice.key + ""`: false, `invoice?.key`: false} {
		p, ds := Compile(src(text), Options{})
		if len(ds) > 0 {
			t.Fatal(ds)
		}
		if _, ok := p.Chain(); ok != want {
			t.Errorf("%s: chain = %v, want %v", text, ok, want)
		}
	}
}

func TestUses(t *testing.T) {
	names := []string{"input", "payload", "orderId", "vars", "now"}
	for text, want := range map[string]bool{
		`orderId`:                 true,
		`input.orderId`:           false, // a field of the input, not the variable
		`"orderId: " + input.x`:   false,
		`orderId ?? input.seller`: true,
	} {
		p, ds := Compile(src(text), Options{Dialect: Inbound, Names: names})
		if len(ds) > 0 {
			t.Fatalf("%s: %v", text, ds)
		}
		if got := p.Uses("orderId"); got != want {
			t.Errorf("%s: Uses(orderId) = %v, want %v", text, got, want)
		}
	}
}
