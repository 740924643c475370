package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/fiscal"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/schemaerr"
	"github.com/tidwall/gjson"
)

// ValidateEvent checks raw event JSON against the limits of limits.go
// (docs/limits.md: size, nesting, strings, arrays, numbers, UTF-8, keys
// given once), then against the canonical event schema and the field rules
// a schema cannot express (the NF-e key's check digit), in time linear in
// its size. It returns nil or an *Error of kind invalid_event whose Path is
// the JSON pointer of the first offending value; Details lists the others.
// It is safe for concurrent use.
func ValidateEvent(raw []byte) error {
	return validateString(string(raw))
}

// validateString is ValidateEvent for JSON held in a string.
func validateString(s string) error {
	doc, err := decodeTree(s)
	if err != nil {
		return err
	}
	return validateDoc(doc)
}

// validateDoc checks a decoded event against the canonical schema and the
// field rules.
func validateDoc(doc any) error {
	v, err := canonicalValidator()
	if err != nil {
		return fmt.Errorf("canonical event schema: %w", err)
	}
	return invalid(append(checkEvent(v, doc), fieldRules(doc)...))
}

// decodeTree parses raw into the tree the schema validator reads, numbers as
// json.Number so that they stay exact. The input is first checked by
// scanInput (syntax, limits, UTF-8, numbers), then read in one linear pass.
func decodeTree(s string) (any, error) {
	s, err := scanInput(s)
	if err != nil {
		return nil, err
	}
	return buildTree(s, false)
}

// buildTree reads JSON text that scanInput accepted into decoded values:
// objects as map[string]any, arrays as []any, numbers as json.Number, or,
// when native, as int (integers) and float64 (the others). A key found twice
// in one object is an error with its pointer. Work is linear in len(s).
func buildTree(s string, native bool) (any, error) {
	b := treeBuilder{s: s, native: native}
	v := b.value()
	if b.dup != nil {
		return nil, b.dup
	}
	return v, nil
}

// treeBuilder reads trusted JSON text (scanInput accepted it): recursion is
// bounded by MaxDepth.
type treeBuilder struct {
	s      string
	i      int
	native bool
	depth  int
	path   [MaxDepth]pathSeg // of the value being read, to name a duplicate
	dup    *Error
}

// pathSeg is an object's key or an array's index.
type pathSeg struct {
	key   string
	index int // -1 for a key
}

// pointer renders the first n segments of the path as a JSON pointer.
func (b *treeBuilder) pointer(n int) string {
	segs := make([]string, n)
	for i, p := range b.path[:n] {
		segs[i] = p.key
		if p.index >= 0 {
			segs[i] = strconv.Itoa(p.index)
		}
	}
	return lang.Path{Segs: segs}.Pointer(0)
}

func (b *treeBuilder) skipSpace() {
	for b.i < len(b.s) {
		switch b.s[b.i] {
		case ' ', '\t', '\n', '\r':
			b.i++
		default:
			return
		}
	}
}

func (b *treeBuilder) value() any {
	b.skipSpace()
	switch b.s[b.i] {
	case '{':
		return b.object()
	case '[':
		return b.array()
	case '"':
		return b.str()
	case 't':
		b.i += 4
		return true
	case 'f':
		b.i += 5
		return false
	case 'n':
		b.i += 4
		return nil
	}
	return b.number()
}

func (b *treeBuilder) object() any {
	out := map[string]any{}
	b.i++
	b.skipSpace()
	if b.s[b.i] == '}' {
		b.i++
		return out
	}
	for {
		b.skipSpace()
		k := b.str()
		b.skipSpace()
		b.i++ // :
		b.path[b.depth] = pathSeg{key: k, index: -1}
		b.depth++
		if _, twice := out[k]; twice && b.dup == nil {
			b.dup = &Error{Kind: KindInvalidEvent, Code: CodeDuplicateKey, Path: b.pointer(b.depth),
				Message: fmt.Sprintf("the key %q appears twice in the same object; JSON readers disagree on which one counts, so send it once", k)}
		}
		out[k] = b.value()
		b.depth--
		b.skipSpace()
		if b.s[b.i] == '}' {
			b.i++
			return out
		}
		b.i++ // ,
	}
}

func (b *treeBuilder) array() any {
	out := []any{}
	b.i++
	b.skipSpace()
	if b.s[b.i] == ']' {
		b.i++
		return out
	}
	for {
		b.path[b.depth] = pathSeg{index: len(out)}
		b.depth++
		out = append(out, b.value())
		b.depth--
		b.skipSpace()
		if b.s[b.i] == ']' {
			b.i++
			return out
		}
		b.i++ // ,
	}
}

