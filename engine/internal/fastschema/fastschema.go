// Package fastschema is the speed layer of event validation: the canonical
// event schema rewritten so that jsonschema checks events with the same
// findings in a fraction of the time. Its one door is Compile.
//
// The canonical event schema states its type-dependent requirements
// (order.invoiced needs invoice, every type but order.created needs
// order.id) as an allOf of if/then. jsonschema evaluates every if and
// builds an error for each one that does not match, a large part of the
// validation (docs/performance.md). So events are validated with
// the schema minus that allOf, and these requirements are checked in Go;
// the engine's TestFastValidatorAgrees shows both give the same findings.
// If the schema's allOf ever takes another shape, the whole schema is
// used. References to definitions are inlined, and integer leaves are
// checked by a keyword of this package (integer.go).
package fastschema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// typeRule is one type-dependent requirement: when the event's type is (or,
// with except, is not) typ, the object at `at` must have the `required` members.
type typeRule struct {
	typ      string
	except   bool
	at       []string
	required []string
}

// Validator is the compiled canonical schema with its type rules. It is
// immutable and safe for concurrent use.
type Validator struct {
	schema *jsonschema.Schema
	rules  []typeRule
}

// Missing is a member a type rule requires and the event lacks.
type Missing struct {
	// Pointer is the JSON pointer of the missing member.
	Pointer string
	// Member is its name.
	Member string
	// EventType is the event's type, which requires it.
	EventType string
}

// Compile compiles the bundled canonical event schema into its fast form.
// The error is jsonschema's when the schema does not compile. Each call
// compiles it anew; callers keep the Validator.
func Compile() (*Validator, error) {
	doc, rules, ok, err := runtimeSchema()
	if err != nil {
		return nil, err
	}
	if !ok {
		s, err := schemas.CanonicalEventSchema()
		return &Validator{schema: s}, err
	}
	s, err := compileVariant(doc, "canonical-event.runtime.schema.json")
	return &Validator{schema: s, rules: rules}, err
}

// runtimeSchema returns the canonical schema as events are validated with
// it: without its allOf of type rules (returned, to check in Go), its
// references to definitions inlined and its integer leaves in the
// intKeyword form. ok is false when the allOf has a shape typeRules does
// not know, and the whole schema must be used.
func runtimeSchema() (doc map[string]any, rules []typeRule, ok bool, err error) {
	raw, err := schemas.FS.ReadFile(schemas.CanonicalEvent)
	if err != nil {
		return nil, nil, false, err
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, false, err
	}
	rules, ok = typeRules(doc["allOf"])
	if !ok {
		return nil, nil, false, nil
	}
	delete(doc, "allOf")
	inlineRefs(doc)
	integerLeaves(doc)
	return doc, rules, true, nil
}

func compileVariant(doc map[string]any, name string) (*jsonschema.Schema, error) {
	url := schemas.BaseURL + name
	doc["$id"] = url
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c := schemas.NewCompiler()
	c.RegisterExtension(intKeyword, nil, intCompiler{})
	if err := c.AddResource(url, bytes.NewReader(out)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// inlineRefs replaces each {"$ref": "#/$defs/NAME"} in doc by a copy of
// that definition as the file has it. jsonschema evaluates a $ref as one
// more schema (and one more set of per-schema allocations) for every value
// it reaches; inlined, the same checks run without it. Findings are
// unchanged: they are read from the failing keywords, at instance
// locations, never from the path through the schema. A reference with other
// keywords beside it, to anything but a definition, or back into a
// definition being expanded stays as it is.
func inlineRefs(doc map[string]any) {
	defs, _ := clone(doc["$defs"]).(map[string]any)
	inlineIn(defs, doc, nil)
}

func inlineIn(defs map[string]any, v any, expanding []string) any {
	switch x := v.(type) {
	case map[string]any:
		if name, ok := localDef(x); ok && !slices.Contains(expanding, name) {
			if def, ok := defs[name].(map[string]any); ok {
				return inlineIn(defs, clone(def), append(expanding, name))
			}
		}
		for k, sub := range x {
			x[k] = inlineIn(defs, sub, expanding)
		}
	case []any:
		for i, sub := range x {
			x[i] = inlineIn(defs, sub, expanding)
		}
	}
	return v
}

// localDef reads {"$ref": "#/$defs/NAME"} with nothing else but annotations.
func localDef(m map[string]any) (string, bool) {
	ref, ok := m["$ref"].(string)
	name, found := strings.CutPrefix(ref, "#/$defs/")
	if !ok || !found || strings.ContainsAny(name, "/~") {
		return "", false
	}
	for k := range m {
		switch k {
		case "$ref", "description", "title", "$comment", "examples":
		default:
			return "", false
		}
	}
	return name, true
}

// clone deep-copies decoded JSON.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, sub := range x {
			out[k] = clone(sub)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, sub := range x {
			out[i] = clone(sub)
		}
		return out
	}
	return v
}

