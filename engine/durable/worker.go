package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/event"
)

// deliverArgs are a delivery job's arguments: the event to deliver.
type deliverArgs struct {
	EventID string `json:"eventId"`
}

// Kind implements river.JobArgs.
func (deliverArgs) Kind() string { return "rota_deliver" }

// deliveryWorker delivers one event per job.
type deliveryWorker struct {
	river.WorkerDefaults[deliverArgs]
	s *Service
}

// Work implements river.Worker.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.s.deliver(ctx, job.Args.EventID)
}

// How long a job waits behind its order's head.
const (
	// minWait is the shortest snooze behind a head that is due or being
	// tried; the head wakes its successor when it is delivered or skipped.
	minWait = time.Second
	// parkedWait is the longest snooze behind a pending head.
	parkedWait = time.Hour
	// bookkeepingTimeout bounds the writes that record an attempt once the
	// job's context has ended (shutdown).
	bookkeepingTimeout = 10 * time.Second
)

// eventRow is what the worker reads of an event.
type eventRow struct {
	id, eventType, state, raw string
	key                       OrderKey
	baseSet                   bool
	baseStatus, baseMk, done  string
	failures, accepted        int64
	nextAttempt               int64
	// inDoubt names the call that may have been applied without its
	// answer being seen (a crash or a lost answer during it).
	inDoubt string
	// head is the order's head when the event was read ("" when none);
	// orderStatus and orderMk are the order's stored state then.
	head                 string
	orderStatus, orderMk string
	// freeze is set when the base was taken from the order's state but is
	// not stored yet: the event's next write stores it.
	freeze bool
}

// deliver runs one attempt of an event: its job's work. A nil error ends
// the job (the event is delivered, dead, skipped or not pending any more);
// river.JobSnooze schedules the next attempt (or the next look at the
// order's head); any other error is the database's, retried by River.
func (s *Service) deliver(ctx context.Context, id string) error {
	ev, found, err := s.loadEvent(ctx, id)
	if err != nil || !found || ev.state != string(Pending) {
		return err
	}
	// A job run before the event's next attempt is due (River rescued it
	// after a crash that came between recording a failure and snoozing)
	// waits for it.
	if early := fromMicros(ev.nextAttempt).Sub(s.now()); ev.nextAttempt != 0 && early > minWait {
		return river.JobSnooze(early)
	}
	// The head, read with the event: an event that is its order's head
	// stays so until it is done (only a dead event, itself a head, can
	// become pending again), so it goes on without taking the order's
	// lock. Any other event checks again under the lock.
	if ev.head != ev.id {
		if wait, blocked, err := s.behindHead(ctx, ev); err != nil {
			return err
		} else if blocked && wait < 0 {
			return nil // parked behind a dead head
		} else if blocked {
			return river.JobSnooze(wait)
		}
		// It became the head since it was read: the order's state may
		// have moved since.
		if err := s.readOrderState(ctx, &ev); err != nil {
			return err
		}
	}
	if !ev.baseSet {
		ev.baseStatus, ev.baseMk, ev.baseSet, ev.freeze = ev.orderStatus, ev.orderMk, true, true
	}
	res, terr := s.retranslate(ev)
	if terr != nil {
		return s.finishDead(ctx, ev, deadInfo{outcome: "rejected", code: errCode(terr), message: terr.Error()})
	}
	if res.Outcome != engine.OutcomeSend || len(res.Calls) == 0 {
		return s.finishIgnored(ctx, ev, res.Reason)
	}
	done := len(splitCalls(ev.done))
	for i := done; i < len(res.Calls); i++ {
		stop, err := s.attemptCall(ctx, &ev, res, i)
		if stop || err != nil {
			return err
		}
	}
	// Every call was delivered before this attempt (a process stopped
	// between a call's record and the event's, before both were written
	// together).
	return s.finishDelivered(ctx, ev)
}

