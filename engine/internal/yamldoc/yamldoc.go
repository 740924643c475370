// Package yamldoc reads a YAML document as the value a JSON decoder would
// give (objects map[string]any, arrays []any, numbers json.Number), keeping
// the node, and so the position, of every value and key by JSON pointer, so
// that what a JSON Schema or a check finds in the value points into the
// file. Mapping files and conformance case files are read with it.
//
// Work is bounded: a document expands to at most MaxValues values, which
// stops aliases that refer to themselves or nest deep from making reading
// loop or explode.
package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"go.yaml.in/yaml/v3"
)

// MaxValues bounds how many values (scalars, objects and arrays, counted
// after aliases are expanded) a document may hold.
const MaxValues = 50_000

// Doc is one YAML document with the position of every value and key. A Doc
// is read-only once made and safe for concurrent use.
type Doc struct {
	// Path is the file's name as positions show it.
	Path string
	// Lines is the source split into lines, for snippets and indentation.
	Lines diag.Lines
	// Root is the document's top node.
	Root *yaml.Node
	// Value is Root as a JSON decoder would give it.
	Value any

	values map[string]*yaml.Node // JSON pointer → value node
	keys   map[string]*yaml.Node // JSON pointer → key node of that member
}

// ErrEmpty is Parse's error for a source with no document.
var ErrEmpty = errors.New("the file is empty")

// TooLargeError is the error for a document that expands to more than
// MaxValues values. At is the outermost alias being expanded when the
// bound was reached (one that refers to itself, or nests too deep), nil
// when the document is merely large.
type TooLargeError struct{ At *yaml.Node }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the document expands to more than %d values", MaxValues)
}

// SyntaxError is a YAML syntax error at the position the parser means,
// with what to do about it.
type SyntaxError struct {
	Pos     diag.Pos
	Message string
}

func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Message }

// Parse reads the first document of src. Its errors are a *SyntaxError,
// ErrEmpty or a *TooLargeError.
func Parse(path string, src []byte) (*Doc, error) {
	lines := diag.SplitLines(src)
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, NewSyntaxError(path, lines, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, ErrEmpty
	}
	return Convert(path, lines, doc.Content[0])
}

// Convert reads the document whose top node is root; lines are its
// source's. Its error is a *TooLargeError.
func Convert(path string, lines diag.Lines, root *yaml.Node) (*Doc, error) {
	c := converter{doc: &Doc{Path: path, Lines: lines, Root: root, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}},
		budget: MaxValues, active: map[*yaml.Node]bool{}}
	v, err := c.value(root, "")
	if err != nil {
		return nil, err
	}
	c.doc.Value = v
	return c.doc, nil
}

// Documents is the first YAML document of a source, and where a second
// one starts, which a reader of one document would silently ignore.
type Documents struct {
	First     yaml.Node
	Second    diag.Pos
	HasSecond bool
}

// DecodeDocuments reads the first document of src and looks for a second
// one, in one pass of the parser. Its error is a *SyntaxError, in the first
// document or in the second. An empty src gives an empty First.
func DecodeDocuments(path string, lines diag.Lines, src []byte) (Documents, *SyntaxError) {
	var d Documents
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&d.First); err != nil {
		if errors.Is(err, io.EOF) {
			return d, nil
		}
		return d, NewSyntaxError(path, lines, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return d, NewSyntaxError(path, lines, err)
	case len(second.Content) > 0:
		d.Second, d.HasSecond = diag.Pos{File: path, Line: second.Content[0].Line, Col: 1}, true
	}
	return d, nil
}

// Node returns the value node at a JSON pointer, nil when there is none.
func (d *Doc) Node(ptr string) *yaml.Node { return d.values[ptr] }

// Pos returns the position of a node of this document.
func (d *Doc) Pos(n *yaml.Node) diag.Pos {
	if n == nil {
		return diag.Pos{File: d.Path}
	}
	return diag.Pos{File: d.Path, Line: n.Line, Col: n.Column}
}

