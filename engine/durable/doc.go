// Package durable is Rota's durable delivery layer: it accepts canonical
// order events, keeps them in a database and delivers their calls to the
// marketplaces, per order in the order they were accepted, retrying for
// hours, until each is delivered or an operator decides otherwise.
//
// It is built on River (github.com/riverqueue/river) with one code path and
// two drivers:
//
//   - SQLite (modernc.org/sqlite, pure Go): Config.DB "sqlite:PATH", or an
//     embedder's own *sql.DB in Config.SQL. One process per database file.
//   - Postgres (pgx v5): Config.DB "postgres://...", or an embedder's own
//     *pgxpool.Pool in Config.Pool. Several processes may share one
//     database; River's row locking and leader election coordinate them.
//
// Open runs the migrations (River's, then Rota's own tables, versioned and
// idempotent) and returns a Service; Start starts the workers; Stop lets the
// running attempts finish. A Service that is not started still accepts
// events (an HTTP front end may accept while another process delivers).
//
//	svc, err := durable.Open(ctx, durable.Config{Engine: eng, DB: "sqlite:rota.db"})
//	if err != nil { ... }
//	defer svc.Close()
//	if err := svc.Start(ctx); err != nil { ... }
//	defer svc.Stop(context.Background())
//	acc, err := svc.Accept(ctx, eventJSON)
//	// err is an *engine.Error (invalid_event, rejected, unsupported,
//	// unknown_marketplace): nothing was stored. Otherwise acc.State is
//	// pending (to be delivered) or ignored.
//
// What River does not give, Rota's own tables in the same database and
// transaction do:
//
//   - idempotency forever: the event id is a primary key; a second Accept of
//     an id answers the first acceptance (Duplicate) and stores nothing;
//   - per-order FIFO: events of one order (marketplace and
//     marketplaceOrderId) are delivered in the order they were accepted; a
//     later event waits (its job snoozes until the head's next attempt) while
//     an earlier one is pending, and a dead head parks the order until Replay
//     or Skip;
//   - order state: after each successful call the order's marketplace status
//     (the call's leadsTo) and canonical status are stored, and fill events
//     that omit order.status and order.marketplaceStatus;
//   - per-call progress: a call that succeeded is never sent again for the
//     same event, whatever happens later;
//   - a retry schedule over hours (DefaultRetrySchedule), Retry-After as a
//     minimum, a permanent refusal dead at once with the marketplace's code
//     and message kept;
//   - rate limits declared by mappings, held across every process sharing
//     the database (a deliver.Limiter over a table).
//
// docs/delivery-semantics.md states these rules precisely, including what
// happens when the process dies before, during or after a call.
//
// Inbound: marketplaces that call the seller (Fast Shop's hub placing an
// order) are answered by Receive, which checks the route's auth, turns the
// payload into canonical events with Engine.Ingest, and commits them with
// the request's dedup key and their forwarding jobs before answering; a
// re-sent request gets the first answer. Inbound.ForwardURL sends each event
// to the seller's ERP as a Standard Webhooks request (SignWebhook), per
// order in the order received, retried and dead-lettered like deliveries
// (ReplayForward); Inbox and AckInbox are the pull feed. docs/inbound.md
// describes it.
//
// A Service is safe for concurrent use by many goroutines.
package durable
