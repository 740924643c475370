package doccheck_test

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// moduleRoot is the repository root, from this package's folder.
const moduleRoot = "../../.."

// snippetImports are the packages a Go snippet of the docs may use without
// importing them, by the name it uses.
var snippetImports = map[string]string{
	"base64":   "encoding/base64",
	"hmac":     "crypto/hmac",
	"sha256":   "crypto/sha256",
	"strconv":  "strconv",
	"strings":  "strings",
	"engine":   "github.com/rotahq/rota/engine",
	"diag":     "github.com/rotahq/rota/engine/diag",
	"deliver":  "github.com/rotahq/rota/engine/deliver",
	"durable":  "github.com/rotahq/rota/engine/durable",
	"httpapi":  "github.com/rotahq/rota/engine/durable/httpapi",
	"mappings": "github.com/rotahq/rota/mappings",
	"sim":      "github.com/rotahq/rota/conformance/sim",
	"context":  "context",
	"errors":   "errors",
	"fmt":      "fmt",
	"http":     "net/http",
	"httptest": "net/http/httptest",
	"json":     "encoding/json",
	"log":      "log",
	"os":       "os",
	"time":     "time",
}

// snippetGiven declares what a snippet may use without declaring it: the
// inputs a reader has at hand.
const snippetGiven = `package snippets

import "time"

// eventJSON is one canonical event; events are many.
var (
	eventJSON []byte
	events    [][]byte
)

// clock is a test clock.
var clock testClock

type testClock struct{}

func (testClock) Now() time.Time { return time.Time{} }
`

type goSnippet struct {
	file string
	line int // of the first line of code
	code string
}

// TestGoSnippetsCompile: every Go block of README.md and docs/*.md is the
// body of a function that compiles and passes go vet, with the packages it
// names imported and the inputs of snippetGiven declared. Errors point at
// the Markdown line.
func TestGoSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	files, err := filepath.Glob(filepath.Join(moduleRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(moduleRoot, "README.md")}, files...)
	var snippets []goSnippet
	for _, f := range files {
		snippets = append(snippets, goSnippets(t, f)...)
	}
	if !slices.ContainsFunc(snippets, func(s goSnippet) bool { return strings.HasSuffix(s.file, "README.md") }) {
		t.Fatal("README.md has no Go snippet; the test would check nothing there")
	}
	dir, err := os.MkdirTemp("testdata", "snippets")
	if err != nil {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if dir, err = os.MkdirTemp("testdata", "snippets"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove("testdata") // only when empty
	})
	write(t, filepath.Join(dir, "given.go"), snippetGiven)
	for i, s := range snippets {
		write(t, filepath.Join(dir, fmt.Sprintf("snippet%d.go", i)), wrap(t, s, i))
	}
	cmd := exec.Command("go", "vet", "./"+filepath.ToSlash(dir))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("the Go snippets of the docs do not compile or vet:\n%s", out)
	}
	t.Logf("%d snippets checked", len(snippets))
}

// goSnippets returns the ```go blocks of a Markdown file.
func goSnippets(t *testing.T, file string) []goSnippet {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goSnippet
	var cur *goSnippet
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &goSnippet{file: file, line: n + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wrap turns a snippet into a Go file: the packages it names imported, its
// code the body of a function, with a line directive that points errors at
// the Markdown file.
func wrap(t *testing.T, s goSnippet, i int) string {
	t.Helper()
	body := fmt.Sprintf("func snippet%d() {\n//line %s:%d\n%s}\n", i, filepath.Base(s.file), s.line, s.code)
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package snippets\n"+body, parser.SkipObjectResolution|parser.AllErrors); err != nil {
		t.Errorf("%s:%d: the snippet does not parse as statements: %v", s.file, s.line, err)
		return "package snippets\n"
	}
	var imports []string
	for name, path := range snippetImports {
		if usesPackage(s.code, name) {
			imports = append(imports, fmt.Sprintf("\t%q", path))
		}
	}
	slices.Sort(imports)
	head := "package snippets\n"
	if len(imports) > 0 {
		head += "\nimport (\n" + strings.Join(imports, "\n") + "\n)\n"
	}
	return head + "\n" + body
}

// usesPackage reports whether code refers to name.X, outside comments
// and strings.
func usesPackage(code, name string) bool {
	fset := token.NewFileSet()
	var sc scanner.Scanner
	sc.Init(fset.AddFile("", fset.Base(), len(code)), []byte(code), nil, 0)
	prev := ""
	for {
		_, tok, lit := sc.Scan()
		switch {
		case tok == token.EOF:
			return false
		case tok == token.PERIOD && prev == name:
			return true
		case tok == token.IDENT:
			prev = lit
		default:
			prev = ""
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
