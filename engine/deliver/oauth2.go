package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rotahq/rota/engine"
	"golang.org/x/oauth2"
)

// CodeMissingTokenStore is the configuration error of an
// oauth2-authorization-code scheme sent by a Sender without a TokenStore.
const CodeMissingTokenStore = "missing_token_store"

// tokenExpiryMargin is how long before its stated expiry an access token
// is renewed, for clock skew between Rota and the token service.
const tokenExpiryMargin = time.Minute

// maxRememberedTokens bounds how many rotated tokens an authorizer keeps
// to redact: the newest ones, which are those a message can still quote.
const maxRememberedTokens = 64

// codeAuth sends the access token of an OAuth2 authorization-code scheme as
// Authorization: Bearer, renewing it with the refresh token when it expires
// or the marketplace answers 401. The token pair lives in a TokenStore; a
// renewal happens inside TokenStore.Rotate, so a refresh token is presented
// at most once by every process sharing the store.
type codeAuth struct {
	marketplace, scheme string
	cfg                 oauth2.Config
	store               TokenStore
	key                 string
	seed                string // the refreshToken secret, "" when not set
	client              func() *http.Client
	now                 func() time.Time

	mu     sync.Mutex
	access string    // cached access token
	expiry time.Time // its expiry; zero: unknown
	bad    string    // the access token the marketplace last refused
	seen   []string  // tokens met, newest last, for redaction
}

func newCodeAuth(s *Sender, marketplace string, a *engine.Auth, get func(string) (string, error), seed string) (*codeAuth, error) {
	if s.Tokens == nil {
		return nil, configError(CodeMissingTokenStore, "the %s auth scheme %s rotates its refresh token and needs a token store shared by every sender; set Sender.Tokens (rota send keeps it under --tokens, rota serve in its database)", marketplace, a.Scheme)
	}
	id, secret, tokenURL, err := s.oauthClient(marketplace, a, get)
	if err != nil {
		return nil, err
	}
	cfg := oauth2.Config{ClientID: id, ClientSecret: secret, Scopes: a.Scopes,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	c := &codeAuth{marketplace: marketplace, scheme: a.Scheme, cfg: cfg, store: s.Tokens, key: TokenKey(marketplace, a.Scheme),
		seed: seed, client: s.client, now: s.now}
	if seed != "" {
		c.remember(seed)
	}
	return c, nil
}

func (c *codeAuth) authorize(ctx context.Context, req *http.Request, dry bool) error {
	if dry {
		setHeader(req.Header, "Authorization", bearerPrefix+placeholder(c.cfg.Endpoint.TokenURL))
		return nil
	}
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	setHeader(req.Header, "Authorization", bearerPrefix+tok)
	return nil
}

// usable reports whether an access token may still be sent.
func (c *codeAuth) usable(access string, expiry time.Time) bool {
	return access != "" && access != c.bad && (expiry.IsZero() || c.now().Add(tokenExpiryMargin).Before(expiry))
}

// token returns a usable access token: the cached one, the stored one, or
// a renewed one. The authorizer's lock makes the goroutines of one process
// wait for a single renewal; the store's lock, the processes.
func (c *codeAuth) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.usable(c.access, c.expiry) {
		return c.access, nil
	}
	pair, found, err := c.store.Load(ctx, c.key)
	if err != nil {
		return "", &authError{retryable: true, msg: fmt.Sprintf("cannot read the %s token pair: %v", c.key, err)}
	}
	if found {
		c.remember(pair.AccessToken, pair.RefreshToken)
	}
	if !found || !c.usable(pair.AccessToken, pair.Expiry) {
		if pair, err = c.store.Rotate(ctx, c.key, c.renew(ctx)); err != nil {
			var ae *authError
			if errors.As(err, &ae) {
				return "", err
			}
			return "", &authError{retryable: true, msg: fmt.Sprintf("cannot renew the %s token pair: %v", c.key, err)}
		}
	}
	c.access, c.expiry = pair.AccessToken, pair.Expiry
	return c.access, nil
}

// renew is the Rotate step: it keeps a pair another process renewed
// meanwhile, and otherwise presents the stored refresh token (or the seed
// secret, when nothing is stored) to the token service.
func (c *codeAuth) renew(ctx context.Context) func(TokenPair, bool) (TokenPair, error) {
	return func(cur TokenPair, found bool) (TokenPair, error) {
		if found {
			c.remember(cur.AccessToken, cur.RefreshToken)
			if c.usable(cur.AccessToken, cur.Expiry) {
				return cur, nil
			}
		}
		refresh := cur.RefreshToken
		if !found {
			refresh = c.seed
		}
		if refresh == "" {
			return TokenPair{}, &authError{msg: fmt.Sprintf("no token pair is stored for the %s auth scheme %s; the seller must authorize the application, then run rota auth exchange -m %s --code CODE (or set the scheme's refresh token secret)", c.marketplace, c.scheme, c.marketplace)}
		}
		t, err := c.cfg.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.client()), &oauth2.Token{RefreshToken: refresh}).Token()
		if err != nil {
			return TokenPair{}, c.grantError(err, "refresh token (used, expired or revoked)")
		}
		next := pairOf(t, refresh)
		c.remember(next.AccessToken, next.RefreshToken)
		if err := checkToken(c.cfg.Endpoint.TokenURL, next.AccessToken); err != nil {
			return TokenPair{}, err
		}
		return next, nil
	}
}

