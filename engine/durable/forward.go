package durable

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// Forward states of an inbox event ("" when no webhook is configured).
const (
	forwardPending   = "pending"
	forwardDelivered = "delivered"
	forwardDead      = "dead"
)

// forwardArgs are a forwarding job's arguments: the inbox event to send.
type forwardArgs struct {
	EventID string `json:"eventId"`
}

// Kind implements river.JobArgs.
func (forwardArgs) Kind() string { return "rota_forward" }

// forwardWorker sends one inbox event to the seller's webhook per job.
type forwardWorker struct {
	river.WorkerDefaults[forwardArgs]
	s *Service
}

// Work implements river.Worker.
func (w *forwardWorker) Work(ctx context.Context, job *river.Job[forwardArgs]) error {
	return w.s.forward(ctx, job.Args.EventID)
}

// DecodeWebhookSecret reads a Standard Webhooks signing secret,
// whsec_<base64> (at least 24 bytes once decoded, as the specification
// recommends), and returns its key. Errors never hold the secret.
func DecodeWebhookSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(secret), "whsec_")
	if !ok {
		return nil, errors.New("durable: the webhook secret (ROTA_WEBHOOK_SECRET) must be whsec_ followed by base64, as the Standard Webhooks specification writes it")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("durable: the webhook secret (ROTA_WEBHOOK_SECRET) is not valid base64 after whsec_")
	}
	if len(key) < 24 {
		return nil, fmt.Errorf("durable: the webhook secret (ROTA_WEBHOOK_SECRET) is %d bytes; use 24 to 64 random bytes (openssl rand -base64 32)", len(key))
	}
	return key, nil
}

