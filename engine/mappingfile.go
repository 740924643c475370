package engine

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"github.com/rotahq/rota/engine/internal/yamldoc"
)

// SpecVersion is the version of the canonical event contract the engine
// reads (docs/canonical-event.md).
const SpecVersion = "1.0"

// EventTypes returns the canonical event types, in lifecycle order. The
// slice is the caller's.
func EventTypes() []string { return slices.Clone(event.Types) }

// EventStatuses returns the canonical order statuses, in lifecycle order.
// The slice is the caller's.
func EventStatuses() []string { return slices.Clone(event.Statuses) }

// Mapping is what one mapping file declares, as the engine parsed it, for
// tools that report on mappings (the conformance suite, coverage, event
// generators) without parsing the file again. Lists are in file order;
// pointers are JSON pointers into the file (/events/order.shipped/calls/0)
// that Document turns into positions. A Mapping is read-only and safe for
// concurrent use.
type Mapping struct {
	// Path is the file's name as findings show it (mappings/skyhub.yaml).
	Path string
	// Marketplace is the mapping's marketplace id.
	Marketplace string
	// Events are the event rules, by canonical event type.
	Events []EventRule
	// Statuses are the marketplace's status codes of the status table.
	Statuses []string
	// Transitions maps a marketplace status to those the order may move to
	// from it; nil when the mapping declares no transitions.
	Transitions map[string][]string
	// AllowedHosts are the hosts every environment allows, environment by
	// environment.
	AllowedHosts []string
	// TableKeys are the keys of every lookup table, table by table.
	TableKeys []string
	// Variables are the mapping's variables.
	Variables []Variable
	// Secrets are the names of the secrets the auth schemes declare.
	Secrets []string
	// Document is the file as read, with the position of every value.
	Document *Document
}

// EventRule is what a mapping does with one canonical event type.
type EventRule struct {
	// Type is the canonical event type (order.shipped).
	Type string
	// Pointer locates the rule in the file (/events/order.shipped).
	Pointer string
	// Guards are the codes of the rule's guards; guard i is at
	// Pointer/guards/i.
	Guards []string
	// IgnoreWhen is the number of the rule's ignoreWhen entries; entry i
	// is at Pointer/ignoreWhen/i.
	IgnoreWhen int
	// Calls are the calls the rule can make.
	Calls []RuleCall
	// Ignore and Unsupported are the reasons given when the rule makes no
	// call.
	Ignore, Unsupported string
}

// RuleCall is one call of an event rule.
type RuleCall struct {
	// Name is the call's name.
	Name string
	// Pointer locates the call in the file (/events/order.shipped/calls/0).
	Pointer string
	// LeadsTo is the marketplace status the call leads to, or "".
	LeadsTo string
	// HasBody reports whether the call sends a JSON body; HasWhen whether
	// a condition (when) decides if it is made.
	HasBody, HasWhen bool
	// JSONParts names the parts of a multipart body that are JSON, in the
	// order written.
	JSONParts []string
}

// Variable is one variable a mapping declares.
type Variable struct {
	// Name is the variable's name.
	Name string
	// Example is the example value the mapping gives, or "".
	Example string
	// Default is the default value, nil when there is none.
	Default *string
}

// LoadMapping parses, checks and compiles one mapping file held in memory
// (an editor buffer, a file a test suite reads), reading it once; path is
// how findings show the file. It returns the engine of that one mapping,
// nil when the file has errors; what the file declares, nil when it does
// not decode as a mapping; and every finding, errors and warnings, sorted.
func LoadMapping(path string, src []byte) (*Engine, *Mapping, diag.List) {
	schema, err := mappingSchema()
	if err != nil {
		return nil, nil, diag.List{{Severity: diag.Error, Code: diag.Unreadable, Message: "mapping schema: " + err.Error()}}
	}
	f, ds := compileFile(sourceFile{path: path, src: src}, schema, lang.NewConfigs(nativeForm))
	var m *Mapping
	if f.Mapping != nil {
		m = declared(f.File)
	}
	ds = ds.Sort()
	if ds.HasErrors() || f.compiled == nil {
		return nil, m, ds
	}
	e := &Engine{mappings: map[string]*compiledMapping{}, findings: ds}
	e.add(f.compiled, f.File)
	return e, m, ds
}

