// Package engine translates canonical order events into the HTTP calls a
// marketplace expects, as described by YAML mapping files.
//
// The engine is the facade over stages that live under engine/internal,
// in pipeline order; no stage imports a later one:
//
//	internal/yamldoc   read YAML as JSON values with positions (jsonptr: pointers)
//	internal/mapping   check a mapping file against mapping.schema.json and decode it
//	internal/event     the canonical event, decoded for evaluation
//	internal/lang      compile and type-check expressions against the canonical event
//	engine             compile each mapping into an immutable plan; render calls
//	internal/judge     read the marketplace's answers with the response rules
//	deliver            send translated calls (auth, retries, rate limits)
//
// The supported public packages are engine, engine/deliver, engine/diag
// and engine/fiscal (and the service's engine/durable). Tools that report
// on mappings read what a file declares with LoadMapping, the canonical
// event's types and statuses with EventTypes and EventStatuses, other YAML files with
// positions with ReadYAML, and JSON Schema failures with
// diag.SchemaFailures, without reaching into the stages.
//
// Load once, translate many times:
//
//	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
//	if err != nil {
//		// err is a diag.List: every problem, each with file:line:col
//	}
//	res, err := eng.Translate(eventJSON, engine.TranslateOptions{})
//	// res.Outcome is "send" (res.Calls) or "ignore" (res.Reason);
//	// err is an *engine.Error with Kind, Code, Path and Source.
//
// A worker that translates events one after another, sending each result
// before the next, can reuse one Result with TranslateInto, which then
// allocates only the text of the new calls.
//
// Marketplaces that call the seller (Fast Shop's hub places orders) have
// inbound routes. A server finds the route of a request with SelectRoute
// (by method and path, or the payload's match; Routes lists them to mount),
// checks its headers with CheckInboundAuth, and turns the payload into
// canonical events and the answer the marketplace expects with Ingest. The
// seller's order id in that answer comes from the route's orderId: over the
// payload, the path, or IngestOptions.Sequence, a number the caller keeps.
//
// An *Engine is immutable after loading and safe for concurrent use.
package engine
