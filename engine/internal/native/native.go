// Package native is the speed layer of outbound expressions: a second
// evaluator that runs the shapes most guards, conditions and templates take
// (field reads, has(), ??, comparisons with constants, in with a constant
// list, matches with a constant pattern, &&, ||, !, ternaries, len and
// all/any/none over items, and the string and domain functions) as Go
// closures compiled at load time, which read the decoded event without
// boxing values into interfaces, as expr's VM must.
//
// Its one door is Compile: engine/lang checks and compiles an expression
// for expr's VM, and the engine asks Compile for the native form of the
// checked tree; lang's Program.Eval runs that form first and the VM only
// when it declines.
//
// The closures only ever produce a value on the paths where their result
// is certain to be the VM's: whenever one meets a case it does not model (an
// absent field, a failing conversion, a missing table entry, a nil item),
// it reports ok=false and the program is run by the VM from the start, which
// produces the value or the error the VM always gives. TestAgreesWithVM
// and the engine's cross-check over the bundled mappings hold the two to
// the same results.
//
// Strings the closures build (dates, concatenations) live in the Env's text
// buffer; lang.Env states who owns that memory and until when, and
// docs/performance.md the rules of all pooled memory.
package native

import (
	"cmp"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/rotahq/rota/engine/fiscal"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/tidwall/gjson"
)

// Program is the native form of an outbound expression. It is immutable
// and safe for concurrent use: an evaluation writes only to the Env it is
// given.
type Program struct {
	root    fnode
	culprit ast.Node
}

// Compile compiles a checked outbound expression tree (as lang compiled it
// for expr's VM, patches applied) with the mapping's library. ok is false
// when the tree has a shape the native evaluator does not model; the
// Program then only names that part (Culprit), and the VM must run the
// expression.
func Compile(root ast.Node, lib *lang.Library) (*Program, bool) {
	c := &compiler{lib: lib}
	n, ok := c.compile(root)
	switch {
	case !ok:
		return &Program{culprit: c.culprit}, false
	case n.kind == fItems:
		return &Program{culprit: root}, false
	}
	return &Program{root: n}, true
}

// Culprit is, for a tree Compile declined, the innermost sub-expression
// the native evaluator does not model; nil for a native program.
func (p *Program) Culprit() ast.Node { return p.culprit }

// Eval gives the expression's value, or ok=false when it leaves the value
// (or the error) to expr's VM. A string it gives may live in env's text
// buffer (lang.Env.ResetText).
func (p *Program) Eval(env *lang.Env) (v lang.Value, ok bool) {
	switch f := p.root; f.kind {
	case fBool:
		b, ok := f.b(env, nil)
		return lang.BoolValue(b), ok
	case fInt:
		n, ok := f.n(env, nil)
		return lang.IntValue(n), ok
	case fString:
		s, ok := f.s(env, nil)
		return lang.StringValue(s), ok
	}
	return lang.Value{}, false
}

// fkind is the static kind of a natively compiled sub-expression.
type fkind uint8

const (
	fBool fkind = iota + 1
	fInt
	fString
	fItems
)

// fn computes a sub-expression. el is the element of the enclosing
// predicate (the # of all(items, ...)), nil outside one; the second result
// is false when the VM must give the value.
type fn[T any] func(env *lang.Env, el *event.Item) (T, bool)

type (
	boolFn  = fn[bool]
	intFn   = fn[int]
	strFn   = fn[string]
	itemsFn = fn[[]*event.Item]
)

// fnode is a compiled sub-expression: exactly the function of its kind is set.
type fnode struct {
	kind  fkind
	b     boolFn
	n     intFn
	s     strFn
	items itemsFn
}

// compiler turns a checked expression tree into closures.
type compiler struct {
	lib *lang.Library
	// inPredicate is set while compiling the body of a predicate, where
	// .field reads the element.
	inPredicate bool
	// culprit is the innermost sub-expression that did not compile.
	culprit ast.Node
}

