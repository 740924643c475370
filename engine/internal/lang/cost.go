package lang

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
	"github.com/rotahq/rota/engine/diag"
)

// Cost. An expression's work is bounded before anything is allocated:
//   - every operation that builds a string (+, repeat, join, replace,
//     toJSON, string) checks the size of its result first and fails past
//     MaxTextBytes, and a constant call that would is a lint error;
//   - such operations are refused inside a predicate (map, filter, all,
//     ...), where they would run once per element: so an evaluation builds
//     at most MaxNodes such strings; and a predicate inside a predicate
//     must loop over the element's own list (#.priceTags), so that the
//     loops together visit what the input holds, not its square;
//   - lists are bounded by expr's MemoryBudget (a range 1..n counts n).

// MaxTextBytes is the longest string one operation of an expression may
// build, in bytes.
const MaxTextBytes = 64 << 10

// Names of the string-building operations, as the engine compiles them.
const (
	concatFunc = "_concat" // string + string
	addFunc    = "_add"    // + of operands whose type is known only at run time
)

// costBuiltins are the builtins replaced by versions that check the size of
// their result before building it.
var costBuiltins = map[string]bool{"repeat": true, "join": true, "replace": true, "toJSON": true, "string": true}

// TextTooLongError is returned when an operation would build a string
// longer than MaxTextBytes.
type TextTooLongError struct {
	Func string
	Size int
}

func (e *TextTooLongError) Error() string {
	return fmt.Sprintf("%s would build %d bytes of text, more than the %d an expression may build", e.Func, e.Size, MaxTextBytes)
}

func costOptions() []expr.Option {
	return []expr.Option{
		expr.Function("repeat", costRepeat, new(func(string, int) string)),
		expr.Function("join", costJoin, new(func([]any) string), new(func([]any, string) string), new(func([]string) string), new(func([]string, string) string)),
		expr.Function("replace", costReplace, new(func(string, string, string) string), new(func(string, string, string, int) string)),
		expr.Function("toJSON", costToJSON, new(func(any) string)),
		expr.Function("string", costString, new(func(any) string)),
		expr.Function(concatFunc, costConcat, new(func(string, string) string)),
		expr.Function(addFunc, costAdd, new(func(any, any) any)),
		expr.Patch(concatPatcher{}),
	}
}

func tooLong(fn string, size int) error {
	if size > MaxTextBytes || size < 0 {
		return &TextTooLongError{Func: fn, Size: size}
	}
	return nil
}

func costRepeat(args ...any) (any, error) {
	s, n := args[0].(string), runtime.ToInt(args[1])
	if n < 0 {
		return nil, fmt.Errorf("repeat: the count %d is negative", n)
	}
	if n > 0 && len(s) > MaxTextBytes/n {
		return nil, &TextTooLongError{Func: "repeat", Size: len(s) * min(n, MaxTextBytes+1)}
	}
	return strings.Repeat(s, n), nil
}

func costJoin(args ...any) (any, error) {
	glue := ""
	if len(args) == 2 {
		glue = args[1].(string)
	}
	var parts []string
	switch list := args[0].(type) {
	case []string:
		parts = list
	case []any:
		parts = make([]string, len(list))
		for i, x := range list {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("join: element %d is a %T, not a string", i, x)
			}
			parts[i] = s
		}
	default:
		return nil, fmt.Errorf("join: %T is not a list of strings", args[0])
	}
	size := len(glue) * max(len(parts)-1, 0)
	for _, p := range parts {
		if size += len(p); size > MaxTextBytes {
			break
		}
	}
	if err := tooLong("join", size); err != nil {
		return nil, err
	}
	return strings.Join(parts, glue), nil
}

func costReplace(args ...any) (any, error) {
	s, old, repl := args[0].(string), args[1].(string), args[2].(string)
	n := -1
	if len(args) == 4 {
		n = runtime.ToInt(args[3])
	}
	count := strings.Count(s, old)
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && n < count {
		count = n
	}
	if grow := len(repl) - len(old); grow > 0 && count > 0 {
		if grow > (MaxTextBytes-len(s))/count {
			return nil, &TextTooLongError{Func: "replace", Size: len(s) + min(count, MaxTextBytes)*grow}
		}
	}
	if err := tooLong("replace", len(s)); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, n), nil
}

