// Package httpapi serves Rota's durable delivery layer (package durable) over
// HTTP: the API of `rota serve`, and an http.Handler that a Go service
// embedding the engine can mount in its own server.
//
// Routes (schemas/openapi.yaml describes each one, its parameters and
// answers):
//
//	POST /v1/events                                     accept a canonical event (202 pending, 200 ignored)
//	GET  /v1/events                                     list events, newest first (?state=dead&marketplace=M&cursor=C&limit=N)
//	GET  /v1/events/{id}                                an event, its state and every attempt
//	POST /v1/events/{id}/replay                         re-drive a dead event
//	POST /v1/events/{id}/skip                           give up an event and unblock its order
//	GET  /v1/orders/{marketplace}/{marketplaceOrderId}  an order's status and timeline
//	POST /v1/translate                                  translate an event, store and send nothing
//	GET  /healthz                                       the process answers
//	GET  /readyz                                        the database is reachable and workers run
//	GET  /metrics                                       Prometheus metrics
//
// Every route except /healthz and /readyz requires the header
// "Authorization: Bearer TOKEN" with the configured token, compared in
// constant time; a request without it, or with another token, is answered
// 401. The token never appears in an answer or a log line.
//
// Request bodies are limited to Config.MaxBodyBytes (DefaultMaxBodyBytes,
// 1 MiB); a larger body is answered 413 and nothing is stored.
//
// Every error is a JSON document {"error": {"kind", "code", "message", ...}}.
// An event the engine refuses is answered with the same error object as
// `rota translate` prints (kind invalid_event, rejected, unsupported,
// unknown_marketplace, configuration or mapping_error); a problem with the
// request itself has kind "request" and one of the Code* constants of this
// package. docs/errors.md lists every code; docs/service.md describes the
// service.
//
// Inbound routes are served at InboundPrefix + marketplace + the route's path
// (/inbound/fastshop/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH), with
// the route's own auth instead of the token, and answered in the
// marketplace's own shape (durable.Service.Receive). GET /v1/inbox, POST
// /v1/inbox/ack and POST /v1/inbox/{id}/replay are the pull feed of the
// events received and the operator's hold on their forwards
// (docs/inbound.md).
//
// A Handler is safe for concurrent use; it holds no state of its own besides
// its configuration.
package httpapi
