package deliver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
)

func writeSecrets(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

const secretsText = `# SkyHub test store
ROTA_SECRET_SKYHUB_APIKEY=file-api-key-value

ROTA_SECRET_SKYHUB_USEREMAIL = "seller@example.com"
ROTA_SECRET_NAPSE_PASSWORD='p=a#ss word'
`

func TestLoadSecretsFile(t *testing.T) {
	fs, err := LoadSecretsFile(writeSecrets(t, secretsText, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ mkt, name, want string }{
		{"skyhub", "apiKey", "file-api-key-value"},
		{"skyhub", "userEmail", "seller@example.com"},
		{"napse", "password", "p=a#ss word"},
	} {
		if got, ok := fs.Secret(tt.mkt, tt.name); !ok || got != tt.want {
			t.Errorf("%s %s = %q, %v; want %q", tt.mkt, tt.name, got, ok, tt.want)
		}
	}
	if _, ok := fs.Secret("skyhub", "accountManagerKey"); ok {
		t.Errorf("a secret the file lacks must be missing")
	}
}

func TestSecretsFileMode(t *testing.T) {
	path := writeSecrets(t, secretsText, 0o644)
	_, err := LoadSecretsFile(path)
	var e *engine.Error
	if !errors.As(err, &e) || e.Code != CodeInsecureSecretsFile || e.Kind != engine.KindConfiguration || !strings.Contains(e.Message, "chmod 600 "+path) {
		t.Fatalf("mode 0644: %v; want insecure_secrets_file saying chmod 600", err)
	}
	if strings.Contains(err.Error(), "file-api-key-value") {
		t.Errorf("the error shows a value: %v", err)
	}
	if _, err := LoadSecretsFile(writeSecrets(t, secretsText, 0o640)); err == nil {
		t.Errorf("mode 0640 (group-readable) must be refused")
	}
}

// The public-credentials marker exempts a file from the mode check only
// when every value in it is the simulator's: a real secret in a marked file
// is refused like any other.
func TestSecretsFilePublicMarker(t *testing.T) {
	sim := PublicTestMarker + "\nROTA_SECRET_SKYHUB_APIKEY=sim-skyhub-api-key\nROTA_SECRET_NAPSE_USER=sim-napse-user\n"
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"the simulator's values", sim, true},
		{"examples/sim.secrets as shipped", mustRead(t, "../../examples/sim.secrets"), true},
		{"a real value under the marker", PublicTestMarker + "\n" + secretsText, false},
		{"the simulator's values and one other", sim + "ROTA_SECRET_FASTSHOP_APPKEY=real-app-key-value\n", false},
		{"a simulator value under another name", PublicTestMarker + "\nROTA_SECRET_FASTSHOP_APPKEY=sim-skyhub-api-key\n", false},
		{"the marker not on the first line", "\n" + sim, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSecretsFile(writeSecrets(t, tt.text, 0o644))
			var e *engine.Error
			switch {
			case tt.ok && err != nil:
				t.Errorf("got %v, want the file accepted at mode 0644", err)
			case !tt.ok && (!errors.As(err, &e) || e.Code != CodeInsecureSecretsFile):
				t.Errorf("got %v, want %s", err, CodeInsecureSecretsFile)
			case err != nil && strings.Contains(err.Error(), "real-"):
				t.Errorf("the error shows a value: %v", err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretsFileMalformed(t *testing.T) {
	for _, text := range []string{"apiKey=hunter2-value\n", "ROTA_SECRET_skyhub_x=hunter2-value\n", "ROTA_SECRET_SKYHUB_APIKEY hunter2-value\n"} {
		_, err := LoadSecretsFile(writeSecrets(t, text, 0o600))
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != CodeBadSecretsFile || !strings.Contains(e.Message, ":1:") {
			t.Errorf("%q: %v, want bad_secrets_file at line 1", text, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows a value: %v", err)
		}
	}
	if _, err := LoadSecretsFile(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Errorf("a missing file must be an error")
	}
}

func TestEnvSecretsAndChain(t *testing.T) {
	t.Setenv("ROTA_SECRET_FAST_SHOP_APP_KEY", "from-env")
	t.Setenv("ROTA_SECRET_SKYHUB_APIKEY", "env-key")
	t.Setenv("ROTA_SECRET_SKYHUB_USEREMAIL", "")
	env := EnvSecrets{}
	if v, ok := env.Secret("fast-shop", "app-key"); !ok || v != "from-env" {
		t.Errorf("env = %q, %v", v, ok)
	}
	if _, ok := env.Secret("skyhub", "userEmail"); ok {
		t.Errorf("an empty variable must count as not set")
	}
	file := MapSecrets{"ROTA_SECRET_SKYHUB_APIKEY": "file-key", "ROTA_SECRET_SKYHUB_USEREMAIL": "file-mail"}
	c := Chain(file, env)
	if v, _ := c.Secret("skyhub", "apiKey"); v != "file-key" {
		t.Errorf("chain apiKey = %q, want the first source's", v)
	}
	if v, _ := Chain(env, file).Secret("skyhub", "apiKey"); v != "env-key" {
		t.Errorf("reversed chain apiKey = %q", v)
	}
	if v, ok := Chain(env, file).Secret("skyhub", "userEmail"); !ok || v != "file-mail" {
		t.Errorf("an empty first source must fall through: %q", v)
	}
	if _, ok := c.Secret("skyhub", "accountManagerKey"); ok {
		t.Errorf("no source has it")
	}
}

// TestLoadSecretsFileWith: a service's own names are read along with the
// marketplaces' secrets, other names stay refused, and a value under one
// of them is never taken for the simulator's public credentials.
func TestLoadSecretsFileWith(t *testing.T) {
	const token = "ROTA_API_TOKEN=real-api-token-value\n"
	fs, err := LoadSecretsFileWith(writeSecrets(t, secretsText+token, 0o600), "ROTA_API_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if got := fs["ROTA_API_TOKEN"]; got != "real-api-token-value" {
		t.Errorf("ROTA_API_TOKEN = %q, want the file's value", got)
	}
	if got := fs["ROTA_SECRET_SKYHUB_APIKEY"]; got != "file-api-key-value" {
		t.Errorf("ROTA_SECRET_SKYHUB_APIKEY = %q, want the file's value", got)
	}
	var e *engine.Error
	_, err = LoadSecretsFile(writeSecrets(t, secretsText+token, 0o600))
	if !errors.As(err, &e) || e.Code != CodeBadSecretsFile {
		t.Errorf("LoadSecretsFile with a ROTA_API_TOKEN line: got %v, want %s", err, CodeBadSecretsFile)
	}
	marked := PublicTestMarker + "\nROTA_SECRET_SKYHUB_APIKEY=sim-skyhub-api-key\n" + token
	_, err = LoadSecretsFileWith(writeSecrets(t, marked, 0o644), "ROTA_API_TOKEN")
	if !errors.As(err, &e) || e.Code != CodeInsecureSecretsFile {
		t.Errorf("a marked file holding an API token at mode 0644: got %v, want %s", err, CodeInsecureSecretsFile)
	}
	if err != nil && strings.Contains(err.Error(), "real-") {
		t.Errorf("the error shows a value: %v", err)
	}
}
