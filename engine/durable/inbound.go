package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/tidwall/gjson"
)

// Inbound configures what the Service does with the requests marketplaces
// send to their inbound routes (Receive) and how the resulting canonical
// events reach the seller's systems.
type Inbound struct {
	// ForwardURL is the seller's webhook: each canonical event received is
	// POSTed to it, one per request, signed per the Standard Webhooks
	// specification. Empty: events are only kept for the pull feed (Inbox).
	ForwardURL string
	// WebhookSecret signs the forwards, in the specification's
	// whsec_<base64> form. Required with ForwardURL.
	WebhookSecret string
	// ForwardClient sends the forwards (default: the delivery client).
	ForwardClient *http.Client
	// ForwardTimeout bounds one forward request (default 30 s).
	ForwardTimeout time.Duration
	// ForwardRetrySchedule is the wait after each failed forward (default:
	// the Service's RetrySchedule); when it runs out the forward is dead.
	ForwardRetrySchedule []time.Duration
	// AskURL is the ERP's create-order endpoint, for routes whose seller
	// order id mode is ask (see AskOrderID).
	AskURL string
}

// DefaultForwardTimeout bounds one forward request.
const DefaultForwardTimeout = 30 * time.Second

// KindUnavailable is the kind of the error a marketplace is answered with
// when Rota cannot take its request now (a database that does not commit, an
// ERP that does not give the seller order id in time): the marketplace's own
// retryable error answer.
const KindUnavailable engine.Kind = "unavailable"

// Codes of the inbound errors.
const (
	// CodeUnavailable: the request could not be stored; nothing was kept
	// and the marketplace should send it again.
	CodeUnavailable = "unavailable"
	// CodeOrderIDTimeout: a route in ask mode did not get the seller's
	// order id from the ERP in time; nothing was kept.
	CodeOrderIDTimeout = "order_id_timeout"
	// CodeCanceledByMarketplace: an outbound event for an order the
	// marketplace canceled (an inbound cancellation); nothing is sent.
	CodeCanceledByMarketplace = "canceled_by_marketplace"
)

// InboundRequest is one request a marketplace made to an inbound route.
type InboundRequest struct {
	// Marketplace is the mapping's marketplace id (the <marketplace> of
	// /inbound/<marketplace>/...).
	Marketplace string
	// Method and Path are how it called: the path relative to the
	// integration's prefix, query string included.
	Method, Path string
	// Header holds the request's headers; the route's auth reads them.
	Header http.Header
	// Body is the payload (the caller bounds its size).
	Body []byte
}

// InboundAnswer is the answer to give the marketplace.
type InboundAnswer struct {
	// Status and Body are the HTTP answer the route renders.
	Status int
	Body   json.RawMessage
	// Route is the inbound route that took the request.
	Route string
	// EventIDs are the canonical events the request carried.
	EventIDs []string
	// Duplicate is set when the same request was taken before: the answer
	// is the first one, and nothing new was kept or forwarded.
	Duplicate bool
}

// InboundError is a failure of Receive: Err says why (an *engine.Error, or
// a database error), Status and Body are the answer the marketplace
// understands (the route's error answer, with Status adjusted: 401 for an
// auth refusal).
type InboundError struct {
	Status int
	Body   json.RawMessage
	Route  string
	Err    error
}

func (e *InboundError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InboundError) Unwrap() error { return e.Err }

// inboundMetrics count inbound requests and forwards.
type inboundMetrics struct {
	requests *prometheus.CounterVec
	events   *prometheus.CounterVec
	forwards *prometheus.CounterVec
}

