// Package schemas bundles the JSON Schemas of rota and compiles them without
// ever touching the network.
//
// The files are embedded in the binary (FS):
//
//   - canonical-event.schema.json: the canonical order event, version 1.0, the
//     machine form of docs/canonical-event.md (the contract between the
//     seller's systems and the engine);
//   - mapping.schema.json: the mapping file format (see Mapping);
//   - marketplaces/<marketplace id>/<call>.request.schema.json: one schema per
//     outbound request body of a marketplace (see marketplaces/README.md).
//
// Every bundled schema has the $id BaseURL + its path in FS, so schemas refer to
// each other by absolute URL and editors that know the $id can find them.
// NewCompiler returns a jsonschema compiler whose loader resolves those URLs
// from FS (and from any extra fs.FS given, such as a user's schema folder) and
// refuses every other URL: validation never fetches anything.
//
// A compiled *jsonschema.Schema is immutable and safe for concurrent use;
// CanonicalEventSchema compiles the canonical event schema once per process.
//
// What the schema cannot express is checked in Go elsewhere: notably the mod-11
// check digit of an NF-e access key (invoice.key), whose length and characters
// the schema does check.
package schemas
