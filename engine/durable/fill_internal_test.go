package durable

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

func TestFillOrderState(t *testing.T) {
	const stored, storedMk = "invoiced", "order_invoiced"
	cases := []struct {
		name                   string
		order                  string // the event's order object
		wantStatus, wantMk     string // "" : absent
		storedStatus, storedMk string
	}{
		{"neither: both filled", `{"marketplaceOrderId": "A"}`, stored, storedMk, stored, storedMk},
		{"neither, nothing stored: unchanged", `{"marketplaceOrderId": "A"}`, "", "", "", ""},
		{"status agrees: code filled", `{"marketplaceOrderId": "A", "status": "invoiced"}`, stored, storedMk, stored, storedMk},
		{"status differs: code left to the engine", `{"marketplaceOrderId": "A", "status": "approved"}`, "approved", "", stored, storedMk},
		{"code agrees: status filled", `{"marketplaceOrderId": "A", "marketplaceStatus": "order_invoiced"}`, stored, storedMk, stored, storedMk},
		{"code differs: status not filled", `{"marketplaceOrderId": "A", "marketplaceStatus": "payment_received"}`, "", "payment_received", stored, storedMk},
		{"both given and differing: the event wins", `{"marketplaceOrderId": "A", "status": "approved", "marketplaceStatus": "payment_received"}`, "approved", "payment_received", stored, storedMk},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := []byte(`{"id": "e", "order": ` + c.order + `}`)
			out, err := fillOrderState(raw, c.storedStatus, c.storedMk)
			if err != nil {
				t.Fatal(err)
			}
			if got := gjson.GetBytes(out, "order.status").String(); got != c.wantStatus {
				t.Errorf("order.status = %q, want %q", got, c.wantStatus)
			}
			if got := gjson.GetBytes(out, "order.marketplaceStatus").String(); got != c.wantMk {
				t.Errorf("order.marketplaceStatus = %q, want %q", got, c.wantMk)
			}
			if c.storedStatus != "" && string(raw) != `{"id": "e", "order": `+c.order+`}` {
				t.Errorf("the event passed in was changed: %s", raw)
			}
		})
	}
}

// A job still marked running when a SQLite Service starts was left by a
// process that died; Start makes it available again and it is delivered.
func TestStartRescuesAbandonedJobsOnSQLite(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "rota.db")
	s := openInternal(t, db)
	ctx := context.Background()
	// An ignored event: Accept inserts no job, so the only job is the one
	// inserted below.
	raw := []byte(`{"specVersion": "1.0", "id": "evt-r", "type": "order.approved", "occurredAt": "2023-03-10T12:30:00-03:00",
		"marketplace": "dafiti", "order": {"id": "E1", "marketplaceOrderId": "A1"}, "items": [{"sku": "S", "quantity": 1, "price": 1}]}`)
	if _, err := s.Accept(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// Insert a job as a dead process would have left it.
	var jobID int64
	err := s.be.inTx(ctx, func(tx txn) error {
		var err error
		jobID, err = tx.insertJob(ctx, "evt-r")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.be.pool().exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = CURRENT_TIMESTAMP WHERE id = $1`, jobID); err != nil {
		t.Fatal(err)
	}
	if err := s.rescueAbandoned(ctx); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := s.be.pool().queryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, jobID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "available" {
		t.Errorf("abandoned job is %s after the rescue, want available", state)
	}
}

func TestRetryScheduleChoice(t *testing.T) {
	own := []time.Duration{time.Minute}
	perMarket := []time.Duration{time.Hour, 2 * time.Hour}
	cases := []struct {
		name        string
		cfg         Config
		marketplace string
		want        []time.Duration
	}{
		{"default", Config{}, "skyhub", DefaultRetrySchedule},
		{"configured", Config{RetrySchedule: own}, "skyhub", own},
		{"per marketplace", Config{RetrySchedule: own, MarketplaceRetrySchedule: map[string][]time.Duration{"napse": perMarket}}, "napse", perMarket},
		{"another marketplace", Config{RetrySchedule: own, MarketplaceRetrySchedule: map[string][]time.Duration{"napse": perMarket}}, "skyhub", own},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Service{cfg: c.cfg}
			if got := s.retrySchedule(c.marketplace); !slices.Equal(got, c.want) {
				t.Errorf("schedule = %v, want %v", got, c.want)
			}
		})
	}
}
