// Package sim simulates the four marketplaces Rota's bundled mappings talk
// to (SkyHub, Dafiti, Fast Shop's Kaive hub and Napse BRIDGE), and Mercado
// Livre and Mirakl, so that a mapping can be seen working end to end
// without a real account.
//
// One Server answers all six under path prefixes (/dafiti, /fastshop,
// /mercadolivre, /mirakl, /napse, /skyhub) plus admin endpoints under
// /_sim. Each marketplace is written in Go from the seed documents
// (shared/seeds) and shared/design/marketplaces.md (Mercado Livre and
// Mirakl: from docs/marketplaces), never from the mappings, so that the
// simulator can disagree with a mapping:
//
//   - it checks every call's credentials (Dafiti: the SellerCenter
//     signature, computed by its own implementation of the published
//     algorithm, not the sender's, and the Timestamp's age; or an OAuth2
//     token it issued; Mercado Livre: an OAuth2 authorization-code token
//     whose refresh token works once; Mirakl: the shop's API key);
//   - it keeps each order's status (Dafiti: each order item's), starting an
//     unknown order at the first status where the seller may act, and
//     refuses a move the marketplace refuses, with its status code and error
//     body;
//   - it enforces SkyHub's rate limits (9 writes and 1 read per second per
//     API key, endpoint and method) with 429 and Retry-After;
//   - it applies Napse's state changes asynchronously;
//   - it injects faults on request: an HTTP status, a delay, a dropped
//     connection (Fault, ParseFault, POST /_sim/faults).
//
// docs/simulator.md describes what each marketplace simulates, which parts
// are inferred, the fault syntax and the admin endpoints.
//
// Tests use it with net/http/httptest:
//
//	s := sim.New(sim.Options{})
//	srv := httptest.NewServer(s.Handler())
//	defer srv.Close()
//	// calls go to srv.URL + "/skyhub", with the credentials of DefaultSecrets
//
// The credentials it accepts are public test values (DefaultSecrets, the
// same as examples/sim.secrets). A Server is safe for concurrent use.
package sim
