package lang

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
	"github.com/rotahq/rota/engine/diag"
)

// Names the patchers below give to what they rewrite.
const (
	inTableFunc   = "_inTable"
	listEqualFunc = "_listEqual"
	// tablesName is the root of key in tables.NAME.
	tablesName = "tables"
)

// tableRef returns NAME when n is tables.NAME.
func tableRef(n ast.Node) (string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional {
		return "", false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || id.Value != tablesName {
		return "", false
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return "", false
	}
	return name.Value, true
}

// checkTables verifies every use of tables: it may only be the right side of
// key in tables.NAME, and NAME must be a declared value table. Inbound
// expressions may have a payload field named tables; they are left alone
// unless the mapping declares tables.
func checkTables(src Source, root ast.Node, o Options) diag.List {
	if o.Dialect != Outbound && o.Dialect != Inbound {
		return nil
	}
	if o.Dialect == Inbound && (o.Lib == nil || len(o.Lib.Tables) == 0) {
		return nil
	}
	var ds diag.List
	var walk func(n ast.Node, inRight bool)
	walk = func(n ast.Node, inRight bool) {
		if n == nil {
			return
		}
		if b, ok := n.(*ast.BinaryNode); ok && b.Operator == "in" {
			walk(b.Left, false)
			walk(b.Right, true)
			return
		}
		if name, ok := tableRef(n); ok {
			at := src.AtOffset(rootOffset(n))
			switch {
			case !inRight:
				ds = append(ds, src.diag(at, diag.UnknownTable, fmt.Sprintf(`tables.%s can only be tested with in: key in tables.%s; read an entry with lookup(%q, key) or lookup(%q, key, "default")`, name, name, name, name)))
			case o.Lib == nil || o.Lib.Tables[name] == nil:
				ds = append(ds, src.diag(at, diag.UnknownTable, fmt.Sprintf("unknown value table %q; declare it under tables:%s", name, suggest(name, tableNames(o.Lib), ""))))
			}
			return
		}
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == tablesName && o.Dialect == Outbound {
			ds = append(ds, src.diag(src.AtOffset(n.Location().From), diag.UnknownTable, `tables is read only as key in tables.NAME, with NAME a table declared under tables:`))
			return
		}
		for _, ch := range children(n) {
			walk(ch, false)
		}
	}
	walk(root, false)
	return ds
}

// additionPatchers returns the patchers the expression needs: each one
// costs expr a type check of the whole tree, so only an expression that
// reads tables or compares with == or != gets them.
func additionPatchers(root ast.Node) []ast.Visitor {
	var tables, equality bool
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if n == nil {
			return
		}
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == tablesName {
			tables = true
		}
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "==" || b.Operator == "!=") {
			equality = true
		}
		for _, ch := range children(n) {
			walk(ch)
		}
	}
	walk(root)
	var out []ast.Visitor
	if tables {
		out = append(out, tablePatcher{})
	}
	if equality {
		out = append(out, listPatcher{})
	}
	return out
}

// tablePatcher rewrites key in tables.NAME into _inTable("NAME", key).
type tablePatcher struct{}

func (tablePatcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "in" {
		return
	}
	name, ok := tableRef(b.Right)
	if !ok {
		return
	}
	ast.Patch(node, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: inTableFunc},
		Arguments: []ast.Node{&ast.StringNode{Value: name}, b.Left},
	})
}

// inTable is what key in tables.NAME compiles to: whether the table has an
// entry for the key.
func (l *Library) inTable(params ...any) (any, error) {
	_, ok := l.Tables[params[0].(string)][params[1].(string)]
	return ok, nil
}

// listPatcher rewrites a == b and a != b into a comparison element by
// element when either side is a list. expr compares lists of different Go
// types (the event's items and a literal []) as unequal whatever they hold,
// so (items ?? []) == [] would be false for an empty list; after the patch
// two lists are equal when they have the same length and equal elements, as
// one reads it.
type listPatcher struct{}

func (listPatcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || (b.Operator != "==" && b.Operator != "!=") || (!isList(b.Left) && !isList(b.Right)) {
		return
	}
	var call ast.Node = &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: listEqualFunc},
		Arguments: []ast.Node{b.Left, b.Right},
	}
	if b.Operator == "!=" {
		call = &ast.UnaryNode{Operator: "!", Node: call}
	}
	ast.Patch(node, call)
}

// isList reports whether n is a list literal or has a list type.
func isList(n ast.Node) bool {
	if _, ok := n.(*ast.ArrayNode); ok {
		return true
	}
	t := n.Type()
	return t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array)
}

// listEqual compares two lists element by element (expr's equality for
// each pair); values that are not both lists compare as expr compares them.
func listEqual(params ...any) (any, error) {
	a, b := reflect.ValueOf(params[0]), reflect.ValueOf(params[1])
	if !listValue(a) || !listValue(b) {
		return runtime.Equal(params[0], params[1]), nil
	}
	if a.Len() != b.Len() {
		return false, nil
	}
	for i := range a.Len() {
		if !runtime.Equal(a.Index(i).Interface(), b.Index(i).Interface()) {
			return false, nil
		}
	}
	return true, nil
}

func listValue(v reflect.Value) bool {
	return v.IsValid() && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array)
}