func costToJSON(args ...any) (any, error) {
	if size := textSize(args[0], 0); size > MaxTextBytes {
		return nil, &TextTooLongError{Func: "toJSON", Size: size}
	}
	b, err := json.MarshalIndent(args[0], "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tooLong("toJSON", len(b)); err != nil {
		return nil, err
	}
	return string(b), nil
}

func costString(args ...any) (any, error) {
	if s, ok := args[0].(string); ok {
		return s, nil
	}
	if size := textSize(args[0], 0); size > MaxTextBytes {
		return nil, &TextTooLongError{Func: "string", Size: size}
	}
	return fmt.Sprintf("%v", args[0]), nil
}

func costConcat(args ...any) (any, error) {
	a, b := args[0].(string), args[1].(string)
	if err := tooLong("+", len(a)+len(b)); err != nil {
		return nil, err
	}
	return a + b, nil
}

func costAdd(args ...any) (any, error) {
	if a, ok := args[0].(string); ok {
		if b, ok := args[1].(string); ok {
			return costConcat(a, b)
		}
	}
	return runtime.Add(args[0], args[1]), nil
}

// textSize is a lower bound of the text v formats to (JSON or %v), counted
// only until it passes MaxTextBytes, so that it costs little on any value.
func textSize(v any, acc int) int {
	if acc > MaxTextBytes {
		return acc
	}
	switch x := v.(type) {
	case string:
		return acc + len(x) + 2
	case []any:
		acc += 2
		for _, e := range x {
			if acc = textSize(e, acc+1); acc > MaxTextBytes {
				return acc
			}
		}
		return acc
	case map[string]any:
		acc += 2
		for k, e := range x {
			if acc = textSize(e, acc+len(k)+4); acc > MaxTextBytes {
				return acc
			}
		}
		return acc
	case []string:
		for _, e := range x {
			if acc += len(e) + 3; acc > MaxTextBytes {
				return acc
			}
		}
		return acc
	}
	return acc + 1
}

// concatPatcher compiles + whose operands may be strings into the checked
// concatenation: _concat when both are strings, _add when the type is only
// known at run time.
type concatPatcher struct{}

func (concatPatcher) Visit(node *ast.Node) {
	n, ok := (*node).(*ast.BinaryNode)
	if !ok || n.Operator != "+" {
		return
	}
	lt, rt := n.Left.Type(), n.Right.Type()
	switch {
	case isKind(lt, reflect.String) && isKind(rt, reflect.String):
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: concatFunc}, Arguments: []ast.Node{n.Left, n.Right}})
	case isUnknown(lt) || isUnknown(rt):
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: addFunc}, Arguments: []ast.Node{n.Left, n.Right}})
	}
}

func isKind(t reflect.Type, k reflect.Kind) bool { return t != nil && t.Kind() == k }

func isUnknown(t reflect.Type) bool { return t == nil || t.Kind() == reflect.Interface }

// checkCost refuses, in a compiled expression, what would make its work
// grow past the bounds above: string building or a nested predicate inside
// a predicate, and a constant call that would build too long a string.
func checkCost(src Source, root ast.Node) diag.List {
	var ds diag.List
	var walk func(n ast.Node, inPredicate bool)
	walk = func(n ast.Node, inPredicate bool) {
		at := func() diag.Pos { return src.AtOffset(n.Location().From) }
		switch v := n.(type) {
		case *ast.BuiltinNode:
			if inPredicate && hasPredicate(v) && !readsElement(v.Arguments[0]) {
				ds = append(ds, src.diag(at(), diag.ExprCost, fmt.Sprintf("%s inside a predicate runs over a list that is not the element's own (#.list), once per element; compute it once, outside (let), or restructure", v.Name)))
				return
			}
		case *ast.PredicateNode:
			walk(v.Node, true)
			return
		case *ast.CallNode:
			if name := calleeName(v); inPredicate && (name == concatFunc || name == addFunc || costBuiltins[name]) {
				what := name
				if name == concatFunc || name == addFunc {
					what = "+"
				}
				ds = append(ds, src.diag(at(), diag.ExprCost, fmt.Sprintf("%s inside a predicate (map, filter, all, ...) builds a string for every element; build it once, outside the predicate", what)))
				return
			} else if name == "repeat" {
				if d, bad := constantRepeat(src, v, at()); bad {
					ds = append(ds, d)
				}
			}
		}
		for _, ch := range costChildren(n) {
			if ch != nil {
				walk(ch, inPredicate)
			}
		}
	}
	walk(root, false)
	return ds
}

