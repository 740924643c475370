package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Bodies that are not JSON in case expectations: a call's contentType,
// bodyText or bodyBase64, and, for multipart, its parts as
// {name, filename, contentType, text | json | base64}.

// addEncodedBody adds the fields of a body that is not JSON to a call's
// document, as translate prints them.
func addEncodedBody(d map[string]any, c engine.Call) {
	if c.Encoded == nil {
		return
	}
	d["contentType"] = c.ContentType
	if c.BodyBase64 != "" {
		d["bodyBase64"] = c.BodyBase64
	} else {
		d["bodyText"] = c.BodyText
	}
	if c.Parts == nil {
		return
	}
	parts := make([]any, len(c.Parts))
	for i, p := range c.Parts {
		parts[i] = partDoc(p)
	}
	d["parts"] = parts
}

// partDoc is a part as a case writes it: the fields Part's JSON has, its
// json decoded so that cases compare it as JSON.
func partDoc(p engine.Part) map[string]any {
	raw, _ := p.MarshalJSON()
	doc, err := decodeJSON(raw)
	m, ok := doc.(map[string]any)
	if err != nil || !ok {
		return map[string]any{"name": p.Name}
	}
	return m
}

// projectParts keeps, of each actual part, the fields the expected part
// gives (a part's json compared as a subset with match: subset).
func projectParts(e, a any, subset bool) any {
	return projectList(e, a, func(e, a any) any { return projectFields(e, a, subset, "json") })
}

// partSchemaName is the request schema of a multipart call's JSON part:
// marketplaces/<id>/<call>.<part>.request.schema.json.
func partSchemaName(id, call, part string) string {
	return requestSchemaName(id, call+"."+part)
}

// compilePartSchemas compiles the request schema of each JSON part of a
// multipart call that has one. A JSON part's schema is optional (the
// marketplace documents the part, the mapping may not need one); one that
// exists and does not compile is reported as a call's would be.
func (m *mappingUnit) compilePartSchemas(c *jsonschema.Compiler) {
	for _, ref := range m.calls() {
		for _, part := range ref.call.JSONParts {
			key := ref.call.Name + "." + part
			if m.requestSchemas[key] != nil {
				continue
			}
			s, err := c.Compile(schemas.BaseURL + partSchemaName(m.id, ref.call.Name, part))
			switch {
			case err == nil:
				m.requestSchemas[key] = s
			case !errors.Is(err, fs.ErrNotExist):
				m.schemaErrs[key] = err
			}
		}
	}
}

// validateParts returns "" when each JSON part of a multipart call
// validates against its request schema (or has none), else what is wrong.
func (m *mappingUnit) validateParts(c engine.Call) string {
	for _, p := range c.Parts {
		s := m.requestSchemas[c.Name+"."+p.Name]
		if !p.JSON || s == nil {
			continue
		}
		doc, err := decodeJSON(p.Content)
		if err != nil {
			return "part " + p.Name + " is not JSON: " + err.Error()
		}
		if msg := schemaMessage(s.Validate(doc)); msg != "" {
			return "part " + p.Name + " breaks " + partSchemaName(m.id, c.Name, p.Name) + ": " + msg
		}
	}
	return ""
}

// partSchemaProblems reports the JSON parts' request schemas that exist and
// do not compile.
func (m *mappingUnit) partSchemaProblems() []Problem {
	var ps []Problem
	for _, ref := range m.calls() {
		for _, part := range ref.call.JSONParts {
			if err := m.schemaErrs[ref.call.Name+"."+part]; err != nil {
				ps = append(ps, Problem{Pos: m.schemaPos(ref.call.Name), Message: fmt.Sprintf("call %s, part %s: request schema schemas/%s does not compile: %v", ref.call.Name, part, partSchemaName(m.id, ref.call.Name, part), err)})
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Message < ps[j].Message })
	return ps
}