// openInbound checks the Inbound configuration and registers its metrics.
func (s *Service) openInbound() error {
	in := s.cfg.Inbound
	if in.ForwardURL != "" || in.AskURL != "" {
		key, err := DecodeWebhookSecret(in.WebhookSecret)
		if err != nil {
			return err
		}
		s.webhookKey = key
	}
	s.inMetrics = &inboundMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_inbound_requests_total",
			Help: "Requests marketplaces sent to inbound routes, by marketplace and outcome: accepted, duplicate, unauthorized, refused, unavailable.",
		}, []string{"marketplace", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_inbound_events_total",
			Help: "Canonical events received from marketplaces and kept for the seller, by marketplace and event type.",
		}, []string{"marketplace", "type"}),
		forwards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rota_forward_attempts_total",
			Help: "Webhook requests to the seller's ERP, by outcome: delivered, failed, dead.",
		}, []string{"outcome"}),
	}
	if s.metrics.reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{s.inMetrics.requests, s.inMetrics.events, s.inMetrics.forwards} {
		if err := s.metrics.reg.Register(c); err != nil {
			return fmt.Errorf("durable: metrics: %w", err)
		}
		s.metrics.registered = append(s.metrics.registered, c)
	}
	return nil
}

// Receive takes a request a marketplace sent to an inbound route: it picks
// the route, checks the route's auth (in constant time), translates the
// payload into canonical events exactly as Engine.Ingest does, and commits
// the events, the request's dedup key (the marketplace and the event ids,
// which depend only on the marketplace's own ids) and their forwarding jobs
// in one transaction, before returning the answer to give. A request taken
// before gets the first answer (same seller order id) and nothing new is
// kept or forwarded; concurrent identical requests keep one set of events.
//
// Errors are *InboundError holding the answer the marketplace understands:
// an unknown route (404), an auth refusal (401), a payload the route
// refuses (the route's error answer), or a failure to store (kind
// unavailable, the route's error answer: the marketplace sends again).
// Safe for concurrent use.
func (s *Service) Receive(ctx context.Context, req InboundRequest) (InboundAnswer, error) {
	ans, err := s.receive(ctx, req)
	outcome := "accepted"
	var ie *InboundError
	switch {
	case errors.As(err, &ie):
		outcome = inboundOutcome(ie)
		s.log.Warn("inbound refused", "marketplace", req.Marketplace, "route", ie.Route, "status", ie.Status, "error", errCode(ie.Err))
	case ans.Duplicate:
		outcome = "duplicate"
		s.log.Info("inbound duplicate", "marketplace", req.Marketplace, "route", ans.Route, "event_ids", ans.EventIDs)
	default:
		s.log.Info("inbound accepted", "marketplace", req.Marketplace, "route", ans.Route, "event_ids", ans.EventIDs)
	}
	s.inMetrics.requests.WithLabelValues(s.marketLabel(req.Marketplace), outcome).Inc()
	return ans, err
}

func inboundOutcome(ie *InboundError) string {
	var ee *engine.Error
	switch {
	case errors.As(ie.Err, &ee) && ee.Code == engine.CodeUnauthorized:
		return "unauthorized"
	case errors.As(ie.Err, &ee) && ee.Kind != KindUnavailable:
		return "refused"
	}
	return "unavailable"
}

