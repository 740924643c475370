package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/schemaerr"
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

	values map[string]*yaml.Node // JSON pointer → value node
	keys   map[string]*yaml.Node // JSON pointer → key node of that member
	budget int                   // values toJSON may still produce
	active map[*yaml.Node]bool   // aliases being expanded (cycle check)
}

// maxValues bounds how many values a mapping file may expand to, so that
// aliases cannot make loading loop or explode.
const maxValues = 50_000

// MaxFileBytes is the largest mapping file, in bytes; a larger one is
// refused (diag.TooLarge) before it is parsed.
const MaxFileBytes = 1 << 20

// tooLargeError is toJSON's error when maxValues is reached or an alias
// refers to itself; at is the outermost alias being expanded then.
type tooLargeError struct{ at *yaml.Node }

func (*tooLargeError) Error() string { return "too many values" }

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
	for {
		if n, ok := f.values[ptr]; ok {
			return f.Pos(n)
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return diag.Pos{File: f.Path, Line: 1, Col: 1}
		}
		ptr = ptr[:i]
	}
}

// KeyPos returns the position of the key of the member at a JSON pointer.
func (f *File) KeyPos(ptr string) (diag.Pos, bool) {
	n, ok := f.keys[ptr]
	if !ok {
		return diag.Pos{}, false
	}
	return f.Pos(n), true
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
	f := &File{Path: path, Src: src, Lines: diag.SplitLines(src), values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return f, diag.List{f.syntaxDiag(err)}
	}
	if d, ok := f.secondDocument(dec); ok {
		return f, diag.List{d}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return f, diag.List{f.Diag(diag.Pos{File: path, Line: 1, Col: 1}, diag.SchemaViolation, "the file is empty; a mapping starts with marketplace: <id>")}
	}
	f.Root = doc.Content[0]
	f.budget, f.active = maxValues, map[*yaml.Node]bool{}
	value, err := f.toJSON(f.Root, "")
	if err != nil {
		return f, diag.List{f.tooLargeDiag(err.(*tooLargeError).at)}
	}
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

// secondDocument reports a YAML document after the first, which the
// mapping would silently ignore; dec has read the first.
func (f *File) secondDocument(dec *yaml.Decoder) (diag.Diagnostic, bool) {
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
		return diag.Diagnostic{}, false
	case err != nil:
		return f.syntaxDiag(err), true
	case len(second.Content) == 0:
		return diag.Diagnostic{}, false
	}
	line := second.Line
	if len(second.Content) > 0 {
		line = second.Content[0].Line
	}
	return f.Diag(diag.Pos{File: f.Path, Line: line, Col: 1}, diag.YAMLSyntax,
		"a second YAML document starts here; a mapping file holds one, and the rest would be ignored: remove the --- and merge it, or move it to its own file"), true
}

// tooLargeDiag reports a file that expands to more than maxValues values,
// at the alias that does it when there is one.
func (f *File) tooLargeDiag(alias *yaml.Node) diag.Diagnostic {
	if alias == nil {
		return f.Diag(diag.Pos{File: f.Path, Line: 1, Col: 1}, diag.YAMLSyntax,
			"the file has more than %d values, more than a mapping file may hold; remove what the mapping does not need", maxValues)
	}
	return f.Diag(f.Pos(alias), diag.YAMLSyntax,
		"the file expands to more than %d values through this alias (it refers to itself, or to aliases nested too deep); write the values out instead", maxValues)
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func (f *File) syntaxDiag(err error) diag.Diagnostic {
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
	col := f.Lines.Indent(line)
	return f.Diag(diag.Pos{File: f.Path, Line: line, Col: col}, diag.YAMLSyntax, "%s", syntaxAdvice(msg))
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

// toJSON converts a node into the value a JSON decoder would produce,
// recording every value's and key's node under its JSON pointer.
func (f *File) toJSON(n *yaml.Node, ptr string) (any, error) {
	if f.budget--; f.budget < 0 {
		return nil, &tooLargeError{}
	}
	f.values[ptr] = n
	switch n.Kind {
	case yaml.AliasNode:
		return f.aliasJSON(n, ptr)
	case yaml.MappingNode:
		return f.mappingJSON(n, ptr)
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := f.toJSON(c, ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	return scalar(n), nil
}

// aliasJSON expands an alias, failing on one that refers to itself and
// naming the outermost alias in the error.
func (f *File) aliasJSON(n *yaml.Node, ptr string) (any, error) {
	if f.active[n.Alias] {
		return nil, &tooLargeError{at: n}
	}
	f.active[n.Alias] = true
	v, err := f.toJSON(n.Alias, ptr)
	delete(f.active, n.Alias)
	if err != nil {
		err.(*tooLargeError).at = n // each enclosing alias overwrites it
	}
	return v, err
}

func (f *File) mappingJSON(n *yaml.Node, ptr string) (any, error) {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := ptr + "/" + escape(k.Value)
		f.keys[p] = k
		val, err := f.toJSON(v, p)
		if err != nil {
			return nil, err
		}
		m[k.Value] = val
	}
	return m, nil
}

func scalar(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	switch x := v.(type) {
	case int:
		return jsonNumber(strconv.Itoa(x))
	case uint64:
		return jsonNumber(strconv.FormatUint(x, 10))
	case int64:
		return jsonNumber(strconv.FormatInt(x, 10))
	case float64:
		return jsonNumber(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
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
			return f.Diag(f.PosOf(parent(l.Pointer)), diag.UnknownKey, "%s has a key the mapping format does not define (%s); check its spelling against docs/mapping-format.md", pointerWords(parent(l.Pointer)), l.Message)
		}
		return f.Diag(pos, diag.UnknownKey, "unknown key %q in %s%s; check its spelling against docs/mapping-format.md", l.Property, pointerWords(parent(l.Pointer)), didYouMean(schema, l.KeywordLocation, l.Property))
	case "enum":
		return f.enumDiag(l)
	case "required":
		return f.Diag(f.PosOf(parent(l.Pointer)), diag.SchemaViolation, "%s needs the key %q", pointerWords(parent(l.Pointer)), l.Property)
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

func parent(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

// pointerWords renders a JSON pointer as a YAML path a person reads:
// /events/order.invoiced/calls/0 → events."order.invoiced".calls[0].
func pointerWords(ptr string) string {
	if ptr == "" {
		return "the mapping"
	}
	var b strings.Builder
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
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