func (s *Service) loadEvent(ctx context.Context, id string) (eventRow, bool, error) {
	ev := eventRow{id: id}
	var baseSet int64
	// One read: the event, its order's head and the order's state.
	err := s.be.reads().queryRow(ctx, `SELECT e.type, e.state, e.event, e.marketplace, e.marketplace_order_id, e.base_set,
		e.base_status, e.base_mk_status, e.calls_done, e.failures, e.accepted_at, e.next_attempt_at, e.call_in_doubt,
		COALESCE(o.status, ''), COALESCE(o.marketplace_status, ''),
		COALESCE((SELECT h.id FROM rota_events h WHERE h.marketplace = e.marketplace
			AND h.marketplace_order_id = e.marketplace_order_id AND h.state IN ('pending', 'dead') ORDER BY h.seq LIMIT 1), '')
		FROM rota_events e LEFT JOIN rota_orders o ON o.marketplace = e.marketplace AND o.marketplace_order_id = e.marketplace_order_id
		WHERE e.id = $1`, id).Scan(
		&ev.eventType, &ev.state, &ev.raw, &ev.key.Marketplace, &ev.key.MarketplaceOrderID, &baseSet, &ev.baseStatus,
		&ev.baseMk, &ev.done, &ev.failures, &ev.accepted, &ev.nextAttempt, &ev.inDoubt, &ev.orderStatus, &ev.orderMk, &ev.head)
	if errors.Is(err, errNoRows) {
		return ev, false, nil
	}
	ev.baseSet = baseSet != 0
	return ev, err == nil, err
}

// behindHead tells whether an earlier event of the order is still pending
// or dead. Behind a pending head, the job snoozes until the head's next
// attempt (between minWait and parkedWait); the head also wakes it when it
// is delivered. Behind a dead head, the event is parked: its job ends and
// its job_id is cleared, and whatever moves the order on (Skip, or Replay
// then delivery) inserts a new job for it (wakeHead). The check and the
// parking hold the order's row lock, as wakeHead does, so a wake-up cannot
// slip between them.
func (s *Service) behindHead(ctx context.Context, ev eventRow) (wait time.Duration, blocked bool, err error) {
	err = s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		wait, blocked = 0, false
		if err := lockOrder(ctx, tx, ev.key); err != nil {
			return err
		}
		var headID, headState string
		var next int64
		err := tx.queryRow(ctx, `SELECT id, state, next_attempt_at FROM rota_events
			WHERE marketplace = $1 AND marketplace_order_id = $2 AND state IN ('pending', 'dead')
			ORDER BY seq LIMIT 1`, ev.key.Marketplace, ev.key.MarketplaceOrderID).Scan(&headID, &headState, &next)
		switch {
		case errors.Is(err, errNoRows):
			return nil // skipped meanwhile: the state-guarded updates below change nothing
		case err != nil:
			return err
		case headID == ev.id:
			return nil
		case headState == string(Dead):
			blocked, wait = true, -1
			_, err := tx.exec(ctx, `UPDATE rota_events SET job_id = 0 WHERE id = $1`, ev.id)
			return err
		}
		blocked, wait = true, 0
		if next != 0 {
			wait = fromMicros(next).Sub(s.now())
		}
		wait = min(max(wait, minWait), parkedWait)
		return nil
	})
	return wait, blocked, err
}

// lockOrder takes the order's row lock in tx (Postgres; SQLite has a single
// writer): a no-op update.
func lockOrder(ctx context.Context, tx querier, key OrderKey) error {
	_, err := tx.exec(ctx, `UPDATE rota_orders SET last_seq = last_seq WHERE marketplace = $1 AND marketplace_order_id = $2`,
		key.Marketplace, key.MarketplaceOrderID)
	return err
}

// readOrderState reads the order's stored state into ev.
func (s *Service) readOrderState(ctx context.Context, ev *eventRow) error {
	return s.be.reads().queryRow(ctx, `SELECT status, marketplace_status FROM rota_orders
		WHERE marketplace = $1 AND marketplace_order_id = $2`, ev.key.Marketplace, ev.key.MarketplaceOrderID).
		Scan(&ev.orderStatus, &ev.orderMk)
}

