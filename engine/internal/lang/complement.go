package lang

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Complementary reports whether, for every environment, exactly one of the
// two conditions holds, as far as their text shows it: c and !c (or not c),
// a == b and a != b, a < b and a >= b, a > b and a <= b, with the same
// operands written the same way. It is false when it cannot tell, never
// true when they are not complements; the engine uses it to know that one
// of two conditional calls is always made.
func Complementary(a, b *Program) bool {
	if a == nil || b == nil {
		return false
	}
	x, err := parser.Parse(a.src.Text)
	if err != nil {
		return false
	}
	y, err := parser.Parse(b.src.Text)
	if err != nil {
		return false
	}
	return complement(x.Node, y.Node) || complement(y.Node, x.Node)
}

// opposite pairs each comparison with the one true exactly when it is false.
var opposite = map[string]string{"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}

func complement(x, y ast.Node) bool {
	if u, ok := x.(*ast.UnaryNode); ok && (u.Operator == "!" || u.Operator == "not") {
		return u.Node.String() == y.String()
	}
	bx, ok1 := x.(*ast.BinaryNode)
	by, ok2 := y.(*ast.BinaryNode)
	if !ok1 || !ok2 || opposite[bx.Operator] != by.Operator {
		return false
	}
	return bx.Left.String() == by.Left.String() && bx.Right.String() == by.Right.String()
}
