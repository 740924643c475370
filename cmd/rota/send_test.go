package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/engine/deliver"
)

// sendSecretsFile holds public test credentials (its first line marks it so).
const sendSecretsFile = "testdata/send/secrets.env"

// sendReport is the report JSON of rota send.
type sendReport struct {
	EventID     string `json:"eventId"`
	Marketplace string `json:"marketplace"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason"`
	Calls       []struct {
		Name              string `json:"name"`
		Method            string `json:"method"`
		URL               string `json:"url"`
		Status            int    `json:"status"`
		Attempts          int    `json:"attempts"`
		MarketplaceCode   string `json:"marketplaceCode"`
		Message           string `json:"message"`
		Outcome           string `json:"outcome"`
		Error             string `json:"error"`
		MarketplaceStatus string `json:"marketplaceStatus"`
		Confirmed         *bool  `json:"confirmed"`
		ConfirmAttempts   int    `json:"confirmAttempts"`
		ConfirmedBy       string `json:"confirmedBy"`
		ReadBacks         int    `json:"readBacks"`
	} `json:"calls"`
}

func decodeReport(t *testing.T, stdout string) sendReport {
	t.Helper()
	var r sendReport
	decodeStrict(t, stdout, "the send report", &r)
	return r
}

// secretValues are the values in the test secrets file.
func secretValues(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(sendSecretsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(sc.Text(), "#") {
			out = append(out, v)
		}
	}
	return out
}

func noSecretIn(t *testing.T, o outcome) {
	t.Helper()
	for _, v := range secretValues(t) {
		if strings.Contains(o.stdout, v) || strings.Contains(o.stderr, v) {
			t.Errorf("the output shows the secret value %q:\n%s\n%s", v, o.stdout, o.stderr)
		}
	}
}

// fixClock runs the test with the send clock fixed at 2015-07-01T11:11:11Z.
func fixClock(t *testing.T) {
	saved := sendClock
	sendClock = func() time.Time { return time.Date(2015, 7, 1, 11, 11, 11, 0, time.UTC) }
	t.Cleanup(func() { sendClock = saved })
}

