package deliver

import (
	"os"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

// docs/delivery.md lists the environment variable of every secret the
// bundled mappings' auth schemes name, and every stable code.
func TestDocsListSecretsAndCodes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/delivery.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	e := enginetest.Bundled(t)
	if mks := e.Marketplaces(); len(mks) < 4 {
		t.Fatalf("bundled mappings: %v, want the four marketplaces", mks)
	}
	checked := 0
	for _, mk := range e.Marketplaces() {
		for _, name := range e.AuthSchemes(mk) {
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("docs/delivery.md does not name the %s scheme %s", mk, name)
			}
			a, err := e.Auth(mk, name, nil)
			if err != nil {
				t.Fatalf("%s scheme %s: %v", mk, name, err)
			}
			for _, secret := range a.Secrets {
				checked++
				if env := engine.SecretEnvName(mk, secret); !strings.Contains(doc, "`"+env+"`") {
					t.Errorf("docs/delivery.md does not list %s", env)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("the bundled mappings name no secret: the check above ran on nothing")
	}
	for _, code := range []string{ErrNetwork, ErrTimeout, ErrAuthFailed, ErrRetriesExhausted, ErrRuleFailed, ErrBadRequest, ErrCanceled, ErrNotConfirmed,
		CodeMissingSecret, CodeMissingTokenURL, CodeInsecureSecretsFile, CodeBadSecretsFile,
		Delivered, Refused, Failed, Unconfirmed, Duplicate, Canceled, Ignored,
		CallSuccess, CallRefused, CallFailed, CallCanceled, CallNotSent, CallSkipped} {
		if !strings.Contains(doc, "`"+code+"`") {
			t.Errorf("docs/delivery.md does not document %s", code)
		}
	}
}
