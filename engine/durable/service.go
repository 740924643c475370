package durable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// DefaultDB is the database of a Config that names none.
const DefaultDB = "sqlite:rota.db"

// DefaultRetrySchedule is how long a pending event waits after each failed
// attempt: after the 7th, the event is dead (about 27.6 hours in all).
var DefaultRetrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Defaults of a Config.
const (
	DefaultWorkers    = 16
	DefaultJobTimeout = 10 * time.Minute
)

// Config configures a Service. Engine is required; every other field has a
// default.
type Config struct {
	// Engine translates the events (required). It is shared, not copied.
	Engine *engine.Engine

	// DB names the database: "sqlite:PATH" (default DefaultDB) or a
	// Postgres URL ("postgres://..." or "postgresql://..."). Ignored when
	// SQL or Pool is set.
	DB string
	// SQL is an embedder's own SQLite handle (driver modernc.org/sqlite),
	// instead of DB. Open sets its pool to one connection
	// (SetMaxOpenConns(1), as River's SQLite driver needs), WAL mode and a
	// busy timeout; Close does not close it.
	SQL *sql.DB
	// Pool is an embedder's own Postgres pool, instead of DB; Close does not
	// close it.
	Pool *pgxpool.Pool

	// Delivery says how calls are sent.
	Delivery Delivery
	// Inbound says what becomes of the requests marketplaces send to
	// their inbound routes (Receive): the webhook events are forwarded to,
	// its signing secret.
	Inbound Inbound

	// RetrySchedule is the wait after each failed attempt of an event
	// (default DefaultRetrySchedule); when it runs out the event is dead.
	// A Retry-After answer header is a minimum.
	RetrySchedule []time.Duration
	// MarketplaceRetrySchedule overrides RetrySchedule per marketplace id.
	// (The mapping format has no retry schedule of its own.)
	MarketplaceRetrySchedule map[string][]time.Duration

	// Workers is how many events are delivered at once by this process
	// (default DefaultWorkers).
	Workers int
	// JobTimeout bounds one delivery attempt of an event, all its calls
	// included (default DefaultJobTimeout). On Postgres, a job left running
	// by a process that died is taken up again by another process one
	// minute after this timeout.
	JobTimeout time.Duration
	// PollInterval is how often the workers look for due events (default
	// River's, one second). An event accepted by this process is looked at
	// at once; one accepted elsewhere, or a retry coming due, waits up to
	// this long.
	PollInterval time.Duration

	// Logger receives one JSON line per attempt, with the event id and the
	// order key (default: discarded). No secret value is logged.
	Logger *slog.Logger
	// Registerer receives the Prometheus metrics (nil: none).
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now). Tests set it.
	Now func() time.Time
}

// Delivery configures how calls are sent. The zero value sends to each
// mapping's production environment with secrets from the environment.
type Delivery struct {
	// Secrets gives secret values (default deliver.EnvSecrets).
	Secrets deliver.Secrets
	// BaseURLs moves a marketplace's calls (and token URLs) to another base
	// URL, as `rota send --base-url` does: marketplace id -> URL.
	BaseURLs map[string]string
	// Environment names the mapping environment (default production, or
	// the mapping's only environment).
	Environment string
	// Vars are the mappings' run-time variables; each marketplace gets the
	// ones its mapping declares.
	Vars map[string]string
	// AuthScheme picks a marketplace's auth scheme (default the mapping's).
	AuthScheme map[string]string
	// Client sends the requests. Default: one that keeps up to 64 idle
	// connections per host and does not follow redirects. A client given
	// here is used with its own settings (set its Transport's
	// MaxIdleConnsPerHost: Go's default of 2 costs throughput at many
	// concurrent deliveries); its transport is wrapped to read each
	// answer's Retry-After.
	Client *http.Client
	// Timeout bounds each request (default deliver.DefaultTimeout).
	Timeout time.Duration
	// Confirm confirms the calls whose mapping declares a status query
	// (Napse BRIDGE); an unconfirmed call is retried like a failed one.
	Confirm bool
}

// MaxIdleConnsPerHost is the default client's idle connections per host.
const MaxIdleConnsPerHost = 64

// Service is the durable delivery layer over one database. Open it, Start
// its workers, Accept events. It is safe for concurrent use.
type Service struct {
	cfg     Config
	eng     *engine.Engine
	be      backend
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	limiter *dbLimiter
	// commits groups the writes of acceptances and of the workers'
	// bookkeeping into shared transactions.
	commits  *groupCommitter
	client   *http.Client
	mu       sync.Mutex
	senders  map[string]*deliver.Sender
	markets  map[string]bool // the engine's marketplace ids
	started  bool
	stopOnce sync.Once
	// webhookKey signs forwards; inMetrics count inbound requests.
	webhookKey []byte
	inMetrics  *inboundMetrics
}

