package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver/oauth2test"
)

func oauthShopEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Load(fstest.MapFS{"oauthshop.yaml": {Data: []byte(oauth2test.Mapping)}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// codeSender is a Sender of the oauthshop mapping pointed at srv, sharing
// tokens.
func codeSender(t *testing.T, e *engine.Engine, srv *oauth2test.Server, tokens TokenStore, seed string) *Sender {
	return &Sender{Engine: e, Secrets: MapSecrets(oauth2test.Secrets(seed)), Tokens: tokens, BaseURL: srv.URL,
		Retry: RetryPolicy{MaxAttempts: 1}}
}

func sendOAuthShop(t *testing.T, s *Sender, srv *oauth2test.Server, id string) *Report {
	t.Helper()
	res, err := s.Engine.Translate(oauth2test.Event(id), engine.TranslateOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatalf("translate: %v", err)
	}
	rep, err := s.Send(context.Background(), res)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return rep
}

func TestOAuth2CodeSeedThenRefreshOn401(t *testing.T) {
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	store := NewMemoryTokenStore()
	s := codeSender(t, oauthShopEngine(t), srv, store, oauth2test.Seed)
	if rep := sendOAuthShop(t, s, srv, "e1"); rep.Outcome != Delivered {
		t.Fatalf("first send: got %s (%s), want delivered", rep.Outcome, rep.Reason)
	}
	if got := srv.Refreshes(); got != 1 {
		t.Fatalf("refreshes after the first send: got %d, want 1 (the seed)", got)
	}
	srv.Revoke()
	rep := sendOAuthShop(t, s, srv, "e2")
	if rep.Outcome != Delivered || rep.Calls[0].Attempts != 2 {
		t.Fatalf("after a revoked token: got %s in %d attempts (%s), want delivered in 2 (401, refresh, retry)", rep.Outcome, rep.Calls[0].Attempts, rep.Reason)
	}
	if got, unauth := srv.Refreshes(), srv.Unauthorized(); got != 2 || unauth != 1 {
		t.Errorf("got %d refreshes and %d answers 401, want 2 and 1", got, unauth)
	}
	if n := srv.Reused(); n != 0 {
		t.Errorf("a refresh token was presented twice (%d times)", n)
	}
	access, refresh := srv.Tokens()
	pair, _, _ := store.Load(context.Background(), TokenKey("oauthshop", "oauth2"))
	if pair.AccessToken != access || pair.RefreshToken != refresh {
		t.Errorf("stored pair is not the server's current one")
	}
	a, err := s.authorizerFor("oauthshop")
	if err != nil {
		t.Fatal(err)
	}
	redacted := strings.Join(a.secretValues(), "\n")
	for _, tok := range []string{access, refresh, oauth2test.Seed, oauth2test.ClientSecret} {
		if !strings.Contains(redacted, tok) {
			t.Errorf("token %q is not among the values redacted", tok)
		}
	}
}

func TestOAuth2CodeStoredPairWinsOverSeed(t *testing.T) {
	srv := oauth2test.NewServer(t, "")
	store := NewMemoryTokenStore()
	s := codeSender(t, oauthShopEngine(t), srv, store, "")
	if _, err := s.ExchangeCode(context.Background(), "oauthshop", oauth2test.Code, oauth2test.RedirectURI); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	// A stale seed secret is never presented once a pair is stored.
	s2 := codeSender(t, s.Engine, srv, store, "TG-stale-seed-0123456789")
	if rep := sendOAuthShop(t, s2, srv, "e1"); rep.Outcome != Delivered {
		t.Fatalf("got %s (%s), want delivered with the exchanged pair", rep.Outcome, rep.Reason)
	}
	if got := srv.Refreshes(); got != 0 {
		t.Errorf("refreshes: got %d, want 0 (the exchanged access token is valid)", got)
	}
	if _, err := s.ExchangeCode(context.Background(), "oauthshop", oauth2test.Code, oauth2test.RedirectURI); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("second exchange of one code: got %v, want invalid_grant", err)
	} else if strings.Contains(err.Error(), oauth2test.Code) || strings.Contains(err.Error(), oauth2test.ClientSecret) {
		t.Errorf("exchange error shows a secret: %v", err)
	}
}

func TestOAuth2CodeInvalidGrantStops(t *testing.T) {
	srv := oauth2test.NewServer(t, "TG-the-server-knows-another-one")
	s := codeSender(t, oauthShopEngine(t), srv, NewMemoryTokenStore(), oauth2test.Seed)
	s.Retry.MaxAttempts = 5
	rep := sendOAuthShop(t, s, srv, "e1")
	if rep.Outcome == Delivered || !strings.Contains(rep.Reason, "invalid_grant") || !strings.Contains(rep.Reason, "rota auth exchange") {
		t.Fatalf("got %s: %s; want a failure naming invalid_grant and rota auth exchange", rep.Outcome, rep.Reason)
	}
	if rep.Calls[0].Attempts > 1 {
		t.Errorf("attempts: got %d, want 1: invalid_grant is not retried", rep.Calls[0].Attempts)
	}
	if strings.Contains(mustJSON(t, rep), oauth2test.Seed) {
		t.Errorf("report shows the refresh token")
	}
}

func TestOAuth2CodeNeedsTokenStore(t *testing.T) {
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	s := codeSender(t, oauthShopEngine(t), srv, nil, oauth2test.Seed)
	res, err := s.Engine.Translate(oauth2test.Event("e1"), engine.TranslateOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), res)
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Code != CodeMissingTokenStore {
		t.Fatalf("got %v, want configuration error %s", err, CodeMissingTokenStore)
	}
}

