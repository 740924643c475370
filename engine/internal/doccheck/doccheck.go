// Package doccheck lets tests hold the documentation to the code: the
// string constants a Go file declares, and the codes a Markdown table
// documents.
package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Constants returns the values of the string constants declared in the Go
// file whose names start with prefix.
func Constants(t testing.TB, file, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for i, name := range v.Names {
				if !strings.HasPrefix(name.Name, prefix) || i >= len(v.Values) {
					continue
				}
				lit, ok := v.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// TableCodes returns the codes that start the rows of the Markdown tables
// of file from the heading after (included) to the end: rows of the form
// "| `code` | ...".
func TableCodes(t testing.TB, file, after string) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), after)
	if !ok {
		t.Fatalf("%s has no %q", file, after)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(rest, "\n") {
		if cell, ok := strings.CutPrefix(line, "| `"); ok {
			code, _, _ := strings.Cut(cell, "`")
			rows[code] = true
		}
	}
	return rows
}
