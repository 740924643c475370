package engine

import (
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"go.yaml.in/yaml/v3"
)

// exprSource locates the text at byte offset off of a scalar node's value in
// the file, so that expression errors point inside the YAML.
func exprSource(f *mapping.File, n *yaml.Node, off int, text string) lang.Source {
	src := lang.Source{Text: text, Lines: f.Lines}
	line, col := offsetLineCol(n.Value, off)
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		indent := f.Lines.Indent(n.Line + 1)
		src.Pos = diag.Pos{File: f.Path, Line: n.Line + line, Col: indent + col}
		src.Indent = indent
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		src.Pos = diag.Pos{File: f.Path, Line: n.Line + line - 1, Col: n.Column + 1 + col}
	default:
		src.Pos = diag.Pos{File: f.Path, Line: n.Line + line - 1, Col: n.Column + col}
	}
	if line > 1 && n.Style != yaml.LiteralStyle && n.Style != yaml.FoldedStyle {
		src.Pos.Col = f.Lines.Indent(src.Pos.Line) + col
	}
	return src
}

// offsetLineCol returns the 1-based line and 0-based rune column of byte
// offset off in s.
func offsetLineCol(s string, off int) (int, int) {
	if off > len(s) {
		off = len(s)
	}
	before := s[:off]
	line := strings.Count(before, "\n") + 1
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, len([]rune(before))
}
