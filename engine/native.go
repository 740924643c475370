package engine

import (
	"github.com/expr-lang/expr/ast"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/native"
)

// nativeForm is the engine's one door to the native evaluator: lang
// compiles each outbound expression for expr's VM and asks here for the
// native form of its checked tree (nil, and the part it does not model,
// when there is none).
func nativeForm(root ast.Node, lib *lang.Library) (lang.Native, ast.Node) {
	p, ok := native.Compile(root, lib)
	if !ok {
		return nil, p.Culprit()
	}
	return p, nil
}
