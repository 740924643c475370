package durable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// errNoRows is what row.Scan returns when a query selected nothing, on
// either driver.
var errNoRows = errors.New("no rows")

// querier is what Rota's queries need from a pool or a transaction. SQL is
// written once, with $N placeholders, which both drivers read.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	queryRow(ctx context.Context, q string, args ...any) row
	query(ctx context.Context, q string, args ...any) (rows, error)
}

type row interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// txn is a transaction that can also insert and wake River jobs, so that
// an event and its job commit together.
type txn interface {
	querier
	// insertJob inserts the delivery job of an event; it returns its id.
	insertJob(ctx context.Context, eventID string) (int64, error)
	// insertJobs inserts the delivery jobs of many events in one statement
	// (River's InsertManyTx); it returns their ids, in order.
	insertJobs(ctx context.Context, eventIDs []string) ([]int64, error)
	// wakeJob makes a scheduled (snoozed) job available now; a job that
	// is running or gone is left alone.
	wakeJob(ctx context.Context, jobID int64) error
}

// backend is one database with its River client.
type backend interface {
	kind() string
	pool() querier
	// reads is where the workers read committed rows: pool, or on a
	// SQLite file Open opened, read-only connections of their own, so
	// that reads do not wait for the one writing connection.
	reads() querier
	inTx(ctx context.Context, fn func(txn) error) error
	migrateRiver(ctx context.Context) error
	// lockMigrations serializes Rota's and River's migrations between
	// processes sharing a database; the returned func releases the lock.
	lockMigrations(ctx context.Context) (func(), error)
	newClient(cfg *river.Config) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
	ping(ctx context.Context) error
	close()
}

// jobInsertOpts are the options of every delivery job. Delivery retries
// are Rota's own (snoozes, which River does not count); River's attempts
// only count failures of the worker itself (a database error), retried with
// River's backoff, so they are set high.
var jobInsertOpts = &river.InsertOpts{MaxAttempts: 1000}

// ---- SQLite (database/sql, modernc.org/sqlite) ----

type sqliteBackend struct {
	db    *sql.DB
	stmts *stmtCache
	// reader, when set, holds read-only connections to the same file
	// (WAL lets them read while the writer writes).
	reader  *sql.DB
	rstmts  *stmtCache
	owned   bool
	client  *river.Client[*sql.Tx]
	running atomic.Bool
}

func (b *sqliteBackend) kind() string { return "sqlite" }

func (b *sqliteBackend) pool() querier { return sqlQuerier{h: b.db, stmts: b.stmts} }

func (b *sqliteBackend) reads() querier {
	if b.reader == nil {
		return b.pool()
	}
	return sqlQuerier{h: b.reader, stmts: b.rstmts}
}

