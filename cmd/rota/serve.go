package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/httpapi"
	"github.com/spf13/cobra"
)

// defaultServeAddr is where rota serve listens by default.
const defaultServeAddr = "127.0.0.1:8080"

// shutdownGrace bounds the graceful shutdown: running HTTP requests and
// delivery attempts get this long to finish.
const shutdownGrace = 30 * time.Second

// serveFlags are the flags of rota serve.
type serveFlags struct {
	addr          string
	db            string
	secrets       string
	baseURLs      []string
	retrySchedule string
	sim           bool
	forward       string
	orderIDURL    string
	common        commonFlags
	// dbGiven is set when --db was given (--sim then keeps it).
	dbGiven bool
}

// serveContext is the context rota serve runs under: it ends on SIGINT or
// SIGTERM. Tests replace it to stop the server.
var serveContext = func(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the always-on delivery service: an HTTP API that keeps, orders and retries events",
		Long: `Serve runs Rota as a long-running service between the ERP and the
marketplaces: POST /v1/events accepts a canonical event (validated and
translated at once; a refusal is answered with the error JSON and nothing
is kept), stores it durably, and delivers its calls in the background: in
order per order, retried on the schedule for hours, never twice. The API
(schemas/openapi.yaml) also shows events, orders and dead events, and
replays or skips them; rota events and rota orders are its clients.

State lives in a SQLite file (--db sqlite:PATH, default ./rota.db), or in
Postgres (--db postgres://...), which several rota serve processes can share.

Every route but /healthz and /readyz needs "Authorization: Bearer TOKEN";
the token comes from ROTA_API_TOKEN, in the environment or in the --secrets
file (which wins). Marketplace secrets come as for rota send.

--sim starts the simulator of the four marketplaces in the same process,
points every mapping at it with its public credentials (examples/sim.secrets)
and keeps state in a temporary database unless --db is given; without
ROTA_API_TOKEN it makes up a token and prints it.

Once ready it prints "listening on http://HOST:PORT" on stdout (port 0 picks
a free port); logs are JSON lines on stderr. SIGTERM or Ctrl-C stops it
gracefully. See docs/service.md.

Exit codes: 0 stopped by a signal; 2 usage, configuration (no token, a bad
secrets file, an unreachable database), or the address cannot be listened on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultServeAddr, "listen on `HOST:PORT` (port 0 picks a free port)")
	fl.StringVar(&f.db, "db", "sqlite:rota.db", "the database: sqlite:`PATH` or postgres://USER@HOST/DB")
	fl.StringVar(&f.secrets, "secrets", "", "read secrets and ROTA_API_TOKEN from `FILE` (NAME=VALUE lines, mode 600); it wins over the environment")
	fl.StringArrayVar(&f.baseURLs, "base-url", nil, "send the calls and token requests of one marketplace to another host, as `MARKETPLACE=URL` (repeatable)")
	fl.StringVar(&f.retrySchedule, "retry-schedule", "", "wait these `DURATIONS` before the retries of a failed call, e.g. 5s,5m,30m,2h,5h,10h,10h (the default)")
	fl.StringVar(&f.forward, "forward", "", "send each canonical event received on an inbound route to `URL`, signed per Standard Webhooks with ROTA_WEBHOOK_SECRET (see docs/inbound.md)")
	fl.StringVar(&f.orderIDURL, "order-id-url", "", "the ERP's create-order `URL`, asked for the seller's order id by inbound routes with orderIdMode: ask (signed as --forward is)")
	fl.BoolVar(&f.sim, "sim", false, "run the marketplace simulator in this process and deliver to it, with a temporary database")
	f.common.register(cmd)
	return cmd
}

// serveConfig is what rota serve runs with, once its flags are checked.
type serveConfig struct {
	db       string
	baseURLs map[string]string
	// vars are the --var flags: each marketplace gets those its mapping
	// declares.
	vars map[string]string
	// simVars are the variables --sim sets, per marketplace; --var wins.
	simVars  map[string]map[string]string
	schedule []time.Duration
	secrets  deliver.Secrets
	token    string
	// madeToken is set when --sim made the token up.
	madeToken bool
	// inbound configures the inbound routes' forwards (--forward).
	inbound durable.Inbound
	// webhookSecret is ROTA_WEBHOOK_SECRET (environment or secrets file).
	webhookSecret string
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx, stop := serveContext(cmd.Context())
	defer stop()
	eng, err := loadEngine(stderr, f.common.mappings)
	if err != nil {
		return err
	}
	f.dbGiven = cmd.Flags().Changed("db")
	cfg, err := checkServeFlags(stderr, f, eng)
	if err != nil {
		return err
	}
	if f.sim {
		cleanup, err := startServeSim(stderr, f, &cfg)
		if err != nil {
			return err
		}
		defer cleanup()
	}
	if cfg.token == "" {
		return usageErrorf(stderr, "set %s (in the environment or the --secrets file) to the token API clients must send", apiTokenVar)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	return serve(ctx, stdout, stderr, logger, eng, f.addr, cfg)
}

// checkServeFlags checks the flags and gathers the configuration.
func checkServeFlags(stderr io.Writer, f *serveFlags, eng *engine.Engine) (serveConfig, error) {
	cfg := serveConfig{db: f.db, baseURLs: map[string]string{}}
	if !strings.HasPrefix(f.db, "sqlite:") && !strings.HasPrefix(f.db, "postgres://") && !strings.HasPrefix(f.db, "postgresql://") {
		return cfg, usageErrorf(stderr, "--db %q: want sqlite:PATH or postgres://USER@HOST/DB", redactDSN(f.db))
	}
	for _, kv := range f.baseURLs {
		name, u, ok := strings.Cut(kv, "=")
		if !ok || name == "" || u == "" {
			return cfg, usageErrorf(stderr, "--base-url %q: want MARKETPLACE=URL, such as skyhub=http://127.0.0.1:8787/skyhub", kv)
		}
		if !slices.Contains(eng.Marketplaces(), name) {
			return cfg, usageErrorf(stderr, "--base-url %s: no mapping has marketplace %q; the loaded ones are %s", kv, name, strings.Join(eng.Marketplaces(), ", "))
		}
		cfg.baseURLs[name] = u
	}
	sched, err := parseRetrySchedule(f.retrySchedule)
	if err != nil {
		return cfg, usageErrorf(stderr, "--retry-schedule %q: %v", f.retrySchedule, err)
	}
	cfg.schedule = sched
	given, err := parseVars(stderr, f.common.vars)
	if err != nil {
		return cfg, err
	}
	cfg.vars = given
	cfg.secrets = deliver.EnvSecrets{}
	cfg.token = os.Getenv(apiTokenVar)
	cfg.webhookSecret = os.Getenv(webhookSecretVar)
	if f.secrets != "" {
		file, err := loadServeSecrets(f.secrets)
		if err != nil {
			return cfg, failf(stderr, "%v", err)
		}
		cfg.secrets = deliver.Chain(file.secrets, deliver.EnvSecrets{})
		if file.token != "" {
			cfg.token = file.token
		}
		if file.webhookSecret != "" {
			cfg.webhookSecret = file.webhookSecret
		}
	}
	if err := checkForwardFlag(stderr, f, &cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// parseRetrySchedule reads 5s,5m,30m: positive durations; "" is the
// default schedule (nil).
func parseRetrySchedule(s string) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, errors.New("want positive durations separated by commas, such as 5s,5m,30m,2h")
		}
		out = append(out, d)
	}
	return out, nil
}

// redactDSN hides a password in a database URL, for messages.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if user, _, ok := strings.Cut(rest[:at], ":"); ok {
				return dsn[:i+3] + user + ":xxxxx" + rest[at:]
			}
		}
	}
	return dsn
}

// startServeSim starts the simulator on a free loopback port and points the
// configuration at it: base URLs of every marketplace, Napse's variables,
// the simulator's credentials, a temporary database unless --db was given,
// and a made-up token unless one is set. cleanup stops it and removes the
// temporary database.
func startServeSim(stderr io.Writer, f *serveFlags, cfg *serveConfig) (func(), error) {
	s := sim.New(sim.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, failf(stderr, "sim: %v", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	root := "http://" + ln.Addr().String()
	var tmp string
	cleanup := func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
	}
	for _, m := range sim.Marketplaces {
		if _, ok := cfg.baseURLs[m]; !ok {
			cfg.baseURLs[m] = root + "/" + m
		}
	}
	cfg.simVars = map[string]map[string]string{sim.Napse: {
		"baseUrl":  root + "/" + sim.Napse,
		"tokenUrl": root + "/" + sim.Napse + "/auth/token",
	}}
	cfg.secrets = deliver.Chain(cfg.secrets, deliver.MapSecrets(sim.DefaultSecrets()))
	if !f.dbGiven {
		tmp, err = os.MkdirTemp("", "rota-serve-sim-")
		if err != nil {
			cleanup()
			return nil, failf(stderr, "cannot make a temporary database: %v", err)
		}
		cfg.db = "sqlite:" + filepath.Join(tmp, "rota.db")
	}
	if cfg.token == "" {
		cfg.token = newToken()
		cfg.madeToken = true
	}
	fmt.Fprintf(stderr, "rota serve: simulator at %s (admin endpoints at %s/_sim); database %s\n", root, root, cfg.db)
	return cleanup, nil
}

// newToken makes up an API token: 32 random bytes, hex.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serve opens the durable service, starts it, serves the API on addr until
// ctx ends, then shuts down gracefully.
func serve(ctx context.Context, stdout, stderr io.Writer, logger *slog.Logger, eng *engine.Engine, addr string, cfg serveConfig) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := durable.Open(ctx, durableConfig(eng, cfg, logger, reg))
	if err != nil {
		return failf(stderr, "cannot open the database %s: %v", redactDSN(cfg.db), err)
	}
	defer svc.Close()
	h, err := httpapi.New(httpapi.Config{
		Service:          svc,
		Engine:           eng,
		TranslateOptions: func(m string) engine.TranslateOptions { return translateOptions(eng, cfg, m) },
		Token:            cfg.token,
		Gatherer:         reg,
		Logger:           logger,
	})
	if err != nil {
		return failf(stderr, "%v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failf(stderr, "cannot listen on %s: %v", addr, err)
	}
	// The workers outlive the signal: Stop lets their attempts finish.
	if err := svc.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return failf(stderr, "cannot start delivering: %v", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.madeToken {
		fmt.Fprintf(stdout, "%s=%s\n", apiTokenVar, cfg.token)
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "db", redactDSN(cfg.db))
	select {
	case <-ctx.Done():
	case err := <-served:
		_ = svc.Stop(context.Background())
		return failf(stderr, "serving stopped: %v", err)
	}
	logger.Info("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(shut)
	if err := svc.Stop(shut); err != nil {
		logger.Warn("stopping the workers", "error", err.Error())
	}
	logger.Info("stopped")
	return nil
}

// translateOptions are the options an event of marketplace m translates
// with: its base URL (--base-url, --sim) and the variables its mapping
// declares.
func translateOptions(eng *engine.Engine, cfg serveConfig, m string) engine.TranslateOptions {
	return engine.TranslateOptions{BaseURL: cfg.baseURLs[m], Vars: marketplaceVars(eng, cfg, m)}
}

// marketplaceVars are the variables of marketplace m: those of --var, of
// --sim and of the environment (ROTA_VAR_<MARKETPLACE>_<NAME>) that its
// mapping declares, in that order of precedence. Nil when there are none.
func marketplaceVars(eng *engine.Engine, cfg serveConfig, m string) map[string]string {
	vars := map[string]string{}
	for _, name := range eng.Variables(m) {
		if v, ok := cfg.vars[name]; ok {
			vars[name] = v
		} else if v, ok := cfg.simVars[m][name]; ok {
			vars[name] = v
		}
	}
	return runVars(eng, m, vars)
}

// durableConfig is the durable layer's configuration for the run.
func durableConfig(eng *engine.Engine, cfg serveConfig, logger *slog.Logger, reg prometheus.Registerer) durable.Config {
	vars := map[string]string{}
	for _, m := range eng.Marketplaces() {
		for k, v := range marketplaceVars(eng, cfg, m) {
			vars[k] = v
		}
	}
	return durable.Config{
		Engine: eng,
		DB:     cfg.db,
		Delivery: durable.Delivery{
			Secrets:  cfg.secrets,
			BaseURLs: cfg.baseURLs,
			Vars:     vars,
			Confirm:  true,
		},
		Inbound:       cfg.inbound,
		RetrySchedule: cfg.schedule,
		Logger:        logger,
		Registerer:    reg,
	}
}
