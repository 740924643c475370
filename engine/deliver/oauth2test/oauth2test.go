// Package oauth2test is a loopback OAuth2 token service with refresh-token
// rotation, and an API behind it, for tests of oauth2-authorization-code
// schemes: each refresh token works once, and the server counts every
// refresh token presented a second time, which a correct token store never
// lets happen.
package oauth2test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Client credentials the server accepts.
const (
	ClientID     = "client-id-0123456789"
	ClientSecret = "client-secret-0123456789"
	// Code is the authorization code the server exchanges once, for
	// RedirectURI.
	Code        = "TG-authorization-code-0123456789"
	RedirectURI = "https://seller.example/callback"
	// TokenPath is where the token endpoint listens; every other path is
	// the API.
	TokenPath = "/oauth/token"
)

// Mapping is a mapping (marketplace "oauthshop") whose default scheme is
// oauth2-authorization-code with the token URL
// https://auth.oauthshop.example/oauth/token (a Sender's BaseURL moves it to
// the Server) and one call per order.shipped: POST /orders/{id}/ship.
const Mapping = `marketplace: oauthshop
name: OAuth Shop
timezone: America/Sao_Paulo
environments:
  production:
    baseUrl: https://api.oauthshop.example
auth:
  default: oauth2
  schemes:
    oauth2:
      type: oauth2-authorization-code
      tokenUrl: https://auth.oauthshop.example/oauth/token
      clientId: clientId
      clientSecret: clientSecret
      refreshToken: refreshToken
      secrets: [clientId, clientSecret, refreshToken]
statuses:
  shipped: {canonical: shipped}
events:
  order.created: {ignore: Not sent.}
  order.accepted: {ignore: Not sent.}
  order.approved: {ignore: Not sent.}
  order.handling: {ignore: Not sent.}
  order.invoiced: {ignore: Not sent.}
  order.ready_to_ship: {ignore: Not sent.}
  order.delivered: {ignore: Not sent.}
  order.canceled: {ignore: Not sent.}
  order.delivery_failed: {ignore: Not sent.}
  order.shipment_exception: {ignore: Not sent.}
  order.shipped:
    calls:
      - name: ship
        method: POST
        path: /orders/{order.marketplaceOrderId}/ship
        body:
          tracking: ${ shipment.trackingCode }
`

// Event returns an order.shipped event of Mapping with the given id.
func Event(id string) []byte {
	return fmt.Appendf(nil, `{"specVersion": "1.0", "id": %q, "type": "order.shipped", "occurredAt": "2024-05-10T10:00:00-03:00",
 "marketplace": "oauthshop", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1"},
 "shipment": {"carrier": "Correios", "trackingCode": "BR123"}}`, id)
}

// Server is the token service and the API. Safe for concurrent use.
type Server struct {
	*httptest.Server
	mu          sync.Mutex
	expiresIn   int
	hold        time.Duration
	revokeEvery int
	n           int
	refresh     string          // the one refresh token that works
	access      string          // the access token the API accepts
	used        map[string]bool // refresh tokens presented already
	reused      int
	refreshs    int
	codeUsed    bool
	apiCalls    int
	unauth      int
}

// NewServer starts a Server whose first valid refresh token is seed ("" for
// none: only the authorization code gives a pair). It stops with the test.
func NewServer(t testing.TB, seed string) *Server {
	s := &Server{refresh: seed, used: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetExpiresIn sets the expires_in (seconds) of each token answer; 0 (the
// default) leaves it out.
func (s *Server) SetExpiresIn(seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiresIn = seconds
}

// SetHold delays each refresh answer by d, widening the window in which a
// second refresh with the same token could come in.
func (s *Server) SetHold(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = d
}

// SetRevokeEvery makes the API revoke the access token after every n-th
// accepted call (0: never), so that senders in other processes meet 401s
// without the test reaching into them.
func (s *Server) SetRevokeEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeEvery = n
}

// Reused is how many times a refresh token was presented after it had been
// used: a rotation bug.
func (s *Server) Reused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reused
}

// Refreshes is how many refreshes succeeded.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshs
}

