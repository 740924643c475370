package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

// dafitiShipped is Dafiti's order.shipped for items already ready to
// ship: one call. (The example starts from pending: two calls.)
func dafitiShipped(t *testing.T, base string) *engine.Result {
	raw := example(t, "dafiti/shipped.json", `"status": "invoiced"`, `"status": "ready_to_ship"`,
		`"marketplaceStatus": "pending"`, `"marketplaceStatus": "ready_to_ship"`)
	res := translate(t, raw, base, nil)
	if len(res.Calls) != 1 {
		t.Fatalf("%d calls, want set-to-shipped only", len(res.Calls))
	}
	return res
}

func TestHMACRegeneratedPerAttempt(t *testing.T) {
	f := newFake(t, func(n int, _ request, w http.ResponseWriter) {
		if n == 1 {
			answerWith(w, 503, `{"caused_by":"maintenance_mode"}`)
			return
		}
		answerWith(w, 200, `{"orderItemIds":[123456,654321]}`)
	})
	c := newClock()
	s := newSender(t, c)
	s.Retry.BaseDelay = 2 * time.Second // the Timestamp has whole seconds
	rep := send(t, s, dafitiShipped(t, f.URL))
	wantCall(t, rep, 0, CallSuccess, 200, 2, "")
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	var stamps, sigs []string
	for i, r := range reqs {
		p := url.Values{}
		for _, name := range []string{"UserID", "Timestamp", "Version", "Format"} {
			p.Set(name, r.Header.Get(name))
		}
		if p.Get("UserID") != "look@me.com" || p.Get("Version") != "1.0" || p.Get("Format") != "JSON" {
			t.Errorf("attempt %d: signed headers %v", i+1, p)
		}
		sig := r.Header.Get("Signature")
		if want := SellerCenterSignature(p, "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe"); sig != want {
			t.Errorf("attempt %d: Signature %q, want %q", i+1, sig, want)
		}
		if r.RawQuery != "" {
			t.Errorf("placement headers must leave the query alone: %q", r.RawQuery)
		}
		stamps, sigs = append(stamps, p.Get("Timestamp")), append(sigs, sig)
	}
	if stamps[0] != "2015-07-01T11:11:11+00:00" || stamps[0] == stamps[1] || sigs[0] == sigs[1] {
		t.Errorf("timestamps %v and signatures %v must differ per attempt", stamps, sigs)
	}
}

// oauthServer is a token endpoint and a Dafiti API: the API rejects the
// tokens reject says with 401.
type oauthServer struct {
	*fake
	fetches atomic.Int32
	reject  func(token string) bool
}