func (b *treeBuilder) str() string {
	start := b.i
	escaped := false
	i := start + 1
	for b.s[i] != '"' {
		if b.s[i] == '\\' {
			escaped = true
			i++
		}
		i++
	}
	b.i = i + 1
	if !escaped {
		return b.s[start+1 : i]
	}
	return gjson.Parse(b.s[start:b.i]).Str
}

func (b *treeBuilder) number() any {
	start := b.i
	for b.i < len(b.s) && strings.IndexByte("+-.eE0123456789", b.s[b.i]) >= 0 {
		b.i++
	}
	n := b.s[start:b.i]
	if !b.native {
		return json.Number(n)
	}
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		return int(i)
	}
	f, _ := strconv.ParseFloat(n, 64)
	return f
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed(raw, err)
	}
	switch _, err := dec.Token(); {
	case err == nil:
		return nil, &Error{Kind: KindInvalidEvent, Code: CodeMalformedJSON, Message: "the input holds more than one JSON value; send one event per call"}
	case !errors.Is(err, io.EOF):
		return nil, malformed(raw, err)
	}
	return doc, nil
}

func malformed(raw []byte, err error) error {
	var se *json.SyntaxError
	off := int64(len(raw))
	if errors.As(err, &se) {
		off = se.Offset
	}
	line, col := lineCol(raw, off)
	return &Error{Kind: KindInvalidEvent, Code: CodeMalformedJSON, Err: err,
		Message: fmt.Sprintf("the input is not valid JSON: %v (line %d, column %d)", strings.TrimPrefix(err.Error(), "json: "), line, col)}
}

func lineCol(raw []byte, off int64) (int, int) {
	if off > int64(len(raw)) {
		off = int64(len(raw))
	}
	before := raw[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

var keywordCodes = map[string]string{
	"additionalProperties": CodeUnknownField,
	"required":             CodeMissingField,
	"type":                 CodeWrongType,
	"format":               CodeBadFormat,
	"false":                CodeUnknownField,
}

func schemaDetails(err error) []Detail {
	var out []Detail
	for _, l := range schemaerr.Leaves(err) {
		code, ok := keywordCodes[l.Keyword]
		if !ok {
			code = CodeBadValue
		}
		out = append(out, Detail{Code: code, Path: l.Pointer, Message: leafMessage(l)})
	}
	return out
}

func leafMessage(l schemaerr.Leaf) string {
	switch l.Keyword {
	case "additionalProperties":
		return fmt.Sprintf("unknown field %q: the canonical event does not define it (check the spelling, or put marketplace-specific values in order.attributes)", l.Property)
	case "required":
		return fmt.Sprintf("missing required field %q", l.Property)
	case "format":
		if strings.Contains(l.Message, "date-time") {
			return "not an RFC 3339 date-time with offset (e.g. 2023-03-10T12:30:00-03:00): " + l.Message
		}
	}
	return l.Message
}

// fieldRules checks what the schema cannot: NF-e key check digits.
func fieldRules(doc any) []Detail {
	root, _ := doc.(map[string]any)
	inv, _ := root["invoice"].(map[string]any)
	key, _ := inv["key"].(string)
	if len(key) != 44 {
		return nil
	}
	err := fiscal.CheckNFeKey(key)
	var fe *fiscal.Error
	if !errors.As(err, &fe) {
		return nil
	}
	code := CodeNFeKeyInvalid
	msg := fmt.Sprintf("invalid NF-e access key: %v", fe)
	if fe.Reason == fiscal.ReasonCheckDigit {
		code = CodeNFeKeyCheckDigit
		msg = fmt.Sprintf("NF-e access key check digit is %s, expected %s: check the key was copied whole from the NF-e", fe.Got, fe.Want)
	}
	return []Detail{{Code: code, Path: "/invoice/key", Message: msg}}
}

// invalid turns problems into one *Error (the first by pointer) or nil.
func invalid(problems []Detail) error {
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	first := problems[0]
	e := &Error{Kind: KindInvalidEvent, Code: first.Code, Message: first.Message, Path: first.Path}
	if len(problems) > 1 {
		e.Details = problems[1:]
	}
	return e
}

func sortStrings(s []string) { sort.Strings(s) }
