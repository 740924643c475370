package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotahq/rota/engine/deliver"
)

// tokensMigration adds rota_oauth_tokens (schema version 3): the current
// token pair of each OAuth2 authorization-code scheme (key
// MARKETPLACE/SCHEME), shared by every process of the database. The row
// also serves as the lock under which a refresh token is used: locked_at
// is written first in each rotation's transaction, which takes the row's
// lock on Postgres and the database's write lock on SQLite.
var tokensMigration = []string{
	`CREATE TABLE rota_oauth_tokens (
			token_key     TEXT   NOT NULL PRIMARY KEY,
			access_token  TEXT   NOT NULL DEFAULT '',
			refresh_token TEXT   NOT NULL DEFAULT '',
			expires_at    BIGINT NOT NULL DEFAULT 0,
			locked_at     BIGINT NOT NULL DEFAULT 0,
			updated_at    BIGINT NOT NULL
		)`,
}

// TokenStore returns the service's token store: the token pairs of
// oauth2-authorization-code schemes in the database, shared by every
// process that uses it. Its Rotate holds a row lock (Postgres) or the
// write lock (SQLite, one writer at a time) for the length of the refresh
// call, so a refresh token is presented once however many processes
// deliver; a process that waited reads the pair the other stored. Safe for
// concurrent use.
func (s *Service) TokenStore() deliver.TokenStore { return dbTokenStore{be: s.be, now: s.now} }

type dbTokenStore struct {
	be  backend
	now func() time.Time
}

const selectTokenPair = `SELECT access_token, refresh_token, expires_at FROM rota_oauth_tokens WHERE token_key = $1`

func scanPair(r row) (deliver.TokenPair, bool, error) {
	var p deliver.TokenPair
	var exp int64
	if err := r.Scan(&p.AccessToken, &p.RefreshToken, &exp); err != nil {
		if errors.Is(err, errNoRows) {
			return deliver.TokenPair{}, false, nil
		}
		return deliver.TokenPair{}, false, fmt.Errorf("durable: token store: %w", err)
	}
	if exp != 0 {
		p.Expiry = fromMicros(exp)
	}
	// A row with no refresh token is a lock placeholder, not a pair.
	return p, p.RefreshToken != "", nil
}

func (d dbTokenStore) Load(ctx context.Context, key string) (deliver.TokenPair, bool, error) {
	return scanPair(d.be.pool().queryRow(ctx, selectTokenPair, key))
}

func (d dbTokenStore) Put(ctx context.Context, key string, pair deliver.TokenPair) error {
	_, err := d.Rotate(ctx, key, func(deliver.TokenPair, bool) (deliver.TokenPair, error) { return pair, nil })
	return err
}

// Rotate implements deliver.TokenStore. The transaction first writes the
// row (inserted when missing), which locks it against every other
// rotation until commit; the pair fn returns is written in the same
// transaction, with a compare-and-swap on the refresh token read, so that
// a pair never replaces one it did not start from.
func (d dbTokenStore) Rotate(ctx context.Context, key string, fn func(deliver.TokenPair, bool) (deliver.TokenPair, error)) (deliver.TokenPair, error) {
	var out deliver.TokenPair
	err := d.be.inTx(ctx, func(tx txn) error {
		now := micros(d.now())
		if _, err := tx.exec(ctx, `INSERT INTO rota_oauth_tokens (token_key, updated_at) VALUES ($1, $2) ON CONFLICT (token_key) DO NOTHING`, key, now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE rota_oauth_tokens SET locked_at = $2 WHERE token_key = $1`, key, now); err != nil {
			return err
		}
		cur, found, err := scanPair(tx.queryRow(ctx, selectTokenPair, key))
		if err != nil {
			return err
		}
		next, err := fn(cur, found)
		if err != nil {
			return err
		}
		out = next
		if found && next == cur {
			return nil
		}
		var exp int64
		if !next.Expiry.IsZero() {
			exp = micros(next.Expiry)
		}
		n, err := tx.exec(ctx, `UPDATE rota_oauth_tokens SET access_token = $2, refresh_token = $3, expires_at = $4, updated_at = $5
			WHERE token_key = $1 AND refresh_token = $6`, key, next.AccessToken, next.RefreshToken, exp, micros(d.now()), cur.RefreshToken)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("durable: token store: the %s token pair changed during its rotation", key)
		}
		return nil
	})
	if err != nil {
		return deliver.TokenPair{}, err
	}
	return out, nil
}
