package lang

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/rotahq/rota/engine/diag"
	"github.com/tidwall/gjson"
)

// Limits on expressions, applied to every program.
const (
	// MaxNodes is the largest expression (in AST nodes) a mapping may hold.
	MaxNodes = 400
	// MemoryBudget bounds what one evaluation may allocate (expr's units).
	MemoryBudget = 100_000
)

const (
	presentFunc = "_present"
	needFunc    = "_need"
)

// Dialect says which environment an expression is compiled against.
type Dialect int

// Dialects.
const (
	// Outbound expressions read the canonical event (guards, conditions, templates).
	Outbound Dialect = iota
	// ResponseRules read a marketplace's HTTP response.
	ResponseRules
	// AuthRules read secrets and variables (token requests).
	AuthRules
	// Inbound expressions read a marketplace payload; names come from Options.Names.
	Inbound
)

// Source is an expression and where it sits in a mapping file.
type Source struct {
	Text string
	// Pos is the position of the expression's first character.
	Pos diag.Pos
	// Indent is the 1-based column where continuation lines start (block
	// scalars); 0 means continuation lines start at column 1.
	Indent int
	// Lines is the whole mapping file, for snippets; may be nil.
	Lines diag.Lines
}

// At converts a 1-based line and 0-based column inside the expression into a
// position in the file.
func (s Source) At(line, col int) diag.Pos {
	if line <= 1 {
		return diag.Pos{File: s.Pos.File, Line: s.Pos.Line, Col: s.Pos.Col + col}
	}
	indent := s.Indent
	if indent == 0 {
		indent = 1
	}
	return diag.Pos{File: s.Pos.File, Line: s.Pos.Line + line - 1, Col: indent + col}
}

// AtOffset converts a rune offset inside the expression into a position.
func (s Source) AtOffset(off int) diag.Pos {
	line, col := 1, 0
	for i, r := range []rune(s.Text) {
		if i == off {
			break
		}
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
	return s.At(line, col)
}

func (s Source) diag(pos diag.Pos, code diag.Code, msg string) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: code, Message: msg, Snippet: s.Lines.Snippet(pos.Line, pos.Col)}
}

// Options control how an expression is compiled.
type Options struct {
	Lib     *Library
	Dialect Dialect
	// Bool requires the expression to produce a boolean (guards, conditions).
	Bool bool
	// InLoop makes item available (inside $each over items).
	InLoop bool
	// Vars are the run-time variables the mapping declares.
	Vars map[string]bool
	// Names are the variables in scope for Inbound expressions.
	Names []string
}

// Program is a compiled, checked expression. It is immutable and safe for
// concurrent use.
type Program struct {
	prog     *vm.Program
	src      Source
	required []reqPath
	reads    []Path
	out      reflect.Type
	chain    *Path
	chainGJ  string
	chainAt  located
	names    []string // root identifiers the expression reads
	native   Native   // native form (outbound only), nil when the VM must run
	slow     string   // outbound, not native: the innermost sub-expression that is not
}

// Uses reports whether the expression reads the name (a variable of its
// environment, such as orderId in an inbound response).
func (p *Program) Uses(name string) bool { return slices.Contains(p.names, name) }

type reqPath struct {
	path  Path
	gjson string
	at    located
}

// Source returns the expression and its position.
func (p *Program) Source() Source { return p.src }

// Reads returns every event field the expression reads, in order.
func (p *Program) Reads() []Path { return p.reads }

// Type is the static type of the result (interface{} when unknown).
func (p *Program) Type() reflect.Type { return p.out }

// Chain returns the path when the whole expression is a single field read
// (invoice.key), which the engine copies from the event without evaluating.
func (p *Program) Chain() (Path, bool) {
	if p.chain == nil {
		return Path{}, false
	}
	return *p.chain, true
}

// ChainValue looks up the field the program reads (see Chain) in the
// event: in the current item for item paths, else in the event object the
// path lies in.
func (p *Program) ChainValue(env *Env) gjson.Result {
	if p.chain.Root == RootItem {
		if env.Item == nil {
			return gjson.Result{}
		}
		return env.Item.Raw().Get(p.chainGJ)
	}
	return p.chainAt.lookup(&env.Event)
}