func (c *compiler) compile(n ast.Node) (out fnode, ok bool) {
	before := c.culprit
	defer func() {
		switch {
		case ok:
			c.culprit = before // a part tried and given up is not the cause
		case c.culprit == before:
			c.culprit = n // no part of n failed: n itself is the cause
		}
	}()
	switch v := n.(type) {
	case *ast.BoolNode:
		b := v.Value
		return fnode{kind: fBool, b: func(*lang.Env, *event.Item) (bool, bool) { return b, true }}, true
	case *ast.IntegerNode:
		i := v.Value
		return fnode{kind: fInt, n: func(*lang.Env, *event.Item) (int, bool) { return i, true }}, true
	case *ast.StringNode:
		s := v.Value
		return fnode{kind: fString, s: func(*lang.Env, *event.Item) (string, bool) { return s, true }}, true
	case *ast.UnaryNode:
		return c.unary(v)
	case *ast.BinaryNode:
		return c.binary(v)
	case *ast.ConditionalNode:
		return c.conditional(v)
	case *ast.CallNode:
		return c.call(v)
	case *ast.BuiltinNode:
		return c.builtin(v)
	case *ast.IdentifierNode, *ast.MemberNode:
		return c.read(n)
	}
	return fnode{}, false
}

func (c *compiler) unary(v *ast.UnaryNode) (fnode, bool) {
	x, ok := c.compile(v.Node)
	if !ok {
		return fnode{}, false
	}
	switch {
	case (v.Operator == "!" || v.Operator == "not") && x.kind == fBool:
		f := x.b
		return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
			b, ok := f(env, el)
			return !b, ok
		}), true
	case v.Operator == "-" && x.kind == fInt:
		f := x.n
		return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
			i, ok := f(env, el)
			return -i, ok
		}), true
	}
	return fnode{}, false
}

func (c *compiler) binary(v *ast.BinaryNode) (fnode, bool) {
	switch v.Operator {
	case "in":
		return c.in(v)
	case "matches":
		return c.matches(v)
	}
	l, ok := c.compile(v.Left)
	if !ok {
		return fnode{}, false
	}
	r, ok := c.compile(v.Right)
	if !ok || l.kind != r.kind {
		return fnode{}, false
	}
	switch l.kind {
	case fBool:
		return boolOp(v.Operator, l.b, r.b)
	case fInt:
		return intOp(v.Operator, l.n, r.n)
	case fString:
		return stringOp(v.Operator, l.s, r.s)
	}
	return fnode{}, false
}

func boolOp(op string, l, r boolFn) (fnode, bool) {
	switch op {
	case "&&", "and":
		return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
			a, ok := l(env, el)
			if !ok || !a {
				return false, ok
			}
			return r(env, el)
		}), true
	case "||", "or":
		return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
			a, ok := l(env, el)
			if !ok || a {
				return a, ok
			}
			return r(env, el)
		}), true
	case "==", "!=":
		neg := op == "!="
		return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
			a, ok1 := l(env, el)
			b, ok2 := r(env, el)
			return (a == b) != neg, ok1 && ok2
		}), true
	}
	return fnode{}, false
}

func intOp(op string, l, r intFn) (fnode, bool) {
	if compare := ordered[int](op); compare != nil {
		return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
			a, ok1 := l(env, el)
			b, ok2 := r(env, el)
			return compare(a, b), ok1 && ok2
		}), true
	}
	var arith func(a, b int) int
	switch op {
	case "+":
		arith = func(a, b int) int { return a + b }
	case "-":
		arith = func(a, b int) int { return a - b }
	case "*":
		arith = func(a, b int) int { return a * b }
	default:
		return fnode{}, false
	}
	return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
		a, ok1 := l(env, el)
		b, ok2 := r(env, el)
		return arith(a, b), ok1 && ok2
	}), true
}

// ordered compares two values of an ordered type with op, or is nil.
func ordered[T cmp.Ordered](op string) func(a, b T) bool {
	switch op {
	case "==":
		return func(a, b T) bool { return a == b }
	case "!=":
		return func(a, b T) bool { return a != b }
	case "<":
		return func(a, b T) bool { return a < b }
	case "<=":
		return func(a, b T) bool { return a <= b }
	case ">":
		return func(a, b T) bool { return a > b }
	case ">=":
		return func(a, b T) bool { return a >= b }
	}
	return nil
}

func stringOp(op string, l, r strFn) (fnode, bool) {
	if op == "+" {
		return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
			a, ok1 := l(env, el)
			b, ok2 := r(env, el)
			if !ok1 || !ok2 || len(a)+len(b) > lang.MaxTextBytes {
				return "", false // the VM gives the error
			}
			return env.Concat(a, b), true
		}), true
	}
	compare := stringCompare(op)
	if compare == nil {
		return fnode{}, false
	}
	return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
		a, ok1 := l(env, el)
		b, ok2 := r(env, el)
		return compare(a, b), ok1 && ok2
	}), true
}

