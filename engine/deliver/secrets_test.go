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
	// The simulator's committed example file is accepted as it is.
	public := PublicTestMarker + "\n" + secretsText
	if fs, err := LoadSecretsFile(writeSecrets(t, public, 0o644)); err != nil || fs["ROTA_SECRET_SKYHUB_APIKEY"] != "file-api-key-value" {
		t.Errorf("marked file: %v, %v", fs, err)
	}
	// The marker counts only as the exact first line.
	if _, err := LoadSecretsFile(writeSecrets(t, "\n"+public, 0o644)); err == nil {
		t.Errorf("a marker that is not the first line must not count")
	}
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
