package mapping

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/schemaerr"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// schemaIndexes caches, per compiled schema, its subschemas by location.
var schemaIndexes sync.Map // *jsonschema.Schema → map[string]*jsonschema.Schema

// didYouMean returns ` (did you mean "x"?)` when the object whose
// additionalProperties keyword refused key defines a key close to it, or
// "". keywordLoc is the keyword's absolute location in schema.
func didYouMean(schema *jsonschema.Schema, keywordLoc, key string) string {
	if schema == nil {
		return ""
	}
	obj := indexOf(schema)[strings.TrimSuffix(keywordLoc, "/additionalProperties")]
	if obj == nil {
		return ""
	}
	keys := make([]string, 0, len(obj.Properties))
	for k := range obj.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best := diag.Closest(key, keys)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func indexOf(root *jsonschema.Schema) map[string]*jsonschema.Schema {
	if idx, ok := schemaIndexes.Load(root); ok {
		return idx.(map[string]*jsonschema.Schema)
	}
	idx := map[string]*jsonschema.Schema{}
	indexSchema(root, idx)
	schemaIndexes.Store(root, idx)
	return idx
}

// indexSchema records s and every subschema reachable from it by location.
func indexSchema(s *jsonschema.Schema, idx map[string]*jsonschema.Schema) {
	if s == nil || idx[s.Location] != nil {
		return
	}
	idx[s.Location] = s
	subs := []*jsonschema.Schema{s.Ref, s.DynamicRef, s.RecursiveRef, s.Not, s.If, s.Then, s.Else, s.PropertyNames,
		s.UnevaluatedProperties, s.Items2020, s.Contains, s.UnevaluatedItems, s.ContentSchema}
	subs = append(subs, s.AllOf...)
	subs = append(subs, s.AnyOf...)
	subs = append(subs, s.OneOf...)
	subs = append(subs, s.PrefixItems...)
	for _, p := range s.Properties {
		subs = append(subs, p)
	}
	for _, p := range s.PatternProperties {
		subs = append(subs, p)
	}
	for _, p := range s.DependentSchemas {
		subs = append(subs, p)
	}
	for _, v := range []any{s.AdditionalProperties, s.Items, s.AdditionalItems} {
		switch x := v.(type) {
		case *jsonschema.Schema:
			subs = append(subs, x)
		case []*jsonschema.Schema:
			subs = append(subs, x...)
		}
	}
	for _, sub := range subs {
		indexSchema(sub, idx)
	}
}

// jsonTypes names JSON Schema's types in an analyst's words.
var jsonTypes = strings.NewReplacer(
	"array", "a list",
	"object", "a set of keys",
	"string", "text",
	"integer", "a whole number",
	"number", "a number",
	"boolean", "true/false",
	"null", "nothing",
)

// jsonTypeWords rewrites a type keyword's message, "expected array, but
// got string", as "expected a list, but got text".
func jsonTypeWords(msg string) string {
	rest, ok := strings.CutPrefix(msg, "expected ")
	if !ok {
		return msg
	}
	want, got, ok := strings.Cut(rest, ", but got ")
	if !ok {
		return msg
	}
	return "expected " + jsonTypes.Replace(want) + ", but got " + jsonTypes.Replace(got)
}

// enumValue reads the allowed values of an enum keyword's message:
// value must be one of "a", "b".
var enumValue = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// enumDiag reports a value outside an enum: an events key that is not a
// canonical event type as unknown_event_type, a status's canonical that is
// not a canonical status as unknown_canonical_status, any other as a
// schema finding; each with the value meant when one is close.
func (f *File) enumDiag(l schemaerr.Leaf) diag.Diagnostic {
	var allowed []string
	for _, m := range enumValue.FindAllStringSubmatch(l.Message, -1) {
		allowed = append(allowed, m[1])
	}
	isKey := strings.Contains(l.KeywordLocation, "/propertyNames/")
	got, pos := "", f.PosOf(l.Pointer)
	if isKey {
		got = jsonptr.Unescape(l.Pointer[strings.LastIndexByte(l.Pointer, '/')+1:])
		if kp, ok := f.KeyPos(l.Pointer); ok {
			pos = kp
		}
	} else if n := f.node(l.Pointer); n != nil {
		got = n.Value
	}
	hint := ""
	if best := diag.Closest(got, allowed); best != "" && got != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	list := strings.Join(allowed, ", ")
	switch {
	case isKey && jsonptr.Parent(l.Pointer) == "/events":
		return f.Diag(pos, diag.UnknownEventType, "%q is not a canonical event type%s; use one of %s", got, hint, list)
	case !isKey && strings.HasPrefix(l.Pointer, "/statuses/") && strings.HasSuffix(l.Pointer, "/canonical"):
		return f.Diag(pos, diag.UnknownCanonicalStatus, "canonical status %q does not exist%s; use one of %s", got, hint, list)
	case isKey:
		return f.Diag(pos, diag.SchemaViolation, "key %q in %s is not allowed%s; use one of %s", got, pointerWords(jsonptr.Parent(l.Pointer)), hint, list)
	}
	return f.Diag(pos, diag.SchemaViolation, "%s: %q is not allowed%s; use one of %s", pointerWords(l.Pointer), got, hint, list)
}