// freezeBaseTx stores, with the event's first write, the order's state
// as this event's base: every attempt translates the event from it, so
// that a retry yields the same calls even though the first of them
// already moved the order.
func (s *Service) freezeBaseTx(ctx context.Context, tx querier, ev eventRow) error {
	if !ev.freeze {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE rota_events SET base_set = 1, base_status = $1, base_mk_status = $2
		WHERE id = $3 AND base_set = 0`, ev.baseStatus, ev.baseMk, ev.id)
	return err
}

// retranslate translates the event as accepted, filled from its base.
func (s *Service) retranslate(ev eventRow) (*engine.Result, error) {
	filled, err := fillOrderState([]byte(ev.raw), ev.baseStatus, ev.baseMk)
	if err != nil {
		return nil, err
	}
	return s.eng.Translate(filled, s.translateOptions(ev.key.Marketplace))
}

func errCode(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return "translation_failed"
}

// callVerdict classifies a call's report.
type callVerdict int

const (
	callOK        callVerdict = iota
	callRefused               // the marketplace said no: dead at once
	callPermanent             // cannot succeed by retrying (a broken rule or request): dead at once
	callRetry                 // try again on the schedule
	callCanceled              // the process is stopping
)

func classify(ctx context.Context, cr deliver.CallReport) callVerdict {
	switch {
	case cr.Outcome == deliver.CallSuccess && (cr.Confirmed == nil || *cr.Confirmed):
		return callOK
	case cr.Outcome == deliver.CallRefused:
		return callRefused
	case ctx.Err() != nil:
		return callCanceled
	case cr.Outcome == deliver.CallFailed && (cr.Error == deliver.ErrRuleFailed || cr.Error == deliver.ErrBadRequest):
		return callPermanent
	}
	return callRetry
}

// attemptCall sends call i of res once and records the attempt. stop is
// true when the job ends here (dead) or snoozes (the error is the snooze).
//
// Before the call is sent, it is recorded as in doubt (committed), and it
// stays so until an answer says what happened: a crash or a lost answer
// then makes the next attempt a resend: deliver.Sender.Resend sends the
// call again only after reading it back, or where the mapping recognizes a
// repeat (alreadyApplied); otherwise it reports the call unknown, unsent.
func (s *Service) attemptCall(ctx context.Context, ev *eventRow, res *engine.Result, i int) (stop bool, err error) {
	call := res.Calls[i]
	resumed := ev.inDoubt == call.Name
	if !resumed {
		if err := s.markInDoubt(ctx, ev, call.Name); err != nil {
			return true, err
		}
	}
	started := s.now()
	actx, note := withAnswerNote(ctx)
	one := &engine.Result{Marketplace: res.Marketplace, EventID: res.EventID, EventType: res.EventType,
		Outcome: engine.OutcomeSend, Calls: res.Calls[i : i+1]}
	sd := s.sender(res.Marketplace)
	send := sd.Send
	if resumed {
		send = sd.Resend
	}
	rep, serr := send(actx, one)
	var cr deliver.CallReport
	if serr != nil {
		// The deployment lacks something (a secret, a token URL): retried,
		// so that fixing the deployment and restarting delivers it.
		cr = deliver.CallReport{Name: call.Name, Outcome: deliver.CallFailed, Error: deliver.CallError(errCode(serr)), Message: serr.Error()}
	} else {
		cr = rep.Calls[0]
	}
	a := attemptRow{at: started, call: call.Name, cr: cr}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	switch classify(ctx, cr) {
	case callOK:
		if i == len(res.Calls)-1 {
			return true, s.recordDelivered(bctx, *ev, call, a)
		}
		pending, err := s.recordSuccess(bctx, ev, call, a)
		return !pending, err
	case callRefused:
		return true, s.finishDead(bctx, *ev, deadInfo{outcome: "refused", code: "refused", mkCode: cr.MarketplaceCode,
			message: cr.Message, attempt: &a, reason: refusedReason(res.Marketplace, cr)})
	case callPermanent:
		return true, s.finishDead(bctx, *ev, deadInfo{outcome: "failed", code: string(cr.Error), message: cr.Message, attempt: &a,
			reason: fmt.Sprintf("call %s failed (%s): %s", cr.Name, cr.Error, cr.Message)})
	case callCanceled:
		a.cr.Outcome = deliver.CallCanceled
		if err := s.recordAttempt(bctx, *ev, a); err != nil {
			return true, err
		}
		return true, river.JobSnooze(0)
	}
	return true, s.scheduleRetry(bctx, *ev, a, note.get(), inDoubt(cr))
}

// markInDoubt records, before call is sent, that it may be applied.
// It stores the event's base too, on its first attempt.
func (s *Service) markInDoubt(ctx context.Context, ev *eventRow, call string) error {
	err := s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		_, err := tx.exec(ctx, `UPDATE rota_events SET call_in_doubt = $1, base_set = 1, base_status = $2, base_mk_status = $3
			WHERE id = $4`, call, ev.baseStatus, ev.baseMk, ev.id)
		return err
	})
	if err == nil {
		ev.inDoubt, ev.freeze = call, false
	}
	return err
}

// inDoubt tells whether a call that did not succeed may have been applied
// all the same: no answer came after it was sent, or its outcome is
// unknown.
func inDoubt(cr deliver.CallReport) bool {
	switch {
	case cr.Outcome == callUnknown, cr.Outcome == deliver.CallCanceled:
		return true
	case cr.Outcome == deliver.CallFailed:
		return cr.Error == deliver.ErrNetwork || cr.Error == deliver.ErrTimeout
	}
	return false
}

// callUnknown is the outcome engine/deliver gives a call whose answer was
// lost and whose effect it could not establish.
const callUnknown = "unknown"

func refusedReason(marketplace string, cr deliver.CallReport) string {
	return fmt.Sprintf("%s refused call %s (HTTP %d, code %s): %s", marketplace, cr.Name, cr.Status, cr.MarketplaceCode, cr.Message)
}

// attemptRow is one attempt to record.
type attemptRow struct {
	at   time.Time
	call string
	cr   deliver.CallReport
}

// insertAttempt appends the attempt to the event's attempts in tx.
func (s *Service) insertAttempt(ctx context.Context, tx querier, ev eventRow, a attemptRow, next time.Time) error {
	var nextUS int64
	if !next.IsZero() {
		nextUS = micros(next)
	}
	var n int64
	if err := tx.queryRow(ctx, `UPDATE rota_events SET attempt_count = attempt_count + 1 WHERE id = $1 RETURNING attempt_count`, ev.id).Scan(&n); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO rota_attempts (event_id, n, attempted_at, call_name, outcome, http_status, marketplace_code,
			message, error_code, requests, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		ev.id, n, micros(a.at), a.call, a.cr.Outcome, int64(a.cr.Status), a.cr.MarketplaceCode, a.cr.Message, a.cr.Error,
		int64(a.cr.Attempts), nextUS)
	s.logAttempt(ev, a, next)
	return err
}

// recordAttempt records an attempt that changes nothing else.
func (s *Service) recordAttempt(ctx context.Context, ev eventRow, a attemptRow) error {
	return s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		return s.insertAttempt(ctx, tx, ev, a, time.Time{})
	})
}

func (s *Service) logAttempt(ev eventRow, a attemptRow, next time.Time) {
	s.metrics.attempts.WithLabelValues(ev.key.Marketplace, string(a.cr.Outcome)).Inc()
	attrs := []any{"event_id", ev.id, "order", ev.key.String(), "marketplace", ev.key.Marketplace,
		"event_type", ev.eventType, "call", a.call, "outcome", a.cr.Outcome, "requests", a.cr.Attempts}
	if a.cr.Status != 0 {
		attrs = append(attrs, "status", a.cr.Status)
	}
	if a.cr.MarketplaceCode != "" {
		attrs = append(attrs, "marketplace_code", a.cr.MarketplaceCode)
	}
	if a.cr.Error != "" {
		attrs = append(attrs, "error", a.cr.Error)
	}
	if a.cr.Message != "" {
		attrs = append(attrs, "message", a.cr.Message)
	}
	if !next.IsZero() {
		attrs = append(attrs, "next_attempt_at", next.UTC().Format(time.RFC3339))
	}
	s.log.Info("attempt", attrs...)
}

// recordSuccess commits a delivered call: the attempt, the call in the
// event's progress (never sent again), and the order's new state (the
// marketplace applied the call even if the event was skipped meanwhile).
// pending is false when the event was skipped meanwhile: its other calls
// are not sent.
func (s *Service) recordSuccess(ctx context.Context, ev *eventRow, call engine.Call, a attemptRow) (pending bool, err error) {
	done := call.Name
	if ev.done != "" {
		done = ev.done + callsSep + call.Name
	}
	err = s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		if err := s.insertAttempt(ctx, tx, *ev, a, time.Time{}); err != nil {
			return err
		}
		n, err := tx.exec(ctx, `UPDATE rota_events SET calls_done = $1, call_in_doubt = '', updated_at = $2 WHERE id = $3 AND state = 'pending'`,
			done, micros(s.now()), ev.id)
		if err != nil {
			return err
		}
		pending = n > 0
		return s.moveOrder(ctx, tx, ev.key, call.MarketplaceStatus, "")
	})
	if err == nil {
		ev.done = done
	}
	return pending, err
}

// moveOrder stores the order's state after a successful call leading to
// leadsTo, or, with leadsTo empty, sets its canonical status to status
// when that is not empty.
func (s *Service) moveOrder(ctx context.Context, tx querier, key OrderKey, leadsTo, status string) error {
	if leadsTo != "" {
		status, _ = s.eng.CanonicalStatus(key.Marketplace, leadsTo)
		_, err := tx.exec(ctx, `UPDATE rota_orders SET marketplace_status = $1,
			status = CASE WHEN $2 = '' THEN status ELSE $2 END, updated_at = $3
			WHERE marketplace = $4 AND marketplace_order_id = $5`,
			leadsTo, status, micros(s.now()), key.Marketplace, key.MarketplaceOrderID)
		return err
	}
	if status == "" {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE rota_orders SET status = $1, updated_at = $2 WHERE marketplace = $3 AND marketplace_order_id = $4`,
		status, micros(s.now()), key.Marketplace, key.MarketplaceOrderID)
	return err
}

