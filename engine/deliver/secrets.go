package deliver

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/rotahq/rota/engine"
)

// Secrets gives the value of a marketplace's secret, by the name its
// mapping's auth scheme uses (e.g. skyhub, apiKey). An empty value counts as
// not set. Implementations must be safe for concurrent use.
type Secrets interface {
	Secret(marketplace, name string) (string, bool)
}

// EnvSecrets reads secrets from the environment variables
// ROTA_SECRET_<MARKETPLACE>_<NAME> (engine.SecretEnvName). It is safe for
// concurrent use.
type EnvSecrets struct{}

// Secret implements Secrets.
func (EnvSecrets) Secret(marketplace, name string) (string, bool) {
	v, ok := os.LookupEnv(engine.SecretEnvName(marketplace, name))
	return v, ok && v != ""
}

// MapSecrets holds secret values keyed by their environment variable name
// (ROTA_SECRET_<MARKETPLACE>_<NAME>), as a secrets file writes them. It is
// safe for concurrent reads; do not modify it while a Sender uses it.
type MapSecrets map[string]string

// Secret implements Secrets.
func (m MapSecrets) Secret(marketplace, name string) (string, bool) {
	v, ok := m[engine.SecretEnvName(marketplace, name)]
	return v, ok && v != ""
}

// PublicTestMarker is the first line that marks a secrets file as holding
// public test credentials (the simulator's committed example file). Such a
// file is accepted whatever its permissions, because git cannot store mode
// 0600, but only when every value it holds is the simulator's own public
// credential (PublicTestSecrets): a marked file with any other value is
// checked like any file, so a real secret can never pass unprotected.
const PublicTestMarker = "# rota: public test credentials for rota sim"

// publicTestSecrets are the simulator's credentials (rota sim,
// examples/sim.secrets), by environment variable name. They are public:
// never use them for a real account.
var publicTestSecrets = map[string]string{
	"ROTA_SECRET_DAFITI_USERID":             "seller@sim.rota.test",
	"ROTA_SECRET_DAFITI_APIKEY":             "sim-dafiti-api-key",
	"ROTA_SECRET_DAFITI_CLIENTID":           "sim-dafiti-client",
	"ROTA_SECRET_DAFITI_CLIENTSECRET":       "sim-dafiti-client-secret",
	"ROTA_SECRET_FASTSHOP_APPKEY":           "sim-fastshop-app-key",
	"ROTA_SECRET_FASTSHOP_APPTOKEN":         "sim-fastshop-app-token",
	"ROTA_SECRET_MERCADOLIVRE_CLIENTID":     "5503910054141466",
	"ROTA_SECRET_MERCADOLIVRE_CLIENTSECRET": "sim-mercadolivre-client-secret",
	"ROTA_SECRET_MERCADOLIVRE_REFRESHTOKEN": "TG-sim-mercadolivre-seed-1234567",
	"ROTA_SECRET_MIRAKL_APIKEY":             "sim-mirakl-api-key",
	"ROTA_SECRET_NAPSE_USER":                "sim-napse-user",
	"ROTA_SECRET_NAPSE_PASSWORD":            "sim-napse-password",
	"ROTA_SECRET_SKYHUB_USEREMAIL":          "seller@sim.rota.test",
	"ROTA_SECRET_SKYHUB_APIKEY":             "sim-skyhub-api-key",
	"ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY":  "sim-skyhub-account-manager-key",
}

// PublicTestSecrets returns the simulator's public credentials, by
// environment variable name (a fresh copy): the values a file marked with
// PublicTestMarker may hold and still be readable by others.
func PublicTestSecrets() MapSecrets { return maps.Clone(MapSecrets(publicTestSecrets)) }

// onlyPublic reports whether every value in fs is the simulator's public
// credential of that name.
func onlyPublic(fs MapSecrets) bool {
	for name, v := range fs {
		if pub, ok := publicTestSecrets[name]; !ok || v != pub {
			return false
		}
	}
	return true
}

// Codes of the configuration errors about secrets. They are *engine.Error
// codes of kind configuration.
const (
	CodeMissingSecret       = engine.CodeMissingSecret
	CodeInsecureSecretsFile = "insecure_secrets_file"
	CodeBadSecretsFile      = "bad_secrets_file"
	// CodeSecretTooShort: a secret value is shorter than MinSecretLength.
	CodeSecretTooShort = "secret_too_short"
)

