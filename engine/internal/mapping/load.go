package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/schemaerr"
	"github.com/rotahq/rota/engine/internal/yamldoc"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"
)

// File is one loaded mapping file.
type File struct {
	// Path is the file's name as shown in findings (mappings/skyhub.yaml).
	Path string
	// Src is the file's content.
	Src []byte
	// Lines is Src split into lines, for snippets and indentation.
	Lines diag.Lines
	// Root is the document's top node.
	Root *yaml.Node
	// Mapping is the decoded model; nil when the file has errors.
	Mapping *Mapping

	doc *yamldoc.Doc // the document with positions; nil when it does not read
}

// MaxFileBytes is the largest mapping file, in bytes; a larger one is
// refused (diag.TooLarge) before it is parsed.
const MaxFileBytes = 1 << 20

// Pos returns the position of a node in this file.
func (f *File) Pos(n *yaml.Node) diag.Pos {
	if n == nil {
		return diag.Pos{File: f.Path}
	}
	return diag.Pos{File: f.Path, Line: n.Line, Col: n.Column}
}

// PosOf returns the position of the value at a JSON pointer, or of the
// nearest enclosing value that exists.
func (f *File) PosOf(ptr string) diag.Pos {
	if f.doc == nil {
		return diag.Pos{File: f.Path, Line: 1, Col: 1}
	}
	return f.doc.PosOf(ptr)
}

// KeyPos returns the position of the key of the member at a JSON pointer.
func (f *File) KeyPos(ptr string) (diag.Pos, bool) {
	if f.doc == nil {
		return diag.Pos{}, false
	}
	return f.doc.KeyPos(ptr)
}

// Doc returns the file as read, with positions; nil when it does not read
// as YAML.
func (f *File) Doc() *yamldoc.Doc { return f.doc }

// node returns the value node at a JSON pointer, or nil.
func (f *File) node(ptr string) *yaml.Node {
	if f.doc == nil {
		return nil
	}
	return f.doc.Node(ptr)
}

// Diag builds an error finding at pos with a snippet of this file.
func (f *File) Diag(pos diag.Pos, code diag.Code, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: code, Message: fmt.Sprintf(format, args...),
		Snippet: f.Lines.Snippet(pos.Line, pos.Col)}
}

// Parse reads one mapping file, validates it against schema (when not nil)
// and decodes it. All problems found are returned, sorted; File.Mapping is
// nil when any of them is an error.
func Parse(path string, src []byte, schema *jsonschema.Schema) (*File, diag.List) {
	if len(src) > MaxFileBytes {
		f := &File{Path: path}
		return f, diag.List{{Pos: diag.Pos{File: path, Line: 1, Col: 1}, Severity: diag.Error, Code: diag.TooLarge,
			Message: fmt.Sprintf("the file is %d bytes, more than the %d a mapping file may hold", len(src), MaxFileBytes)}}
	}
	f := &File{Path: path, Src: src, Lines: diag.SplitLines(src)}
	docs, serr := yamldoc.DecodeDocuments(path, f.Lines, src)
	if serr != nil {
		return f, diag.List{f.syntaxDiag(serr)}
	}
	if docs.HasSecond {
		return f, diag.List{f.Diag(docs.Second, diag.YAMLSyntax,
			"a second YAML document starts here; a mapping file holds one, and the rest would be ignored: remove the --- and merge it, or move it to its own file")}
	}
	doc := &docs.First
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return f, diag.List{f.Diag(diag.Pos{File: path, Line: 1, Col: 1}, diag.SchemaViolation, "the file is empty; a mapping starts with marketplace: <id>")}
	}
	f.Root = doc.Content[0]
	d, err := yamldoc.Convert(path, f.Lines, f.Root)
	if err != nil {
		return f, diag.List{f.tooLargeDiag(err.(*yamldoc.TooLargeError).At)}
	}
	f.doc = d
	value := d.Value
	if schema != nil {
		if ds := f.validate(schema, value); len(ds) > 0 {
			return f, ds.Sort()
		}
	}
	var m Mapping
	if err := f.Root.Decode(&m); err != nil {
		return f, diag.List{f.decodeDiag(err)}
	}
	f.Mapping = &m
	return f, nil
}

