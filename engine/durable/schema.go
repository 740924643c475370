package durable

import (
	"context"
	"fmt"
)

// Rota's tables. The same statements run on SQLite and Postgres: times are
// Unix microseconds (BIGINT), absent values are 0 or ” (no NULLs), so both
// databases hold the same logical schema.
//
// A migration is appended, never edited: its index+1 is its version, kept in
// rota_schema_version.
var migrations = [][]string{{
	`CREATE TABLE rota_orders (
			marketplace          TEXT   NOT NULL,
			marketplace_order_id TEXT   NOT NULL,
			status               TEXT   NOT NULL DEFAULT '',
			marketplace_status   TEXT   NOT NULL DEFAULT '',
			last_seq             BIGINT NOT NULL DEFAULT 0,
			updated_at           BIGINT NOT NULL,
			PRIMARY KEY (marketplace, marketplace_order_id)
		)`,
	`CREATE TABLE rota_events (
			id                      TEXT   NOT NULL PRIMARY KEY,
			marketplace             TEXT   NOT NULL,
			marketplace_order_id    TEXT   NOT NULL,
			seq                     BIGINT NOT NULL,
			type                    TEXT   NOT NULL,
			state                   TEXT   NOT NULL,
			reason                  TEXT   NOT NULL DEFAULT '',
			event                   TEXT   NOT NULL,
			projected_status        TEXT   NOT NULL DEFAULT '',
			projected_mk_status     TEXT   NOT NULL DEFAULT '',
			base_set                BIGINT NOT NULL DEFAULT 0,
			base_status             TEXT   NOT NULL DEFAULT '',
			base_mk_status          TEXT   NOT NULL DEFAULT '',
			calls_done              TEXT   NOT NULL DEFAULT '',
			call_in_doubt           TEXT   NOT NULL DEFAULT '',
			failures                BIGINT NOT NULL DEFAULT 0,
			attempt_count           BIGINT NOT NULL DEFAULT 0,
			next_attempt_at         BIGINT NOT NULL DEFAULT 0,
			error_code              TEXT   NOT NULL DEFAULT '',
			marketplace_code        TEXT   NOT NULL DEFAULT '',
			message                 TEXT   NOT NULL DEFAULT '',
			job_id                  BIGINT NOT NULL DEFAULT 0,
			accepted_at             BIGINT NOT NULL,
			updated_at              BIGINT NOT NULL,
			delivered_at            BIGINT NOT NULL DEFAULT 0,
			UNIQUE (marketplace, marketplace_order_id, seq)
		)`,
	`CREATE INDEX rota_events_state ON rota_events (state, accepted_at)`,
	`CREATE INDEX rota_events_accepted ON rota_events (accepted_at, id)`,
	`CREATE TABLE rota_attempts (
			event_id         TEXT   NOT NULL,
			n                BIGINT NOT NULL,
			attempted_at     BIGINT NOT NULL,
			call_name        TEXT   NOT NULL,
			outcome          TEXT   NOT NULL,
			http_status      BIGINT NOT NULL DEFAULT 0,
			marketplace_code TEXT   NOT NULL DEFAULT '',
			message          TEXT   NOT NULL DEFAULT '',
			error_code       TEXT   NOT NULL DEFAULT '',
			requests         BIGINT NOT NULL DEFAULT 0,
			next_attempt_at  BIGINT NOT NULL DEFAULT 0,
			PRIMARY KEY (event_id, n)
		)`,
	`CREATE TABLE rota_rate_limits (
			endpoint TEXT NOT NULL PRIMARY KEY,
			slots    TEXT NOT NULL DEFAULT ''
		)`,
}, inboundMigration, tokensMigration}

// SchemaVersion is the version of Rota's tables this package migrates to.
func SchemaVersion() int { return len(migrations) }

// migrate runs River's migrations, then Rota's, under a lock shared by the
// processes of one database. Both are idempotent.
func (s *Service) migrate(ctx context.Context) error {
	unlock, err := s.be.lockMigrations(ctx)
	if err != nil {
		return fmt.Errorf("durable: migrations: %w", err)
	}
	defer unlock()
	if err := s.be.migrateRiver(ctx); err != nil {
		return fmt.Errorf("durable: river migrations: %w", err)
	}
	if _, err := s.be.pool().exec(ctx, `CREATE TABLE IF NOT EXISTS rota_schema_version (
		version    BIGINT NOT NULL PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("durable: migrations: %w", err)
	}
	for i, stmts := range migrations {
		version := int64(i + 1)
		err := s.be.inTx(ctx, func(tx txn) error {
			var n int64
			if err := tx.queryRow(ctx, `SELECT count(*) FROM rota_schema_version WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, q := range stmts {
				if _, err := tx.exec(ctx, q); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO rota_schema_version (version, applied_at) VALUES ($1, $2)`, version, micros(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("durable: migration %d: %w", version, err)
		}
	}
	return nil
}
