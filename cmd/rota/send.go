package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/spf13/cobra"
)

// sendFlags are the flags of rota send.
type sendFlags struct {
	event       eventFlags
	baseURL     string
	secrets     string
	tokens      string
	auth        string
	dryRun      bool
	confirm     bool
	timeout     time.Duration
	maxAttempts int
}

// sendClock is the clock of signatures and retries; tests fix it.
var sendClock = time.Now

func newSendCmd() *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send [FILE...|-]",
		Short: "Translate one canonical event and deliver its call(s) to the marketplace",
		Long: `Send translates one canonical event (from FILE, or standard input when FILE
is - or absent), as translate does, then makes the call(s) for real: in order,
authenticated with the marketplace's auth scheme, retried with backoff when
the marketplace's response rules say so, stopping at the first call that does
not succeed. It prints a JSON report: per call the HTTP status, the attempts,
the marketplace's own code and message, and the outcome (docs/delivery.md).

Secrets come from ROTA_SECRET_<MARKETPLACE>_<NAME> environment variables, or
from --secrets FILE (lines ROTA_SECRET_...=VALUE; mode 600), which wins over
the environment. Secret values are never printed; --dry-run shows the signed
requests with them redacted and sends nothing.

--base-url sends every call, and every token request, to URL instead of the
marketplace (for rota sim).

An oauth2-authorization-code scheme (each refresh token works once) keeps its
token pair in a file under --tokens DIR (default $ROTA_TOKENS_DIR or the
user's configuration directory, rota/tokens), mode 600, locked while a run
renews it; rota auth exchange stores the first pair.

Each run starts with an empty memory of delivered events (no durable store):
running send twice with the same event sends it twice.

Several FILEs are sent one after the other, in the order given, as one
order's story: one report per file (JSON documents one after the other),
stopping at the first file that is refused or not delivered, with its exit
code; the files after it are not sent.

Exit codes: 0 delivered (or nothing to send); 1 the event was refused by a
rule or by the marketplace, or could not be delivered, or the run was
interrupted (report JSON on stdout, one line on stderr); 2 usage, unreadable
input, broken mappings, configuration (a missing secret, an insecure secrets
file); 3 outcome unknown: a call's answer was lost (or the run was
interrupted, Ctrl-C or SIGTERM, while it was in flight) and the mapping's
read-back or already-applied rule could not establish whether it was
applied: check the order at the marketplace before sending the event again.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSendFiles(cmd, &f, args)
		},
	}
	f.event.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.baseURL, "base-url", "", "send every call and token request to `URL` instead of the marketplace (e.g. rota sim)")
	fl.StringVar(&f.secrets, "secrets", "", "read secrets from `FILE` (ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE lines, mode 600); it wins over the environment")
	fl.StringVar(&f.tokens, "tokens", "", "keep OAuth2 token pairs (oauth2-authorization-code schemes) under `DIR` (default $ROTA_TOKENS_DIR or the user's configuration directory, rota/tokens)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the signed request(s), secrets redacted, and send nothing")
	fl.StringVar(&f.auth, "auth", "", "use the mapping's auth scheme `NAME` instead of its default (e.g. oauth2 for dafiti)")
	fl.BoolVar(&f.confirm, "confirm", false, "confirm asynchronous changes with the mapping's status query (Napse BRIDGE)")
	fl.DurationVar(&f.timeout, "timeout", deliver.DefaultTimeout, "give up an attempt after `DURATION` without an answer")
	fl.IntVar(&f.maxAttempts, "max-attempts", deliver.DefaultMaxAttempts, "send a call at most `N` times")
	return cmd
}

func runSend(cmd *cobra.Command, f *sendFlags, args []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.maxAttempts < 1 {
		return usageErrorf(stderr, "--max-attempts %d: want 1 or more", f.maxAttempts)
	}
	if f.timeout <= 0 {
		return usageErrorf(stderr, "--timeout %s: want a positive duration such as 30s", f.timeout)
	}
	if deliver.CheckBaseURL(f.baseURL) != nil {
		return usageErrorf(stderr, "--base-url carries a user name or password (USER:PASSWORD@HOST); credentials come from --secrets or the environment, never from a URL")
	}
	secrets, err := sendSecrets(stderr, f.secrets)
	if err != nil {
		return err
	}
	eng, raw, opts, err := prepareEvent(cmd, &f.event, args)
	if err != nil {
		return err
	}
	opts.BaseURL = f.baseURL
	res, err := eng.Translate(raw, opts)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	s := &deliver.Sender{
		Engine:  eng,
		Secrets: secrets,
		Store:   deliver.NewMemoryStore(),
		Tokens:  deliver.NewFileTokenStore(cmp.Or(f.tokens, defaultTokensDir())),
		Retry:   deliver.RetryPolicy{MaxAttempts: f.maxAttempts},
		Timeout: f.timeout,
		Vars:    opts.Vars,
		BaseURL: f.baseURL,
		Confirm: f.confirm,
		Now:     sendClock,
	}
	if f.auth != "" {
		s.AuthScheme = map[string]string{res.Marketplace: f.auth}
	}
	// Ctrl-C and SIGTERM stop the run at once; the report still says what
	// was sent and what is unknown.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.dryRun {
		return runDryRun(ctx, stdout, stderr, s, res)
	}
	rep, err := s.Send(ctx, res)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	if err := writeJSON(stdout, rep); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	if !rep.OK() {
		fmt.Fprintf(stderr, "rota: %s: %s\n", rep.Outcome, oneLine(rep.Reason))
		if rep.Outcome == deliver.Unknown {
			return exitError{code: exitUnknown}
		}
		return exitError{code: exitRefused}
	}
	return nil
}

// sendSecrets is where secrets come from: the --secrets file, then the
// environment.
func sendSecrets(stderr io.Writer, file string) (deliver.Secrets, error) {
	if file == "" {
		return deliver.EnvSecrets{}, nil
	}
	fs, err := deliver.LoadSecretsFile(file)
	if err != nil {
		var te *engine.Error
		if errors.As(err, &te) {
			return nil, failf(stderr, "%s", te.Message)
		}
		return nil, failf(stderr, "%v", err)
	}
	return deliver.Chain(fs, deliver.EnvSecrets{}), nil
}

// dryRunOutput is what send --dry-run prints.
type dryRunOutput struct {
	Marketplace string               `json:"marketplace"`
	EventID     string               `json:"eventId"`
	EventType   string               `json:"eventType"`
	Outcome     engine.Outcome       `json:"outcome"`
	Reason      string               `json:"reason,omitempty"`
	DryRun      bool                 `json:"dryRun"`
	Requests    []deliver.DryRequest `json:"requests"`
}

func runDryRun(ctx context.Context, stdout, stderr io.Writer, s *deliver.Sender, res *engine.Result) error {
	reqs, err := s.DryRun(ctx, res)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	out := dryRunOutput{Marketplace: res.Marketplace, EventID: res.EventID, EventType: res.EventType,
		Outcome: res.Outcome, Reason: res.Reason, DryRun: true, Requests: reqs}
	if err := writeJSON(stdout, out); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	return nil
}