func stringCompare(op string) func(a, b string) bool {
	switch op {
	case "contains":
		return strings.Contains
	case "startsWith":
		return strings.HasPrefix
	case "endsWith":
		return strings.HasSuffix
	}
	return ordered[string](op)
}

// in handles x in [constants], which expr's optimizer turns into a lookup
// in a constant set.
func (c *compiler) in(v *ast.BinaryNode) (fnode, bool) {
	l, ok := c.compile(v.Left)
	if !ok {
		return fnode{}, false
	}
	k, ok := v.Right.(*ast.ConstantNode)
	if !ok {
		return fnode{}, false
	}
	switch set := k.Value.(type) {
	case map[string]struct{}:
		if l.kind == fString {
			return boolNode(member(l.s, set)), true
		}
	case map[int]struct{}:
		if l.kind == fInt {
			return boolNode(member(l.n, set)), true
		}
	}
	return fnode{}, false
}

// member tests whether f's value is in a constant set.
func member[T comparable](f fn[T], set map[T]struct{}) boolFn {
	return func(env *lang.Env, el *event.Item) (bool, bool) {
		v, ok := f(env, el)
		_, found := set[v]
		return found, ok
	}
}

func (c *compiler) matches(v *ast.BinaryNode) (fnode, bool) {
	l, ok := c.compile(v.Left)
	pat, isConst := v.Right.(*ast.StringNode)
	if !ok || !isConst || l.kind != fString {
		return fnode{}, false
	}
	re, err := regexp.Compile(pat.Value)
	if err != nil {
		return fnode{}, false
	}
	f := l.s
	return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
		s, ok := f(env, el)
		return ok && re.MatchString(s), ok
	}), true
}

func (c *compiler) conditional(v *ast.ConditionalNode) (fnode, bool) {
	cond, ok1 := c.compile(v.Cond)
	a, ok2 := c.compile(v.Exp1)
	b, ok3 := c.compile(v.Exp2)
	if !ok1 || !ok2 || !ok3 || cond.kind != fBool || a.kind != b.kind {
		return fnode{}, false
	}
	switch a.kind {
	case fBool:
		return boolNode(choose(cond.b, a.b, b.b)), true
	case fInt:
		return intNode(choose(cond.b, a.n, b.n)), true
	case fString:
		return strNode(choose(cond.b, a.s, b.s)), true
	}
	return fnode{}, false
}

// choose is cond ? a : b.
func choose[T any](cond boolFn, a, b fn[T]) fn[T] {
	return func(env *lang.Env, el *event.Item) (T, bool) {
		first, ok := cond(env, el)
		switch {
		case !ok:
			var zero T
			return zero, false
		case first:
			return a(env, el)
		}
		return b(env, el)
	}
}

func boolNode(f boolFn) fnode { return fnode{kind: fBool, b: f} }
func intNode(f intFn) fnode   { return fnode{kind: fInt, n: f} }
func strNode(f strFn) fnode   { return fnode{kind: fString, s: f} }

// stringArg compiles args[n], which must be a string.
func (c *compiler) stringArg(args []ast.Node, n int) (strFn, bool) {
	if len(args) <= n {
		return nil, false
	}
	a, ok := c.compile(args[n])
	if !ok || a.kind != fString {
		return nil, false
	}
	return a.s, true
}

func mapString(f strFn, m func(string) string) fnode {
	return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
		s, ok := f(env, el)
		return m(s), ok
	})
}

func testString(f strFn, t func(string) bool) fnode {
	return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
		s, ok := f(env, el)
		return ok && t(s), ok
	})
}

