package engine

import (
	"fmt"
	"sync"

	"github.com/rotahq/rota/engine/internal/fastschema"
)

// canonicalValidator is the fast validator of the canonical event schema
// (engine/internal/fastschema), compiled once per process, by the first
// load.
var canonicalValidator = sync.OnceValues(fastschema.Compile)

// checkEvent validates a decoded event with v: the schema's findings, then
// those of the type rules.
func checkEvent(v *fastschema.Validator, doc any) []Detail {
	missing, err := v.Validate(doc)
	var problems []Detail
	if err != nil {
		problems = schemaDetails(err)
	}
	for _, m := range missing {
		problems = append(problems, Detail{Code: CodeMissingField, Path: m.Pointer,
			Message: fmt.Sprintf("missing required field %q: a %s event carries it", m.Member, m.EventType)})
	}
	return problems
}