// tooLargeDiag reports a file that expands to more than maxValues values,
// at the alias that does it when there is one.
func (f *File) tooLargeDiag(alias *yaml.Node) diag.Diagnostic {
	if alias == nil {
		return f.Diag(diag.Pos{File: f.Path, Line: 1, Col: 1}, diag.YAMLSyntax,
			"the file has more than %d values, more than a mapping file may hold; remove what the mapping does not need", yamldoc.MaxValues)
	}
	return f.Diag(f.Pos(alias), diag.YAMLSyntax,
		"the file expands to more than %d values through this alias (it refers to itself, or to aliases nested too deep); write the values out instead", yamldoc.MaxValues)
}

// syntaxDiag reports a YAML syntax error.
func (f *File) syntaxDiag(e *yamldoc.SyntaxError) diag.Diagnostic {
	return f.Diag(e.Pos, diag.YAMLSyntax, "%s", e.Message)
}

func (f *File) decodeDiag(err error) diag.Diagnostic {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	line := 1
	if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return f.Diag(diag.Pos{File: f.Path, Line: line, Col: f.Lines.Indent(line)}, diag.SchemaViolation, "%s", strings.TrimPrefix(msg, "yaml: "))
}

func (f *File) validate(schema *jsonschema.Schema, value any) diag.List {
	err := schema.Validate(value)
	if err == nil {
		return nil
	}
	var ds diag.List
	seen := map[string]bool{}
	for _, l := range schemaerr.Leaves(err) {
		d := f.leafDiag(l, schema)
		// A value repeated by aliases is reported once, at the anchor.
		if key := d.Pos.String() + " " + string(d.Code); !seen[key] {
			seen[key] = true
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		ds = append(ds, f.Diag(diag.Pos{File: f.Path, Line: 1, Col: 1}, diag.SchemaViolation, "%v", err))
	}
	return ds
}

func (f *File) leafDiag(l schemaerr.Leaf, schema *jsonschema.Schema) diag.Diagnostic {
	where := pointerWords(l.Pointer)
	switch l.Keyword {
	case "additionalProperties":
		pos, ok := f.KeyPos(l.Pointer)
		if !ok {
			// The validator could not name the key unambiguously (it garbles
			// names ending in a backslash): point at the enclosing object.
			return f.Diag(f.PosOf(jsonptr.Parent(l.Pointer)), diag.UnknownKey, "%s has a key the mapping format does not define (%s); check its spelling against docs/mapping-format.md", pointerWords(jsonptr.Parent(l.Pointer)), l.Message)
		}
		return f.Diag(pos, diag.UnknownKey, "unknown key %q in %s%s; check its spelling against docs/mapping-format.md", l.Property, pointerWords(jsonptr.Parent(l.Pointer)), didYouMean(schema, l.KeywordLocation, l.Property))
	case "enum":
		return f.enumDiag(l)
	case "required":
		return f.Diag(f.PosOf(jsonptr.Parent(l.Pointer)), diag.SchemaViolation, "%s needs the key %q", pointerWords(jsonptr.Parent(l.Pointer)), l.Property)
	case "false":
		pos, ok := f.KeyPos(l.Pointer)
		if !ok {
			pos = f.PosOf(l.Pointer)
		}
		return f.Diag(pos, diag.SchemaViolation, "%s is not allowed here (%s)", where, l.Message)
	}
	msg := l.Message
	if l.Keyword == "type" {
		msg = jsonTypeWords(msg)
	}
	return f.Diag(f.PosOf(l.Pointer), diag.SchemaViolation, "%s: %s", where, msg)
}

// pointerWords renders a JSON pointer as a YAML path a person reads:
// /events/order.invoiced/calls/0 → events."order.invoiced".calls[0].
func pointerWords(ptr string) string {
	if ptr == "" {
		return "the mapping"
	}
	var b strings.Builder
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = jsonptr.Unescape(tok)
		switch {
		case isIndex(tok):
			b.WriteString("[" + tok + "]")
		case strings.ContainsAny(tok, ". "):
			sep(&b)
			b.WriteString(strconv.Quote(tok))
		default:
			sep(&b)
			b.WriteString(tok)
		}
	}
	return b.String()
}

func sep(b *strings.Builder) {
	if b.Len() > 0 {
		b.WriteByte('.')
	}
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}