// pairOf is the pair a token answer gives; a service that answers no new
// refresh token (RFC 6749 6 allows it) keeps the one presented.
func pairOf(t *oauth2.Token, presented string) TokenPair {
	p := TokenPair{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	if p.RefreshToken == "" {
		p.RefreshToken = presented
	}
	return p
}

// grantError turns a failed grant into an authError. invalid_grant is
// final: only the seller authorizing the application again helps.
func (c *codeAuth) grantError(err error, what string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		return &authError{msg: fmt.Sprintf("the token service %s refused the %s %s: invalid_grant; the seller must authorize the application again, then run rota auth exchange -m %s --code CODE",
			c.cfg.Endpoint.TokenURL, c.key, what, c.marketplace)}
	}
	return oauthError(c.cfg.Endpoint.TokenURL, err)
}

func (c *codeAuth) rejected(ans answer) bool { return ans.status == http.StatusUnauthorized }

// invalidate marks the access token req carried as refused, so that the
// next request renews the pair unless another process renewed it already.
func (c *codeAuth) invalidate(req *http.Request) {
	used := strings.TrimPrefix(req.Header.Get("Authorization"), bearerPrefix)
	c.mu.Lock()
	defer c.mu.Unlock()
	if used != "" {
		c.bad = used
	}
	if c.access == used {
		c.access, c.expiry = "", time.Time{}
	}
}

// remember records tokens to redact. Called with c.mu held or from Rotate
// inside token, which holds it.
func (c *codeAuth) remember(tokens ...string) {
	for _, t := range tokens {
		if t == "" || containsString(c.seen, t) {
			continue
		}
		c.seen = append(c.seen, t)
		if len(c.seen) > maxRememberedTokens {
			c.seen = c.seen[len(c.seen)-maxRememberedTokens:]
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (c *codeAuth) secretValues() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string{c.cfg.ClientID, c.cfg.ClientSecret, c.seed}, c.seen...)
	return out
}

// ExchangeCode exchanges an authorization code for the first token pair of
// marketplace's oauth2-authorization-code scheme (the mapping's default, or
// Sender.AuthScheme's choice) and stores it in Sender.Tokens. redirectURI is
// the one the seller was sent to authorize with; the token service checks
// that it matches. The pair is never returned: only its expiry.
//
// Errors: *engine.Error of kind configuration (not such a scheme, a missing
// secret or token store), or a failure of the token service, whose message
// holds no secret.
func (s *Sender) ExchangeCode(ctx context.Context, marketplace, code, redirectURI string) (time.Time, error) {
	ea, err := s.Engine.Auth(marketplace, s.AuthScheme[marketplace], s.varsFor(marketplace))
	if err != nil {
		return time.Time{}, err
	}
	if ea.Type != engine.AuthOAuth2Code {
		return time.Time{}, configError("unknown_auth_type", "the %s auth scheme %s has type %s; rota auth exchange needs an %s scheme (pick it with --auth)", marketplace, ea.Scheme, ea.Type, engine.AuthOAuth2Code)
	}
	a, err := s.newAuthorizer(marketplace, ea, s.varsFor(marketplace))
	if err != nil {
		return time.Time{}, err
	}
	c := a.(*codeAuth)
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	var opts []oauth2.AuthCodeOption
	if redirectURI != "" {
		opts = append(opts, oauth2.SetAuthURLParam("redirect_uri", redirectURI))
	}
	t, err := c.cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.client()), code, opts...)
	if err != nil {
		scrub := scrubber(append(c.secretValues(), code))
		return time.Time{}, errors.New(scrub.Replace(c.grantError(err, "authorization code (used, expired, or issued for another redirect URI)").Error()))
	}
	if t.RefreshToken == "" {
		return time.Time{}, fmt.Errorf("the token service %s answered no refresh token; the application needs the offline_access scope", c.cfg.Endpoint.TokenURL)
	}
	pair := pairOf(t, "")
	if err := s.Tokens.Put(ctx, c.key, pair); err != nil {
		return time.Time{}, err
	}
	return pair.Expiry, nil
}