func (s *Service) receive(ctx context.Context, req InboundRequest) (InboundAnswer, error) {
	if !s.markets[req.Marketplace] {
		return InboundAnswer{}, &InboundError{Status: http.StatusNotFound, Err: &engine.Error{Kind: engine.KindUnknownMarketplace,
			Code: engine.CodeUnknownMarketplace, Message: fmt.Sprintf("no mapping has marketplace %q", req.Marketplace)}}
	}
	opts := engine.IngestOptions{Method: req.Method, Path: req.Path, Now: s.now(), Vars: s.translateOptions(req.Marketplace).Vars}
	route, err := s.eng.SelectRoute(req.Marketplace, req.Body, opts)
	if err != nil {
		return InboundAnswer{}, s.inboundFailure(req, "", http.StatusNotFound, err)
	}
	opts.Route = route
	if err := s.eng.CheckInboundAuth(req.Marketplace, route, req.Header, s.secretLookup(req.Marketplace)); err != nil {
		status := 0
		var ee *engine.Error
		if errors.As(err, &ee) && ee.Code == engine.CodeUnauthorized {
			status = http.StatusUnauthorized
		}
		return InboundAnswer{}, s.inboundFailure(req, route, status, err)
	}
	info := s.routeInfo(req.Marketplace, route)
	switch {
	case info.AskOrderID:
		opts.OrderID = askPlaceholder // a preview: the ERP gives the real one
	case info.Sequenced:
		opts.Sequence = 1 // a preview: the real number is taken in the transaction
	}
	preview, err := s.eng.Ingest(req.Marketplace, req.Body, opts)
	if err != nil {
		return InboundAnswer{}, s.inboundFailure(req, route, 0, err)
	}
	ids := eventIDs(preview.Events)
	key := route + " " + strings.Join(ids, " ")
	if ans, found, err := s.storedAnswer(ctx, s.be.pool(), req.Marketplace, key); err != nil {
		return InboundAnswer{}, s.unavailable(req, route, err)
	} else if found {
		return ans, nil
	}
	if info.AskOrderID {
		id, err := s.askOrderID(ctx, req.Marketplace, route, preview.Events, info.OrderIDTimeout)
		if err != nil {
			return InboundAnswer{}, s.inboundFailure(req, route, 0, err)
		}
		opts.OrderID = id
	}
	ans, err := s.storeInbound(ctx, req, opts, info, key, ids)
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) {
			return InboundAnswer{}, s.inboundFailure(req, route, 0, err)
		}
		return InboundAnswer{}, s.unavailable(req, route, err)
	}
	return ans, nil
}

func (s *Service) routeInfo(marketplace, route string) engine.RouteInfo {
	for _, ri := range s.eng.Routes(marketplace) {
		if ri.Name == route {
			return ri
		}
	}
	return engine.RouteInfo{Name: route}
}

func (s *Service) secretLookup(marketplace string) func(string) (string, bool) {
	sec := s.cfg.Delivery.Secrets
	return func(name string) (string, bool) {
		if sec == nil {
			return deliver.EnvSecrets{}.Secret(marketplace, name)
		}
		return sec.Secret(marketplace, name)
	}
}

func eventIDs(events []json.RawMessage) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = gjson.GetBytes(ev, "id").String()
	}
	return out
}