// PosOf returns the position of the value at a JSON pointer, or of the
// nearest enclosing value that exists.
func (d *Doc) PosOf(ptr string) diag.Pos {
	for {
		if n, ok := d.values[ptr]; ok {
			return d.Pos(n)
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return diag.Pos{File: d.Path, Line: 1, Col: 1}
		}
		ptr = ptr[:i]
	}
}

// KeyPos returns the position of the key of the member at a JSON pointer.
func (d *Doc) KeyPos(ptr string) (diag.Pos, bool) {
	n, ok := d.keys[ptr]
	if !ok {
		return diag.Pos{}, false
	}
	return d.Pos(n), true
}

// converter turns nodes into values, counting them against the bound.
type converter struct {
	doc    *Doc
	budget int                 // values it may still produce
	active map[*yaml.Node]bool // aliases being expanded (cycle check)
}

func (c *converter) value(n *yaml.Node, ptr string) (any, error) {
	if c.budget--; c.budget < 0 {
		return nil, &TooLargeError{}
	}
	c.doc.values[ptr] = n
	switch n.Kind {
	case yaml.AliasNode:
		return c.alias(n, ptr)
	case yaml.MappingNode:
		return c.object(n, ptr)
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, item := range n.Content {
			v, err := c.value(item, ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	return scalar(n), nil
}

// alias expands an alias, failing on one that refers to itself and naming
// the outermost alias in the error.
func (c *converter) alias(n *yaml.Node, ptr string) (any, error) {
	if c.active[n.Alias] {
		return nil, &TooLargeError{At: n}
	}
	c.active[n.Alias] = true
	v, err := c.value(n.Alias, ptr)
	delete(c.active, n.Alias)
	if err != nil {
		err.(*TooLargeError).At = n // each enclosing alias overwrites it
	}
	return v, err
}

func (c *converter) object(n *yaml.Node, ptr string) (any, error) {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := ptr + "/" + jsonptr.Escape(k.Value)
		c.doc.keys[p] = k
		val, err := c.value(v, p)
		if err != nil {
			return nil, err
		}
		m[k.Value] = val
	}
	return m, nil
}

// scalar gives a YAML scalar as JSON would hold it.
func scalar(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	switch x := v.(type) {
	case int:
		return json.Number(strconv.Itoa(x))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// NewSyntaxError places a YAML parser error at the line it means (the
// parser counts some errors from 0), at that line's indentation, with what
// to do about it.
func NewSyntaxError(path string, lines diag.Lines, err error) *SyntaxError {
	line, msg := 1, err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	// yaml reports parser errors at the 0-based line where the unclosed
	// construct starts, and scanner errors at the 1-based line of the problem.
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	return &SyntaxError{Pos: diag.Pos{File: path, Line: line, Col: lines.Indent(line)}, Message: syntaxAdvice(msg)}
}

// syntaxAdvice turns the YAML parser's wording into what to do about it.
func syntaxAdvice(msg string) string {
	advice := map[string]string{
		"did not find expected ',' or '}'":               "the { ... } opened on this line is not closed, or a value in it needs quotes ('${ expr }' must be quoted inside { })",
		"did not find expected ',' or ']'":               "the [ ... ] opened on this line is not closed, or an item in it needs quotes",
		"did not find expected '-' indicator":            "a line below this list is indented like its items but does not start with -; indent it under an item or make it an item",
		"did not find expected key":                      "a key below this line is indented differently from its siblings",
		"mapping values are not allowed in this context": "unexpected ':' here: quote a value that contains ': ', or align this key with its siblings",
		"found unexpected end of stream":                 "the file ends inside an unclosed quote or bracket",
		"found character that cannot start any token":    "a character YAML cannot start a value with (a tab for indentation, or @ or `); use spaces and quote the value",
	}
	for prefix, a := range advice {
		if strings.HasPrefix(msg, prefix) {
			return fmt.Sprintf("%s (YAML: %s)", a, msg)
		}
	}
	return msg + "; check the indentation and quoting on this line and the ones around it"
}
