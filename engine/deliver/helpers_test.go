package deliver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

const examples = "../../examples/events"

// example reads examples/events/<name>, applying the replacements
// (old, new, old, new...) to its text.
func example(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%s has no %q to replace", name, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	return []byte(s)
}

// translate translates raw with the calls pointed at base.
func translate(t *testing.T, raw []byte, base string, vars map[string]string) *engine.Result {
	t.Helper()
	res, err := enginetest.Bundled(t).Translate(raw, engine.TranslateOptions{BaseURL: base, Vars: vars})
	if err != nil {
		t.Fatalf("translate: %v", err)
	}
	if res.Outcome != engine.OutcomeSend {
		t.Fatalf("translate: outcome %s, want send", res.Outcome)
	}
	return res
}

// clock is a fake clock: Sleep advances it at once and records the delay.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2015, 7, 1, 11, 11, 11, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *clock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// Secret values of the tests: distinctive, so that a leak is easy to find.
var testSecrets = MapSecrets{
	"ROTA_SECRET_SKYHUB_USEREMAIL":          "seller@example.com",
	"ROTA_SECRET_SKYHUB_APIKEY":             "sky-api-key-SECRET-1",
	"ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY":  "sky-am-key-SECRET-2",
	"ROTA_SECRET_DAFITI_USERID":             "look@me.com",
	"ROTA_SECRET_DAFITI_APIKEY":             "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe",
	"ROTA_SECRET_DAFITI_CLIENTID":           "dafiti-client-SECRET-3",
	"ROTA_SECRET_DAFITI_CLIENTSECRET":       "dafiti-client-secret-SECRET-4",
	"ROTA_SECRET_FASTSHOP_APPKEY":           "fs-app-key-SECRET-5",
	"ROTA_SECRET_FASTSHOP_APPTOKEN":         "fs-app-token-SECRET-6",
	"ROTA_SECRET_NAPSE_USER":                "bridge-user-SECRET-7",
	"ROTA_SECRET_NAPSE_PASSWORD":            "bridge-password-SECRET-8",
	"ROTA_SECRET_UNUSED_FOR_COMPLETENESS_X": "x",
}

// newSender is a Sender on a fake clock, with no jitter (delays at their ceiling).
func newSender(t *testing.T, c *clock) *Sender {
	t.Helper()
	return &Sender{Engine: enginetest.Bundled(t), Secrets: testSecrets, Now: c.Now, Sleep: c.Sleep, jitter: func() float64 { return 1 - 1e-9 }}
}

// request is what a fake marketplace saw.
type request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// fake is a loopback marketplace: it records requests and answers with
// handle (default 200 {}).
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []request
	handle func(n int, r request, w http.ResponseWriter)
}

func newFake(t *testing.T, handle func(n int, r request, w http.ResponseWriter)) *fake {
	t.Helper()
	f := &fake{handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, _ := io.ReadAll(hr.Body)
		r := request{Method: hr.Method, Path: hr.URL.Path, RawQuery: hr.URL.RawQuery, Header: hr.Header.Clone(), Body: string(body)}
		f.mu.Lock()
		f.seen = append(f.seen, r)
		n := len(f.seen)
		f.mu.Unlock()
		if f.handle == nil {
			w.Write([]byte(`{}`))
			return
		}
		f.handle(n, r, w)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

// answer writes status and body.
func answerWith(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noSecrets fails when s holds any test secret value.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for name, v := range testSecrets {
		if len(v) > 3 && strings.Contains(s, v) {
			t.Errorf("%s shows the value of %s:\n%s", what, name, s)
		}
	}
}
