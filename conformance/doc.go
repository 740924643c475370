// Package conformance runs the conformance suite: the cases written for
// each marketplace (conformance/cases/<marketplace>/*.yaml, format in
// conformance/README.md and schemas/case.schema.json) and a fixed set of
// checks that runs against every mapping, cases or not.
//
// `rota test` and `go test ./conformance` both call Run, so a mapping change
// that breaks a case fails CI:
//
//	rep, err := conformance.Run(conformance.Options{Cases: "conformance/cases"})
//	if rep != nil {
//		rep.WriteText(os.Stdout) // ends with "N passed, N failed"
//	}
//	// err: an unreadable mapping folder (rep is nil), or an *InputError
//	// listing broken case files, each also a failing result in rep.
//
// A case gives a canonical event (a file or inline, optionally merge-patched)
// or an inbound payload, and exactly one expectation: the calls, ignore, an
// error, or the ingested events and response. A case without one fails.
//
// The checks, per mapping (see the Check* constants): it lints clean; every
// canonical event type is answered; every call with a body has a request
// schema (schemas/marketplaces/<id>/<call>.request.schema.json) and every body
// the cases produce validates against it; every guard and call condition is
// found true and false by some case; every event rule and call is exercised
// by some case; every leadsTo is in the status table and reachable, and every
// move a case makes is allowed; a seeded property run of generated valid
// events never panics and ends as send, ignore or a refusal that blames the
// event, with valid bodies; no secret-looking literal is in the file.
//
// Each mapping file is compiled on its own, so one broken mapping fails its
// own cases and checks and leaves the others alone.
package conformance
