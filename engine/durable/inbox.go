package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Limits of the pull feed.
const (
	// DefaultInboxLimit is how many events Inbox returns when asked for none.
	DefaultInboxLimit = 100
	// MaxInboxLimit is the most Inbox returns at once.
	MaxInboxLimit = 1000
)

// InboxEntry is one canonical event received from a marketplace, as the
// pull feed gives it.
type InboxEntry struct {
	// Cursor is the entry's position in the feed: pass it as after (or
	// ack it) to go past it.
	Cursor string `json:"cursor"`
	// Event is the canonical event.
	Event json.RawMessage `json:"event"`
	// Route is the inbound route that received it.
	Route string `json:"route"`
	// ReceivedAt is when it was committed.
	ReceivedAt time.Time `json:"receivedAt"`
	// Forward is the webhook state: pending, delivered, dead, or "" when no
	// webhook is configured.
	Forward string `json:"forward,omitempty"`
}

// InboxPage is a page of the pull feed.
type InboxPage struct {
	Events []InboxEntry `json:"events"`
	// NextCursor is the cursor of the last event of the page (after= for
	// the next page, and what to ack once they are processed); the
	// request's cursor when the page is empty.
	NextCursor string `json:"nextCursor"`
	// Acked is the acknowledged cursor.
	Acked string `json:"acked"`
}

// Inbox returns up to limit events received after the cursor after, in the
// order they were committed (per order, the order they happened). An
// empty after means after the acknowledged cursor (AckInbox), so a
// consumer that acks what it processed resumes where it stopped, across
// restarts of either side. Positions are taken under a lock held until
// commit, so a later position never becomes visible before an earlier one.
// Errors: ErrBadCursor, a database error. Safe for concurrent use.
func (s *Service) Inbox(ctx context.Context, after string, limit int) (InboxPage, error) {
	if limit <= 0 {
		limit = DefaultInboxLimit
	}
	limit = min(limit, MaxInboxLimit)
	q := s.be.pool()
	acked, err := s.counter(ctx, "inbox_ack")
	if err != nil {
		return InboxPage{}, err
	}
	from := acked
	if after != "" {
		if from, err = parseInboxCursor(after); err != nil {
			return InboxPage{}, err
		}
	}
	rs, err := q.query(ctx, `SELECT position, event, route, received_at, forward_state FROM rota_inbox
		WHERE position > $1 ORDER BY position LIMIT $2`, from, limit)
	if err != nil {
		return InboxPage{}, err
	}
	defer rs.Close()
	page := InboxPage{Events: []InboxEntry{}, NextCursor: strconv.FormatInt(from, 10), Acked: strconv.FormatInt(acked, 10)}
	for rs.Next() {
		var pos, at int64
		var ev string
		var e InboxEntry
		if err := rs.Scan(&pos, &ev, &e.Route, &at, &e.Forward); err != nil {
			return InboxPage{}, err
		}
		e.Cursor, e.Event, e.ReceivedAt = strconv.FormatInt(pos, 10), json.RawMessage(ev), fromMicros(at)
		page.Events = append(page.Events, e)
		page.NextCursor = e.Cursor
	}
	return page, rs.Err()
}

// AckInbox records that the consumer processed every event up to cursor:
// Inbox without after starts past it. The acknowledged cursor only moves
// forward (an older cursor changes nothing). It returns the acknowledged
// cursor. Errors: ErrBadCursor (not a cursor Inbox gave, or past the last
// event), a database error. Safe for concurrent use.
func (s *Service) AckInbox(ctx context.Context, cursor string) (string, error) {
	pos, err := parseInboxCursor(cursor)
	if err != nil {
		return "", err
	}
	var acked int64
	err = s.be.inTx(ctx, func(tx txn) error {
		last, err := counterIn(ctx, tx, "inbox")
		if err != nil {
			return err
		}
		if pos > last {
			return fmt.Errorf("cursor %d is past the last event (%d): %w", pos, last, ErrBadCursor)
		}
		if err := tx.queryRow(ctx, `INSERT INTO rota_counters (name, value) VALUES ('inbox_ack', $1)
			ON CONFLICT (name) DO UPDATE SET value = CASE WHEN rota_counters.value > $1 THEN rota_counters.value ELSE $1 END
			RETURNING value`, pos).Scan(&acked); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(acked, 10), nil
}

func parseInboxCursor(c string) (int64, error) {
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("inbox cursor %q: %w", c, ErrBadCursor)
	}
	return n, nil
}

func (s *Service) counter(ctx context.Context, name string) (int64, error) {
	return counterIn(ctx, s.be.pool(), name)
}

func counterIn(ctx context.Context, q querier, name string) (int64, error) {
	var v int64
	err := q.queryRow(ctx, `SELECT value FROM rota_counters WHERE name = $1`, name).Scan(&v)
	if err == errNoRows {
		return 0, nil
	}
	return v, err
}

// ReplayForward sends a dead forward again: its event's webhook is retried
// from the start of the schedule (the order's later events, held back
// behind it, follow once it is delivered). It returns the inbox entry.
// Errors: ErrNotFound (no inbox event has the id), ErrConflict (its forward
// is not dead, or this Service forwards nothing), a database error. Safe
// for concurrent use.
func (s *Service) ReplayForward(ctx context.Context, eventID string) (InboxEntry, error) {
	err := s.be.inTx(ctx, func(tx txn) error {
		var state string
		err := tx.queryRow(ctx, `SELECT forward_state FROM rota_inbox WHERE event_id = $1`, eventID).Scan(&state)
		if errors.Is(err, errNoRows) {
			return fmt.Errorf("no inbox event has id %q: %w", eventID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if s.cfg.Inbound.ForwardURL == "" {
			return fmt.Errorf("this service forwards nothing (start it with --forward URL): %w", ErrConflict)
		}
		if state != forwardDead {
			return fmt.Errorf("the forward of %s is %q; only a dead forward can be replayed: %w", eventID, state, ErrConflict)
		}
		ins, ok := tx.(jobInserter)
		if !ok {
			return errors.New("durable: this database cannot insert forwarding jobs")
		}
		jobID, err := ins.insertArgs(ctx, forwardArgs{EventID: eventID})
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE rota_inbox SET forward_state = 'pending', forward_attempts = 0, forward_next_at = 0,
			forward_error = '', job_id = $1 WHERE event_id = $2`, jobID, eventID)
		return err
	})
	if err != nil {
		return InboxEntry{}, err
	}
	s.log.Info("forward replayed", "event_id", eventID)
	var e InboxEntry
	var pos, at int64
	var ev string
	err = s.be.pool().queryRow(ctx, `SELECT position, event, route, received_at, forward_state FROM rota_inbox WHERE event_id = $1`, eventID).
		Scan(&pos, &ev, &e.Route, &at, &e.Forward)
	e.Cursor, e.Event, e.ReceivedAt = strconv.FormatInt(pos, 10), json.RawMessage(ev), fromMicros(at)
	return e, err
}