func hasPredicate(b *ast.BuiltinNode) bool {
	for _, a := range b.Arguments {
		if _, ok := a.(*ast.PredicateNode); ok {
			return true
		}
	}
	return false
}

// readsElement reports whether a list is read from the predicate's element
// (#.priceTags, #.tags ?? []) and built by no range: a loop over it, once
// per element, costs in total what the input holds.
func readsElement(n ast.Node) bool {
	pointer, rng := false, false
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch v := n.(type) {
		case *ast.PointerNode:
			pointer = pointer || v.Name == ""
		case *ast.BinaryNode:
			rng = rng || v.Operator == ".."
		case *ast.PredicateNode:
			rng = true // a list built by a loop
		}
		for _, ch := range costChildren(n) {
			if ch != nil {
				walk(ch)
			}
		}
	}
	walk(n)
	return pointer && !rng
}

func calleeName(c *ast.CallNode) string {
	if id, ok := c.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

// constantRepeat reports repeat(s, n) with constant arguments that would
// build more than MaxTextBytes.
func constantRepeat(src Source, c *ast.CallNode, at diag.Pos) (diag.Diagnostic, bool) {
	if len(c.Arguments) != 2 {
		return diag.Diagnostic{}, false
	}
	s, ok1 := c.Arguments[0].(*ast.StringNode)
	n, ok2 := c.Arguments[1].(*ast.IntegerNode)
	if !ok1 || !ok2 || n.Value <= 0 || len(s.Value) <= MaxTextBytes/n.Value {
		return diag.Diagnostic{}, false
	}
	return src.diag(at, diag.ExprCost, fmt.Sprintf("repeat(%q, %d) builds %d bytes, more than the %d an expression may build", clipText(s.Value), n.Value, len(s.Value)*n.Value, MaxTextBytes)), true
}

func clipText(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// checkAllowed refuses what the documented allow-list leaves out: builtins
// not in Builtins (reduce, groupBy, sortBy, ...) and $env, which would let
// an expression read its whole environment.
func checkAllowed(src Source, root ast.Node) diag.List {
	var ds diag.List
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch v := n.(type) {
		case *ast.BuiltinNode:
			// Names expr knows as functions it refuses itself when they are
			// not enabled; the predicates (reduce, groupBy...) it does not.
			if _, function := builtin.Index[v.Name]; (!function || predicateBuiltins[v.Name]) && !allowedBuiltin(v.Name) {
				ds = append(ds, src.diag(src.AtOffset(v.Location().From), diag.ExprNotAllowed,
					fmt.Sprintf("%s is not one of the builtins mappings may call (docs/mapping-format.md lists them)", v.Name)))
			}
		case *ast.IdentifierNode:
			if v.Value == "$env" {
				ds = append(ds, src.diag(src.AtOffset(v.Location().From), diag.ExprNotAllowed,
					"$env reads the expression's whole environment; name the field instead"))
			}
		}
		for _, ch := range costChildren(n) {
			if ch != nil {
				walk(ch)
			}
		}
	}
	walk(root)
	return ds
}

// predicateBuiltins are the builtins expr's parser reads as taking a
// predicate; disabling builtins does not reach them.
var predicateBuiltins = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true, "count": true, "sum": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "groupBy": true, "sortBy": true, "reduce": true,
}

func allowedBuiltin(name string) bool {
	for _, b := range Builtins {
		if b == name {
			return true
		}
	}
	return false
}

// costChildren is children, with the parts of a let.
func costChildren(n ast.Node) []ast.Node {
	if v, ok := n.(*ast.VariableDeclaratorNode); ok {
		return []ast.Node{v.Value, v.Expr}
	}
	return children(n)
}
