package diag

import "github.com/rotahq/rota/engine/internal/schemaerr"

// SchemaFailure is one reason a document failed a JSON Schema, at the
// exact offending value.
type SchemaFailure struct {
	// Pointer is the JSON pointer of the offending value (for a missing or
	// unexpected property, of that property).
	Pointer string
	// Keyword is the schema keyword that failed: required,
	// additionalProperties, type, format...
	Keyword string
	// Message is the validator's message.
	Message string
	// Property is the property a required or additionalProperties failure
	// names.
	Property string
}

// SchemaFailures flattens the error of a jsonschema validation into one
// violation per offending value, sorted by pointer then keyword, as the
// engine reports mapping and event violations, so that each can be placed
// (Document.Pos in package engine) and worded for a person. It returns nil
// when err is not a *jsonschema.ValidationError.
func SchemaFailures(err error) []SchemaFailure {
	leaves := schemaerr.Leaves(err)
	if leaves == nil {
		return nil
	}
	out := make([]SchemaFailure, len(leaves))
	for i, l := range leaves {
		out[i] = SchemaFailure{Pointer: l.Pointer, Keyword: l.Keyword, Message: l.Message, Property: l.Property}
	}
	return out
}
