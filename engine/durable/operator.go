package durable

import (
	"context"
	"errors"
	"fmt"
)

// Replay puts a dead event back in line: state pending, its retry schedule
// started afresh, tried at once. Calls it delivered before stay delivered
// (never re-sent). The event is again the head of its order, so the events
// parked behind it follow once it is delivered. Errors: ErrNotFound,
// ErrConflict (the event is not dead), or a database error.
func (s *Service) Replay(ctx context.Context, id string) (EventRecord, error) {
	err := s.be.inTx(ctx, func(tx txn) error {
		state, err := s.lockState(ctx, tx, id)
		if err != nil {
			return err
		}
		if state != Dead {
			return fmt.Errorf("event %q is %s; only a dead event can be replayed: %w", id, state, ErrConflict)
		}
		jobID, err := tx.insertJob(ctx, id)
		if err != nil {
			return err
		}
		// base_set is kept when a call was delivered (the rest must be
		// translated as the first part was); otherwise the event is
		// translated afresh with the order's state at its next attempt.
		_, err = tx.exec(ctx, `UPDATE rota_events SET state = 'pending', reason = '', error_code = '', marketplace_code = '',
			message = '', failures = 0, next_attempt_at = $1, job_id = $2, updated_at = $1,
			base_set = CASE WHEN calls_done = '' THEN 0 ELSE base_set END
			WHERE id = $3`, micros(s.now()), jobID, id)
		return err
	})
	if err != nil {
		return EventRecord{}, wrapOp("replay", id, err)
	}
	s.log.Info("replay", "event_id", id)
	return s.Event(ctx, id)
}

// Skip gives up on a dead or pending event: state skipped, with the
// operator's reason; nothing more is sent for it, and the next event of
// its order is woken. An attempt in progress finishes its current call (the
// marketplace may apply it; the order's state records it). Errors:
// ErrNotFound, ErrConflict (the event is delivered, ignored or skipped), or a
// database error.
func (s *Service) Skip(ctx context.Context, id string, reason string) (EventRecord, error) {
	if reason == "" {
		reason = "skipped by an operator"
	}
	err := s.be.inTx(ctx, func(tx txn) error {
		state, err := s.lockState(ctx, tx, id)
		if err != nil {
			return err
		}
		if state != Dead && state != Pending {
			return fmt.Errorf("event %q is %s; only a dead or pending event can be skipped: %w", id, state, ErrConflict)
		}
		if _, err := tx.exec(ctx, `UPDATE rota_events SET state = 'skipped', reason = $1, next_attempt_at = 0, updated_at = $2
			WHERE id = $3`, reason, micros(s.now()), id); err != nil {
			return err
		}
		return s.wakeHead(ctx, tx, id)
	})
	if err != nil {
		return EventRecord{}, wrapOp("skip", id, err)
	}
	s.log.Info("skip", "event_id", id, "reason", reason)
	return s.Event(ctx, id)
}

// lockState reads the event's state in tx, locking its row on Postgres.
func (s *Service) lockState(ctx context.Context, tx txn, id string) (State, error) {
	// A no-op update takes the row lock on Postgres (SQLite has one writer).
	n, err := tx.exec(ctx, `UPDATE rota_events SET state = state WHERE id = $1`, id)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	var state string
	if err := tx.queryRow(ctx, `SELECT state FROM rota_events WHERE id = $1`, id).Scan(&state); err != nil {
		return "", err
	}
	return State(state), nil
}

// wakeHead moves the order of the event id on, once id is no longer in its
// way: the order's new head (its oldest pending or dead event), when
// pending, gets its job woken, or a new job when it was parked (job_id 0).
// It holds the order's row lock, as the parking does (behindHead).
func (s *Service) wakeHead(ctx context.Context, tx txn, id string) error {
	var key OrderKey
	if err := tx.queryRow(ctx, `SELECT marketplace, marketplace_order_id FROM rota_events WHERE id = $1`, id).
		Scan(&key.Marketplace, &key.MarketplaceOrderID); err != nil {
		return err
	}
	if err := lockOrder(ctx, tx, key); err != nil {
		return err
	}
	return s.wakeOrderHead(ctx, tx, key)
}

// wakeOrderHead is wakeHead for a caller that holds the order's row lock
// already (it updated the order's row in tx).
func (s *Service) wakeOrderHead(ctx context.Context, tx txn, key OrderKey) error {
	var headID, state string
	var jobID int64
	err := tx.queryRow(ctx, `SELECT id, state, job_id FROM rota_events
		WHERE marketplace = $1 AND marketplace_order_id = $2 AND state IN ('pending', 'dead')
		ORDER BY seq LIMIT 1`, key.Marketplace, key.MarketplaceOrderID).Scan(&headID, &state, &jobID)
	if errors.Is(err, errNoRows) || state != string(Pending) {
		return nil
	}
	if err != nil {
		return err
	}
	if g, ok := tx.(*groupTx); ok && g.jobPending(headID) {
		return nil // accepted in this transaction: its job is inserted available
	}
	if jobID != 0 {
		return tx.wakeJob(ctx, jobID)
	}
	jobID, err = tx.insertJob(ctx, headID)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE rota_events SET job_id = $1 WHERE id = $2`, jobID, headID)
	return err
}

func wrapOp(op, id string, err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	return fmt.Errorf("durable: %s %s: %w", op, id, err)
}
