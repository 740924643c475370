package lang

import (
	"reflect"
	"strconv"

	"github.com/expr-lang/expr/ast"
)

// read is one chain an expression reads, with where it starts in the text.
type read struct {
	path     Path
	offset   int  // rune offset of the chain in the expression
	optional bool // under has(), on the left of ??, or behind ?.
}

// chainOf returns the path of a member chain rooted at an identifier, such
// as order.marketplaceOrderId or items[0].sku, and false for anything else.
func chainOf(n ast.Node, env envInfo) (Path, bool) {
	var segs []string
	for {
		switch v := n.(type) {
		case *ast.IdentifierNode:
			return env.rootPath(v.Value, reverse(segs))
		case *ast.MemberNode:
			seg, ok := constSeg(v.Property)
			if !ok {
				return Path{}, false
			}
			segs = append(segs, seg)
			n = v.Node
		case *ast.ChainNode:
			n = v.Node
		default:
			return Path{}, false
		}
	}
}

func constSeg(n ast.Node) (string, bool) {
	switch p := n.(type) {
	case *ast.StringNode:
		return p.Value, true
	case *ast.IntegerNode:
		return strconv.Itoa(p.Value), true
	}
	return "", false
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// collector walks an expression top-down, recording every chain it reads.
type collector struct {
	env    envInfo
	reads  []read
	idents []read // root identifiers (not callees), with Segs[0] = name
	lets   map[string]bool
}

func (c *collector) visit(n ast.Node, optional bool) {
	if n == nil {
		return
	}
	if p, ok := chainOf(n, c.env); ok && !c.lets[rootName(n)] {
		c.reads = append(c.reads, read{path: p, offset: rootOffset(n), optional: optional || (c.env.dialect == Inbound && hasOptional(n))})
		return
	}
	switch v := n.(type) {
	case *ast.IdentifierNode:
		c.idents = append(c.idents, read{path: Path{Segs: []string{v.Value}}, offset: v.Location().From})
	case *ast.CallNode:
		c.visitCall(v, optional)
	case *ast.BinaryNode:
		// Both sides of ?? are optional statically: the left is tested,
		// the right is checked when it is evaluated (lazyPatcher).
		c.visit(v.Left, optional || v.Operator == "??")
		c.visit(v.Right, optional || v.Operator == "??")
	case *ast.ConditionalNode:
		c.visit(v.Cond, optional)
		c.visit(v.Exp1, true)
		c.visit(v.Exp2, true)
	case *ast.VariableDeclaratorNode:
		c.visit(v.Value, optional)
		c.lets[v.Name] = true
		c.visit(v.Expr, optional)
	default:
		for _, ch := range children(n) {
			c.visit(ch, optional)
		}
	}
}

func (c *collector) visitCall(v *ast.CallNode, optional bool) {
	if id, ok := v.Callee.(*ast.IdentifierNode); ok && id.Value == "has" {
		for _, a := range v.Arguments {
			c.visit(a, true)
		}
		return
	}
	if _, ok := v.Callee.(*ast.IdentifierNode); !ok {
		c.visit(v.Callee, optional)
	}
	for _, a := range v.Arguments {
		c.visit(a, optional)
	}
}

// rootOffset is where a chain starts: the offset of its root identifier.
func rootOffset(n ast.Node) int {
	for {
		switch v := n.(type) {
		case *ast.MemberNode:
			n = v.Node
		case *ast.ChainNode:
			n = v.Node
		default:
			return n.Location().From
		}
	}
}

func rootName(n ast.Node) string {
	for {
		switch v := n.(type) {
		case *ast.IdentifierNode:
			return v.Value
		case *ast.MemberNode:
			n = v.Node
		case *ast.ChainNode:
			n = v.Node
		default:
			return ""
		}
	}
}

func hasOptional(n ast.Node) bool {
	for {
		switch v := n.(type) {
		case *ast.MemberNode:
			if v.Optional {
				return true
			}
			n = v.Node
		case *ast.ChainNode:
			return true
		default:
			return false
		}
	}
}

// children lists the sub-expressions of n.
func children(n ast.Node) []ast.Node {
	switch v := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{v.Node}
	case *ast.BinaryNode:
		return []ast.Node{v.Left, v.Right}
	case *ast.ChainNode:
		return []ast.Node{v.Node}
	case *ast.MemberNode:
		return []ast.Node{v.Node, v.Property}
	case *ast.SliceNode:
		return []ast.Node{v.Node, v.From, v.To}
	case *ast.CallNode:
		return append([]ast.Node{v.Callee}, v.Arguments...)
	case *ast.BuiltinNode:
		return v.Arguments
	case *ast.PredicateNode:
		return []ast.Node{v.Node}
	case *ast.ConditionalNode:
		return []ast.Node{v.Cond, v.Exp1, v.Exp2}
	case *ast.SequenceNode:
		return v.Nodes
	case *ast.ArrayNode:
		return v.Nodes
	case *ast.MapNode:
		return v.Pairs
	case *ast.PairNode:
		return []ast.Node{v.Key, v.Value}
	}
	return nil
}

// required returns the paths that must be present for the expression to be
// evaluated: every read except those that are optional or that the same
// expression tests with has().
func required(reads []read) []Path {
	var out []Path
	for _, r := range reads {
		if r.optional || testedElsewhere(r.path, reads) || containsPath(out, r.path) {
			continue
		}
		out = append(out, r.path)
	}
	return out
}

func testedElsewhere(p Path, reads []read) bool {
	for _, r := range reads {
		if r.optional && r.path.covers(p) {
			return true
		}
	}
	return false
}

func containsPath(ps []Path, p Path) bool {
	for _, q := range ps {
		if q.equal(p) {
			return true
		}
	}
	return false
}

// fieldByTag finds the struct field of t whose expr tag (or name) is name,
// looking through embedded structs.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			if g, ok := fieldByTag(f.Type, name); ok {
				return g, true
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tag := f.Tag.Get("expr"); tag == name || (tag == "" && f.Name == name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldNames lists the expr names of t's fields, for suggestions.
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch {
		case f.Anonymous:
			out = append(out, fieldNames(f.Type)...)
		case f.IsExported():
			if tag := f.Tag.Get("expr"); tag != "" {
				out = append(out, tag)
			} else {
				out = append(out, f.Name)
			}
		}
	}
	return out
}
