package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/durable"
	"github.com/spf13/cobra"
)

// TokensDirEnv names the environment variable that moves rota send's and
// rota auth exchange's token store (default: the user's configuration
// directory, rota/tokens).
const TokensDirEnv = "ROTA_TOKENS_DIR"

// defaultTokensDir is where the CLI keeps OAuth2 token pairs.
func defaultTokensDir() string {
	if d := os.Getenv(TokensDirEnv); d != "" {
		return d
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "rota", "tokens")
	}
	return filepath.Join(".rota", "tokens")
}

func newAuthCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Manage the OAuth2 token pairs of oauth2-authorization-code auth schemes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Usage()
			return exitError{code: exitUsage}
		},
	}
	cmd.AddCommand(newAuthExchangeCmd())
	return cmd
}

type authExchangeFlags struct {
	marketplace, code, redirectURI string
	auth, secrets, tokens, db      string
	baseURL                        string
	timeout                        time.Duration
	common                         commonFlags
}

// exchangeOutput is what rota auth exchange prints: never a token.
type exchangeOutput struct {
	Marketplace string `json:"marketplace"`
	Scheme      string `json:"scheme"`
	Store       string `json:"store"`
	ExpiresAt   string `json:"expiresAt,omitempty"`
}

func newAuthExchangeCmd() *cobra.Command {
	var f authExchangeFlags
	cmd := &cobra.Command{
		Use:   "exchange -m MARKETPLACE --code CODE --redirect-uri URI",
		Short: "Exchange an authorization code for the first token pair and store it",
		Long: `Exchange turns the authorization code the seller's browser brought back (the
code query parameter of the redirect URI, after the seller authorized the
application) into the first access and refresh token pair of the mapping's
oauth2-authorization-code scheme, and stores it where the senders read it:
the token directory of rota send (--tokens DIR, default $ROTA_TOKENS_DIR or
the user's configuration directory, rota/tokens) or, with --db, the database
of rota serve. From then on every send renews the pair itself; each refresh
token works once, and the store makes sure it is used once.

The client id and secret come from the scheme's secrets (--secrets FILE or
ROTA_SECRET_<MARKETPLACE>_<NAME>). The tokens are never printed: the output
is {"marketplace", "scheme", "store", "expiresAt"}.

Exit codes: 0 stored; 1 the token service refused the code (invalid_grant:
used, expired, or another redirect URI); 2 usage or configuration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuthExchange(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.marketplace, "marketplace", "m", "", "the marketplace whose mapping declares the scheme (required)")
	fl.StringVar(&f.code, "code", "", "the authorization `CODE` the redirect brought back (required)")
	fl.StringVar(&f.redirectURI, "redirect-uri", "", "the redirect `URI` registered for the application, exactly as the authorization used it")
	fl.StringVar(&f.auth, "auth", "", "the mapping's auth scheme `NAME`, when not its default")
	fl.StringVar(&f.secrets, "secrets", "", "read secrets from `FILE` (mode 600); it wins over the environment")
	fl.StringVar(&f.tokens, "tokens", "", "store the pair under `DIR` (rota send's token store; default $ROTA_TOKENS_DIR or the user's configuration directory, rota/tokens)")
	fl.StringVar(&f.db, "db", "", "store the pair in rota serve's database instead: sqlite:`PATH` or postgres://USER@HOST/DB")
	fl.StringVar(&f.baseURL, "base-url", "", "send the token request to `URL` instead (e.g. a simulator)")
	fl.DurationVar(&f.timeout, "timeout", deliver.DefaultTimeout, "give up after `DURATION` without an answer")
	f.common.register(cmd)
	return cmd
}

func runAuthExchange(cmd *cobra.Command, f *authExchangeFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	switch {
	case f.marketplace == "":
		return usageErrorf(stderr, "give the marketplace: -m NAME")
	case f.code == "":
		return usageErrorf(stderr, "give the authorization code: --code CODE")
	case f.db != "" && f.tokens != "":
		return usageErrorf(stderr, "--db and --tokens name two stores; give one")
	case f.timeout <= 0:
		return usageErrorf(stderr, "--timeout %s: want a positive duration such as 30s", f.timeout)
	}
	if deliver.CheckBaseURL(f.baseURL) != nil {
		return usageErrorf(stderr, "--base-url carries a user name or password; credentials come from --secrets or the environment")
	}
	secrets, err := sendSecrets(stderr, f.secrets)
	if err != nil {
		return err
	}
	eng, err := loadEngine(stderr, f.common.mappings)
	if err != nil {
		return err
	}
	vars, err := parseVars(stderr, f.common.vars)
	if err != nil {
		return err
	}
	store, where, closeStore, err := exchangeStore(cmd.Context(), eng, f)
	if err != nil {
		return failf(stderr, "%v", err)
	}
	defer closeStore()
	s := &deliver.Sender{Engine: eng, Secrets: secrets, Tokens: store, Timeout: f.timeout,
		Vars: runVars(eng, f.marketplace, vars), BaseURL: f.baseURL}
	if f.auth != "" {
		s.AuthScheme = map[string]string{f.marketplace: f.auth}
	}
	expiry, err := s.ExchangeCode(cmd.Context(), f.marketplace, f.code, f.redirectURI)
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) {
			return reportError(stdout, stderr, err)
		}
		fmt.Fprintf(stderr, "rota: %s\n", escapeControls(err.Error(), true))
		return exitError{code: exitRefused}
	}
	scheme := f.auth
	if scheme == "" {
		if names := eng.AuthSchemes(f.marketplace); len(names) > 0 {
			scheme = names[0]
		}
	}
	out := exchangeOutput{Marketplace: f.marketplace, Scheme: scheme, Store: where}
	if !expiry.IsZero() {
		out.ExpiresAt = expiry.UTC().Format(time.RFC3339)
	}
	return writeJSON(stdout, out)
}

// exchangeStore opens the store the pair goes to.
func exchangeStore(ctx context.Context, eng *engine.Engine, f *authExchangeFlags) (deliver.TokenStore, string, func(), error) {
	if f.db == "" {
		dir := f.tokens
		if dir == "" {
			dir = defaultTokensDir()
		}
		return deliver.NewFileTokenStore(dir), "file " + dir, func() {}, nil
	}
	svc, err := durable.Open(ctx, durable.Config{Engine: eng, DB: f.db})
	if err != nil {
		return nil, "", nil, err
	}
	where := "database"
	if strings.HasPrefix(f.db, "sqlite:") {
		where = "database " + f.db
	}
	return svc.TokenStore(), where, func() { _ = svc.Close() }, nil
}
