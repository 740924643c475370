// Package deliver sends the calls of a translation result (engine.Result)
// to the marketplace, with net/http.
//
// A Sender performs a result's calls in order and stops at the first one
// that does not succeed. For every call it:
//
//   - waits for the endpoint's rate limiter, when the mapping declares one
//     (rateLimit: perSecond and burst, per Call.Endpoint);
//   - builds the request afresh and authorizes it with the marketplace's
//     auth scheme (static headers, the SellerCenter HMAC signature, OAuth2
//     client credentials, or a token from a token service, or an OAuth2
//     authorization-code pair whose refresh token works once, renewed under
//     the lock of a TokenStore shared by every sender), reading secret
//     values from a Secrets source;
//   - sends it with a per-attempt timeout, reads at most 1 MiB of the answer
//     and asks the mapping's response rules (Call.Judge) what it means:
//     success, retry (with exponential backoff, full jitter and Retry-After
//     as a minimum, bounded in attempts and total time) or fail for good;
//   - optionally confirms an asynchronous change with the mapping's status
//     query (Napse BRIDGE).
//
// An attempt whose answer was lost (a timeout or a dropped connection after
// the request was written, a gateway's 502 or 504) may have been applied.
// A call that is not idempotent is then never sent blindly again: the
// mapping's read-back (Call.ReadBack) is asked first, or the call is sent
// again only when the mapping recognizes the marketplace's answer to a
// repeat (response.alreadyApplied, Verdict.AlreadyApplied); otherwise its
// outcome is CallUnknown and the report's Unknown. Resend delivers an event
// whose earlier delivery was interrupted with every call in doubt from the
// start.
//
// Every outcome is written down in a Report: per call the HTTP status, the
// attempts made, the marketplace's own code and message, and a stable error
// code when no usable answer came back. A Store remembers delivered event
// ids so that an event is never delivered twice.
//
// Secret values never appear in errors, reports or dry-run output: the
// package names the environment variable that holds a secret, never its
// value, and scrubs any value that a marketplace echoes back.
//
// docs/delivery.md describes the behaviour for operators.
package deliver
