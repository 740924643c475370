package deliver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
	"github.com/tidwall/gjson"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Redacted replaces a secret value in dry-run output.
const Redacted = "[redacted]"

// CodeMissingTokenURL is the configuration error of a token or OAuth2
// scheme whose token URL is not set (Napse's tokenUrl variable).
const CodeMissingTokenURL = "missing_token_url"

// authorizer adds a marketplace's credentials to requests. Implementations
// are safe for concurrent use.
type authorizer interface {
	// authorize adds the credentials to req. When dry, no token service is
	// called: a placeholder stands for the token.
	authorize(ctx context.Context, req *http.Request, dry bool) error
	// rejected reports whether an answer says the credential the request
	// carried is no longer good, so that it is renewed once and the
	// request sent again.
	rejected(ans answer) bool
	// invalidate drops the cached credential req carried, if still cached.
	invalidate(req *http.Request)
	// secretValues are the values never to show: secrets and tokens.
	secretValues() []string
}

// authError is a failure to obtain a credential. retryable when the token
// service failed in passing (no answer, 429, 5xx).
type authError struct {
	retryable bool
	msg       string
	// retryAfter is the token service's Retry-After header, if any.
	retryAfter string
}

func (e *authError) Error() string { return e.msg }

// newAuthorizer builds the authorizer of scheme a for marketplace, reading
// every secret it names up front: a missing one is a configuration error.
// vars are the marketplace's run-time variables (token request bodies).
func (s *Sender) newAuthorizer(marketplace string, a *engine.Auth, vars map[string]string) (authorizer, error) {
	values := map[string]string{}
	var missing []string
	for _, name := range a.Secrets {
		v, ok := s.secrets().Secret(marketplace, name)
		if !ok && a.Type == engine.AuthOAuth2Code && name == a.RefreshToken {
			continue // the seed is optional once the token store holds a pair
		}
		if !ok {
			missing = append(missing, name)
			continue
		}
		if utf8.RuneCountInString(v) < MinSecretLength {
			return nil, configError(CodeSecretTooShort, "secret %s of the %s auth scheme %s is shorter than %d characters: too short to keep out of messages; set %s to the full value the marketplace issued",
				name, marketplace, a.Scheme, MinSecretLength, engine.SecretEnvName(marketplace, name))
		}
		values[name] = v
	}
	if len(missing) > 0 {
		return nil, missingSecrets(marketplace, a.Scheme, missing)
	}
	get := func(name string) (string, error) {
		if v, ok := values[name]; ok {
			return v, nil
		}
		return "", missingSecrets(marketplace, a.Scheme, []string{name})
	}
	switch a.Type {
	case engine.AuthNone, "":
		return noAuth{}, nil
	case engine.AuthHeaders:
		return newHeaderAuth(a, get)
	case engine.AuthSellerCenterHMAC:
		return newHMACAuth(s, a, get)
	case engine.AuthOAuth2Credentials:
		return newOAuthAuth(s, marketplace, a, get)
	case engine.AuthToken:
		return newTokenAuth(s, marketplace, a, values, vars)
	case engine.AuthOAuth2Code:
		return newCodeAuth(s, marketplace, a, get, values[a.RefreshToken])
	}
	return nil, configError("unknown_auth_type", "the %s auth scheme %s has type %q, which this sender does not know; pick another scheme (rota send --auth)", marketplace, a.Scheme, a.Type)
}

func valuesOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// noAuth sends calls as they are.
type noAuth struct{}

func (noAuth) authorize(context.Context, *http.Request, bool) error { return nil }
func (noAuth) rejected(answer) bool                                 { return false }
func (noAuth) invalidate(*http.Request)                             {}
func (noAuth) secretValues() []string                               { return nil }

// headerAuth sets static headers from secrets (SkyHub, Fast Shop).
type headerAuth struct {
	headers map[string]string // header name → value
}

func newHeaderAuth(a *engine.Auth, get func(string) (string, error)) (*headerAuth, error) {
	h := &headerAuth{headers: map[string]string{}}
	for header, name := range a.Headers {
		v, err := get(name)
		if err != nil {
			return nil, err
		}
		h.headers[header] = v
	}
	return h, nil
}

func (h *headerAuth) authorize(_ context.Context, req *http.Request, _ bool) error {
	for name, v := range h.headers {
		setHeader(req.Header, name, v)
	}
	return nil
}

func (h *headerAuth) rejected(answer) bool     { return false }
func (h *headerAuth) invalidate(*http.Request) {}
func (h *headerAuth) secretValues() []string   { return valuesOf(h.headers) }