// typeRules recognises the allOf entries; false when any has another shape.
func typeRules(v any) ([]typeRule, bool) {
	entries, ok := v.([]any)
	if !ok {
		return nil, v == nil
	}
	var rules []typeRule
	for _, e := range entries {
		r, ok := typeRuleOf(e)
		if !ok {
			return nil, false
		}
		rules = append(rules, r)
	}
	return rules, true
}

func typeRuleOf(e any) (typeRule, bool) {
	m, _ := e.(map[string]any)
	typ, ok := typeCondition(m["if"])
	if !ok {
		return typeRule{}, false
	}
	if then, ok := m["then"].(map[string]any); ok && len(m) == 2+hasComment(m) && len(then) == 1 {
		req, ok := stringList(then["required"])
		return typeRule{typ: typ, required: req}, ok
	}
	els, ok := m["else"].(map[string]any)
	if !ok || len(m) != 2+hasComment(m) || len(els) != 1 {
		return typeRule{}, false
	}
	props, _ := els["properties"].(map[string]any)
	if len(props) != 1 {
		return typeRule{}, false
	}
	for name, sub := range props {
		sm, _ := sub.(map[string]any)
		req, ok := stringList(sm["required"])
		if !ok || len(sm) != 1 {
			return typeRule{}, false
		}
		return typeRule{typ: typ, except: true, at: []string{name}, required: req}, true
	}
	return typeRule{}, false
}

// typeCondition reads {"required": ["type"], "properties": {"type": {"const": T}}}.
func typeCondition(v any) (string, bool) {
	want := map[string]any{"required": []any{"type"}, "properties": map[string]any{"type": map[string]any{"const": nil}}}
	m, _ := v.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	tp, _ := props["type"].(map[string]any)
	typ, ok := tp["const"].(string)
	if !ok {
		return "", false
	}
	tp["const"] = nil
	same := reflect.DeepEqual(m, want)
	tp["const"] = typ
	return typ, same
}

func hasComment(m map[string]any) int {
	if _, ok := m["$comment"]; ok {
		return 1
	}
	return 0
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Validate checks a decoded event (objects as map[string]any, numbers as
// json.Number): err is the schema's *jsonschema.ValidationError, or nil;
// missing lists what the type rules find absent, which the whole schema
// would report under its allOf.
func (v *Validator) Validate(doc any) (missing []Missing, err error) {
	return v.checkRules(doc), v.schema.Validate(doc)
}

func (v *Validator) checkRules(doc any) []Missing {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	// As the schema's if: the condition holds only when type is present
	// and equal; otherwise an else (except) rule applies.
	typ, isString := root["type"].(string)
	var out []Missing
	for _, r := range v.rules {
		if (isString && typ == r.typ) == r.except {
			continue
		}
		out = append(out, missingMembers(root, r, typ)...)
	}
	return out
}

func missingMembers(root map[string]any, r typeRule, typ string) []Missing {
	obj := root
	for _, name := range r.at {
		next, ok := obj[name].(map[string]any)
		if !ok {
			return nil // the object is absent or not an object: the schema reports it
		}
		obj = next
	}
	var out []Missing
	for _, name := range r.required {
		if _, ok := obj[name]; !ok {
			out = append(out, Missing{Pointer: lang.Path{Segs: append(r.at[:len(r.at):len(r.at)], name)}.Pointer(0), Member: name, EventType: typ})
		}
	}
	return out
}
