package durable

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/event"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// errRollback ends a transaction without an error for the caller.
var errRollback = errors.New("rollback")

// Accept validates and translates the event (canonical event JSON)
// synchronously, with its order's projected state filling what the event
// omits (see fillOrderState).
//
// A refusal stores nothing and is returned as the *engine.Error of the
// translation (kinds invalid_event, rejected, unsupported,
// unknown_marketplace; configuration or mapping_error when the deployment
// lacks something). An event whose id was accepted before returns the first
// acceptance, with its current state and Duplicate set; nothing is stored or
// sent. An ignore outcome is recorded with state Ignored. Otherwise the
// event, its place in its order and its delivery job are committed in one
// transaction, with state Pending. Concurrent calls share that transaction
// (group commit); Accept returns once its event is committed, and a
// refusal, a duplicate or a failure of one call does not fail the others.
//
// The id alone identifies an event: a second event with an id accepted
// before is a duplicate whatever its content. The caller bounds the size of
// event (the engine bounds the work of translating it).
//
// Any other error is a database failure: nothing was accepted, and the
// caller may try again with the same event.
func (s *Service) Accept(ctx context.Context, raw []byte) (Acceptance, error) {
	id, key, ok := s.identify(raw)
	if !ok {
		err := s.refusal(raw, key.Marketplace)
		s.metrics.accepted.WithLabelValues(s.marketLabel(key.Marketplace), refusalKind(err)).Inc()
		return Acceptance{}, err
	}
	var (
		acc     Acceptance
		refused error
		dup     bool
	)
	// Concurrent acceptances share one transaction and one commit (see
	// groupCommitter); each still answers only once its event is durable.
	err := s.commits.do(ctx, key.String(), func(ctx context.Context, tx *groupTx) error {
		var err error
		acc, refused, dup, err = s.acceptTx(ctx, tx, raw, id, key)
		if err == nil && (refused != nil || dup) {
			return errRollback
		}
		return err
	})
	switch {
	case refused != nil:
		s.metrics.accepted.WithLabelValues(key.Marketplace, refusalKind(refused)).Inc()
		return Acceptance{}, refused
	case dup:
		acc, found, err := s.findAcceptance(ctx, s.be.pool(), id)
		if err != nil || !found {
			return Acceptance{}, fmt.Errorf("durable: accept %s: the first acceptance vanished: %v", id, err)
		}
		s.metrics.accepted.WithLabelValues(key.Marketplace, "duplicate").Inc()
		return acc, nil
	case err != nil:
		return Acceptance{}, fmt.Errorf("durable: accept %s: %w", id, err)
	}
	s.metrics.accepted.WithLabelValues(key.Marketplace, string(acc.State)).Inc()
	return acc, nil
}

// acceptTx stores the event in tx: it takes the order's next sequence number
// (the order's row lock serializes concurrent acceptances of one order),
// translates the event with the order's projected state and inserts the
// event and its job. A refusal or a duplicate id is returned without error;
// the caller rolls back.
func (s *Service) acceptTx(ctx context.Context, tx *groupTx, raw []byte, id string, key OrderKey) (acc Acceptance, refused error, dup bool, err error) {
	now := s.now()
	var seq int64
	var status, mkStatus string
	err = tx.queryRow(ctx, `INSERT INTO rota_orders (marketplace, marketplace_order_id, last_seq, updated_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (marketplace, marketplace_order_id) DO UPDATE SET last_seq = rota_orders.last_seq + 1
		RETURNING last_seq, status, marketplace_status`,
		key.Marketplace, key.MarketplaceOrderID, micros(now)).Scan(&seq, &status, &mkStatus)
	if err != nil {
		return acc, nil, false, err
	}
	// A concurrent acceptance of the same id that held the order's lock
	// before this one has committed by now: answer it.
	if _, found, err := s.findAcceptance(ctx, tx, id); err != nil || found {
		return acc, nil, found, err
	}
	if refused := s.inboundRefusal(ctx, tx, key, raw); refused != nil {
		var ee *engine.Error
		if errors.As(refused, &ee) {
			return acc, refused, false, nil
		}
		return acc, nil, false, refused
	}
	// The projected state: what the last pending event of the order leads
	// to, or the stored state when none is pending.
	var ps, pms string
	err = tx.queryRow(ctx, `SELECT projected_status, projected_mk_status FROM rota_events
		WHERE marketplace = $1 AND marketplace_order_id = $2 AND state = 'pending'
		ORDER BY seq DESC LIMIT 1`, key.Marketplace, key.MarketplaceOrderID).Scan(&ps, &pms)
	switch {
	case err == nil:
		status, mkStatus = ps, pms
	case !errors.Is(err, errNoRows):
		return acc, nil, false, err
	}
	filled, err := fillOrderState(raw, status, mkStatus)
	if err != nil {
		return acc, nil, false, err
	}
	res, terr := s.eng.Translate(filled, s.translateOptions(key.Marketplace))
	if terr != nil {
		return acc, terr, false, nil
	}
	state, reason := Pending, ""
	nextStatus, nextMk := status, mkStatus
	if res.Outcome == engine.OutcomeSend && len(res.Calls) > 0 {
		nextStatus, nextMk = s.projectAfter(res, res.EventType, status, mkStatus)
	} else {
		state, reason = Ignored, res.Reason
	}
	n, err := tx.exec(ctx, `INSERT INTO rota_events (id, marketplace, marketplace_order_id, seq, type, state, reason, event,
			projected_status, projected_mk_status, job_id, next_attempt_at, accepted_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12)
		ON CONFLICT (id) DO NOTHING`,
		id, key.Marketplace, key.MarketplaceOrderID, seq, res.EventType, string(state), reason, string(raw),
		nextStatus, nextMk, int64(0), micros(now))
	if err != nil {
		return acc, nil, false, err
	}
	if n == 0 {
		return acc, nil, true, nil // rolled back
	}
	if state == Pending {
		// Inserted with the group's other jobs; job_id is set then.
		tx.insertJobLater(id)
	}
	return Acceptance{EventID: id, State: state, Reason: reason, Order: key, AcceptedAt: fromMicros(micros(now))}, nil, false, nil
}

