package lang

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// Native is the native form of an outbound program (engine/internal/native):
// Go closures that give the value expr's VM would give, without boxing it.
type Native interface {
	// Eval gives the expression's value, or ok=false when the VM must give
	// the value or the error.
	Eval(env *Env) (v Value, ok bool)
}

// NativeCompiler returns the native form of a checked, patched outbound
// expression tree compiled with lib, or nil and the innermost sub-expression
// it does not model.
type NativeCompiler func(root ast.Node, lib *Library) (Native, ast.Node)

// Names of the functions lang's patchers put into a checked tree, which a
// native form recognises: _present(base, path, obj) for has() and ??,
// _need(base, path, obj, read) for field reads in branches, _inTable(name,
// key) for key in tables.NAME, and the size-checked + of strings (_concat)
// and of values known only at run time (_add).
const (
	PresentFunc = presentFunc
	NeedFunc    = needFunc
	InTableFunc = inTableFunc
	ConcatFunc  = concatFunc
	AddFunc     = addFunc
)

// ReadPath returns the path of a field read in an outbound expression (of
// the event, the current item, a variable or current), as reads are
// checked: n is a chain of constant member accesses with no optional step.
func ReadPath(n ast.Node) (Path, bool) {
	p, ok := chainOf(n, envInfo{dialect: Outbound, inLoop: true})
	return p, ok && !hasOptional(n)
}

// PropertyName returns the name a member access reads when it is a
// constant (the sku of .sku).
func PropertyName(n ast.Node) (string, bool) { return constSeg(n) }

// FieldPath resolves segs (JSON names) through the struct type t: the index
// path of the field, and its kind; for a last step into a map[string]string,
// the map's field and the key.
func FieldPath(t reflect.Type, segs []string) (idx []int, key string, kind reflect.Kind, ok bool) {
	return fieldPath(t, segs)
}

// BoolValue holds a bool as a Value, without boxing it.
func BoolValue(b bool) Value { return Value{kind: valueBool, b: b} }

// IntValue holds an int as a Value.
func IntValue(n int) Value { return Value{kind: valueInt, n: n} }

// StringValue holds a string as a Value.
func StringValue(s string) Value { return Value{kind: valueString, s: s} }