// SignWebhook returns the webhook-signature header value of a Standard
// Webhooks message: "v1," and the base64 HMAC-SHA256, under key, of
// id.timestamp.body.
func SignWebhook(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// forwardRow is what the forward worker reads of an inbox event.
type forwardRow struct {
	position         int64
	eventID, state   string
	key              OrderKey
	event            string
	attempts, nextAt int64
}

// forward runs one attempt of sending an inbox event to the seller's
// webhook. Per order, events are sent in the order they were received: a
// later one waits while an earlier one is pending (its job snoozes until
// the earlier one's next attempt; a dead one parks it).
func (s *Service) forward(ctx context.Context, id string) error {
	q := s.be.pool()
	var r forwardRow
	err := q.queryRow(ctx, `SELECT position, event_id, forward_state, marketplace, marketplace_order_id, event, forward_attempts, forward_next_at
		FROM rota_inbox WHERE event_id = $1`, id).Scan(&r.position, &r.eventID, &r.state, &r.key.Marketplace, &r.key.MarketplaceOrderID, &r.event, &r.attempts, &r.nextAt)
	if errors.Is(err, errNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.state != forwardPending {
		return nil
	}
	if wait, blocked, err := s.forwardBehind(ctx, r); err != nil {
		return err
	} else if blocked {
		return river.JobSnooze(wait)
	}
	if s.cfg.Inbound.ForwardURL == "" || s.webhookKey == nil {
		// This process does not forward (started without a webhook): look again later.
		return river.JobSnooze(parkedWait)
	}
	sendErr := s.sendWebhook(ctx, r)
	return s.recordForward(ctx, r, sendErr)
}

// forwardBehind reports whether an earlier event of the same order is not
// forwarded yet, and how long to wait for it.
func (s *Service) forwardBehind(ctx context.Context, r forwardRow) (time.Duration, bool, error) {
	var state string
	var nextAt int64
	err := s.be.pool().queryRow(ctx, `SELECT forward_state, forward_next_at FROM rota_inbox
		WHERE marketplace = $1 AND marketplace_order_id = $2 AND position < $3 AND forward_state IN ('pending', 'dead')
		ORDER BY position LIMIT 1`, r.key.Marketplace, r.key.MarketplaceOrderID, r.position).Scan(&state, &nextAt)
	if errors.Is(err, errNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if state == forwardDead {
		return parkedWait, true, nil
	}
	wait := fromMicros(nextAt).Sub(s.now())
	return min(max(wait, s.forwardMinWait()), parkedWait), true, nil
}

// forwardMinWait is the shortest snooze behind an earlier event.
func (s *Service) forwardMinWait() time.Duration {
	if p := s.cfg.PollInterval; p > 0 && p < minWait {
		return p
	}
	return minWait
}

// sendWebhook POSTs the event, signed per the Standard Webhooks
// specification: webhook-id is the event id (the same on every retry, so the
// receiver can drop a repeat), webhook-timestamp the send time in Unix
// seconds.
func (s *Service) sendWebhook(ctx context.Context, r forwardRow) error {
	timeout := s.cfg.Inbound.ForwardTimeout
	if timeout <= 0 {
		timeout = DefaultForwardTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body := []byte(r.event)
	ts := s.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Inbound.ForwardURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", r.eventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", SignWebhook(s.webhookKey, r.eventID, ts, body))
	client := s.cfg.Inbound.ForwardClient
	if client == nil {
		client = s.client
	}
	resp, err := client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the URL is the operator's; the cause is enough
		}
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// recordForward stores the attempt's outcome: delivered (and the order's
// next event woken), or a retry on the schedule, or dead when it runs out.
func (s *Service) recordForward(ctx context.Context, r forwardRow, sendErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	now := s.now()
	attempts := r.attempts + 1
	if sendErr == nil {
		err := s.be.inTx(ctx, func(tx txn) error {
			if _, err := tx.exec(ctx, `UPDATE rota_inbox SET forward_state = 'delivered', forward_attempts = $1, forwarded_at = $2, forward_error = ''
				WHERE event_id = $3`, attempts, micros(now), r.eventID); err != nil {
				return err
			}
			var next int64
			err := tx.queryRow(ctx, `SELECT job_id FROM rota_inbox WHERE marketplace = $1 AND marketplace_order_id = $2 AND position > $3
				AND forward_state = 'pending' ORDER BY position LIMIT 1`, r.key.Marketplace, r.key.MarketplaceOrderID, r.position).Scan(&next)
			if errors.Is(err, errNoRows) || next == 0 {
				return nil
			}
			if err != nil {
				return err
			}
			return tx.wakeJob(ctx, next)
		})
		if err != nil {
			return err
		}
		s.inMetrics.forwards.WithLabelValues("delivered").Inc()
		s.log.Info("forwarded", "event_id", r.eventID, "order", r.key.String(), "attempt", attempts)
		return nil
	}
	sched := s.cfg.Inbound.ForwardRetrySchedule
	if len(sched) == 0 {
		sched = s.retrySchedule(r.key.Marketplace)
	}
	if int(attempts) > len(sched) {
		if _, err := s.be.pool().exec(ctx, `UPDATE rota_inbox SET forward_state = 'dead', forward_attempts = $1, forward_error = $2
			WHERE event_id = $3`, attempts, sendErr.Error(), r.eventID); err != nil {
			return err
		}
		s.inMetrics.forwards.WithLabelValues("dead").Inc()
		s.log.Error("forward dead", "event_id", r.eventID, "order", r.key.String(), "attempt", attempts, "error", sendErr.Error())
		return nil
	}
	wait := sched[attempts-1]
	if _, err := s.be.pool().exec(ctx, `UPDATE rota_inbox SET forward_attempts = $1, forward_next_at = $2, forward_error = $3
		WHERE event_id = $4`, attempts, micros(now.Add(wait)), sendErr.Error(), r.eventID); err != nil {
		return err
	}
	s.inMetrics.forwards.WithLabelValues("failed").Inc()
	s.log.Warn("forward failed", "event_id", r.eventID, "order", r.key.String(), "attempt", attempts, "next_in", wait.String(), "error", sendErr.Error())
	return river.JobSnooze(wait)
}