// scheduleRetry records a failed attempt and snoozes the job until the
// next attempt of the schedule (Retry-After as a minimum), or makes the
// event dead when the schedule has run out. doubt keeps the call in doubt
// (its next attempt, after a replay too, is a resend).
func (s *Service) scheduleRetry(ctx context.Context, ev eventRow, a attemptRow, retryAfter time.Duration, doubt bool) error {
	schedule := s.retrySchedule(ev.key.Marketplace)
	failures := ev.failures + 1
	doubtCall := ""
	if doubt {
		doubtCall = a.call
	}
	if failures > int64(len(schedule)) {
		code := a.cr.Error
		switch {
		case a.cr.Outcome == callUnknown:
			code = callUnknown
		case code == "":
			code = deliver.ErrRetriesExhausted
		}
		return s.finishDead(ctx, ev, deadInfo{outcome: "exhausted", code: string(code), mkCode: a.cr.MarketplaceCode, message: a.cr.Message,
			attempt: &a, doubtCall: doubtCall,
			reason: fmt.Sprintf("call %s not delivered after %d attempts (retry schedule exhausted); last: %s", a.call, failures, lastFailure(a.cr))})
	}
	wait := max(schedule[failures-1], retryAfter)
	next := s.now().Add(wait)
	err := s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		if err := s.freezeBaseTx(ctx, tx, ev); err != nil {
			return err
		}
		if err := s.insertAttempt(ctx, tx, ev, a, next); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE rota_events SET failures = $1, next_attempt_at = $2, updated_at = $3,
			error_code = $4, marketplace_code = $5, message = $6, call_in_doubt = $7 WHERE id = $8 AND state = 'pending'`,
			failures, micros(next), micros(s.now()), a.cr.Error, a.cr.MarketplaceCode, a.cr.Message, doubtCall, ev.id)
		return err
	})
	if err != nil {
		return err
	}
	return river.JobSnooze(wait)
}

func lastFailure(cr deliver.CallReport) string {
	switch {
	case cr.Status != 0 && cr.Message != "":
		return fmt.Sprintf("HTTP %d: %s", cr.Status, cr.Message)
	case cr.Status != 0:
		return fmt.Sprintf("HTTP %d", cr.Status)
	case cr.Error != "":
		return fmt.Sprintf("%s: %s", cr.Error, cr.Message)
	}
	return cr.Message
}

// deadInfo is why an event is dead.
type deadInfo struct {
	outcome               string // metrics: refused, exhausted, failed, rejected
	code, mkCode, message string
	reason                string
	attempt               *attemptRow
	doubtCall             string // the call left in doubt, if any
}

// finishDead records the event dead (with the last attempt, when there is
// one). Its order is parked behind it until Replay or Skip.
func (s *Service) finishDead(ctx context.Context, ev eventRow, d deadInfo) error {
	if d.reason == "" {
		d.reason = d.message
	}
	err := s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		if err := s.freezeBaseTx(ctx, tx, ev); err != nil {
			return err
		}
		if d.attempt != nil {
			if err := s.insertAttempt(ctx, tx, ev, *d.attempt, time.Time{}); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `UPDATE rota_events SET state = 'dead', reason = $1, error_code = $2, marketplace_code = $3,
			message = $4, next_attempt_at = 0, updated_at = $5, call_in_doubt = $6 WHERE id = $7 AND state = 'pending'`,
			d.reason, d.code, d.mkCode, d.message, micros(s.now()), d.doubtCall, ev.id)
		return err
	})
	if err != nil {
		return err
	}
	s.metrics.dead.WithLabelValues(ev.key.Marketplace, d.outcome).Inc()
	s.log.Warn("dead", "event_id", ev.id, "order", ev.key.String(), "marketplace", ev.key.Marketplace,
		"event_type", ev.eventType, "error", d.code, "reason", d.reason)
	return nil
}

// finishIgnored records an event the mapping no longer needs to send (the
// mapping changed since the event was accepted), and wakes the order.
func (s *Service) finishIgnored(ctx context.Context, ev eventRow, reason string) error {
	return s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		if err := s.freezeBaseTx(ctx, tx, ev); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE rota_events SET state = 'ignored', reason = $1, next_attempt_at = 0, updated_at = $2
			WHERE id = $3 AND state = 'pending'`, reason, micros(s.now()), ev.id); err != nil {
			return err
		}
		return s.wakeHead(ctx, tx, ev.id)
	})
}