// declared reads what a decoded mapping file declares.
func declared(f *mapping.File) *Mapping {
	md := f.Mapping
	m := &Mapping{Path: f.Path, Marketplace: md.Marketplace, Statuses: slices.Clone(md.Statuses.Keys), Document: &Document{f.Doc()}}
	for _, typ := range md.Events.Keys {
		m.Events = append(m.Events, declaredRule(typ, md.Events.Values[typ]))
	}
	if md.Transitions.Len() > 0 {
		m.Transitions = make(map[string][]string, md.Transitions.Len())
		for _, from := range md.Transitions.Keys {
			m.Transitions[from] = slices.Clone(md.Transitions.Values[from])
		}
	}
	for _, name := range md.Environments.Keys {
		m.AllowedHosts = append(m.AllowedHosts, md.Environments.Values[name].AllowedHosts...)
	}
	for _, name := range md.Tables.Keys {
		m.TableKeys = append(m.TableKeys, md.Tables.Values[name].Keys...)
	}
	for _, name := range md.Variables.Keys {
		v := md.Variables.Values[name]
		m.Variables = append(m.Variables, Variable{Name: name, Example: v.Example, Default: v.Default})
	}
	if md.Auth != nil {
		for _, name := range md.Auth.Schemes.Keys {
			m.Secrets = append(m.Secrets, md.Auth.Schemes.Values[name].Secrets...)
		}
	}
	return m
}

func declaredRule(typ string, r mapping.EventRule) EventRule {
	ptr := "/events/" + jsonptr.Escape(typ)
	out := EventRule{Type: typ, Pointer: ptr, Ignore: r.Ignore, Unsupported: r.Unsupported, IgnoreWhen: len(r.IgnoreWhen)}
	for _, g := range r.Guards {
		out.Guards = append(out.Guards, g.Code)
	}
	for i, c := range r.Calls {
		out.Calls = append(out.Calls, RuleCall{Name: c.Name, Pointer: ptr + "/calls/" + strconv.Itoa(i), LeadsTo: c.LeadsTo,
			HasBody: c.Body.Kind != 0, HasWhen: c.When != nil, JSONParts: jsonParts(c.Multipart)})
	}
	return out
}

func jsonParts(parts []mapping.Part) []string {
	var names []string
	for _, p := range parts {
		if p.JSON.Kind != 0 {
			names = append(names, p.Name)
		}
	}
	return names
}

// Document is a YAML file read as the value a JSON decoder would give
// (objects map[string]any, arrays []any, numbers json.Number, strings,
// booleans, nil), with the position of every value and key by JSON
// pointer: the reader mapping files are loaded with, for tools that check
// other YAML files (conformance case files) and point into them. A
// Document is read-only and safe for concurrent use.
type Document struct{ doc *yamldoc.Doc }

// ReadYAML reads the first YAML document of src; path is how positions show
// the file. A document expands to at most 50,000 values, aliases expanded
// (docs/limits.md). The error is a diag.List of one finding: a syntax
// error (diag.YAMLSyntax), an empty file (diag.SchemaViolation) or one too
// large (diag.TooLarge), at its position.
func ReadYAML(path string, src []byte) (*Document, error) {
	d, err := yamldoc.Parse(path, src)
	if err == nil {
		return &Document{d}, nil
	}
	start := diag.Pos{File: path, Line: 1, Col: 1}
	var syntax *yamldoc.SyntaxError
	var large *yamldoc.TooLargeError
	f := diag.Diagnostic{Pos: start, Severity: diag.Error, Code: diag.SchemaViolation, Message: "the file is empty"}
	switch {
	case errors.As(err, &syntax):
		f.Pos, f.Code, f.Message = syntax.Pos, diag.YAMLSyntax, syntax.Message
	case errors.As(err, &large) && large.At != nil:
		f.Pos, f.Code = diag.Pos{File: path, Line: large.At.Line, Col: large.At.Column}, diag.TooLarge
		f.Message = fmt.Sprintf("the file expands to more than %d values through this alias (an alias that refers to itself, or aliases nested too deep); write the values out instead", yamldoc.MaxValues)
	case errors.As(err, &large):
		f.Code, f.Message = diag.TooLarge, fmt.Sprintf("the file has more than %d values; split it", yamldoc.MaxValues)
	}
	f.Snippet = diag.SplitLines(src).Snippet(f.Pos.Line, f.Pos.Col)
	return nil, diag.List{f}
}

// Value returns the document as a JSON decoder would give it. It is
// shared: the caller must not change it.
func (d *Document) Value() any { return d.doc.Value }

// Pos returns the position of the value at a JSON pointer, or of the
// nearest enclosing value that has one.
func (d *Document) Pos(ptr string) diag.Pos { return d.doc.PosOf(ptr) }

// KeyPos returns the position of the key of the member at a JSON pointer,
// or of its value when it has no key (an array item, the document).
func (d *Document) KeyPos(ptr string) diag.Pos {
	if p, ok := d.doc.KeyPos(ptr); ok {
		return p
	}
	return d.doc.PosOf(ptr)
}

// JSONPointer joins tokens (object keys, array indexes) into the JSON
// pointer Document.Pos takes, escaping ~ and /.
func JSONPointer(tokens ...string) string { return jsonptr.Join(tokens...) }