// setHeader sets a header under the exact name given (the mapping's
// spelling), replacing any other spelling of it.
func setHeader(h http.Header, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[name] = []string{value}
}

// hmacAuth signs every request with the SellerCenter signature (Dafiti).
type hmacAuth struct {
	userID, apiKey string
	placement      string
	now            func() time.Time
}

func newHMACAuth(s *Sender, a *engine.Auth, get func(string) (string, error)) (*hmacAuth, error) {
	user, err := get(a.UserID)
	if err != nil {
		return nil, err
	}
	key, err := get(a.APIKey)
	if err != nil {
		return nil, err
	}
	return &hmacAuth{userID: user, apiKey: key, placement: a.Placement, now: s.now}, nil
}

// params are the signed parameters of one request, with a fresh Timestamp.
func (h *hmacAuth) params() url.Values {
	return url.Values{
		"UserID":    {h.userID},
		"Version":   {"1.0"},
		"Format":    {"JSON"},
		"Timestamp": {SellerCenterTimestamp(h.now())},
	}
}

// authorize signs req. Placement headers: UserID, Timestamp, Version, Format
// and Signature travel as headers and the signature covers those four.
// Placement query: they join the URL's own query parameters, all of them
// signed, and Signature is appended.
func (h *hmacAuth) authorize(_ context.Context, req *http.Request, _ bool) error {
	p := h.params()
	if h.placement == "headers" {
		sig := SellerCenterSignature(p, h.apiKey)
		for _, name := range []string{"UserID", "Timestamp", "Version", "Format"} {
			setHeader(req.Header, name, p.Get(name))
		}
		setHeader(req.Header, "Signature", sig)
		return nil
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return &authError{msg: fmt.Sprintf("cannot sign the request: its query string is malformed: %v", err)}
	}
	for name, v := range p {
		q[name] = v
	}
	req.URL.RawQuery = SellerCenterStringToSign(q) + "&Signature=" + SellerCenterSignature(q, h.apiKey)
	return nil
}

func (h *hmacAuth) rejected(answer) bool     { return false }
func (h *hmacAuth) invalidate(*http.Request) {}
func (h *hmacAuth) secretValues() []string   { return []string{h.userID, h.apiKey} }

// tokenCache holds one token, shared by the requests of a marketplace.
type tokenCache struct {
	mu    sync.Mutex
	value string
	valid func() bool // nil: valid until dropped
}

// get returns the cached token, or fetches one (holding the lock, so that
// concurrent requests wait for a single fetch).
func (c *tokenCache) get(fetch func() (string, func() bool, error)) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.value != "" && (c.valid == nil || c.valid()) {
		return c.value, nil
	}
	v, valid, err := fetch()
	if err != nil {
		return "", err
	}
	c.value, c.valid = v, valid
	return v, nil
}

// drop forgets the token if it is still used.
func (c *tokenCache) drop(used string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if used != "" && c.value == used {
		c.value, c.valid = "", nil
	}
}

func (c *tokenCache) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// oauthAuth sends an OAuth2 client-credentials token as Authorization:
// Bearer (Dafiti's oauth2 scheme). The token is cached until it expires or
// the marketplace answers 401.
type oauthAuth struct {
	cfg    clientcredentials.Config
	client func() *http.Client
	cache  tokenCache
}

// oauthClient resolves an OAuth2 scheme's client id and secret and the
// token endpoint's URL, for both grants.
func (s *Sender) oauthClient(marketplace string, a *engine.Auth, get func(string) (string, error)) (id, secret, tokenURL string, err error) {
	if id, err = get(a.ClientID); err != nil {
		return "", "", "", err
	}
	if secret, err = get(a.ClientSecret); err != nil {
		return "", "", "", err
	}
	tokenURL, err = s.tokenURL(marketplace, a)
	return id, secret, tokenURL, err
}

func newOAuthAuth(s *Sender, marketplace string, a *engine.Auth, get func(string) (string, error)) (*oauthAuth, error) {
	id, secret, tokenURL, err := s.oauthClient(marketplace, a, get)
	if err != nil {
		return nil, err
	}
	cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: a.Scopes}
	return &oauthAuth{cfg: cfg, client: s.client}, nil
}

const bearerPrefix = "Bearer "

func (o *oauthAuth) authorize(ctx context.Context, req *http.Request, dry bool) error {
	if dry {
		setHeader(req.Header, "Authorization", bearerPrefix+placeholder(o.cfg.TokenURL))
		return nil
	}
	tok, err := o.cache.get(func() (string, func() bool, error) {
		t, err := o.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, o.client()))
		if err != nil {
			return "", nil, oauthError(o.cfg.TokenURL, err)
		}
		if err := checkToken(o.cfg.TokenURL, t.AccessToken); err != nil {
			return "", nil, err
		}
		return t.AccessToken, t.Valid, nil
	})
	if err != nil {
		return err
	}
	setHeader(req.Header, "Authorization", bearerPrefix+tok)
	return nil
}