// Open connects to the database, runs the migrations (River's and Rota's,
// versioned and idempotent: running Open again changes nothing) and returns
// a Service. It does not start the workers (Start does).
//
// Errors: a missing Engine, a DB that is neither "sqlite:PATH" nor a
// Postgres URL, a database that cannot be reached or migrated, metrics that
// cannot be registered.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, errors.New("durable: Config.Engine is required")
	}
	be, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, eng: cfg.Engine, be: be, log: cfg.Logger, now: cfg.Now, senders: map[string]*deliver.Sender{}, markets: map[string]bool{}}
	for _, m := range cfg.Engine.Marketplaces() {
		s.markets[m] = true
	}
	if s.log == nil {
		s.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx); err != nil {
		be.close()
		return nil, err
	}
	s.limiter = &dbLimiter{be: be, now: s.now}
	s.client = deliveryClient(cfg.Delivery.Client)
	if err := be.newClient(s.riverConfig()); err != nil {
		be.close()
		return nil, fmt.Errorf("durable: river: %w", err)
	}
	if s.metrics, err = newMetrics(cfg.Registerer, s); err != nil {
		be.close()
		return nil, err
	}
	if err := s.openInbound(); err != nil {
		s.metrics.unregister()
		be.close()
		return nil, err
	}
	s.commits = newGroupCommitter(be)
	return s, nil
}

func openBackend(ctx context.Context, cfg Config) (backend, error) {
	switch {
	case cfg.SQL != nil:
		if err := tuneSQLite(ctx, cfg.SQL); err != nil {
			return nil, err
		}
		return &sqliteBackend{db: cfg.SQL, stmts: newStmtCache(cfg.SQL)}, nil
	case cfg.Pool != nil:
		return &pgBackend{db: cfg.Pool}, nil
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = DefaultDB
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("durable: database %q: write sqlite:PATH, a file path without ? or #", dsn)
		}
		// The busy timeout comes first: the other pragmas may wait for a lock.
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("durable: open %s: %w", path, err)
		}
		if err := tuneSQLite(ctx, db); err != nil {
			_ = db.Close()
			return nil, err
		}
		reader, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("durable: open %s: %w", path, err)
		}
		reader.SetMaxOpenConns(sqliteReaders)
		reader.SetMaxIdleConns(sqliteReaders)
		return &sqliteBackend{db: db, stmts: newStmtCache(db), reader: reader, rstmts: newStmtCache(reader), owned: true}, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		pcfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("durable: postgres: %w", err)
		}
		if !strings.Contains(dsn, "pool_max_conns") {
			pcfg.MaxConns = max(pcfg.MaxConns, poolConns)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("durable: postgres: %w", err)
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("durable: postgres: %w", err)
		}
		return &pgBackend{db: pool, owned: true}, nil
	}
	return nil, fmt.Errorf("durable: database %q: write sqlite:PATH or postgres://USER@HOST/DB", redactDSN(dsn))
}

// poolConns is the size of the Postgres pool Open makes when the URL does
// not set pool_max_conns (pgxpool's default is 4 on a machine of up to 4
// CPUs): one for each group committer, and 12 for the workers' reads, the
// rate limiter and River's own work (fetching, completing, maintenance).
// No worker holds a connection while its call is in flight, so this does
// not grow with Config.Workers: several processes share the database's
// max_connections (Postgres's default is 100).
const poolConns = pgCommitters + 12

// sqliteReaders is how many read-only connections the workers read a
// SQLite file Open opened with.
const sqliteReaders = 4

// tuneSQLite sets what River's SQLite driver and Rota need: one connection
// (SQLite allows one writer), WAL and a busy timeout.
func tuneSQLite(ctx context.Context, db *sql.DB) error {
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	for _, p := range []string{"PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("durable: sqlite %s: %w", p, err)
		}
	}
	return nil
}

// redactDSN hides a password in a database URL given back in an error.
func redactDSN(dsn string) string {
	if at := strings.LastIndex(dsn, "@"); at >= 0 {
		if scheme := strings.Index(dsn, "://"); scheme >= 0 && scheme < at {
			return dsn[:scheme+3] + "[redacted]" + dsn[at:]
		}
	}
	return dsn
}

// fetchCooldown is the shortest wait between two fetches of jobs.
const fetchCooldown = 10 * time.Millisecond