// recordDelivered commits the event's last call and the event delivered,
// in one transaction: the attempt, the call in the event's progress, the
// order's new state (from the call's leadsTo, then the event type's
// status) and the wake-up of the order's next event. An event skipped
// meanwhile keeps its state; the attempt and the order's state from the
// call are recorded all the same (the marketplace applied the call).
func (s *Service) recordDelivered(ctx context.Context, ev eventRow, call engine.Call, a attemptRow) error {
	done := call.Name
	if ev.done != "" {
		done = ev.done + callsSep + call.Name
	}
	now := s.now()
	delivered := false
	err := s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		// Few statements: on Postgres each is a round trip inside the
		// group's transaction.
		if _, err := tx.exec(ctx, `INSERT INTO rota_attempts (event_id, n, attempted_at, call_name, outcome, http_status,
				marketplace_code, message, error_code, requests, next_attempt_at)
			SELECT id, attempt_count + 1, CAST($2 AS BIGINT), $3, $4, CAST($5 AS BIGINT), $6, $7, $8, CAST($9 AS BIGINT), 0
			FROM rota_events WHERE id = $1`,
			ev.id, micros(a.at), a.call, a.cr.Outcome, int64(a.cr.Status), a.cr.MarketplaceCode, a.cr.Message, a.cr.Error,
			int64(a.cr.Attempts)); err != nil {
			return err
		}
		n, err := tx.exec(ctx, `UPDATE rota_events SET attempt_count = attempt_count + 1, calls_done = $1, call_in_doubt = '',
			state = 'delivered', delivered_at = $2, updated_at = $2, next_attempt_at = 0, error_code = '', marketplace_code = '',
			message = '' WHERE id = $3 AND state = 'pending'`, done, micros(now), ev.id)
		if err != nil {
			return err
		}
		delivered = n > 0
		if !delivered {
			// Skipped meanwhile: the attempt and the order's state from
			// the call only.
			if _, err := tx.exec(ctx, `UPDATE rota_events SET attempt_count = attempt_count + 1 WHERE id = $1`, ev.id); err != nil {
				return err
			}
			return s.moveOrder(ctx, tx, ev.key, call.MarketplaceStatus, "")
		}
		// The order's state: the call's leadsTo, then the event type's
		// status (see projectAfter), in one update that also holds the
		// order's row lock for the wake-up.
		status := event.StatusAfter[ev.eventType]
		if status == "" && call.MarketplaceStatus != "" {
			status, _ = s.eng.CanonicalStatus(ev.key.Marketplace, call.MarketplaceStatus)
		}
		if _, err := tx.exec(ctx, `UPDATE rota_orders SET marketplace_status = CASE WHEN $1 = '' THEN marketplace_status ELSE $1 END,
			status = CASE WHEN $2 = '' THEN status ELSE $2 END, updated_at = $3
			WHERE marketplace = $4 AND marketplace_order_id = $5`,
			call.MarketplaceStatus, status, micros(s.now()), ev.key.Marketplace, ev.key.MarketplaceOrderID); err != nil {
			return err
		}
		return s.wakeOrderHead(ctx, tx, ev.key)
	})
	if err != nil {
		return err
	}
	s.logAttempt(ev, a, time.Time{})
	if delivered {
		s.noteDelivered(ev, now)
	}
	return nil
}

