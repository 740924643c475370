package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadServeSecrets: the API token and the marketplace secrets come out
// of one file; bad lines are refused naming file and line, never a value.
func TestLoadServeSecrets(t *testing.T) {
	cases := []struct {
		name, text           string
		wantToken, wantError string
		wantSecrets          int
	}{
		{"token and secrets", "# c\nROTA_API_TOKEN='tok en'\nROTA_SECRET_SKYHUB_APIKEY=k\n", "tok en", "", 1},
		{"secrets only", "ROTA_SECRET_SKYHUB_APIKEY=\"k\"\n\n", "", "", 1},
		{"lower-case name", "rota_secret_skyhub_apikey=k1\n", "", ":1: want ROTA_SECRET_", 0},
		{"no equals", "ROTA_API_TOKEN\n", "", ":1: want ROTA_SECRET_", 0},
		{"another variable", "ROTA_SECRET_SKYHUB_APIKEY=k\nHOME=secretvalue\n", "", ":2: want ROTA_SECRET_", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets")
			if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := loadServeSecrets(path)
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) {
					t.Fatalf("error %v, want one containing %q", err, c.wantError)
				}
				for _, v := range []string{"k1", "secretvalue"} {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q holds the value %q", err, v)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.token != c.wantToken || len(got.secrets) != c.wantSecrets {
				t.Errorf("token %q and %d secrets, want %q and %d", got.token, len(got.secrets), c.wantToken, c.wantSecrets)
			}
		})
	}
}

// FuzzLoadServeSecrets: any file content is read or refused without a
// panic, and a refusal never quotes the file's content.
func FuzzLoadServeSecrets(f *testing.F) {
	for _, s := range []string{
		"ROTA_API_TOKEN=x\n",
		"# rota: public test credentials for rota sim\nROTA_SECRET_SKYHUB_APIKEY='v'\n",
		"ROTA_SECRET_=x\n",
		"=\n",
		"ROTA_API_TOKEN=\"unterminated\n",
		"\r\n\r\nROTA_SECRET_A_B=c\r\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "secrets")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := loadServeSecrets(path)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), path)
			for _, line := range strings.Split(text, "\n") {
				if _, v, ok := strings.Cut(line, "="); ok && len(v) >= 4 && strings.Contains(msg, v) && !strings.Contains(errorWords, v) {
					t.Fatalf("error %q quotes the value %q", err, v)
				}
			}
			return
		}
		for name := range got.secrets {
			if !strings.HasPrefix(name, "ROTA_SECRET_") || name == "ROTA_SECRET_" {
				t.Fatalf("accepted secret name %q", name)
			}
		}
	})
}

// errorWords is the fixed text of the error messages: a value that is part
// of it is not a leak.
const errorWords = "want ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE, ROTA_API_TOKEN=VALUE, ROTA_WEBHOOK_SECRET=VALUE on each line (or a # comment) cannot read secrets file can be read by other users (mode ); run chmod 600 (its first line marks it as public test credentials, but it holds values that are not the simulator's)"

// TestServeSecretsPublicMarker: a secrets file that says it holds the
// simulator's public credentials but also holds an API token is not exempt
// from the mode check, as rota send's is not when it holds a real value.
func TestServeSecretsPublicMarker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets")
	text := "# rota: public test credentials for rota sim\nROTA_API_TOKEN=real-token-value\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadServeSecrets(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("got %v, want the file refused until chmod 600", err)
	}
	if strings.Contains(err.Error(), "real-token") {
		t.Errorf("the error shows the token: %v", err)
	}
}