// ChainText reads the string field the program reads, when Chain is a
// string field of the event or item: the value, whether it is present (not
// empty), and whether the program is such a read at all.
func (p *Program) ChainText(env *Env) (value string, present, ok bool) {
	if p.chain == nil || p.chainAt.field == nil {
		return "", false, false
	}
	base := reflect.ValueOf(&env.Event).Elem()
	if p.chain.Root == RootItem {
		if env.Item == nil {
			return "", false, true
		}
		base = reflect.ValueOf(env.Item).Elem()
	}
	value, present = p.chainAt.text(base)
	return value, present, true
}

// Compile parses, checks and compiles one expression. Every problem found is
// returned as a positioned diagnostic; the program is nil when there are any.
func Compile(src Source, o Options) (*Program, diag.List) {
	tree, err := parser.Parse(src.Text)
	if err != nil {
		return nil, diag.List{exprDiag(src, err, diag.ExprSyntax, o)}
	}
	if ds := checkAllowed(src, tree.Node); len(ds) > 0 {
		return nil, ds
	}
	env := envInfo{dialect: o.Dialect, inLoop: o.InLoop, vars: o.Vars, names: o.Names}
	c := &collector{env: env, lets: map[string]bool{}}
	c.visit(tree.Node, false)
	if ds := checkReads(src, env, c.reads); len(ds) > 0 {
		return nil, ds
	}
	if ds := checkNames(src, o, c); len(ds) > 0 {
		return nil, ds
	}
	if ds := checkCalls(src, tree.Node, o); len(ds) > 0 {
		return nil, ds
	}
	if ds := checkTables(src, tree.Node, o); len(ds) > 0 {
		return nil, ds
	}
	configs := o.Lib.configs()
	prog, err := configs.compile(src.Text, o, additionPatchers(tree.Node))
	if err != nil {
		return nil, diag.List{exprDiag(src, err, diag.ExprType, o)}
	}
	if ds := checkCost(src, prog.Node()); len(ds) > 0 {
		return nil, ds
	}
	p := &Program{prog: prog, src: src, out: prog.Node().Type()}
	if o.Dialect == Outbound && configs.native != nil {
		var culprit ast.Node
		p.native, culprit = configs.native(prog.Node(), o.Lib)
		if culprit != nil {
			p.slow = nodeText(src.Text, culprit)
		}
	}
	for _, r := range required(c.reads) {
		p.required = append(p.required, reqPath{path: r, gjson: r.GJSON(), at: locate(r)})
	}
	for _, r := range c.reads {
		p.reads = append(p.reads, r.path)
	}
	for _, r := range append(c.idents, c.reads...) {
		if (r.path.Root == RootEvent || r.path.Root == RootInbound) && len(r.path.Segs) > 0 && !slices.Contains(p.names, r.path.Segs[0]) {
			p.names = append(p.names, r.path.Segs[0])
		}
	}
	if ch, ok := chainOf(tree.Node, env); ok && !hasOptional(tree.Node) {
		p.chain, p.chainGJ, p.chainAt = &ch, ch.GJSON(), locate(ch)
	}
	return p, nil
}

func checkReads(src Source, env envInfo, reads []read) diag.List {
	var ds diag.List
	for _, r := range reads {
		if msg, ok := env.checkPath(r.path); !ok {
			code := diag.UnknownField
			switch r.path.Root {
			case RootItem:
				if !env.inLoop {
					code = diag.ScopeError
				}
			case RootVars:
				code = diag.UnknownVariable
			}
			ds = append(ds, src.diag(src.AtOffset(r.offset), code, msg))
		}
	}
	return ds
}

