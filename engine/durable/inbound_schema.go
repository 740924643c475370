package durable

// inboundMigration adds the tables of inbound requests (schema version 2):
//
//   - rota_inbound: one row per distinct request a marketplace sent (its
//     dedup key: the route and the ids of the events it carried, which
//     depend only on the marketplace's own ids) with the answer given, so a
//     re-sent request gets the same answer;
//   - rota_inbox: the canonical events received, in commit order
//     (position), with their webhook forward's state; the pull feed reads it;
//   - rota_counters: named counters (the per-marketplace seller order
//     sequence, the inbox position, the inbox's acknowledged cursor);
//   - rota_order_notices: the last status a marketplace itself gave an
//     order (an inbound approval or cancellation).
var inboundMigration = []string{
	`CREATE TABLE rota_inbound (
			marketplace     TEXT   NOT NULL,
			dedup_key       TEXT   NOT NULL,
			route           TEXT   NOT NULL,
			order_id        TEXT   NOT NULL DEFAULT '',
			response_status BIGINT NOT NULL,
			response_body   TEXT   NOT NULL,
			received_at     BIGINT NOT NULL,
			PRIMARY KEY (marketplace, dedup_key)
		)`,
	`CREATE TABLE rota_inbox (
			position             BIGINT NOT NULL PRIMARY KEY,
			event_id             TEXT   NOT NULL UNIQUE,
			marketplace          TEXT   NOT NULL,
			marketplace_order_id TEXT   NOT NULL,
			route                TEXT   NOT NULL,
			type                 TEXT   NOT NULL,
			event                TEXT   NOT NULL,
			received_at          BIGINT NOT NULL,
			forward_state        TEXT   NOT NULL DEFAULT '',
			forward_attempts     BIGINT NOT NULL DEFAULT 0,
			forward_next_at      BIGINT NOT NULL DEFAULT 0,
			forward_error        TEXT   NOT NULL DEFAULT '',
			forwarded_at         BIGINT NOT NULL DEFAULT 0,
			job_id               BIGINT NOT NULL DEFAULT 0
		)`,
	`CREATE INDEX rota_inbox_order ON rota_inbox (marketplace, marketplace_order_id, position)`,
	`CREATE TABLE rota_counters (
			name  TEXT   NOT NULL PRIMARY KEY,
			value BIGINT NOT NULL
		)`,
	`CREATE TABLE rota_order_notices (
			marketplace          TEXT   NOT NULL,
			marketplace_order_id TEXT   NOT NULL,
			status               TEXT   NOT NULL,
			event_id             TEXT   NOT NULL,
			noted_at             BIGINT NOT NULL,
			PRIMARY KEY (marketplace, marketplace_order_id)
		)`,
}
