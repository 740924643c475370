// Package mapping loads mapping files: YAML with every node's position kept,
// checked against schemas/mapping.schema.json (errors mapped back from JSON
// pointers to file:line:col), then decoded into the Mapping model.
//
// Loading is the first stage of the pipeline; the plan package compiles a
// loaded Mapping into an executable plan.
package mapping