func oauthError(tokenURL string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		return &authError{retryable: retryableStatus(st), retryAfter: re.Response.Header.Get("Retry-After"),
			msg: fmt.Sprintf("the token service %s answered %d: %s", tokenURL, st, snippet(re.Body))}
	}
	return &authError{retryable: true, msg: fmt.Sprintf("cannot get a token from %s: %s", tokenURL, transportMessage(err))}
}

func (o *oauthAuth) rejected(ans answer) bool { return ans.status == http.StatusUnauthorized }

func (o *oauthAuth) invalidate(req *http.Request) {
	o.cache.drop(strings.TrimPrefix(req.Header.Get("Authorization"), bearerPrefix))
}

func (o *oauthAuth) secretValues() []string {
	id, secret := o.cfg.ClientID, o.cfg.ClientSecret
	return []string{id, secret, o.cache.current(),
		// HTTP Basic credentials of the token request, as sent (RFC 6749
		// 2.3.1 form-encodes both) and as written without encoding.
		"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))),
		base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))}
}

// tokenAuth sends a token obtained from the marketplace's token service in
// a header (Napse's x-access-token). The token is kept until the
// marketplace rejects it (Sender.TokenRejected).
type tokenAuth struct {
	rule           *engine.Auth // the mapping's scheme, for token.rejectedWhen
	url, method    string
	body           []byte // holds secrets
	field          string
	header, prefix string
	values         []string
	client         func() *http.Client
	isRejected     func(int, engine.Verdict) bool
	cache          tokenCache
}

func newTokenAuth(s *Sender, marketplace string, a *engine.Auth, secrets, vars map[string]string) (*tokenAuth, error) {
	tokenURL, err := s.tokenURL(marketplace, a)
	if err != nil {
		return nil, err
	}
	body, err := a.TokenBody(secrets, vars)
	if err != nil {
		return nil, err
	}
	t := &tokenAuth{url: tokenURL, method: a.TokenMethod, body: body, field: a.TokenField, header: a.TokenHeader,
		prefix: a.TokenPrefix, values: valuesOf(secrets), client: s.client, isRejected: s.TokenRejected, rule: a}
	if t.method == "" {
		t.method = http.MethodPost
	}
	if t.field == "" {
		t.field = "token"
	}
	if t.header == "" {
		t.header = "Authorization"
	}
	return t, nil
}

func (t *tokenAuth) authorize(ctx context.Context, req *http.Request, dry bool) error {
	if dry {
		setHeader(req.Header, t.header, t.prefix+placeholder(t.url))
		return nil
	}
	tok, err := t.cache.get(func() (string, func() bool, error) {
		v, err := t.fetch(ctx)
		return v, nil, err
	})
	if err != nil {
		return err
	}
	setHeader(req.Header, t.header, t.prefix+tok)
	return nil
}