func TestOAuth2CodeNoPairNoSeed(t *testing.T) {
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	s := codeSender(t, oauthShopEngine(t), srv, NewMemoryTokenStore(), "")
	rep := sendOAuthShop(t, s, srv, "e1")
	if rep.Outcome == Delivered || !strings.Contains(rep.Reason, "rota auth exchange -m oauthshop --code CODE") {
		t.Fatalf("got %s: %s; want a failure telling to run rota auth exchange", rep.Outcome, rep.Reason)
	}
}

// TestFileTokenStoreRotationAcrossStores: senders on two FileTokenStores of
// one directory (as two rota send processes: flock locks are per open
// file) renew after every revocation, concurrently, and never present a
// refresh token twice.
func TestFileTokenStoreRotationAcrossStores(t *testing.T) {
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	srv.SetHold(5 * time.Millisecond) // widens the window a second refresh would fall in
	dir := t.TempDir()
	e := oauthShopEngine(t)
	var senders []*Sender
	for i := range 8 {
		senders = append(senders, codeSender(t, e, srv, NewFileTokenStore(dir), oauth2test.Seed))
		_ = i
	}
	const rounds = 5
	for r := range rounds {
		srv.Revoke()
		var wg sync.WaitGroup
		for i, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rep := sendOAuthShop(t, s, srv, fmt.Sprintf("r%d-s%d", r, i)); rep.Outcome != Delivered {
					t.Errorf("round %d sender %d: got %s (%s), want delivered", r, i, rep.Outcome, rep.Reason)
				}
			}()
		}
		wg.Wait()
	}
	if n := srv.Reused(); n != 0 {
		t.Fatalf("refresh tokens presented twice: %d", n)
	}
	if got := srv.Refreshes(); got != rounds {
		t.Errorf("refreshes: got %d, want %d (one per revocation)", got, rounds)
	}
	p := filepath.Join(dir, "oauthshop__oauth2.json")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode: got %v, want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestFileTokenStoreRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m__s.json"), []byte(`{"accessToken": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st := NewFileTokenStore(dir)
	for name, fn := range map[string]func() error{
		"load": func() error { _, _, err := st.Load(context.Background(), "m/s"); return err },
		"rotate": func() error {
			_, err := st.Rotate(context.Background(), "m/s", func(p TokenPair, _ bool) (TokenPair, error) { return p, nil })
			return err
		},
	} {
		if err := fn(); err == nil || !strings.Contains(err.Error(), "rota auth exchange") {
			t.Errorf("%s: got %v, want an error saying to seed again", name, err)
		}
	}
	if _, _, err := st.Load(context.Background(), "../x"); err == nil {
		t.Errorf("a key with .. was accepted")
	}
}