// storeInbound commits the request in one transaction: its dedup row (taken
// first: a concurrent identical request waits on it, then finds it), the
// sequence number when the route reads one, the events in the inbox, their
// forwarding jobs, and the orders' state. A duplicate found here rolls back
// and answers the first request.
func (s *Service) storeInbound(ctx context.Context, req InboundRequest, opts engine.IngestOptions, info engine.RouteInfo, key string, ids []string) (InboundAnswer, error) {
	var ans InboundAnswer
	dup := false
	err := s.be.inTx(ctx, func(tx txn) error {
		now := micros(s.now())
		n, err := tx.exec(ctx, `INSERT INTO rota_inbound (marketplace, dedup_key, route, response_status, response_body, received_at)
			VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (marketplace, dedup_key) DO NOTHING`, req.Marketplace, key, info.Name, now)
		if err != nil {
			return err
		}
		if n == 0 {
			dup = true
			return errRollback
		}
		if info.Sequenced && opts.OrderID == "" {
			if opts.Sequence, err = nextCounter(ctx, tx, "sequence:"+req.Marketplace); err != nil {
				return err
			}
		}
		res, err := s.eng.Ingest(req.Marketplace, req.Body, opts)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE rota_inbound SET response_status = $1, response_body = $2, order_id = $3
			WHERE marketplace = $4 AND dedup_key = $5`, res.Response.Status, string(res.Response.Body), opts.OrderID,
			req.Marketplace, key); err != nil {
			return err
		}
		for _, ev := range res.Events {
			if err := s.keepInboundEvent(ctx, tx, info.Name, ev, now); err != nil {
				return err
			}
		}
		ans = InboundAnswer{Status: res.Response.Status, Body: res.Response.Body, Route: info.Name, EventIDs: ids}
		return nil
	})
	if dup {
		a, found, err := s.storedAnswer(ctx, s.be.pool(), req.Marketplace, key)
		if err != nil || !found {
			return ans, fmt.Errorf("durable: the first request vanished: %v", err)
		}
		return a, nil
	}
	if err != nil {
		return ans, err
	}
	return ans, nil
}

// keepInboundEvent puts one event in the inbox (an id kept before is
// skipped: never forwarded twice), inserts its forwarding job and moves
// its order's state.
func (s *Service) keepInboundEvent(ctx context.Context, tx txn, route string, ev json.RawMessage, now int64) error {
	doc := gjson.ParseBytes(ev)
	id, typ := doc.Get("id").String(), doc.Get("type").String()
	key := OrderKey{Marketplace: doc.Get("marketplace").String(), MarketplaceOrderID: doc.Get("order.marketplaceOrderId").String()}
	var n int64
	if err := tx.queryRow(ctx, `SELECT count(*) FROM rota_inbox WHERE event_id = $1`, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	pos, err := nextCounter(ctx, tx, "inbox")
	if err != nil {
		return err
	}
	state := ""
	if s.cfg.Inbound.ForwardURL != "" {
		state = forwardPending
	}
	if _, err := tx.exec(ctx, `INSERT INTO rota_inbox (position, event_id, marketplace, marketplace_order_id, route, type, event, received_at, forward_state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, pos, id, key.Marketplace, key.MarketplaceOrderID, route, typ, string(ev), now, state); err != nil {
		return err
	}
	if state == forwardPending {
		ins, ok := tx.(jobInserter)
		if !ok {
			return errors.New("durable: this database cannot insert forwarding jobs")
		}
		jobID, err := ins.insertArgs(ctx, forwardArgs{EventID: id})
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE rota_inbox SET job_id = $1 WHERE position = $2`, jobID, pos); err != nil {
			return err
		}
	}
	s.inMetrics.events.WithLabelValues(s.marketLabel(key.Marketplace), typ).Inc()
	return s.noteInboundState(ctx, tx, key, typ, doc.Get("order.marketplaceStatus").String(), id, now)
}

// noteInboundState records where the marketplace says the order stands: the
// canonical status the event leads to, and the marketplace status when it
// is that status's code. A later outbound event is filled and judged
// against it; an order the marketplace canceled refuses every outbound
// event (CodeCanceledByMarketplace).
func (s *Service) noteInboundState(ctx context.Context, tx txn, key OrderKey, typ, mkStatus, eventID string, now int64) error {
	status := event.StatusAfter[typ]
	if status == "" || key.MarketplaceOrderID == "" {
		return nil
	}
	if c, ok := s.eng.CanonicalStatus(key.Marketplace, mkStatus); !ok || c != status {
		mkStatus = ""
	}
	if _, err := tx.exec(ctx, `INSERT INTO rota_orders (marketplace, marketplace_order_id, status, marketplace_status, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (marketplace, marketplace_order_id) DO UPDATE SET status = $3, marketplace_status = $4, updated_at = $5`,
		key.Marketplace, key.MarketplaceOrderID, status, mkStatus, now); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO rota_order_notices (marketplace, marketplace_order_id, status, event_id, noted_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (marketplace, marketplace_order_id) DO UPDATE SET status = $3, event_id = $4, noted_at = $5`,
		key.Marketplace, key.MarketplaceOrderID, status, eventID, now)
	return err
}

// inboundRefusal refuses an outbound event for an order the marketplace
// itself canceled: the call would be refused or, worse, applied to a dead
// order. It is checked before any call, in the acceptance's transaction.
func (s *Service) inboundRefusal(ctx context.Context, q querier, key OrderKey, raw []byte) error {
	var status, eventID string
	err := q.queryRow(ctx, `SELECT status, event_id FROM rota_order_notices WHERE marketplace = $1 AND marketplace_order_id = $2`,
		key.Marketplace, key.MarketplaceOrderID).Scan(&status, &eventID)
	if errors.Is(err, errNoRows) || err == nil && status != "canceled" {
		return nil
	}
	if err != nil {
		return err
	}
	typ := gjson.GetBytes(raw, "type").String()
	return &engine.Error{Kind: engine.KindRejected, Code: CodeCanceledByMarketplace, Path: "/type",
		Message: fmt.Sprintf("%s canceled order %s itself (inbound event %s); a %s for it is not sent. Cancel the order in the ERP too",
			key.Marketplace, key.MarketplaceOrderID, eventID, typ)}
}

// nextCounter increments a named counter and returns its new value. The
// counter's row lock serializes the transactions taking it, so numbers
// commit in order.
func nextCounter(ctx context.Context, tx querier, name string) (int64, error) {
	var v int64
	err := tx.queryRow(ctx, `INSERT INTO rota_counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = rota_counters.value + 1 RETURNING value`, name).Scan(&v)
	return v, err
}

func (s *Service) storedAnswer(ctx context.Context, q querier, marketplace, key string) (InboundAnswer, bool, error) {
	var ans InboundAnswer
	var status int64
	var body string
	err := q.queryRow(ctx, `SELECT route, response_status, response_body FROM rota_inbound WHERE marketplace = $1 AND dedup_key = $2 AND response_status > 0`,
		marketplace, key).Scan(&ans.Route, &status, &body)
	if errors.Is(err, errNoRows) {
		return ans, false, nil
	}
	if err != nil {
		return ans, false, err
	}
	ans.Status, ans.Body, ans.Duplicate = int(status), json.RawMessage(body), true
	if ids := strings.Fields(key); len(ids) > 1 {
		ans.EventIDs = slices.Clone(ids[1:])
	}
	return ans, true, nil
}

// inboundFailure wraps err with the answer the marketplace understands: the
// route's error answer when it has one (with status instead of the
// route's when status is not 0), else the API's error document.
func (s *Service) inboundFailure(req InboundRequest, route string, status int, err error) error {
	ie := &InboundError{Route: route, Err: err}
	var ee *engine.Error
	if !errors.As(err, &ee) {
		ee = &engine.Error{Kind: KindUnavailable, Code: CodeUnavailable, Message: "the request could not be stored; send it again"}
	}
	resp := ee.Response
	if resp == nil && route != "" {
		resp = s.eng.InboundErrorResponse(req.Marketplace, route, req.Body, ee)
	}
	if resp != nil {
		ie.Status, ie.Body = resp.Status, resp.Body
	} else {
		body, _ := json.Marshal(map[string]any{"error": ee})
		ie.Status, ie.Body = http.StatusInternalServerError, body
		if ee.Kind == engine.KindInvalidEvent || ee.Kind == engine.KindRejected {
			ie.Status = http.StatusBadRequest
		}
	}
	if status != 0 {
		ie.Status = status
	}
	return ie
}

// unavailable is the answer to a request that could not be stored: the
// route's retryable error answer; the cause goes to the log only.
func (s *Service) unavailable(req InboundRequest, route string, cause error) error {
	s.log.Error("inbound request not stored", "marketplace", req.Marketplace, "route", route, "cause", cause.Error())
	return s.inboundFailure(req, route, 0, &engine.Error{Kind: KindUnavailable, Code: CodeUnavailable,
		Message: "the seller's integration could not store this request now; send it again later"})
}

// jobInserter is a transaction that inserts any job, such as a forward.
type jobInserter interface {
	insertArgs(ctx context.Context, args river.JobArgs) (int64, error)
}

func (t sqliteTx) insertArgs(ctx context.Context, args river.JobArgs) (int64, error) {
	res, err := t.client.InsertTx(ctx, t.tx, args, jobInsertOpts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (t pgTx) insertArgs(ctx context.Context, args river.JobArgs) (int64, error) {
	res, err := t.client.InsertTx(ctx, t.tx, args, jobInsertOpts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}