// checkNames verifies that inbound expressions use only the names in scope.
func checkNames(src Source, o Options, c *collector) diag.List {
	if o.Dialect != Inbound {
		return nil
	}
	var ds diag.List
	for _, id := range c.idents {
		name := id.path.Segs[0]
		if slices.Contains(o.Names, name) || c.lets[name] || name == "$env" {
			continue
		}
		ds = append(ds, src.diag(src.AtOffset(id.offset), diag.ExprType,
			fmt.Sprintf("unknown name %s; here expressions see %s%s", name, strings.Join(o.Names, ", "), suggest(name, o.Names, ""))))
	}
	return ds
}

// checkCalls verifies the arguments the engine must know at load time:
// lookup() names a declared table, has() tests a field.
func checkCalls(src Source, root ast.Node, o Options) diag.List {
	var ds diag.List
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if call, ok := n.(*ast.CallNode); ok {
			if d, bad := checkCall(src, call, o); bad {
				ds = append(ds, d)
			}
		}
		for _, ch := range children(n) {
			if ch != nil {
				walk(ch)
			}
		}
	}
	walk(root)
	return ds
}

func checkCall(src Source, call *ast.CallNode, o Options) (diag.Diagnostic, bool) {
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || len(call.Arguments) == 0 {
		return diag.Diagnostic{}, false
	}
	at := src.AtOffset(call.Location().From)
	switch id.Value {
	case "lookup":
		name, ok := call.Arguments[0].(*ast.StringNode)
		if !ok {
			return src.diag(at, diag.UnknownTable, `lookup() takes the table name as a quoted string: lookup("cancelReason", cancellation.reason)`), true
		}
		if o.Lib == nil || o.Lib.Tables[name.Value] == nil {
			return src.diag(at, diag.UnknownTable, fmt.Sprintf("unknown value table %q; declare it under tables:%s", name.Value, suggest(name.Value, tableNames(o.Lib), ""))), true
		}
	case "has":
		if _, ok := chainOf(call.Arguments[0], envInfo{dialect: Outbound, inLoop: true}); !ok && o.Dialect == Outbound {
			return src.diag(at, diag.BadTemplate, "has() takes a field of the event, such as has(invoice.issuedAt)"), true
		}
	}
	return diag.Diagnostic{}, false
}

func tableNames(l *Library) []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.Tables))
	for k := range l.Tables {
		out = append(out, k)
	}
	return out
}

func envOption(d Dialect) expr.Option {
	switch d {
	case ResponseRules:
		return expr.Env(Response{})
	case AuthRules:
		return expr.Env(AuthEnv{})
	case Inbound:
		// Inbound payloads are untyped: names are checked by checkNames and
		// their values are dynamic.
		return expr.Env(map[string]any{})
	}
	return expr.Env(Env{})
}

func exprDiag(src Source, err error, code diag.Code, o Options) diag.Diagnostic {
	pos, msg := src.Pos, err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		pos, msg = src.At(fe.Line, fe.Column), fe.Message
	}
	if o.Bool && strings.HasPrefix(msg, "expected bool") {
		code = diag.GuardNotBool
		got := TypeWords(strings.TrimPrefix(msg, "expected bool, but got "))
		msg = "a guard or condition must be true or false, but this expression gives " + withArticle(got)
		if strings.HasPrefix(got, "list of ") {
			msg += "; to require entries, test len(...) > 0"
		}
	} else if code != diag.ExprSyntax {
		msg = TypeWords(msg)
	}
	return src.diag(pos, code, strings.TrimSpace(msg))
}

// presencePatcher rewrites has(x.y) into a presence test of x.y in the event
// JSON, and x.y ?? d into has(x.y) ? x.y : d, so that absent fields are told
// apart from empty ones.
type presencePatcher struct{}

func (presencePatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "has" && len(n.Arguments) == 1 {
			if call := presenceCall(n.Arguments[0]); call != nil {
				ast.Patch(node, call)
			}
		}
	case *ast.BinaryNode:
		if n.Operator == "??" {
			if call := presenceCall(n.Left); call != nil {
				ast.Patch(node, &ast.ConditionalNode{Ternary: true, Cond: call, Exp1: n.Left, Exp2: n.Right})
			}
		}
	}
}