// childEnv names the token directory when the test binary runs as one of
// TestFileTokenStoreTwoProcesses' sending processes.
const childEnv = "ROTA_TEST_TOKENSTORE_CHILD"

// TestFileTokenStoreTwoProcesses: two processes (this test binary run
// again) send through FileTokenStores of one directory while the API
// revokes the access token every few calls; no refresh token is presented
// twice and every event is delivered.
func TestFileTokenStoreTwoProcesses(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		sendAsChild(t, dir)
		return
	}
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	srv.SetHold(20 * time.Millisecond)
	srv.SetRevokeEvery(5)
	dir := t.TempDir()
	var procs []*exec.Cmd
	var outs []*strings.Builder
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileTokenStoreTwoProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "ROTA_TEST_TOKEN_SERVER="+srv.URL, fmt.Sprintf("ROTA_TEST_CHILD_ID=%d", i))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, out)
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	if n := srv.Reused(); n != 0 {
		t.Fatalf("refresh tokens presented twice: %d", n)
	}
	if srv.Refreshes() < 2 {
		t.Errorf("refreshes: got %d, want several (the API revokes every 5 calls)", srv.Refreshes())
	}
}

// sendAsChild sends 36 events from 6 goroutines through the file store.
func sendAsChild(t *testing.T, dir string) {
	base := os.Getenv("ROTA_TEST_TOKEN_SERVER")
	e := oauthShopEngine(t)
	store := NewFileTokenStore(dir)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Sender{Engine: e, Secrets: MapSecrets(oauth2test.Secrets(oauth2test.Seed)), Tokens: store, BaseURL: base, Retry: RetryPolicy{MaxAttempts: 1}}
			for i := range 6 {
				res, err := e.Translate(oauth2test.Event(fmt.Sprintf("p%s-g%d-%d", os.Getenv("ROTA_TEST_CHILD_ID"), g, i)), engine.TranslateOptions{BaseURL: base})
				if err != nil {
					t.Error(err)
					return
				}
				rep, err := s.Send(context.Background(), res)
				// A renewed token revoked again by the API before the retry
				// (it revokes every 5 calls, whoever makes them) is a second
				// 401, refused as the one-retry rule says; any other outcome,
				// invalid_grant above all, is a rotation failure.
				if err != nil || rep.Outcome != Delivered && rep.Calls[0].Status != http.StatusUnauthorized {
					t.Errorf("got %v %+v, want delivered", err, rep)
				}
			}
		}()
	}
	wg.Wait()
}

// TestOAuth2CodeRenewsExpiredTokenBeforeSending: an access token past its
// expires_in (less the margin) is renewed before the call, without a 401.
func TestOAuth2CodeRenewsExpiredTokenBeforeSending(t *testing.T) {
	srv := oauth2test.NewServer(t, oauth2test.Seed)
	srv.SetExpiresIn(3600)
	store := NewMemoryTokenStore()
	s := codeSender(t, oauthShopEngine(t), srv, store, oauth2test.Seed)
	offset := time.Duration(0)
	s.Now = func() time.Time { return time.Now().Add(offset) }
	if rep := sendOAuthShop(t, s, srv, "e1"); rep.Outcome != Delivered {
		t.Fatalf("first send: got %s (%s)", rep.Outcome, rep.Reason)
	}
	pair, _, _ := store.Load(context.Background(), TokenKey("oauthshop", "oauth2"))
	if pair.Expiry.IsZero() {
		t.Fatalf("stored pair has no expiry, want the answer's expires_in")
	}
	offset = time.Hour - 30*time.Second // within the margin of the expiry
	if rep := sendOAuthShop(t, s, srv, "e2"); rep.Outcome != Delivered || rep.Calls[0].Attempts != 1 {
		t.Fatalf("second send: got %s in %d attempts (%s), want delivered in 1", rep.Outcome, rep.Calls[0].Attempts, rep.Reason)
	}
	if got, unauth := srv.Refreshes(), srv.Unauthorized(); got != 2 || unauth != 0 {
		t.Errorf("got %d refreshes and %d answers 401, want 2 and 0 (renewed before sending)", got, unauth)
	}
}
