package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/deliver/oauth2test"
)

// TestAuthExchangeThenSend: the operator exchanges the code once; rota send
// then uses, and renews, the stored pair; no token is ever printed.
func TestAuthExchangeThenSend(t *testing.T) {
	srv := oauth2test.NewServer(t, "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "oauthshop.yaml"), []byte(oauth2test.Mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range oauth2test.Secrets("") {
		t.Setenv(k, v)
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	runCLI := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, stderr, code := runCLI("", "auth", "exchange", "-m", "oauthshop", "--code", oauth2test.Code, "--redirect-uri", oauth2test.RedirectURI,
		"--mappings", dir, "--tokens", tokens, "--base-url", srv.URL)
	if code != 0 {
		t.Fatalf("exchange: exit %d, stderr %s", code, stderr)
	}
	var got exchangeOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Scheme != "oauth2" || got.Store != "file "+tokens {
		t.Errorf("exchange output: got %s (%v), want scheme oauth2 in file %s", out, err, tokens)
	}
	srv.Revoke() // the next send gets 401, renews once and retries
	out2, stderr2, code := runCLI(string(oauth2test.Event("e1")), "send", "--mappings", dir, "--tokens", tokens, "--base-url", srv.URL)
	if code != 0 {
		t.Fatalf("send: exit %d, stderr %s, stdout %s", code, stderr2, out2)
	}
	if srv.Refreshes() != 1 || srv.Reused() != 0 {
		t.Errorf("got %d refreshes, %d reused, want 1 and 0", srv.Refreshes(), srv.Reused())
	}
	access, refresh := srv.Tokens()
	for _, s := range []string{out, stderr, out2, stderr2} {
		for _, tok := range []string{access, refresh, oauth2test.Code, oauth2test.ClientSecret} {
			if strings.Contains(s, tok) {
				t.Errorf("output shows a secret %q:\n%s", tok, s)
			}
		}
	}
	_, stderr, code = runCLI("", "auth", "exchange", "-m", "oauthshop", "--code", oauth2test.Code, "--redirect-uri", oauth2test.RedirectURI,
		"--mappings", dir, "--tokens", tokens, "--base-url", srv.URL)
	if code != exitRefused || !strings.Contains(stderr, "invalid_grant") {
		t.Errorf("a used code: got exit %d, stderr %s; want 1 and invalid_grant", code, stderr)
	}
}