// lazyPatcher makes reads in the branches of c ? a : b and on the right of
// a ?? b checked when they are evaluated: each such field read becomes
// _need(base, "path", read), which fails with a *MissingError when the
// field is absent. A branch not taken needs nothing.
type lazyPatcher struct{}

func (lazyPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.ConditionalNode:
		wrapReads(&n.Exp1)
		wrapReads(&n.Exp2)
	case *ast.BinaryNode:
		if n.Operator == "??" {
			wrapReads(&n.Right)
		}
	}
}

func wrapReads(node *ast.Node) {
	if call, ok := (*node).(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok && (id.Value == needFunc || id.Value == presentFunc) {
			return
		}
	}
	if p, ok := lazyTarget(*node); ok {
		orig := *node
		base, path, obj := presenceArgs(p)
		ast.Patch(node, &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: needFunc},
			Arguments: []ast.Node{&ast.IdentifierNode{Value: base}, &ast.StringNode{Value: path}, &ast.IntegerNode{Value: obj}, orig},
		})
		return
	}
	for _, ch := range childPtrs(*node) {
		wrapReads(ch)
	}
}

// lazyTarget returns the path of a field read that can be absent: event
// fields, item fields and variables.
func lazyTarget(n ast.Node) (Path, bool) {
	p, ok := chainOf(n, envInfo{dialect: Outbound, inLoop: true})
	if !ok || len(p.Segs) == 0 || p.Root == RootCurrent {
		return Path{}, false
	}
	return p, true
}

// childPtrs lists pointers to the sub-expressions of n, for patching.
func childPtrs(n ast.Node) []*ast.Node {
	switch v := n.(type) {
	case *ast.UnaryNode:
		return []*ast.Node{&v.Node}
	case *ast.BinaryNode:
		return []*ast.Node{&v.Left, &v.Right}
	case *ast.CallNode:
		return elemPtrs(v.Arguments)
	case *ast.BuiltinNode:
		return elemPtrs(v.Arguments)
	case *ast.ConditionalNode:
		return []*ast.Node{&v.Cond, &v.Exp1, &v.Exp2}
	case *ast.ArrayNode:
		return elemPtrs(v.Nodes)
	case *ast.MapNode:
		return elemPtrs(v.Pairs)
	case *ast.PairNode:
		return []*ast.Node{&v.Value}
	case *ast.MemberNode:
		return []*ast.Node{&v.Node, &v.Property}
	case *ast.SliceNode:
		return []*ast.Node{&v.Node, &v.From, &v.To}
	}
	return nil
}

func elemPtrs(nodes []ast.Node) []*ast.Node {
	out := make([]*ast.Node, len(nodes))
	for i := range nodes {
		out[i] = &nodes[i]
	}
	return out
}

// nilTestPatcher rewrites has(x.y) into x.y != nil for inbound payloads,
// whose absent values read as nil.
type nilTestPatcher struct{}

func (nilTestPatcher) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.CallNode); ok {
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "has" && len(n.Arguments) == 1 {
			ast.Patch(node, &ast.BinaryNode{Operator: "!=", Left: n.Arguments[0], Right: &ast.NilNode{}})
		}
	}
}

func presenceCall(arg ast.Node) ast.Node {
	p, ok := chainOf(arg, envInfo{dialect: Outbound, inLoop: true})
	if !ok {
		return nil
	}
	base, path, obj := presenceArgs(p)
	return &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: presentFunc},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: base}, &ast.StringNode{Value: path}, &ast.IntegerNode{Value: obj}},
	}
}

// presenceArgs are what _present and _need take for a path: the base
// ($env or item), the path inside the object, and the object.
func presenceArgs(p Path) (string, string, int) {
	switch p.Root {
	case RootItem:
		return "item", p.GJSON(), 0
	case RootVars:
		return "$env", "vars." + p.GJSON(), 0
	case RootCurrent:
		return "$env", "current", 0
	}
	at := locate(p)
	return "$env", at.rest, int(at.obj)
}