// Unauthorized is how many API calls were answered 401.
func (s *Server) Unauthorized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unauth
}

// Revoke makes the API refuse the current access token (as when it
// expired), so that the next call gets 401 and must refresh.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = ""
}

// Tokens returns the pair currently valid (for assertions only).
func (s *Server) Tokens() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access, s.refresh
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == TokenPath {
		s.token(w, r)
		return
	}
	s.mu.Lock()
	ok := s.access != "" && r.Header.Get("Authorization") == "Bearer "+s.access
	if !ok {
		s.unauth++
	} else if s.apiCalls++; s.revokeEvery > 0 && s.apiCalls%s.revokeEvery == 0 {
		s.access = ""
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message": "invalid access token", "error": "unauthorized", "status": 401, "cause": []}`))
		return
	}
	w.Write([]byte(`{}`))
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("client_id") != ClientID || r.PostForm.Get("client_secret") != ClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error": "invalid_client", "error_description": "bad client credentials", "status": 401}`))
		return
	}
	f := r.PostForm
	switch f.Get("grant_type") {
	case "refresh_token":
		s.mu.Lock()
		rt := f.Get("refresh_token")
		if s.used[rt] {
			s.reused++
		}
		s.used[rt] = true
		valid := rt != "" && rt == s.refresh
		if valid {
			s.refresh = "" // spent even before the answer
		}
		hold := s.hold
		s.mu.Unlock()
		if !valid {
			invalidGrant(w)
			return
		}
		time.Sleep(hold)
		s.issue(w)
		s.mu.Lock()
		s.refreshs++
		s.mu.Unlock()
	case "authorization_code":
		s.mu.Lock()
		ok := !s.codeUsed && f.Get("code") == Code && f.Get("redirect_uri") == RedirectURI
		s.codeUsed = s.codeUsed || f.Get("code") == Code
		s.mu.Unlock()
		if !ok {
			invalidGrant(w)
			return
		}
		s.issue(w)
	default:
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error": "unsupported_grant_type", "status": 400}`))
	}
}

// issue answers a new pair, as Mercado Livre's token endpoint does.
func (s *Server) issue(w http.ResponseWriter) {
	s.mu.Lock()
	s.n++
	s.access = fmt.Sprintf("APP_USR-access-%04d-0123456789", s.n)
	s.refresh = fmt.Sprintf("TG-refresh-%04d-0123456789", s.n)
	ans := map[string]any{"access_token": s.access, "token_type": "bearer", "scope": "offline_access read write",
		"user_id": 1234567, "refresh_token": s.refresh}
	if s.expiresIn > 0 {
		ans["expires_in"] = s.expiresIn
	}
	s.mu.Unlock()
	json.NewEncoder(w).Encode(ans)
}

func invalidGrant(w http.ResponseWriter) {
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"error_description": "Error validating grant. Your authorization code or refresh token may be expired or it was already used", "error": "invalid_grant", "status": 400, "cause": []}`))
}

// Secrets are the secret values of Mapping's scheme, as environment
// variable names (ROTA_SECRET_OAUTHSHOP_...) to values; seed is the
// refreshToken secret ("" leaves it unset).
func Secrets(seed string) map[string]string {
	m := map[string]string{
		"ROTA_SECRET_OAUTHSHOP_CLIENTID":     ClientID,
		"ROTA_SECRET_OAUTHSHOP_CLIENTSECRET": ClientSecret,
	}
	if seed != "" {
		m["ROTA_SECRET_OAUTHSHOP_REFRESHTOKEN"] = seed
	}
	return m
}

// Seed is a first refresh token for NewServer and Secrets.
var Seed = "TG-seed-" + strings.Repeat("0", 16)