func TestSendDryRunGolden(t *testing.T) {
	fixClock(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"dafiti_hmac.json", []string{"../../examples/events/dafiti/shipped.json"}},
		{"dafiti_oauth2.json", []string{"--auth", "oauth2", "../../examples/events/dafiti/shipped.json"}},
		{"skyhub_headers.json", []string{filepath.Join(examples, "shipped.json")}},
		{"napse_token_confirm.json", []string{"--var", "baseUrl=https://200.100.100.100:8090", "--var", "tokenUrl=https://200.100.100.100:8090/auth/token",
			"--confirm", "../../examples/events/napse/approved.json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := rota(t, "", append([]string{"send", "--dry-run", "--secrets", sendSecretsFile}, tt.args...)...)
			o.wantCode(t, exitOK)
			golden(t, "send/dry_run_"+tt.name, o.stdout)
			noSecretIn(t, o)
			if !strings.Contains(o.stdout, "[redacted") {
				t.Errorf("nothing redacted:\n%s", o.stdout)
			}
		})
	}
	// The published test vector's key, on the fixed clock (a real key's
	// file: mode 600).
	vector := filepath.Join(t.TempDir(), "vector.env")
	if err := os.WriteFile(vector, []byte("ROTA_SECRET_DAFITI_USERID=look@me.com\nROTA_SECRET_DAFITI_APIKEY=b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := rota(t, "", "send", "--dry-run", "--secrets", vector, "../../examples/events/dafiti/shipped.json")
	sig := deliver.SellerCenterSignature(url.Values{"UserID": {"look@me.com"}, "Version": {"1.0"}, "Format": {"JSON"},
		"Timestamp": {"2015-07-01T11:11:11+00:00"}}, "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe")
	if !strings.Contains(o.stdout, `"Signature": "`+sig+`"`) || !strings.Contains(o.stdout, `"Timestamp": "2015-07-01T11:11:11+00:00"`) {
		t.Errorf("want Signature %s and the fixed Timestamp:\n%s", sig, o.stdout)
	}
}

// fakeSkyHub answers every request with status and body and records them.
type fakeSkyHub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newFakeSkyHub(t *testing.T, status int, body string) *fakeSkyHub {
	f := &fakeSkyHub{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSkyHub) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func TestSendDelivered(t *testing.T) {
	f := newFakeSkyHub(t, 201, `{}`)
	o := rota(t, "", "send", "--base-url", f.URL, "--secrets", sendSecretsFile, filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitOK)
	noSecretIn(t, o)
	r := decodeReport(t, o.stdout)
	if r.Outcome != "delivered" || r.EventID != "evt-000123" || len(r.Calls) != 1 {
		t.Fatalf("report %+v", r)
	}
	c := r.Calls[0]
	if c.Status != 201 || c.Attempts != 1 || c.Outcome != "success" || c.URL != f.URL+"/orders/Lojas%20Americanas-1000000000000/shipments" {
		t.Errorf("call %+v", c)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Header.Get("X-Api-Key") != "sim-skyhub-api-key" {
		t.Errorf("the fake SkyHub saw %d requests", len(reqs))
	}
	if o.stderr != "" {
		t.Errorf("stderr %q", o.stderr)
	}
}

func TestSendRefused(t *testing.T) {
	f := newFakeSkyHub(t, 422, `{"error":"Transição de status inválida"}`)
	o := rota(t, "", "send", "--base-url", f.URL, "--secrets", sendSecretsFile, filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitRefused)
	r := decodeReport(t, o.stdout)
	if c := r.Calls[0]; r.Outcome != "refused" || c.Status != 422 || c.Attempts != 1 || c.MarketplaceCode != "422" || c.Message != "Transição de status inválida" {
		t.Errorf("report %+v", r)
	}
	if !strings.HasPrefix(o.stderr, "rota: refused: skyhub refused call shipments") {
		t.Errorf("stderr %q", o.stderr)
	}
}

func TestSendRetriesExhausted(t *testing.T) {
	f := newFakeSkyHub(t, 503, `{"error":"maintenance"}`)
	o := rota(t, "", "send", "--base-url", f.URL, "--secrets", sendSecretsFile, "--max-attempts", "1", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitRefused)
	if r := decodeReport(t, o.stdout); r.Outcome != "failed" || r.Calls[0].Error != "retries_exhausted" || len(f.requests()) != 1 {
		t.Errorf("report %+v", r)
	}
}

func TestSendUsageAndConfiguration(t *testing.T) {
	event := filepath.Join(examples, "shipped.json")
	loose := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(loose, []byte("ROTA_SECRET_SKYHUB_APIKEY=loose-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	marked := filepath.Join(t.TempDir(), "marked.env")
	if err := os.WriteFile(marked, []byte(deliver.PublicTestMarker+"\nROTA_SECRET_SKYHUB_APIKEY=loose-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(marked, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
		code   string // error JSON code on stdout, when one is printed
	}{
		{"max attempts", []string{"--max-attempts", "0", event}, "--max-attempts 0", ""},
		{"timeout", []string{"--timeout", "0s", event}, "--timeout 0s", ""},
		{"standard input among files", []string{event, "-"}, "standard input (-) can only be sent alone", ""},
		{"unknown flag", []string{"--nope", event}, "unknown flag", ""},
		{"loose secrets file", []string{"--secrets", loose, event}, "chmod 600 " + loose, ""},
		{"absent secrets file", []string{"--secrets", filepath.Join(t.TempDir(), "none"), event}, "cannot read secrets file", ""},
		{"missing secrets", []string{"--base-url", "http://127.0.0.1:9", event}, "ROTA_SECRET_SKYHUB_USEREMAIL", "missing_secret"},
		{"unknown auth scheme", []string{"--secrets", sendSecretsFile, "--auth", "nope", event}, "unknown_auth_scheme", "unknown_auth_scheme"},
		{"napse token URL", []string{"--secrets", sendSecretsFile, "--var", "baseUrl=https://10.0.0.1:8090", "../../examples/events/napse/approved.json"}, "ROTA_VAR_NAPSE_TOKENURL", "missing_token_url"},
		{"marked file with a real value", []string{"--secrets", marked, event}, "not the simulator's", ""},
		{"base URL with a password", []string{"--base-url", "http://admin:loose-value@127.0.0.1:9/skyhub", "--secrets", sendSecretsFile, event}, "--base-url carries a user name or password", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"USEREMAIL", "APIKEY", "ACCOUNTMANAGERKEY"} {
				t.Setenv("ROTA_SECRET_SKYHUB_"+k, "")
			}
			o := rota(t, "", append([]string{"send"}, tt.args...)...)
			o.wantCode(t, exitUsage)
			if !strings.Contains(o.stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to mention %q", o.stderr, tt.stderr)
			}
			if strings.Contains(o.stdout+o.stderr, "loose-value") {
				t.Errorf("a secret value is shown")
			}
			if tt.code == "" {
				if o.stdout != "" {
					t.Errorf("stdout %q, want nothing", o.stdout)
				}
				return
			}
			if doc := decodeError(t, o.stdout); doc.Error.Kind != "configuration" || doc.Error.Code != tt.code {
				t.Errorf("error %+v, want configuration %s", doc.Error, tt.code)
			}
		})
	}
}

// Translation errors print exactly as translate prints them.
func TestSendTranslationErrors(t *testing.T) {
	for _, file := range []string{"testdata/events/unknown_marketplace.json", "testdata/events/shipped_no_items.json", filepath.Join(examples, "delivery_failed.json")} {
		tr := rota(t, "", "translate", file)
		se := rota(t, "", "send", "--secrets", sendSecretsFile, file)
		if se.code != tr.code || se.stdout != tr.stdout || se.stderr != tr.stderr || se.code == exitOK {
			t.Errorf("%s: send gave %d\n%s%s\ntranslate gave %d\n%s%s", file, se.code, se.stdout, se.stderr, tr.code, tr.stdout, tr.stderr)
		}
	}
}

func TestSendIgnored(t *testing.T) {
	o := rota(t, "", "send", filepath.Join(examples, "approved.json"))
	o.wantCode(t, exitOK)
	if r := decodeReport(t, o.stdout); r.Outcome != "ignored" || r.Reason == "" || len(r.Calls) != 0 {
		t.Errorf("report %+v", r)
	}
}

// A lost answer the mapping cannot settle exits 3 with outcome unknown.
func TestSendOutcomeUnknown(t *testing.T) {
	f := &fakeSkyHub{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		panic(http.ErrAbortHandler) // every answer is lost, read-backs included
	}))
	t.Cleanup(f.Close)
	o := rota(t, "", "send", "--base-url", f.URL, "--secrets", sendSecretsFile, "--max-attempts", "2", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitUnknown)
	if r := decodeReport(t, o.stdout); r.Outcome != "unknown" || r.Calls[0].Attempts != 1 || r.Calls[0].ReadBacks != 1 {
		t.Errorf("report %+v, want unknown after 1 attempt and 1 read-back", r)
	}
}