// finishDelivered records delivered an event whose calls were all
// recorded delivered before, and wakes the next event of the order.
func (s *Service) finishDelivered(ctx context.Context, ev eventRow) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	now := s.now()
	delivered := false
	err := s.commits.do(ctx, ev.key.String(), func(ctx context.Context, tx *groupTx) error {
		n, err := tx.exec(ctx, `UPDATE rota_events SET state = 'delivered', delivered_at = $1, updated_at = $1, next_attempt_at = 0,
			error_code = '', marketplace_code = '', message = '' WHERE id = $2 AND state = 'pending'`, micros(now), ev.id)
		if delivered = n > 0; err != nil || !delivered {
			return err
		}
		return s.deliveredTx(ctx, tx, ev)
	})
	if err != nil || !delivered {
		return err
	}
	s.noteDelivered(ev, now)
	return nil
}

// deliveredTx sets the order's canonical status from the event type (see
// projectAfter) and wakes the order's next event, in the transaction that
// records the event delivered.
func (s *Service) deliveredTx(ctx context.Context, tx txn, ev eventRow) error {
	if err := s.moveOrder(ctx, tx, ev.key, "", event.StatusAfter[ev.eventType]); err != nil {
		return err
	}
	return s.wakeHead(ctx, tx, ev.id)
}

