package engine

import (
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/rotahq/rota/engine/lang"
)

// AuthType is the type of an auth scheme (Auth.Type), as a mapping spells
// it.
type AuthType string

// Auth types a mapping can declare.
const (
	AuthNone              AuthType = "none"
	AuthHeaders           AuthType = "headers"
	AuthSellerCenterHMAC  AuthType = "sellercenter-hmac"
	AuthOAuth2Credentials AuthType = "oauth2-client-credentials"
	AuthToken             AuthType = "token"
	// AuthOAuth2Code is an OAuth2 authorization-code grant whose token pair
	// rotates (each refresh token works once) through a token store.
	AuthOAuth2Code AuthType = "oauth2-authorization-code"
)

// Auth is how a marketplace's calls authenticate, as its mapping declares
// it, with variables resolved. It names secrets; it never holds their
// values: a sender looks them up when it sends.
type Auth struct {
	// Scheme is the scheme's name in the mapping; Type one of the Auth* constants.
	Scheme string
	Type   AuthType
	// Secrets are the names of the secrets the scheme needs.
	Secrets []string
	// Headers (type headers): header name → secret name.
	Headers map[string]string
	// UserID and APIKey (type sellercenter-hmac): secret names; Placement
	// is "query" or "headers".
	UserID, APIKey, Placement string
	// TokenURL (types oauth2-client-credentials and token), resolved.
	TokenURL string
	// TokenURLExample is the token URL rendered with the examples the
	// mapping gives for the variables it reads that are not set: where a
	// sender that moves every URL to one base (a simulator) finds the
	// token service's path when TokenURL is empty. "" when there is none.
	TokenURLExample string
	// ClientID and ClientSecret (type oauth2-client-credentials): secret names.
	ClientID, ClientSecret string
	Scopes                 []string
	// RefreshToken (type oauth2-authorization-code): name of the secret that
	// seeds the token store with a first refresh token; "" when none.
	RefreshToken string
	// TokenMethod, TokenField (gjson path of the token in the answer),
	// TokenHeader and TokenPrefix (type token).
	TokenMethod, TokenField, TokenHeader, TokenPrefix string

	plan *authPlan
	mk   *market
}

// Auth returns a marketplace's authentication scheme: the named one, or the
// mapping's default when scheme is "". A mapping without auth gives type
// none. Errors are *Error of kind configuration or unknown_marketplace.
func (e *Engine) Auth(marketplace, scheme string, vars map[string]string) (*Auth, error) {
	mk, err := e.market(marketplace)
	if err != nil {
		return nil, err
	}
	if mk.auth == nil {
		return &Auth{Scheme: string(AuthNone), Type: AuthNone, mk: mk}, nil
	}
	if scheme == "" {
		scheme = mk.authDefault
	}
	ap, ok := mk.auth[scheme]
	if !ok {
		return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownAuthScheme,
			Message: fmt.Sprintf("the %s mapping has no auth scheme %q (it has: %s)", mk.id, scheme, strings.Join(mk.authNames, ", "))}
	}
	return mk.resolveAuth(ap, vars)
}

func (mk *market) resolveAuth(ap *authPlan, given map[string]string) (*Auth, error) {
	s := ap.scheme
	a := &Auth{Scheme: ap.name, Type: AuthType(s.Type), Secrets: s.Secrets, Headers: s.Headers.Values, UserID: s.UserID, APIKey: s.APIKey,
		Placement: s.Placement, ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: s.Scopes, RefreshToken: s.RefreshToken, plan: ap, mk: mk}
	if a.Placement == "" {
		a.Placement = "query"
	}
	if t := s.Token; t != nil {
		a.TokenMethod, a.TokenField, a.TokenHeader, a.TokenPrefix = t.Method, t.Field, t.Header, t.Prefix
	}
	if ap.tokenURL == nil {
		return a, nil
	}
	vars, err := mk.resolveVars(given)
	if err != nil {
		return nil, err
	}
	r := &renderer{mk: mk, env: &lang.AuthEnv{Vars: vars}}
	if a.TokenURL, err = r.renderString(ap.tokenURL); err != nil {
		return nil, err
	}
	if a.TokenURL == "" {
		a.TokenURLExample = mk.exampleTokenURL(ap, vars)
	}
	if _, err := parseBaseURL(a.TokenURL); err != nil && a.TokenURL != "" {
		return nil, &Error{Kind: KindConfiguration, Code: CodeBadBaseURL, Source: ap.tokenURL.pos.String(),
			Message: fmt.Sprintf("the %s token URL is not usable (%v); set the variables it reads", mk.id, err)}
	}
	return a, nil
}

// TokenRejected reports whether a marketplace answer means the token was
// refused: the mapping's token.rejectedWhen rule, else HTTP 401 or 403.
func (a *Auth) TokenRejected(status int, header http.Header, body []byte) (bool, error) {
	var rule *lang.Program
	if a.plan != nil {
		rule = a.plan.rejected
	}
	return evalBool(rule, responseEnv(status, header, body), status == http.StatusUnauthorized || status == http.StatusForbidden)
}

// HasTokenRule reports whether the mapping declares token.rejectedWhen.
func (a *Auth) HasTokenRule() bool { return a.plan != nil && a.plan.rejected != nil }

// AuthSchemes returns the names of a marketplace's auth schemes, default
// first, or nil for an unknown marketplace or a mapping without auth.
func (e *Engine) AuthSchemes(marketplace string) []string {
	mk, ok := e.markets[marketplace]
	if !ok || mk.auth == nil {
		return nil
	}
	out := []string{mk.authDefault}
	for _, name := range mk.authNames {
		if name != mk.authDefault {
			out = append(out, name)
		}
	}
	return out
}

// TokenBody renders the token request body (type token) with the secrets'
// values. The result holds secrets: never log it.
func (a *Auth) TokenBody(secrets, vars map[string]string) ([]byte, error) {
	if a.plan == nil || a.plan.tokenBody == nil {
		return nil, nil
	}
	for _, name := range a.Secrets {
		if secrets[name] == "" {
			return nil, &Error{Kind: KindConfiguration, Code: CodeMissingSecret,
				Message: fmt.Sprintf("secret %s of the %s mapping is not set; set %s or put it in the secrets file", name, a.mk.id, SecretEnvName(a.mk.id, name))}
		}
	}
	r := &renderer{mk: a.mk, env: &lang.AuthEnv{Secrets: secrets, Vars: vars}}
	return r.renderJSON(a.plan.tokenBody)
}

// SecretEnvName is the environment variable that holds a marketplace's
// secret: ROTA_SECRET_<MARKETPLACE>_<NAME>, upper case, - as _.
func SecretEnvName(marketplace, name string) string {
	return envName("ROTA_SECRET_", marketplace, name)
}

// VarEnvName is the environment variable that holds a marketplace's
// run-time variable: ROTA_VAR_<MARKETPLACE>_<NAME>.
func VarEnvName(marketplace, name string) string { return envName("ROTA_VAR_", marketplace, name) }

// exampleTokenURL renders the token URL with each unset variable's example.
func (mk *market) exampleTokenURL(ap *authPlan, vars map[string]string) string {
	filled := maps.Clone(vars)
	if filled == nil {
		filled = map[string]string{}
	}
	for name, v := range mk.vars {
		if filled[name] == "" && v.Example != "" {
			filled[name] = v.Example
		}
	}
	r := &renderer{mk: mk, env: &lang.AuthEnv{Vars: filled}}
	u, err := r.renderString(ap.tokenURL)
	if err != nil {
		return ""
	}
	return u
}