// constString is the value of a string literal argument.
func constString(args []ast.Node, n int) (string, bool) {
	if len(args) <= n {
		return "", false
	}
	s, ok := args[n].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

func (c *compiler) call(v *ast.CallNode) (fnode, bool) {
	id, ok := v.Callee.(*ast.IdentifierNode)
	if !ok {
		return fnode{}, false
	}
	switch id.Value {
	case lang.PresentFunc:
		return c.present(v.Arguments)
	case lang.NeedFunc:
		return c.need(v.Arguments)
	case "toInt":
		return c.toInt(v.Arguments)
	case "lookup":
		return c.lookup(v.Arguments)
	case lang.InTableFunc:
		return c.inTable(v.Arguments)
	case "date":
		return c.date(v.Arguments)
	case lang.ConcatFunc, lang.AddFunc: // +, checked for size (cost.go)
		if len(v.Arguments) == 2 {
			return c.binary(&ast.BinaryNode{Operator: "+", Left: v.Arguments[0], Right: v.Arguments[1]})
		}
	}
	return c.stringFunc(id.Value, v.Arguments)
}

// stringMaps and stringTests are the one-argument string functions (domain
// functions and builtins) the native evaluation runs.
var (
	stringMaps = map[string]func(string) string{
		"digits": fiscal.Digits, "trim": strings.TrimSpace, "upper": strings.ToUpper, "lower": strings.ToLower,
	}
	stringTests = map[string]func(string) bool{
		"validNFeKey": fiscal.ValidNFeKey, "validCPF": fiscal.ValidCPF, "validCNPJ": fiscal.ValidCNPJ,
	}
)

func (c *compiler) stringFunc(name string, args []ast.Node) (fnode, bool) {
	if len(args) != 1 {
		return fnode{}, false
	}
	f, ok := c.stringArg(args, 0)
	if !ok {
		return fnode{}, false
	}
	if m, ok := stringMaps[name]; ok {
		return mapString(f, m), true
	}
	if t, ok := stringTests[name]; ok {
		return testString(f, t), true
	}
	return fnode{}, false
}

// presence is what _present(base, path, obj) tests, resolved at load time.
func presence(args []ast.Node) (boolFn, bool) {
	if len(args) < 3 {
		return nil, false
	}
	base, ok1 := args[0].(*ast.IdentifierNode)
	path, ok2 := args[1].(*ast.StringNode)
	obj, ok3 := args[2].(*ast.IntegerNode)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	p, o := path.Value, event.Object(obj.Value)
	switch base.Value {
	case "item":
		text := decodedText(itemType, nil, p, itemBase)
		return func(env *lang.Env, el *event.Item) (bool, bool) {
			if env.Item == nil {
				return false, false
			}
			return hasText(text, env, el) || exists(env.Item.Raw().Get(p)), true
		}, true
	case "$env":
	default:
		return nil, false
	}
	if p == "current" {
		return func(env *lang.Env, _ *event.Item) (bool, bool) { return env.Current != "", true }, true
	}
	if name, ok := strings.CutPrefix(p, "vars."); ok {
		return func(env *lang.Env, _ *event.Item) (bool, bool) {
			_, found := env.Vars[name]
			return found, true
		}, true
	}
	text := decodedText(eventType, event.ObjectPath(o), p, eventBase)
	return func(env *lang.Env, el *event.Item) (bool, bool) {
		return hasText(text, env, el) || exists(env.Event.ObjectRaw(o).Get(p)), true
	}, true
}

// decodedText returns a reader of the decoded text of a string field (or
// string map entry) at the gjson path p inside the object at obj, read from
// base, or nil. Decoded text that is not empty proves the field is in the
// JSON and not null, which spares the JSON lookup; empty text proves nothing
// (the field may be "", or absent).
func decodedText(t reflect.Type, obj []string, p string, base fn[reflect.Value]) strFn {
	if strings.ContainsRune(p, '\\') {
		return nil
	}
	segs := append(append([]string(nil), obj...), strings.Split(p, ".")...)
	if n, ok := structField(t, segs, base); ok && n.kind == fString {
		return n.s
	}
	return nil
}

// hasText reports whether a decodedText reader (possibly nil) reads text
// that is not empty.
func hasText(text strFn, env *lang.Env, el *event.Item) bool {
	if text == nil {
		return false
	}
	s, _ := text(env, el)
	return s != ""
}

func (c *compiler) present(args []ast.Node) (fnode, bool) {
	f, ok := presence(args)
	return boolNode(f), ok
}

// need evaluates a field read of a branch; an absent field leaves the
// error to the VM.
func (c *compiler) need(args []ast.Node) (fnode, bool) {
	test, ok := presence(args)
	if !ok || len(args) != 4 {
		return fnode{}, false
	}
	x, ok := c.compile(args[3])
	if !ok {
		return fnode{}, false
	}
	switch x.kind {
	case fString:
		return strNode(ifPresent(test, x.s)), true
	case fInt:
		return intNode(ifPresent(test, x.n)), true
	}
	return fnode{}, false
}

// ifPresent is x when test holds; otherwise the VM decides.
func ifPresent[T any](test boolFn, x fn[T]) fn[T] {
	return func(env *lang.Env, el *event.Item) (T, bool) {
		if there, ok := test(env, el); !there || !ok {
			var zero T
			return zero, false
		}
		return x(env, el)
	}
}

// onlyArg compiles the argument of a call that takes exactly one.
func (c *compiler) onlyArg(args []ast.Node) (fnode, bool) {
	if len(args) != 1 {
		return fnode{}, false
	}
	return c.compile(args[0])
}

func (c *compiler) toInt(args []ast.Node) (fnode, bool) {
	a, ok := c.onlyArg(args)
	if !ok {
		return fnode{}, false
	}
	switch a.kind {
	case fInt:
		return a, true
	case fString:
		f := a.s
		return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
			s, ok := f(env, el)
			if !ok {
				return 0, false
			}
			n, err := strconv.ParseInt(s, 10, 64)
			return int(n), err == nil
		}), true
	}
	return fnode{}, false
}