// noteDelivered counts and logs a delivered event.
func (s *Service) noteDelivered(ev eventRow, at time.Time) {
	s.metrics.delivered.WithLabelValues(ev.key.Marketplace).Inc()
	s.metrics.latency.WithLabelValues(ev.key.Marketplace).Observe(max(at.Sub(fromMicros(ev.accepted)).Seconds(), 0))
	s.log.Info("delivered", "event_id", ev.id, "order", ev.key.String(), "marketplace", ev.key.Marketplace, "event_type", ev.eventType)
}

// rescueAbandoned makes the delivery jobs a previous process left running
// available again, on SQLite only: one process owns a SQLite file, so a job
// still marked running at Start was abandoned by a process that died. (On
// Postgres, River's rescuer does this after Config.JobTimeout plus a
// minute, since another live process may be running it.)
func (s *Service) rescueAbandoned(ctx context.Context) error {
	if s.be.kind() != "sqlite" {
		return nil
	}
	n, err := s.be.pool().exec(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running' AND kind IN ($1, $2)`,
		deliverArgs{}.Kind(), forwardArgs{}.Kind())
	if err != nil {
		return fmt.Errorf("durable: rescue abandoned jobs: %w", err)
	}
	if n > 0 {
		s.log.Info("rescued deliveries left running by a previous process", "jobs", n)
	}
	return nil
}