func (s *Service) riverConfig() *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliveryWorker{s: s})
	river.AddWorker(workers, &forwardWorker{s: s})
	n := s.cfg.Workers
	if n <= 0 {
		n = DefaultWorkers
	}
	timeout := s.cfg.JobTimeout
	if timeout <= 0 {
		timeout = DefaultJobTimeout
	}
	cfg := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		Workers:              workers,
		JobTimeout:           timeout,
		RescueStuckJobsAfter: timeout + time.Minute,
		Logger:               slog.New(s.log.Handler()).With("component", "river"),
		// River waits FetchCooldown after each fetch of up to MaxWorkers
		// jobs; its default (100 ms) caps a process at about 10 fetches a
		// second. Deliveries are bound by their calls and commits, not by
		// fetching, so fetch more often.
		FetchCooldown: fetchCooldown,
	}
	if p := s.cfg.PollInterval; p > 0 {
		cfg.FetchPollInterval = max(p, time.Millisecond)
		cfg.FetchCooldown = min(cfg.FetchPollInterval, fetchCooldown)
	}
	return cfg
}

// Start starts River: the workers, leader election and maintenance. The
// attempts run with contexts derived from ctx: canceling ctx stops the
// Service abruptly, canceling the running attempts (use Stop for a
// graceful stop). On SQLite, jobs a previous process left running are made
// available again first (one process owns a SQLite file, so they were
// abandoned). Errors: Start called twice, a database error.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("durable: Start called twice")
	}
	if err := s.rescueAbandoned(ctx); err != nil {
		return err
	}
	if err := s.be.start(ctx); err != nil {
		return fmt.Errorf("durable: start: %w", err)
	}
	s.started = true
	return nil
}

// Stop stops fetching new work and waits for the running attempts to
// finish. If ctx ends first, the running attempts are canceled (each is
// retried after a restart; see docs/delivery-semantics.md) and ctx's error
// is returned. Stop on a Service that was not started returns nil.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.started = false
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.be.stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.be.stopAndCancel(cctx)
	}
	return err
}

// Close releases what Open opened: the database handle it created (not a
// Config.SQL or Config.Pool handle) and the metrics it registered. Call
// Stop first.
func (s *Service) Close() error {
	s.stopOnce.Do(func() {
		s.commits.close()
		s.metrics.unregister()
		s.be.close()
	})
	return nil
}

// Ready reports whether the database answers and the workers are started.
func (s *Service) Ready(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if err := s.be.ping(ctx); err != nil {
		return fmt.Errorf("durable: database unreachable: %w", err)
	}
	if !started {
		return errors.New("durable: workers not started")
	}
	return nil
}

// deliveryClient is the client calls are sent with: the given one, or one
// that keeps idle connections per host and follows no redirect. Its
// transport notes each answer's Retry-After for the worker.
func deliveryClient(c *http.Client) *http.Client {
	if c == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 4 * MaxIdleConnsPerHost
		t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
		c = &http.Client{
			Transport:     t,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = retryAfterTransport{base: base}
	return &cp
}

// sender is the marketplace's Sender, built on first use.
func (s *Service) sender(marketplace string) *deliver.Sender {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sd, ok := s.senders[marketplace]; ok {
		return sd
	}
	d := s.cfg.Delivery
	sd := &deliver.Sender{
		Engine:     s.eng,
		Client:     s.client,
		Secrets:    d.Secrets,
		Store:      noStore{},
		Tokens:     s.TokenStore(),
		Retry:      deliver.RetryPolicy{MaxAttempts: 1},
		Timeout:    d.Timeout,
		AuthScheme: d.AuthScheme,
		Vars:       d.Vars,
		BaseURL:    d.BaseURLs[marketplace],
		Confirm:    d.Confirm,
		Limiter:    s.limiter,
		Now:        s.now,
	}
	s.senders[marketplace] = sd
	return sd
}

// translateOptions are the options every translation of the marketplace's
// events uses, at acceptance and at delivery.
func (s *Service) translateOptions(marketplace string) engine.TranslateOptions {
	d := s.cfg.Delivery
	o := engine.TranslateOptions{Environment: d.Environment, BaseURL: d.BaseURLs[marketplace]}
	if len(d.Vars) > 0 {
		o.Vars = map[string]string{}
		for _, name := range s.eng.Variables(marketplace) {
			if v, ok := d.Vars[name]; ok {
				o.Vars[name] = v
			}
		}
	}
	return o
}

func (s *Service) retrySchedule(marketplace string) []time.Duration {
	if sch, ok := s.cfg.MarketplaceRetrySchedule[marketplace]; ok && len(sch) > 0 {
		return sch
	}
	if len(s.cfg.RetrySchedule) > 0 {
		return s.cfg.RetrySchedule
	}
	return DefaultRetrySchedule
}

// noStore is the Sender's idempotency store: the event table is the real
// one, so the Sender itself remembers nothing.
type noStore struct{}

func (noStore) Seen(context.Context, string) (*deliver.Report, bool, error) { return nil, false, nil }
func (noStore) Save(context.Context, string, *deliver.Report) error         { return nil }