func (c *compiler) lookup(args []ast.Node) (fnode, bool) {
	name, ok := constString(args, 0)
	if !ok || c.lib == nil || c.lib.Tables[name] == nil || (len(args) != 2 && len(args) != 3) {
		return fnode{}, false
	}
	key, ok := c.stringArg(args, 1)
	if !ok {
		return fnode{}, false
	}
	table := c.lib.Tables[name]
	if len(args) == 3 {
		return c.lookupDefault(table, key, args[2])
	}
	return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
		k, ok := key(env, el)
		if !ok {
			return "", false
		}
		v, found := table[k]
		return v, found
	}), true
}

// lookupDefault is lookup(table, key, default): the default is evaluated
// only for a key the table lacks, as in the VM.
func (c *compiler) lookupDefault(table map[string]string, key strFn, def ast.Node) (fnode, bool) {
	d, ok := c.compile(def)
	if !ok || d.kind != fString {
		return fnode{}, false
	}
	return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
		k, ok := key(env, el)
		if !ok {
			return "", false
		}
		if v, found := table[k]; found {
			return v, true
		}
		return d.s(env, el)
	}), true
}

// inTable is key in tables.NAME, which the patcher made _inTable("NAME", key).
func (c *compiler) inTable(args []ast.Node) (fnode, bool) {
	name, ok := constString(args, 0)
	if !ok || c.lib == nil || c.lib.Tables[name] == nil || len(args) != 2 {
		return fnode{}, false
	}
	key, ok := c.stringArg(args, 1)
	if !ok {
		return fnode{}, false
	}
	table := c.lib.Tables[name]
	return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
		k, ok := key(env, el)
		_, found := table[k]
		return found, ok
	}), true
}

func (c *compiler) date(args []ast.Node) (fnode, bool) {
	value, ok := c.stringArg(args, 0)
	layout, isConst := constString(args, 1)
	if !ok || !isConst || len(args) > 3 {
		return fnode{}, false
	}
	loc := time.UTC
	if c.lib != nil && c.lib.Location != nil {
		loc = c.lib.Location
	}
	if len(args) == 3 {
		zone, ok := constString(args, 2)
		if !ok {
			return fnode{}, false
		}
		l, err := lang.LoadLocation(zone)
		if err != nil {
			return fnode{}, false
		}
		loc = l
	}
	return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
		s, ok := value(env, el)
		if !ok {
			return "", false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", false
		}
		return env.AppendTime(t.In(loc), layout), true
	}), true
}

func (c *compiler) builtin(v *ast.BuiltinNode) (fnode, bool) {
	switch v.Name {
	case "len":
		return c.length(v.Arguments)
	case "all", "any", "none":
		return c.quantifier(v.Name, v.Arguments)
	}
	return c.stringFunc(v.Name, v.Arguments)
}

func (c *compiler) length(args []ast.Node) (fnode, bool) {
	a, ok := c.onlyArg(args)
	if !ok {
		return fnode{}, false
	}
	switch a.kind {
	case fItems:
		f := a.items
		return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
			items, ok := f(env, el)
			return len(items), ok
		}), true
	case fString:
		f := a.s
		return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
			s, ok := f(env, el)
			return utf8.RuneCountInString(s), ok
		}), true
	}
	return fnode{}, false
}

