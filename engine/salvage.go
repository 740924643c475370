package engine

import (
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// salvageFindings checks the well-formed parts of a file the schema
// refused, so that one run reports every independent problem: the schema's
// findings (given) and the expression, status, path and other findings of
// what the schema accepts. Findings that could be consequences of the
// values removed (a status named in a removed part of the status table, an
// event type whose rule was removed) are left out, as are those already
// given.
func salvageFindings(sf sourceFile, schema *jsonschema.Schema, given diag.List) diag.List {
	for _, d := range given {
		if !schemaStage[d.Code] {
			return nil // a syntax or size problem: nothing to salvage
		}
	}
	f, removed := mapping.Salvage(sf.path, sf.src, schema)
	if f == nil {
		return nil
	}
	_, ds := compileMarket(f, lang.NewConfigs(nativeForm))
	seen := map[string]bool{}
	for _, d := range given {
		seen[d.Pos.String()+string(d.Code)] = true
	}
	var out diag.List
	for _, d := range ds {
		if !seen[d.Pos.String()+string(d.Code)] && !consequenceOf(d.Code, removed) {
			out = append(out, d)
		}
	}
	return out
}

// schemaStage are the codes of the schema's findings.
var schemaStage = map[diag.Code]bool{diag.SchemaViolation: true, diag.UnknownKey: true,
	diag.UnknownEventType: true, diag.UnknownCanonicalStatus: true}

// dependsOn lists, per finding code, the parts of a mapping whose removal
// can cause the finding elsewhere.
var dependsOn = map[diag.Code][]string{
	diag.UnknownStatus:      {"/statuses"},
	diag.UnknownTable:       {"/tables"},
	diag.UnknownVariable:    {"/variables"},
	diag.UnknownEnvironment: {"/environments"},
	diag.UnknownAuthScheme:  {"/auth"},
	diag.UnknownSecret:      {"/auth"},
	diag.UnknownQuery:       {"/queries"},
	diag.UnknownTimezone:    {"/timezone"},
	diag.BadURL:             {"/environments"},
	diag.MissingEventType:   {"/events"},
	diag.SchemaViolation:    {"/events", "/inbound", "/queries"},
}

// consequenceOf reports whether a finding of this code may come from one of
// the removed values rather than from the mapping as written.
func consequenceOf(code diag.Code, removed []string) bool {
	for _, section := range dependsOn[code] {
		for _, r := range removed {
			if r == section || strings.HasPrefix(r, section+"/") {
				return true
			}
		}
	}
	return false
}