// LoadSecretsFile reads a secrets file: one ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE
// per line, blank lines and lines starting with # ignored; VALUE runs to the
// end of the line (surrounding blanks and one pair of matching quotes are
// removed). The file must be readable by its owner only (chmod 600), unless
// its first line is exactly PublicTestMarker and every value it holds is
// the simulator's (PublicTestSecrets). Errors are *engine.Error of kind
// configuration; they never quote a value.
func LoadSecretsFile(path string) (MapSecrets, error) {
	return LoadSecretsFileWith(path)
}

// LoadSecretsFileWith reads a secrets file as LoadSecretsFile does, and
// also accepts a NAME=VALUE line for each of the exact names given: a
// service's own secrets (rota serve's ROTA_API_TOKEN), returned in the same
// map under those names. Such a value is never one of the simulator's, so a
// file holding one always needs mode 600. Errors are *engine.Error of kind
// configuration; they never quote a value.
func LoadSecretsFileWith(path string, names ...string) (MapSecrets, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, configError(CodeBadSecretsFile, "cannot read secrets file %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, configError(CodeBadSecretsFile, "cannot read secrets file %s: %v", path, unwrapPath(err))
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, configError(CodeBadSecretsFile, "cannot read secrets file %s: %v", path, unwrapPath(err))
	}
	raw := buf.Bytes()
	fs, err := parseSecrets(path, raw, names)
	if err != nil {
		return nil, err
	}
	marked := firstLine(raw) == PublicTestMarker
	if mode := info.Mode().Perm(); !(marked && onlyPublic(fs)) && mode&0o077 != 0 && runtime.GOOS != "windows" {
		why := ""
		if marked {
			why = " (its first line marks it as public test credentials, but it holds values that are not the simulator's)"
		}
		return nil, configError(CodeInsecureSecretsFile,
			"secrets file %s can be read by other users (mode %04o)%s; run chmod 600 %s", path, mode, why, path)
	}
	return fs, nil
}

func parseSecrets(path string, raw []byte, names []string) (MapSecrets, error) {
	out := MapSecrets{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !validSecretName(name) && !slices.Contains(names, name) {
			return nil, configError(CodeBadSecretsFile,
				"%s:%d: want %s on each line (or a # comment)", path, n, strings.Join(append([]string{"ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE"}, suffixAll(names, "=VALUE")...), ", "))
		}
		out[name] = unquote(strings.TrimSpace(value))
	}
	if err := sc.Err(); err != nil {
		return nil, configError(CodeBadSecretsFile, "cannot read secrets file %s: %v", path, err)
	}
	return out, nil
}

// suffixAll appends suffix to each name.
func suffixAll(names []string, suffix string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + suffix
	}
	return out
}

func validSecretName(name string) bool {
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

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func firstLine(raw []byte) string {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	return strings.TrimSuffix(string(line), "\r")
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// configError is an *engine.Error of kind configuration: the run lacks
// something, or has something wrong, that the operator must fix.
func configError(code, format string, args ...any) error {
	return &engine.Error{Kind: engine.KindConfiguration, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Chain looks a secret up in each source in turn; the first that has it
// wins. The CLI chains the --secrets file before the environment, so that
// the file named on the command line wins over ambient variables. Safe for
// concurrent use when its sources are.
func Chain(sources ...Secrets) Secrets { return chain(sources) }

type chain []Secrets

func (c chain) Secret(marketplace, name string) (string, bool) {
	for _, s := range c {
		if s == nil {
			continue
		}
		if v, ok := s.Secret(marketplace, name); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// missingSecrets is the configuration error for secrets no source has.
// It names their environment variables, never a value.
func missingSecrets(marketplace, scheme string, names []string) error {
	envs := make([]string, len(names))
	for i, n := range names {
		envs[i] = engine.SecretEnvName(marketplace, n)
	}
	what := fmt.Sprintf("secret %s of the %s auth scheme %s is not set; set %s", names[0], marketplace, scheme, envs[0])
	if len(names) > 1 {
		what = fmt.Sprintf("secrets %s of the %s auth scheme %s are not set; set %s", strings.Join(names, ", "), marketplace, scheme, strings.Join(envs, ", "))
	}
	return configError(CodeMissingSecret, "%s in the environment or in a secrets file (rota send --secrets)", what)
}