func (b *sqliteBackend) inTx(ctx context.Context, fn func(txn) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqliteTx{sqlQuerier{h: tx, tx: tx, stmts: b.stmts}, tx, b.client}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (b *sqliteBackend) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(b.db), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// lockMigrations: one process owns a SQLite file; its one connection
// serializes everything else.
func (b *sqliteBackend) lockMigrations(context.Context) (func(), error) { return func() {}, nil }

func (b *sqliteBackend) newClient(cfg *river.Config) error {
	c, err := river.NewClient(riversqlite.New(b.db), cfg)
	b.client = c
	return err
}

func (b *sqliteBackend) start(ctx context.Context) error {
	if err := b.client.Start(ctx); err != nil {
		return err
	}
	b.running.Store(true)
	return nil
}

func (b *sqliteBackend) stop(ctx context.Context) error {
	defer b.running.Store(false)
	return b.client.Stop(ctx)
}

func (b *sqliteBackend) stopAndCancel(ctx context.Context) error {
	defer b.running.Store(false)
	return b.client.StopAndCancel(ctx)
}

func (b *sqliteBackend) ping(ctx context.Context) error { return b.db.PingContext(ctx) }

func (b *sqliteBackend) close() {
	b.stmts.close()
	if b.reader != nil {
		b.rstmts.close()
		_ = b.reader.Close()
	}
	if b.owned {
		_ = b.db.Close()
	}
}

type sqlHandle interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// sqlQuerier runs queries on a database/sql handle: the database, or a
// transaction (tx set). A statement is prepared once and kept (stmts):
// SQLite compiles every statement it is given, which costs more than
// running the short ones Rota sends.
type sqlQuerier struct {
	h     sqlHandle
	tx    *sql.Tx
	stmts *stmtCache
}

// handle is what runs the statement s: its prepared statement, bound to
// the transaction if there is one, or the handle itself. A statement
// without arguments is not prepared: it may be several (a prepared
// statement is only the first).
func (q sqlQuerier) handle(ctx context.Context, s string, args []any) sqlHandle {
	if len(args) == 0 {
		return q.h
	}
	st := q.stmts.get(s)
	switch {
	case st == nil:
		return q.h
	case q.tx != nil:
		return stmtHandle{q.tx.StmtContext(ctx, st)}
	}
	return stmtHandle{st}
}

func (q sqlQuerier) exec(ctx context.Context, s string, args ...any) (int64, error) {
	res, err := q.handle(ctx, s, args).ExecContext(ctx, s, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) queryRow(ctx context.Context, s string, args ...any) row {
	return sqlRow{q.handle(ctx, s, args).QueryRowContext(ctx, s, args...)}
}

func (q sqlQuerier) query(ctx context.Context, s string, args ...any) (rows, error) {
	r, err := q.handle(ctx, s, args).QueryContext(ctx, s, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

// stmtHandle runs a prepared statement as a sqlHandle (the text given is
// the statement's own).
type stmtHandle struct{ st *sql.Stmt }

func (h stmtHandle) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return h.st.ExecContext(ctx, args...)
}

func (h stmtHandle) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return h.st.QueryRowContext(ctx, args...)
}

func (h stmtHandle) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return h.st.QueryContext(ctx, args...)
}

// maxStmts bounds the statements a stmtCache keeps: Rota's statements are
// constant texts, far fewer; texts built per call (a group's job ids, a
// page's filters) beyond the bound are run unprepared.
const maxStmts = 256

// stmtCache keeps prepared statements by text. A statement is prepared on
// the database handle, apart from the statement's first run: that run may
// be in a transaction that holds SQLite's one connection, which the
// preparation must wait for. It is safe for concurrent use; a nil
// *stmtCache keeps none.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt // nil while being prepared
	closed bool
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// get returns the statement's prepared form, or nil (run it unprepared)
// until it is prepared, when the cache is full or when it cannot be
// prepared (running it unprepared then reports the error).
func (c *stmtCache) get(s string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[s]; ok || c.closed || len(c.m) >= maxStmts {
		return st
	}
	c.m[s] = nil
	go c.prepare(s)
	return nil
}

func (c *stmtCache) prepare(s string) {
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	st, err := c.db.PrepareContext(ctx, s)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		// Left marked: a statement that does not prepare is run
		// unprepared from now on.
	case c.closed:
		_ = st.Close()
	default:
		c.m[s] = st
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.m {
		if st != nil {
			_ = st.Close()
		}
	}
	clear(c.m)
}

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqliteTx struct {
	sqlQuerier
	tx     *sql.Tx
	client *river.Client[*sql.Tx]
}

func (t sqliteTx) insertJob(ctx context.Context, eventID string) (int64, error) {
	res, err := t.client.InsertTx(ctx, t.tx, deliverArgs{EventID: eventID}, jobInsertOpts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (t sqliteTx) insertJobs(ctx context.Context, eventIDs []string) ([]int64, error) {
	res, err := t.client.InsertManyTx(ctx, t.tx, jobParams(eventIDs))
	return jobIDs(res), err
}

func (t sqliteTx) wakeJob(ctx context.Context, id int64) error {
	_, err := t.client.JobRetryTx(ctx, t.tx, id)
	return ignoreJobGone(err)
}

// ---- Postgres (pgx v5) ----

type pgBackend struct {
	db      *pgxpool.Pool
	owned   bool
	client  *river.Client[pgx.Tx]
	running atomic.Bool
}

func (b *pgBackend) kind() string { return "postgres" }

func (b *pgBackend) pool() querier { return pgQuerier{b.db} }

func (b *pgBackend) reads() querier { return pgQuerier{b.db} }

func (b *pgBackend) inTx(ctx context.Context, fn func(txn) error) error {
	tx, err := b.db.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(pgTx{pgQuerier{tx}, tx, b.client}); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	return tx.Commit(ctx)
}

func (b *pgBackend) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(riverpgxv5.New(b.db), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// migrationLockKey is the advisory lock that serializes migrations between
// processes starting at once on one Postgres database ("rota" in ASCII).
const migrationLockKey = 0x726f7461

func (b *pgBackend) lockMigrations(ctx context.Context) (func(), error) {
	conn, err := b.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		conn.Release()
		return nil, err
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		conn.Release()
	}, nil
}

func (b *pgBackend) newClient(cfg *river.Config) error {
	c, err := river.NewClient(riverpgxv5.New(b.db), cfg)
	b.client = c
	return err
}

func (b *pgBackend) start(ctx context.Context) error {
	if err := b.client.Start(ctx); err != nil {
		return err
	}
	b.running.Store(true)
	return nil
}

func (b *pgBackend) stop(ctx context.Context) error {
	defer b.running.Store(false)
	return b.client.Stop(ctx)
}

func (b *pgBackend) stopAndCancel(ctx context.Context) error {
	defer b.running.Store(false)
	return b.client.StopAndCancel(ctx)
}

func (b *pgBackend) ping(ctx context.Context) error { return b.db.Ping(ctx) }

func (b *pgBackend) close() {
	if b.owned {
		b.db.Close()
	}
}

type pgHandle interface {
	Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, q string, args ...any) pgx.Row
	Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
}

type pgQuerier struct{ h pgHandle }

func (q pgQuerier) exec(ctx context.Context, s string, args ...any) (int64, error) {
	tag, err := q.h.Exec(ctx, s, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQuerier) queryRow(ctx context.Context, s string, args ...any) row {
	return pgRow{q.h.QueryRow(ctx, s, args...)}
}

func (q pgQuerier) query(ctx context.Context, s string, args ...any) (rows, error) {
	r, err := q.h.Query(ctx, s, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return err
}

type pgTx struct {
	pgQuerier
	tx     pgx.Tx
	client *river.Client[pgx.Tx]
}

func (t pgTx) insertJob(ctx context.Context, eventID string) (int64, error) {
	res, err := t.client.InsertTx(ctx, t.tx, deliverArgs{EventID: eventID}, jobInsertOpts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

func (t pgTx) insertJobs(ctx context.Context, eventIDs []string) ([]int64, error) {
	res, err := t.client.InsertManyTx(ctx, t.tx, jobParams(eventIDs))
	return jobIDs(res), err
}

func (t pgTx) wakeJob(ctx context.Context, id int64) error {
	_, err := t.client.JobRetryTx(ctx, t.tx, id)
	return ignoreJobGone(err)
}

// jobParams are the insert parameters of the events' delivery jobs.
func jobParams(eventIDs []string) []river.InsertManyParams {
	params := make([]river.InsertManyParams, len(eventIDs))
	for i, id := range eventIDs {
		params[i] = river.InsertManyParams{Args: deliverArgs{EventID: id}, InsertOpts: jobInsertOpts}
	}
	return params
}

func jobIDs(res []*rivertype.JobInsertResult) []int64 {
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	return ids
}

func ignoreJobGone(err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wake job: %w", err)
	}
	return nil
}
