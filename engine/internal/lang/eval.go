package lang

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/tidwall/gjson"
)

// MissingError reports an event field (or variable) an expression needs and
// the event (or the run) does not have.
type MissingError struct {
	Path Path
	// Pointer is the JSON pointer of the missing value in the event.
	Pointer string
}

func (e *MissingError) Error() string {
	if e.Path.Root == RootVars {
		return fmt.Sprintf("variable %s is not set", e.Path)
	}
	if e.Path.Root == RootInbound {
		return fmt.Sprintf("the payload has no %s", e.Path)
	}
	if e.Path.Root == RootCurrent {
		return "the order's current status is unknown: give order.marketplaceStatus, or an order.status that matches one status of the mapping"
	}
	return fmt.Sprintf("the event has no %s (%s)", e.Path, e.Pointer)
}

var vms = sync.Pool{New: func() any { return &vm.VM{MemoryBudget: MemoryBudget} }}

// Missing returns the first required field the environment lacks, or nil.
func (p *Program) Missing(env *Env) *MissingError {
	i := p.firstMissing(env)
	if i < 0 {
		return nil
	}
	r := p.required[i].path
	return &MissingError{Path: r, Pointer: r.Pointer(env.ItemIndex())}
}

// Complete reports whether the environment has every field the program
// requires: Missing without building the error.
func (p *Program) Complete(env *Env) bool { return p.firstMissing(env) < 0 }

// firstMissing is the index in p.required of the first field env lacks,
// or -1.
func (p *Program) firstMissing(env *Env) int {
	for i, r := range p.required {
		if !presentIn(env, r) {
			return i
		}
	}
	return -1
}

// Run evaluates the program against env. Before evaluating it checks that
// every field the expression needs is present, and returns a *MissingError
// naming the first one that is not. Errors raised by domain functions
// (*TableMissError, *ConvertError) are returned wrapped; use errors.As.
func (p *Program) Run(env any) (any, error) {
	switch e := env.(type) {
	case *Env:
		if m := p.Missing(e); m != nil {
			return nil, m
		}
		if v, ok := p.runFast(e); ok {
			return v.Interface(), nil
		}
	case map[string]any:
		if m := p.missingIn(e); m != nil {
			return nil, m
		}
	}
	return p.runVM(env)
}

func (p *Program) runVM(env any) (any, error) {
	m := vms.Get().(*vm.VM)
	out, err := m.Run(p.prog, env)
	vms.Put(m)
	return out, err
}

// Native reports whether the program has a native form (see Native), used
// instead of expr's VM whenever it can give the VM's result.
func (p *Program) Native() bool { return p.native != nil }

// NotNative names, for an outbound expression that is not evaluated
// natively, the innermost part of it that the native evaluator does not
// model (such as sum(items, #.price)), as expression text; "" when the
// expression is native or not outbound.
func (p *Program) NotNative() string {
	if p.native != nil {
		return ""
	}
	return p.slow
}

// nodeText is the source text of a node: from the first to the last token
// of its subtree, widened to close the brackets it opens; its printed form
// when the parser recorded no usable location.
func nodeText(text string, n ast.Node) string {
	from, to := len(text), 0
	ast.Walk(&n, spanVisitor(func(l file.Location) {
		if l.To > l.From && l.To <= len(text) {
			from, to = min(from, l.From), max(to, l.To)
		}
	}))
	if from >= to {
		return n.String()
	}
	for depth := bracketDepth(text[from:to]); depth > 0 && to < len(text); to++ {
		switch text[to] {
		case ')', ']':
			depth--
		case '(', '[':
			depth++
		}
	}
	return strings.TrimSpace(text[from:to])
}

// bracketDepth counts the brackets s opens and does not close, outside
// string literals.
func bracketDepth(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		}
	}
	return depth
}

type spanVisitor func(file.Location)

func (v spanVisitor) Visit(n *ast.Node) { v((*n).Location()) }

// Eval evaluates an outbound program like Run, without boxing its value.
func (p *Program) Eval(env *Env) (Value, error) {
	if m := p.Missing(env); m != nil {
		return Value{}, m
	}
	if v, ok := p.runFast(env); ok {
		return v, nil
	}
	out, err := p.runVM(env)
	return ValueOf(out), err
}

// EvalVM is Eval through expr's VM only, never the native evaluation. The
// engine does not need it; it lets tests hold the two to the same results.
func (p *Program) EvalVM(env *Env) (Value, error) {
	if m := p.Missing(env); m != nil {
		return Value{}, m
	}
	out, err := p.runVM(env)
	return ValueOf(out), err
}