// identify reads the event's id and order key; ok is false when one is
// missing or not a string, or the marketplace has no mapping.
func (s *Service) identify(raw []byte) (id string, key OrderKey, ok bool) {
	if !gjson.ValidBytes(raw) {
		return "", key, false
	}
	doc := gjson.ParseBytes(raw)
	fid, fm, fo := doc.Get("id"), doc.Get("marketplace"), doc.Get("order.marketplaceOrderId")
	if fm.Type == gjson.String {
		key.Marketplace = fm.Str
	}
	if fid.Type != gjson.String || fm.Type != gjson.String || fo.Type != gjson.String ||
		fid.Str == "" || fo.Str == "" || !s.markets[fm.Str] {
		return "", key, false
	}
	return fid.Str, OrderKey{Marketplace: fm.Str, MarketplaceOrderID: fo.Str}, true
}

// refusal is the engine's error for an event identify could not read.
func (s *Service) refusal(raw []byte, marketplace string) error {
	_, err := s.eng.Translate(raw, s.translateOptions(marketplace))
	if err != nil {
		return err
	}
	// The engine let it through; an order key is still required here.
	return &engine.Error{Kind: engine.KindInvalidEvent, Code: engine.CodeMissingField, Path: "/order/marketplaceOrderId",
		Message: "the event needs id and order.marketplaceOrderId (non-empty strings) to be delivered in order"}
}

func refusalKind(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return string(ee.Kind)
	}
	return "error"
}

// marketLabel is a metrics label for a marketplace id from an event:
// "unknown" unless the engine has its mapping (labels stay bounded).
func (s *Service) marketLabel(m string) string {
	if s.markets[m] {
		return m
	}
	return "unknown"
}

func (s *Service) findAcceptance(ctx context.Context, q querier, id string) (Acceptance, bool, error) {
	var acc Acceptance
	var state string
	var at int64
	err := q.queryRow(ctx, `SELECT state, reason, marketplace, marketplace_order_id, accepted_at FROM rota_events WHERE id = $1`, id).
		Scan(&state, &acc.Reason, &acc.Order.Marketplace, &acc.Order.MarketplaceOrderID, &at)
	if errors.Is(err, errNoRows) {
		return acc, false, nil
	}
	if err != nil {
		return acc, false, err
	}
	acc.EventID, acc.State, acc.Duplicate, acc.AcceptedAt = id, State(state), true, fromMicros(at)
	return acc, true, nil
}

// projectAfter is the order's state once every call of res succeeded: each
// call's leadsTo becomes the marketplace status; the status is the one the
// event type leaves the order in (order.delivered: delivered), as the
// canonical contract says, whatever code the marketplace keeps (a VTEX hub
// stays "invoiced" after the delivery). An event type that leaves the
// status unchanged (order.shipment_exception) takes the canonical status of
// the last call's leadsTo (the mapping's statuses table), if any.
func (s *Service) projectAfter(res *engine.Result, eventType, status, mkStatus string) (string, string) {
	moved := false
	for _, c := range res.Calls {
		status, mkStatus, moved = s.afterCall(res.Marketplace, c.MarketplaceStatus, status, mkStatus, moved)
	}
	if after := event.StatusAfter[eventType]; after != "" {
		status = after
	}
	return status, mkStatus
}

// afterCall is the order's state after one successful call leading to
// leadsTo ("" for a call that does not change it).
func (s *Service) afterCall(marketplace, leadsTo, status, mkStatus string, moved bool) (string, string, bool) {
	if leadsTo == "" {
		return status, mkStatus, moved
	}
	if c, ok := s.eng.CanonicalStatus(marketplace, leadsTo); ok {
		status = c
	}
	return status, leadsTo, true
}

// fillOrderState fills order.status and order.marketplaceStatus from the
// order's stored (or projected) state when the event omits them:
//
//   - the event has neither: both are filled (each when known);
//   - the event has order.status only: order.marketplaceStatus is filled
//     when the stored status equals the event's (otherwise the stored code
//     would contradict the event, and the engine resolves the code from the
//     status alone);
//   - the event has order.marketplaceStatus only: order.status is filled
//     when the stored marketplace status equals the event's;
//   - the event has both: it is used as it is, even when the stored state
//     differs. The event is the ERP's explicit statement (an order moved
//     outside Rota, at the marketplace's panel, is only known that way);
//     the mapping's transition rules then judge it.
func fillOrderState(raw []byte, status, mkStatus string) ([]byte, error) {
	evStatus := gjson.GetBytes(raw, "order.status")
	evMk := gjson.GetBytes(raw, "order.marketplaceStatus")
	setStatus, setMk := false, false
	switch {
	case !evStatus.Exists() && !evMk.Exists():
		setStatus, setMk = status != "", mkStatus != ""
	case evStatus.Exists() && !evMk.Exists():
		setMk = mkStatus != "" && status == evStatus.String()
	case !evStatus.Exists() && evMk.Exists():
		setStatus = status != "" && mkStatus == evMk.String()
	}
	out := raw
	var err error
	if setStatus {
		if out, err = sjson.SetBytes(slices.Clone(out), "order.status", status); err != nil {
			return nil, err
		}
	}
	if setMk {
		if out, err = sjson.SetBytes(slices.Clone(out), "order.marketplaceStatus", mkStatus); err != nil {
			return nil, err
		}
	}
	return out, nil
}
