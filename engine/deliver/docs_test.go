package deliver

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
	"go.yaml.in/yaml/v3"
)

// docs/delivery.md lists the environment variable of every secret the
// bundled mappings' auth schemes name, and every stable code.
func TestDocsListSecretsAndCodes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/delivery.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	files, err := fs.Glob(mappings.FS, "*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("bundled mappings: %v %v", files, err)
	}
	for _, file := range files {
		src, err := fs.ReadFile(mappings.FS, file)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Marketplace string
			Auth        struct {
				Schemes map[string]struct{ Secrets []string }
			}
		}
		if err := yaml.Unmarshal(src, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for name, s := range m.Auth.Schemes {
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("docs/delivery.md does not name the %s scheme %s", m.Marketplace, name)
			}
			for _, secret := range s.Secrets {
				if env := engine.SecretEnvName(m.Marketplace, secret); !strings.Contains(doc, "`"+env+"`") {
					t.Errorf("docs/delivery.md does not list %s", env)
				}
			}
		}
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
