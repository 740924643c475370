package durable

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const eventColumns = `id, type, marketplace, marketplace_order_id, state, reason, error_code, marketplace_code, message,
	accepted_at, updated_at, delivered_at, next_attempt_at, calls_done, event`

// Event returns the event with its every attempt. Errors: ErrNotFound, or
// a database error.
func (s *Service) Event(ctx context.Context, id string) (EventRecord, error) {
	return s.eventRecord(ctx, s.be.pool(), id)
}

func (s *Service) eventRecord(ctx context.Context, q querier, id string) (EventRecord, error) {
	var (
		r                        EventRecord
		state, done, ev          string
		acc, upd, deliv, nextAtt int64
	)
	err := q.queryRow(ctx, `SELECT `+eventColumns+` FROM rota_events WHERE id = $1`, id).Scan(
		&r.ID, &r.Type, &r.Order.Marketplace, &r.Order.MarketplaceOrderID, &state, &r.Reason, &r.ErrorCode,
		&r.MarketplaceCode, &r.Message, &acc, &upd, &deliv, &nextAtt, &done, &ev)
	if errors.Is(err, errNoRows) {
		return r, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("durable: event %s: %w", id, err)
	}
	r.State, r.Event = State(state), []byte(ev)
	r.AcceptedAt, r.UpdatedAt, r.DeliveredAt = fromMicros(acc), fromMicros(upd), optMicros(deliv)
	if r.State == Pending {
		r.NextAttemptAt = optMicros(nextAtt)
	}
	r.CallsDelivered = splitCalls(done)
	r.Attempts, err = s.attempts(ctx, q, id)
	if err != nil {
		return r, fmt.Errorf("durable: event %s: %w", id, err)
	}
	return r, nil
}

func (s *Service) attempts(ctx context.Context, q querier, id string) ([]Attempt, error) {
	rs, err := q.query(ctx, `SELECT attempted_at, call_name, outcome, http_status, marketplace_code, message, error_code, requests, next_attempt_at
		FROM rota_attempts WHERE event_id = $1 ORDER BY n`, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []Attempt{}
	for rs.Next() {
		var a Attempt
		var at, status, requests, next int64
		if err := rs.Scan(&at, &a.Call, &a.Outcome, &status, &a.MarketplaceCode, &a.Message, &a.Error, &requests, &next); err != nil {
			return nil, err
		}
		a.At, a.Status, a.Requests, a.NextAttemptAt = fromMicros(at), int(status), int(requests), optMicros(next)
		out = append(out, a)
	}
	return out, rs.Err()
}

// Order returns the order's stored state and its events in the order they
// were accepted. Errors: ErrNotFound (no event of that order was ever
// accepted), or a database error.
func (s *Service) Order(ctx context.Context, key OrderKey) (OrderRecord, error) {
	r := OrderRecord{OrderKey: key, Timeline: []TimelineEntry{}}
	var upd int64
	q := s.be.pool()
	err := q.queryRow(ctx, `SELECT status, marketplace_status, updated_at FROM rota_orders
		WHERE marketplace = $1 AND marketplace_order_id = $2`, key.Marketplace, key.MarketplaceOrderID).
		Scan(&r.Status, &r.MarketplaceStatus, &upd)
	if errors.Is(err, errNoRows) {
		return r, fmt.Errorf("order %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("durable: order %s: %w", key, err)
	}
	r.UpdatedAt = fromMicros(upd)
	rs, err := q.query(ctx, `SELECT id, type, state, reason, accepted_at, updated_at, delivered_at FROM rota_events
		WHERE marketplace = $1 AND marketplace_order_id = $2 ORDER BY seq`, key.Marketplace, key.MarketplaceOrderID)
	if err != nil {
		return r, fmt.Errorf("durable: order %s: %w", key, err)
	}
	defer rs.Close()
	for rs.Next() {
		var e TimelineEntry
		var state string
		var acc, updAt, deliv int64
		if err := rs.Scan(&e.EventID, &e.Type, &state, &e.Reason, &acc, &updAt, &deliv); err != nil {
			return r, fmt.Errorf("durable: order %s: %w", key, err)
		}
		e.State, e.AcceptedAt, e.UpdatedAt, e.DeliveredAt = State(state), fromMicros(acc), fromMicros(updAt), optMicros(deliv)
		r.Timeline = append(r.Timeline, e)
	}
	if err := rs.Err(); err != nil {
		return r, fmt.Errorf("durable: order %s: %w", key, err)
	}
	return r, nil
}

// Errors of Events for a query it cannot run; both match ErrBadQuery.
var (
	// ErrBadQuery: the query is not valid (errors.Is matches every such error).
	ErrBadQuery = errors.New("durable: bad query")
	// ErrBadCursor: a cursor Events did not issue.
	ErrBadCursor = fmt.Errorf("%w: bad cursor: pass the nextCursor of the previous page", ErrBadQuery)
)

// Events lists events, newest accepted first, a page at a time. Errors:
// ErrBadQuery (a State that is not one of the states, or ErrBadCursor), or
// a database error.
func (s *Service) Events(ctx context.Context, q EventQuery) (EventPage, error) {
	page := EventPage{Events: []EventSummary{}}
	if q.State != "" && !q.State.Valid() {
		return page, fmt.Errorf("%w: unknown state %q: use pending, delivered, ignored, dead or skipped", ErrBadQuery, q.State)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	where := []string{"1 = 1"}
	args := []any{}
	add := func(cond string, v ...any) {
		for _, a := range v {
			args = append(args, a)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if q.State != "" {
		add("state = ?", string(q.State))
	}
	if q.Marketplace != "" {
		add("marketplace = ?", q.Marketplace)
	}
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return page, err
		}
		add("(accepted_at < ? OR (accepted_at = ? AND id < ?))", at, at, id)
	}
	args = append(args, int64(limit+1))
	rs, err := s.be.pool().query(ctx, `SELECT id, type, marketplace, marketplace_order_id, state, reason, accepted_at, updated_at, next_attempt_at,
		(SELECT count(*) FROM rota_attempts a WHERE a.event_id = e.id)
		FROM rota_events e WHERE `+strings.Join(where, " AND ")+`
		ORDER BY accepted_at DESC, id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("durable: events: %w", err)
	}
	defer rs.Close()
	var lastAt int64
	for rs.Next() {
		var e EventSummary
		var state string
		var acc, upd, next, n int64
		if err := rs.Scan(&e.ID, &e.Type, &e.Order.Marketplace, &e.Order.MarketplaceOrderID, &state, &e.Reason, &acc, &upd, &next, &n); err != nil {
			return page, fmt.Errorf("durable: events: %w", err)
		}
		if len(page.Events) == limit {
			last := page.Events[limit-1]
			page.NextCursor = encodeCursor(lastAt, last.ID)
			break
		}
		e.State, e.AcceptedAt, e.UpdatedAt, e.Attempts = State(state), fromMicros(acc), fromMicros(upd), int(n)
		if e.State == Pending {
			e.NextAttemptAt = optMicros(next)
		}
		lastAt = acc
		page.Events = append(page.Events, e)
	}
	if err := rs.Err(); err != nil {
		return page, fmt.Errorf("durable: events: %w", err)
	}
	return page, nil
}

func encodeCursor(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	at, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return 0, "", ErrBadCursor
	}
	return n, id, nil
}

// callsSep separates the names in rota_events.calls_done (a call name is
// a YAML key of the mapping; it holds no newline).
const callsSep = "\n"

func splitCalls(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, callsSep)
}