// quantifier compiles all/any/none over the event's items with a
// predicate that reads the element (.marketplaceItemId).
func (c *compiler) quantifier(name string, args []ast.Node) (fnode, bool) {
	if len(args) != 2 || c.inPredicate {
		return fnode{}, false
	}
	list, ok := c.compile(args[0])
	pred, isPred := args[1].(*ast.PredicateNode)
	if !ok || !isPred || list.kind != fItems {
		return fnode{}, false
	}
	c.inPredicate = true
	body, ok := c.compile(pred.Node)
	c.inPredicate = false
	if !ok || body.kind != fBool {
		return fnode{}, false
	}
	// all stops at the first false, any and none at the first true.
	stopOn := name != "all"
	items, test := list.items, body.b
	return boolNode(func(env *lang.Env, el *event.Item) (bool, bool) {
		list, ok := items(env, el)
		if !ok {
			return false, false
		}
		for _, it := range list {
			b, ok := test(env, it)
			if !ok {
				return false, false
			}
			if b == stopOn {
				return name == "any", true
			}
		}
		return name != "any", true
	}), true
}

// read compiles a field read: of the event, the current item, a variable,
// current, or (in a predicate) the element.
func (c *compiler) read(n ast.Node) (fnode, bool) {
	if m, ok := n.(*ast.MemberNode); ok && !m.Optional {
		if _, isElem := m.Node.(*ast.PointerNode); isElem {
			return c.elemField(m)
		}
	}
	p, ok := lang.ReadPath(n)
	if !ok {
		return fnode{}, false
	}
	switch p.Root {
	case lang.RootCurrent:
		if len(p.Segs) > 0 {
			return fnode{}, false
		}
		return strNode(func(env *lang.Env, _ *event.Item) (string, bool) { return env.Current, true }), true
	case lang.RootVars:
		if len(p.Segs) != 1 {
			return fnode{}, false
		}
		name := p.Segs[0]
		return strNode(func(env *lang.Env, _ *event.Item) (string, bool) {
			v, ok := env.Vars[name]
			return v, ok
		}), true
	case lang.RootItem:
		return structField(itemType, p.Segs, itemBase)
	case lang.RootEvent:
		if len(p.Segs) == 1 && p.Segs[0] == "items" {
			return fnode{kind: fItems, items: func(env *lang.Env, _ *event.Item) ([]*event.Item, bool) { return env.Items, true }}, true
		}
		return structField(eventType, p.Segs, eventBase)
	}
	return fnode{}, false
}

var (
	eventType = reflect.TypeOf(event.Event{})
	itemType  = reflect.TypeOf(event.Item{})
)

// exists reports whether a JSON value is present and not null.
func exists(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

// itemBase, eventBase and elemBase are the structs field reads start from:
// the current item, the event, and the element of a predicate.
func itemBase(env *lang.Env, _ *event.Item) (reflect.Value, bool) {
	if env.Item == nil {
		return reflect.Value{}, false
	}
	return reflect.ValueOf(env.Item).Elem(), true
}

func eventBase(env *lang.Env, _ *event.Item) (reflect.Value, bool) {
	return reflect.ValueOf(&env.Event).Elem(), true
}

func elemBase(_ *lang.Env, el *event.Item) (reflect.Value, bool) {
	if el == nil {
		return reflect.Value{}, false
	}
	return reflect.ValueOf(el).Elem(), true
}

// elemField compiles .field inside a predicate over items.
func (c *compiler) elemField(m *ast.MemberNode) (fnode, bool) {
	name, ok := lang.PropertyName(m.Property)
	if !c.inPredicate || !ok {
		return fnode{}, false
	}
	return structField(itemType, []string{name}, elemBase)
}

// structField compiles the read of a string or int field reached through
// structs (and a last step into a string map, such as order.attributes.x).
func structField(t reflect.Type, segs []string, base fn[reflect.Value]) (fnode, bool) {
	idx, key, kind, ok := lang.FieldPath(t, segs)
	if !ok {
		return fnode{}, false
	}
	switch kind {
	case reflect.String:
		return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
			b, ok := base(env, el)
			if !ok {
				return "", false
			}
			return b.FieldByIndex(idx).String(), true
		}), true
	case reflect.Int:
		return intNode(func(env *lang.Env, el *event.Item) (int, bool) {
			b, ok := base(env, el)
			if !ok {
				return 0, false
			}
			return int(b.FieldByIndex(idx).Int()), true
		}), true
	case reflect.Map:
		return strNode(func(env *lang.Env, el *event.Item) (string, bool) {
			b, ok := base(env, el)
			if !ok {
				return "", false
			}
			m, _ := b.FieldByIndex(idx).Interface().(map[string]string)
			v, found := m[key]
			return v, found
		}), true
	}
	return fnode{}, false
}