// fetch asks the token service for a token.
func (t *tokenAuth) fetch(ctx context.Context) (string, error) {
	var body io.Reader
	if t.body != nil {
		body = bytes.NewReader(t.body)
	}
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, body)
	if err != nil {
		return "", &authError{msg: fmt.Sprintf("cannot build the token request to %s: %v", t.url, err)}
	}
	req.Header.Set("Accept", "application/json")
	if t.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client().Do(req)
	if err != nil {
		return "", &authError{retryable: true, msg: fmt.Sprintf("cannot get a token from %s: %s", t.url, transportMessage(err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", &authError{retryable: true, msg: fmt.Sprintf("cannot read the answer of the token service %s: %s", t.url, transportMessage(err))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &authError{retryable: retryableStatus(resp.StatusCode), retryAfter: resp.Header.Get("Retry-After"),
			msg: fmt.Sprintf("the token service %s answered %d: %s", t.url, resp.StatusCode, snippet(raw))}
	}
	tok := gjson.GetBytes(raw, t.field).String()
	if tok == "" {
		return "", &authError{msg: fmt.Sprintf("the token service %s answered without a token at %q (the scheme's token.field)", t.url, t.field)}
	}
	return tok, checkToken(t.url, tok)
}

// checkToken refuses a token too short to keep out of messages.
func checkToken(tokenURL, tok string) error {
	if utf8.RuneCountInString(tok) < MinSecretLength {
		return &authError{msg: fmt.Sprintf("the token service %s answered a token of %d characters, shorter than %d: too short to keep out of reports, so it is not used", tokenURL, utf8.RuneCountInString(tok), MinSecretLength)}
	}
	return nil
}

// rejected applies the Sender's TokenRejected test when set, else the
// mapping's token.rejectedWhen rule, else DefaultTokenRejected.
func (t *tokenAuth) rejected(ans answer) bool {
	switch {
	case t.isRejected != nil:
		return t.isRejected(ans.status, ans.verdict)
	case t.rule != nil && t.rule.HasTokenRule():
		ok, err := t.rule.TokenRejected(ans.status, ans.header, ans.body)
		return err == nil && ok
	}
	return DefaultTokenRejected(ans.status, ans.verdict)
}

func (t *tokenAuth) invalidate(req *http.Request) {
	t.cache.drop(strings.TrimPrefix(headerValue(req.Header, t.header), t.prefix))
}

func (t *tokenAuth) secretValues() []string {
	return append(t.values[:len(t.values):len(t.values)], t.cache.current())
}

// DefaultTokenRejected is how a Sender tells, for a token scheme, that the
// marketplace rejected the token: HTTP 401 or 403, or an answer that is not
// a success whose message mentions a token (Napse BRIDGE answers "token
// inválido" in its ack body). Sender.TokenRejected replaces it.
func DefaultTokenRejected(status int, v engine.Verdict) bool {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return true
	}
	return v.Outcome != engine.VerdictSuccess && strings.Contains(strings.ToLower(v.Message), "token")
}

func headerValue(h http.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func placeholder(tokenURL string) string {
	return "[redacted: obtained from " + tokenURL + " at send time]"
}

func retryableStatus(st int) bool { return st == http.StatusTooManyRequests || st >= 500 }

// tokenURL is the scheme's token URL, moved to Sender.BaseURL when set.
func (s *Sender) tokenURL(marketplace string, a *engine.Auth) (string, error) {
	if a.TokenURL == "" && s.BaseURL != "" && a.TokenURLExample != "" {
		// Every URL goes to BaseURL: the token service too, at the path
		// the mapping's example of its URL gives.
		return rebase(a.TokenURLExample, s.BaseURL)
	}
	if a.TokenURL == "" {
		return "", configError(CodeMissingTokenURL, "the %s auth scheme %s needs a token URL and none is set; give the variable its mapping uses for it (e.g. --var tokenUrl=https://host/path or %s)",
			marketplace, a.Scheme, engine.VarEnvName(marketplace, "tokenUrl"))
	}
	if s.BaseURL == "" {
		return a.TokenURL, nil
	}
	return rebase(a.TokenURL, s.BaseURL)
}

// errBaseURLUserinfo refuses a base URL that carries credentials; it does
// not quote the URL, which would show them.
var errBaseURLUserinfo = configError(engine.CodeBadBaseURL, "the base URL carries a user name or password (USER:PASSWORD@HOST): credentials come from secrets, never from a URL; remove them")

// CheckBaseURL refuses a base URL with userinfo (USER:PASSWORD@HOST): net/http
// would turn it into Basic authentication, and it would be shown wherever
// the URL is. The error, of kind configuration (code bad_url), does not
// quote the URL. Other problems are left to the sender and translation.
func CheckBaseURL(base string) error {
	if u, err := url.Parse(base); err == nil && u.User != nil {
		return errBaseURLUserinfo
	}
	return nil
}

// rebase moves u to base: base's scheme and host, base's path followed by
// u's path, u's query. A URL already on base's scheme and host (a token URL
// given for the simulator) is left as it is.
func rebase(u, base string) (string, error) {
	tu, err := url.Parse(u)
	if err != nil {
		return "", configError(engine.CodeBadBaseURL, "token URL %q does not parse (%v); fix the variable the mapping reads it from", u, err)
	}
	bu, err := url.Parse(base)
	if err != nil || bu.Scheme == "" || bu.Host == "" {
		return "", configError(engine.CodeBadBaseURL, "base URL %q is not an absolute URL; give a scheme and a host, e.g. --base-url http://127.0.0.1:8080/dafiti", base)
	}
	if bu.User != nil {
		return "", errBaseURLUserinfo
	}
	if strings.EqualFold(tu.Scheme, bu.Scheme) && strings.EqualFold(tu.Host, bu.Host) {
		return u, nil
	}
	out := *tu
	out.Scheme, out.Host, out.User = bu.Scheme, bu.Host, nil
	out.Path = strings.TrimSuffix(bu.Path, "/") + tu.Path
	out.RawPath = ""
	return out.String(), nil
}