func newOAuthServer(t *testing.T, tokenStatus int) *oauthServer {
	o := &oauthServer{reject: func(string) bool { return false }}
	o.fake = newFake(t, func(_ int, r request, w http.ResponseWriter) {
		if r.Path == "/oauth/client-credentials" {
			id, secret, ok := (&http.Request{Header: r.Header}).BasicAuth()
			form, _ := url.ParseQuery(r.Body)
			if !ok {
				id, secret = form.Get("client_id"), form.Get("client_secret")
			}
			if tokenStatus != 200 || form.Get("grant_type") != "client_credentials" ||
				id != "dafiti-client-SECRET-3" || secret != "dafiti-client-secret-SECRET-4" {
				answerWith(w, 401, `{"error":"invalid_client"}`)
				return
			}
			n := o.fetches.Add(1)
			answerWith(w, 200, fmt.Sprintf(`{"access_token":"tokenvalue-%d","token_type":"bearer","expires_in":3600}`, n))
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !strings.HasPrefix(tok, "tokenvalue-") || o.reject(tok) {
			answerWith(w, 401, `{"message":"invalid token"}`)
			return
		}
		answerWith(w, 200, `{}`)
	})
	return o
}

func oauthSender(t *testing.T, o *oauthServer) *Sender {
	s := newSender(t, newClock())
	s.AuthScheme = map[string]string{"dafiti": "oauth2"}
	s.BaseURL = o.URL // moves the mapping's token URL to the fake
	return s
}

func apiRequests(f *fake) []request {
	var out []request
	for _, r := range f.requests() {
		if strings.HasPrefix(r.Path, "/v2/") {
			out = append(out, r)
		}
	}
	return out
}

func TestOAuth2TokenCached(t *testing.T) {
	o := newOAuthServer(t, 200)
	s := oauthSender(t, o)
	for i := range 2 {
		res := dafitiShipped(t, o.URL)
		res.EventID = fmt.Sprintf("evt-%d", i)
		if rep := send(t, s, res); rep.Outcome != Delivered {
			t.Fatalf("%+v", rep)
		}
	}
	api := apiRequests(o.fake)
	if o.fetches.Load() != 1 || len(api) != 2 || api[1].Header.Get("Authorization") != "Bearer tokenvalue-1" {
		t.Errorf("%d token fetches, API saw %d requests (%v); want one token for both", o.fetches.Load(), len(api), api)
	}
}

func TestOAuth2RefreshOn401(t *testing.T) {
	o := newOAuthServer(t, 200)
	o.reject = func(tok string) bool { return tok == "tokenvalue-1" }
	rep := send(t, oauthSender(t, o), dafitiShipped(t, o.URL))
	wantCall(t, rep, 0, CallSuccess, 200, 2, "")
	if o.fetches.Load() != 2 {
		t.Errorf("%d token fetches, want 2", o.fetches.Load())
	}
	// Rejected again after the refresh: refused, no further refresh.
	o = newOAuthServer(t, 200)
	o.reject = func(string) bool { return true }
	rep = send(t, oauthSender(t, o), dafitiShipped(t, o.URL))
	wantCall(t, rep, 0, CallRefused, 401, 2, "401")
	if rep.Outcome != Refused || o.fetches.Load() != 2 || len(apiRequests(o.fake)) != 2 {
		t.Errorf("%s, %d fetches, %d API requests; want refused, 2, 2", rep.Outcome, o.fetches.Load(), len(apiRequests(o.fake)))
	}
}

func TestOAuth2TokenServiceRefuses(t *testing.T) {
	o := newOAuthServer(t, 401)
	rep := send(t, oauthSender(t, o), dafitiShipped(t, o.URL))
	c := rep.Calls[0]
	if rep.Outcome != Failed || c.Error != ErrAuthFailed || c.Status != 0 || len(apiRequests(o.fake)) != 0 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(c.Message, "/oauth/client-credentials answered 401") {
		t.Errorf("message %q", c.Message)
	}
}

// napseServer is a BRIDGE token service and API: tokens rejects says are
// answered "token inválido" (HTTP 200, as BRIDGE puts errors in its ack).
type napseServer struct {
	*fake
	fetches atomic.Int32
	reject  func(token string) bool
	status  func(n int) string // currentStatus of the n-th status query
	queries atomic.Int32
}

func newNapseServer(t *testing.T) *napseServer {
	ns := &napseServer{reject: func(string) bool { return false }, status: func(int) string { return "open" }}
	ns.fake = newFake(t, func(_ int, r request, w http.ResponseWriter) {
		switch r.Path {
		case "/auth/token":
			var body map[string]string
			if json.Unmarshal([]byte(r.Body), &body) != nil || body["user"] != "bridge-user-SECRET-7" || body["password"] != "bridge-password-SECRET-8" {
				answerWith(w, 401, `{"message":"bad credentials"}`)
				return
			}
			answerWith(w, 200, fmt.Sprintf(`{"token":"tokenvalue-%d"}`, ns.fetches.Add(1)))
			return
		}
		if tok := r.Header.Get("x-access-token"); tok == "" || ns.reject(tok) {
			answerWith(w, 200, `{"ack": 9998, "message": "token inválido"}`)
			return
		}
		if r.Path == "/order/status" {
			answerWith(w, 200, fmt.Sprintf(`{"ack":0,"message":"-","currentStatus":%q}`, ns.status(int(ns.queries.Add(1)))))
			return
		}
		answerWith(w, 200, `{"ack":0,"message":"-"}`)
	})
	return ns
}

func napseSender(t *testing.T, ns *napseServer, c *clock) (*Sender, *engine.Result) {
	vars := map[string]string{"baseUrl": ns.URL, "tokenUrl": ns.URL + "/auth/token"}
	s := newSender(t, c)
	s.Vars = vars
	return s, translate(t, example(t, "napse/approved.json"), "", vars)
}

func TestTokenServiceNapse(t *testing.T) {
	ns := newNapseServer(t)
	ns.reject = func(tok string) bool { return tok == "tokenvalue-1" }
	s, res := napseSender(t, ns, newClock())
	rep := send(t, s, res)
	wantCall(t, rep, 0, CallSuccess, 200, 2, "")
	reqs := ns.requests()
	if ns.fetches.Load() != 2 || len(reqs) != 4 || reqs[1].Header.Get("x-access-token") != "tokenvalue-1" || reqs[3].Header.Get("x-access-token") != "tokenvalue-2" {
		t.Errorf("%d fetches; requests %+v", ns.fetches.Load(), reqs)
	}
	// The token is kept for the next event.
	res.EventID = "evt-other"
	if rep := send(t, s, res); rep.Outcome != Delivered {
		t.Errorf("second event: %s (%s), want delivered", rep.Outcome, rep.Reason)
	}
	if ns.fetches.Load() != 2 {
		t.Errorf("%d fetches after a second event, want 2", ns.fetches.Load())
	}
	// Rejected again after the new token: refused with BRIDGE's code.
	ns2 := newNapseServer(t)
	ns2.reject = func(string) bool { return true }
	s, res = napseSender(t, ns2, newClock())
	rep = send(t, s, res)
	wantCall(t, rep, 0, CallRefused, 200, 2, "9998")
	// A custom rejection test that never fires: no second token.
	ns3 := newNapseServer(t)
	ns3.reject = func(string) bool { return true }
	s, res = napseSender(t, ns3, newClock())
	s.TokenRejected = func(int, engine.Verdict) bool { return false }
	rep = send(t, s, res)
	wantCall(t, rep, 0, CallRefused, 200, 1, "9998")
}

func TestTokenURLMissing(t *testing.T) {
	vars := map[string]string{"baseUrl": "https://bridge.example:8090"}
	s := newSender(t, newClock())
	s.Vars = vars
	_, err := s.Send(context.Background(), translate(t, example(t, "napse/approved.json"), "", vars))
	var e *engine.Error
	if !errors.As(err, &e) || e.Code != CodeMissingTokenURL || !strings.Contains(e.Message, "ROTA_VAR_NAPSE_TOKENURL") {
		t.Errorf("error %v, want missing_token_url naming the variable", err)
	}
}

func TestConfirmation(t *testing.T) {
	ns := newNapseServer(t)
	ns.status = func(n int) string {
		if n < 2 {
			return "open"
		}
		return "confirmed"
	}
	c := newClock()
	s, res := napseSender(t, ns, c)
	s.Confirm = true
	rep := send(t, s, res)
	cr := rep.Calls[0]
	if rep.Outcome != Delivered || cr.Confirmed == nil || !*cr.Confirmed || cr.ConfirmAttempts != 2 {
		t.Fatalf("report %+v", rep)
	}
	if sl := c.sleeps(); len(sl) != 2 || sl[0] != 5*time.Second || sl[1] != 5*time.Second {
		t.Errorf("slept %v, want the confirmation's interval (5s) twice", sl)
	}
	q := ns.requests()[2]
	if q.Path != "/order/status" || q.Body != `{"internalOrderNumber":"bridge000001"}` || q.Header.Get("x-access-token") != "tokenvalue-1" {
		t.Errorf("status query %+v", q)
	}
	// Never confirmed: 10 queries, outcome unconfirmed, remembered as sent.
	ns = newNapseServer(t)
	s, res = napseSender(t, ns, newClock())
	s.Confirm = true
	rep = send(t, s, res)
	cr = rep.Calls[0]
	if rep.Outcome != Unconfirmed || cr.Outcome != CallSuccess || cr.Confirmed == nil || *cr.Confirmed ||
		cr.ConfirmAttempts != 10 || cr.Error != ErrNotConfirmed || rep.OK() {
		t.Errorf("report %+v", rep)
	}
	if rep := send(t, s, res); rep.Outcome != Duplicate {
		t.Errorf("an accepted, unconfirmed event sent again: %s", rep.Outcome)
	}
	// Without Confirm, no query.
	ns = newNapseServer(t)
	s, res = napseSender(t, ns, newClock())
	if rep := send(t, s, res); rep.Calls[0].Confirmed != nil || ns.queries.Load() != 0 {
		t.Errorf("confirmed without Confirm: %+v", rep)
	}
}

func TestDryRun(t *testing.T) {
	f := newFake(t, nil)
	c := newClock()
	s := newSender(t, c)
	drs, err := s.DryRun(context.Background(), dafitiShipped(t, f.URL))
	if err != nil || len(drs) != 1 {
		t.Fatalf("DryRun = %v, %v", drs, err)
	}
	h := drs[0].Headers
	p := url.Values{"UserID": {"look@me.com"}, "Timestamp": {"2015-07-01T11:11:11+00:00"}, "Version": {"1.0"}, "Format": {"JSON"}}
	if h["Signature"] != SellerCenterSignature(p, testSecrets["ROTA_SECRET_DAFITI_APIKEY"]) || h["UserID"] != Redacted || h["Timestamp"] != p.Get("Timestamp") {
		t.Errorf("headers %v", h)
	}
	out := mustJSON(t, drs)
	noSecrets(t, "dry run", out)

	// SkyHub: every auth header is a secret.
	drs, err = s.DryRun(context.Background(), skyhubShipped(t, f.URL))
	if err != nil || drs[0].Headers["X-Api-Key"] != Redacted || drs[0].Headers["Content-Type"] != "application/json" {
		t.Errorf("skyhub dry run %v, %v", drs, err)
	}
	noSecrets(t, "dry run", mustJSON(t, drs))

	// Napse: no token is fetched; the confirmation query is shown.
	ns := newNapseServer(t)
	s, res := napseSender(t, ns, c)
	s.Confirm = true
	drs, err = s.DryRun(context.Background(), res)
	want := "[redacted: obtained from " + ns.URL + "/auth/token at send time]"
	if err != nil || drs[0].Headers["x-access-token"] != want || drs[0].Confirm == nil || !strings.HasSuffix(drs[0].Confirm.URL, "/order/status") {
		t.Errorf("napse dry run %+v, %v", drs, err)
	}
	if ns.fetches.Load() != 0 {
		t.Errorf("the dry run fetched a token")
	}
	// OAuth2.
	o := newOAuthServer(t, 200)
	drs, err = oauthSender(t, o).DryRun(context.Background(), dafitiShipped(t, o.URL))
	if err != nil || drs[0].Headers["Authorization"] != "Bearer [redacted: obtained from "+o.URL+"/oauth/client-credentials at send time]" {
		t.Errorf("oauth2 dry run %+v, %v", drs, err)
	}
	if len(f.requests())+len(ns.requests())+len(o.requests()) != 0 {
		t.Errorf("a dry run sent requests")
	}
}

func TestDryRunRedactsQuery(t *testing.T) {
	got := redactQuery("UserID=look%40me.com&Version=1.0&Signature=abc", scrubber([]string{"look@me.com", "k"}))
	if got != "UserID=[redacted]&Version=1.0&Signature=abc" {
		t.Errorf("redactQuery = %q", got)
	}
}

// Concurrent sends share one OAuth2 token and one rate limiter (run with -race).
func TestConcurrentSendsShareToken(t *testing.T) {
	o := newOAuthServer(t, 200)
	s := &Sender{Engine: enginetest.Bundled(t), Secrets: testSecrets, AuthScheme: map[string]string{"dafiti": "oauth2"}, BaseURL: o.URL}
	base := dafitiShipped(t, o.URL)
	errs := make(chan string, 10)
	for i := range 10 {
		go func() {
			res := *base
			res.EventID = fmt.Sprintf("evt-%d", i)
			rep, err := s.Send(context.Background(), &res)
			switch {
			case err != nil:
				errs <- err.Error()
			case rep.Outcome != Delivered:
				errs <- string(rep.Outcome)
			default:
				errs <- ""
			}
		}()
	}
	for range 10 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	if n := o.fetches.Load(); n != 1 || len(apiRequests(o.fake)) != 10 {
		t.Errorf("%d token fetches, %d calls; want 1 and 10", n, len(apiRequests(o.fake)))
	}
}

// A Dafiti mapping whose signature goes in the query string.
func queryPlacementEngine(t *testing.T) *engine.Engine {
	t.Helper()
	src, err := os.ReadFile("../../mappings/dafiti.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "placement: headers", "placement: query", 1)
	if text == string(src) {
		t.Fatal("dafiti.yaml has no placement: headers")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dafiti.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := engine.LoadPaths(dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHMACQueryPlacementSendAndDryRun(t *testing.T) {
	e := queryPlacementEngine(t)
	f := newFake(t, nil)
	res, err := e.Translate(example(t, "dafiti/shipped.json"), engine.TranslateOptions{BaseURL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	s := newSender(t, c)
	s.Engine = e
	drs, err := s.DryRun(context.Background(), res)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(drs[0].URL)
	q := u.Query()
	if q.Get("UserID") != Redacted || q.Get("Timestamp") != "2015-07-01T11:11:11+00:00" || len(q.Get("Signature")) != 64 || drs[0].Headers["Signature"] != "" {
		t.Errorf("dry-run URL %s", drs[0].URL)
	}
	noSecrets(t, "dry run", mustJSON(t, drs))
	send(t, s, res)
	r := f.requests()[0]
	got, _ := url.ParseQuery(r.RawQuery)
	if got.Get("UserID") != "look@me.com" || got.Get("Signature") != SellerCenterSignature(got, testSecrets["ROTA_SECRET_DAFITI_APIKEY"]) {
		t.Errorf("sent query %s does not verify", r.RawQuery)
	}
	if q.Get("Signature") != got.Get("Signature") {
		t.Errorf("the dry run's signature %s differs from the one sent %s on the same clock", q.Get("Signature"), got.Get("Signature"))
	}
}

// Redirects are not followed: the credentials stay with the host the call names.
func TestRedirectNotFollowed(t *testing.T) {
	elsewhere := newFake(t, nil)
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
		w.Header().Set("Location", elsewhere.URL+"/steal")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	rep := send(t, newSender(t, newClock()), skyhubShipped(t, f.URL))
	wantCall(t, rep, 0, CallRefused, 307, 1, "307")
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the redirect was followed: %d requests elsewhere", n)
	}
}

// countingTransport counts the requests a client sends.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// Sender.Client carries every request, token requests included.
func TestClientUsedForTokens(t *testing.T) {
	for _, scheme := range []string{"oauth2", "napse"} {
		ct := &countingTransport{}
		var s *Sender
		var res *engine.Result
		if scheme == "oauth2" {
			o := newOAuthServer(t, 200)
			s, res = oauthSender(t, o), dafitiShipped(t, o.URL)
		} else {
			s, res = napseSender(t, newNapseServer(t), newClock())
		}
		s.Client = &http.Client{Transport: ct}
		if rep := send(t, s, res); rep.Outcome != Delivered || ct.n.Load() != 2 {
			t.Errorf("%s: %s, the client sent %d requests; want the token request and the call", scheme, rep.Outcome, ct.n.Load())
		}
	}
}

func TestCancelDuringRateLimitWait(t *testing.T) {
	f := newFake(t, nil)
	c := newClock()
	s := newSender(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	s.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	res := skyhubShipped(t, f.URL)
	for i := range 10 {
		r := *res
		r.EventID = fmt.Sprintf("evt-%d", i)
		rep, err := s.Send(ctx, &r)
		if err != nil {
			t.Fatal(err)
		}
		if want := Delivered; i == 9 {
			if rep.Outcome != Canceled || rep.Calls[0].Attempts != 0 {
				t.Errorf("the 10th call, waiting for the limiter when canceled: %+v", rep)
			}
		} else if rep.Outcome != want {
			t.Errorf("call %d: %s", i, rep.Outcome)
		}
	}
	if n := len(f.requests()); n != 9 {
		t.Errorf("%d requests, want the burst of 9", n)
	}
	// The canceled wait gave its place back: the next call waits one
	// interval (1/9 s), not two.
	s.Sleep = c.Sleep
	r := *res
	r.EventID = "evt-after"
	if rep := send(t, s, &r); rep.Outcome != Delivered {
		t.Fatalf("after: %+v", rep)
	}
	if sl := c.sleeps(); len(sl) != 1 || sl[0] > time.Second/9+time.Millisecond {
		t.Errorf("waited %v, want one wait of about %v", sl, time.Second/9)
	}
}
