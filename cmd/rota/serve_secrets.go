package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/rotahq/rota/engine/deliver"
)

// apiTokenVar names the API token, in the environment or the secrets file.
const apiTokenVar = "ROTA_API_TOKEN"

// serveSecretsFile is what rota serve reads from --secrets: the
// marketplaces' secrets and the API token.
type serveSecretsFile struct {
	secrets       deliver.MapSecrets
	token         string
	webhookSecret string
}

// loadServeSecrets reads a secrets file as rota send does
// (deliver.LoadSecretsFile: ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE lines,
// comments, mode 600 unless the file is the public test one) and also
// accepts one ROTA_API_TOKEN=VALUE line and one ROTA_WEBHOOK_SECRET=VALUE line. Errors name the file and line,
// never a value.
func loadServeSecrets(path string) (serveSecretsFile, error) {
	var out serveSecretsFile
	info, err := os.Stat(path)
	if err != nil {
		return out, fmt.Errorf("cannot read secrets file %s: %v", path, pathless(err))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return out, fmt.Errorf("cannot read secrets file %s: %v", path, pathless(err))
	}
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	public := strings.TrimSuffix(string(first), "\r") == deliver.PublicTestMarker
	if mode := info.Mode().Perm(); !public && mode&0o077 != 0 && runtime.GOOS != "windows" {
		return out, fmt.Errorf("secrets file %s can be read by other users (mode %04o); run chmod 600 %s", path, mode, path)
	}
	out.secrets = deliver.MapSecrets{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		value = unquoteSecret(strings.TrimSpace(value))
		switch {
		case ok && name == apiTokenVar:
			out.token = value
		case ok && name == webhookSecretVar:
			out.webhookSecret = value
		case ok && secretName(name):
			out.secrets[name] = value
		default:
			return out, fmt.Errorf("%s:%d: want ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE, %s=VALUE or %s=VALUE on each line (or a # comment)", path, n, apiTokenVar, webhookSecretVar)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("cannot read secrets file %s: %v", path, err)
	}
	return out, nil
}

// secretName tells whether name is ROTA_SECRET_ followed by upper-case
// letters, digits and underscores.
func secretName(name string) bool {
	rest, ok := strings.CutPrefix(name, "ROTA_SECRET_")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// unquoteSecret removes one pair of matching quotes around a value.
func unquoteSecret(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