// runFast evaluates the native form; ok is false when there is none or it
// leaves the value to the VM.
func (p *Program) runFast(env *Env) (v Value, ok bool) {
	if p.native == nil {
		return Value{}, false
	}
	return p.native.Eval(env)
}

type valueKind uint8

const (
	valueAny valueKind = iota
	valueBool
	valueInt
	valueString
)

// Value is what an expression gives, held without boxing when it is a
// boolean, an int or a string.
type Value struct {
	kind valueKind
	b    bool
	n    int
	s    string
	any  any
}

// ValueOf holds v as a Value.
func ValueOf(v any) Value {
	switch x := v.(type) {
	case bool:
		return Value{kind: valueBool, b: x}
	case int:
		return Value{kind: valueInt, n: x}
	case string:
		return Value{kind: valueString, s: x}
	}
	return Value{any: v}
}

// Interface returns the value as expr gives it (string, int, bool, nil, ...).
func (v Value) Interface() any {
	switch v.kind {
	case valueBool:
		return v.b
	case valueInt:
		return v.n
	case valueString:
		return v.s
	}
	return v.any
}

// Str returns the value when it is a string.
func (v Value) Str() (string, bool) { return v.s, v.kind == valueString }

// Int returns the value when it is an int.
func (v Value) Int() (int, bool) { return v.n, v.kind == valueInt }

// Bool returns the value when it is a boolean.
func (v Value) Bool() (bool, bool) { return v.b, v.kind == valueBool }

// missingIn checks the required paths of an inbound expression against
// the decoded payload: an absent or null value is missing.
func (p *Program) missingIn(env map[string]any) *MissingError {
	for _, r := range p.required {
		if r.path.Root == RootInbound && lookupValue(env, r.path.Segs) == nil {
			return &MissingError{Path: r.path}
		}
	}
	return nil
}

// lookupValue walks decoded JSON by keys and array indexes.
func lookupValue(v any, segs []string) any {
	for _, s := range segs {
		switch x := v.(type) {
		case map[string]any:
			v = x[s]
		case map[string]string:
			s, ok := x[s]
			if !ok {
				return nil
			}
			v = s
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func presentIn(env *Env, r reqPath) bool {
	p, gj := r.path, r.gjson
	switch p.Root {
	case RootCurrent:
		return env.Current != ""
	case RootVars:
		if len(p.Segs) == 0 {
			return true
		}
		_, ok := env.Vars[p.Segs[0]]
		return ok
	case RootItem:
		if env.Item == nil {
			return false
		}
		if r.at.field != nil {
			_, ok := r.at.text(reflect.ValueOf(env.Item).Elem())
			return ok
		}
		return exists(env.Item.Raw().Get(gj))
	}
	if r.at.field != nil {
		_, ok := r.at.text(reflect.ValueOf(&env.Event).Elem())
		return ok
	}
	return exists(r.at.lookup(&env.Event))
}

func exists(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

// need is what a field read in a conditional branch compiles to: the value,
// or a *MissingError when the field is absent.
func need(params ...any) (any, error) {
	ok, _ := present(params[0], params[1].(string), params[2])
	if ok.(bool) {
		return params[3], nil
	}
	path := params[1].(string)
	p := Path{Root: RootEvent, Segs: strings.Split(path, ".")}
	if obj := event.Object(params[2].(int)); obj != event.ObjectNone {
		p.Segs = append(event.ObjectPath(obj), p.Segs...)
	}
	idx := 0
	switch base := params[0].(type) {
	case *event.Item:
		p.Root, idx = RootItem, base.Index()
	case event.Item:
		p.Root, idx = RootItem, base.Index()
	case *Env:
		if rest, ok := strings.CutPrefix(path, "vars."); ok {
			p = Path{Root: RootVars, Segs: []string{rest}}
		}
	}
	return nil, &MissingError{Path: p, Pointer: p.Pointer(idx)}
}

// present is the function has() compiles to: does the path exist in the
// JSON of the event (or of the current item)?
func present(params ...any) (any, error) {
	path := params[1].(string)
	switch base := params[0].(type) {
	case *Env:
		if path == "current" {
			return base.Current != "", nil
		}
		if rest, ok := strings.CutPrefix(path, "vars."); ok {
			_, found := base.Vars[rest]
			return found, nil
		}
		return exists(base.Event.ObjectRaw(event.Object(params[2].(int))).Get(path)), nil
	case event.Item:
		return exists(base.Raw().Get(path)), nil
	case *event.Item:
		return exists(base.Raw().Get(path)), nil
	}
	return false, nil
}
