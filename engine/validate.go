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
	"github.com/rotahq/rota/engine/schemaerr"
	"github.com/tidwall/gjson"
)

// ValidateEvent checks raw event JSON against the canonical event schema and
// the field rules a schema cannot express (the NF-e key's check digit). It
// returns nil or an *Error of kind invalid_event whose Path is the JSON
// pointer of the first offending value; Details lists the others.
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
	return invalid(append(v.validate(doc), fieldRules(doc)...))
}

// decodeTree parses raw into the tree the schema validator reads, numbers as
// json.Number so that they stay exact. It is decodeJSON's result, built
// from gjson's parse at a fraction of encoding/json's cost; malformed input
// is reported by decodeJSON, with line and column.
func decodeTree(s string) (any, error) {
	if err := checkSyntax(s); err != nil {
		return nil, err
	}
	var dup dupKey
	doc := treeOf(gjson.Parse(s), &dup)
	if dup.found {
		return nil, &Error{Kind: KindInvalidEvent, Code: CodeDuplicateKey, Path: dup.pointer(),
			Message: fmt.Sprintf("the key %q appears twice in the same object; JSON readers disagree on which one counts, so send it once", dup.segs[0])}
	}
	return doc, nil
}

// checkSyntax reports malformed JSON as decodeJSON does, with line and
// column, after gjson's quick check passes valid input through.
func checkSyntax(s string) error {
	if gjson.Valid(s) {
		return nil
	}
	if _, err := decodeJSON([]byte(s)); err != nil {
		return err
	}
	return &Error{Kind: KindInvalidEvent, Code: CodeMalformedJSON, Message: "the input is not valid JSON"}
}

// dupKey is the first key found twice in one object of a document. Its
// path is collected on the way back up, innermost segment first, so that
// the walk keeps no path of its own.
type dupKey struct {
	found bool
	segs  []string
}

// pointer renders the key's location as a JSON pointer.
func (d *dupKey) pointer() string {
	var b strings.Builder
	for i := len(d.segs) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(esc(d.segs[i]))
	}
	return b.String()
}

// child converts a member of an array or object; if the duplicate is found
// inside it, seg joins the duplicate's path.
func (d *dupKey) child(v gjson.Result, seg func() string) any {
	had := d.found
	out := treeOf(v, d)
	if d.found && !had {
		d.segs = append(d.segs, seg())
	}
	return out
}

// treeOf converts a gjson value into the validator's tree, noting in dup
// the first key found twice in one object.
func treeOf(r gjson.Result, dup *dupKey) any {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return json.Number(r.Raw)
	case gjson.True:
		return true
	case gjson.False:
		return false
	case gjson.Null:
		return nil
	}
	if r.IsArray() {
		out := []any{}
		r.ForEach(func(_, v gjson.Result) bool {
			i := len(out)
			out = append(out, dup.child(v, func() string { return strconv.Itoa(i) }))
			return true
		})
		return out
	}
	out := map[string]any{}
	r.ForEach(func(k, v gjson.Result) bool {
		if _, twice := out[k.Str]; twice && !dup.found {
			dup.found, dup.segs = true, []string{k.Str}
		}
		out[k.Str] = dup.child(v, func() string { return k.Str })
		return true
	})
	return out
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
