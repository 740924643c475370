package sim_test

import (
	"bytes"
	"encoding/json"
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

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/enginetest"
)

// clock is a settable clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 20, 12, 0, 0, 500_000_000, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a simulator under test, served by httptest.
type env struct {
	t     *testing.T
	sim   *sim.Server
	srv   *httptest.Server
	clock *clock
}

// newEnv starts a simulator with a fake clock; opts.Now is set for it.
func newEnv(t *testing.T, opts sim.Options) *env {
	t.Helper()
	c := newClock()
	opts.Now = c.Now
	s := sim.New(opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, sim: s, srv: srv, clock: c}
}

// base is a marketplace's base URL.
func (e *env) base(mk string) string { return e.srv.URL + "/" + mk }

// answer is an HTTP answer, the body decoded when it is JSON.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// send makes a request with a JSON body (nil: none), after auth sets the
// credentials (nil: none).
func (e *env) send(method, u string, body []byte, auth func(*http.Request)) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// call sends a translated call with auth.
func (e *env) call(c engine.Call, auth func(*http.Request)) answer {
	e.t.Helper()
	return e.send(c.Method, c.URL, c.Body, func(r *http.Request) {
		for k, v := range c.Headers.All() {
			r.Header.Set(k, v)
		}
		if auth != nil {
			auth(r)
		}
	})
}

// want fails the test unless the answer has status.
func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("HTTP %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

// orders returns the simulator's admin view of a marketplace.
func (e *env) orders(mk string) map[string]any {
	e.t.Helper()
	a := e.send(http.MethodGet, e.srv.URL+"/_sim/orders/"+mk, nil, nil).want(e.t, http.StatusOK)
	return a.body
}

// status returns an order's status in the admin view ("" if absent).
func (e *env) status(mk, id string) string {
	e.t.Helper()
	key := "orders"
	if mk == sim.Dafiti {
		key = "orderItems"
	}
	list, _ := e.orders(mk)[key].([]any)
	for _, o := range list {
		m := o.(map[string]any)
		if m["id"] == id {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// setStatus puts an order at a status with the admin endpoint.
func (e *env) setStatus(mk, id, status string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"status": status})
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/"+mk+"/"+url.PathEscape(id), body, nil).want(e.t, http.StatusOK)
}

// event reads examples/events/<mk>/<name>.json and applies patch as an
// RFC 7386 merge patch (a nil value deletes the key).
func event(t *testing.T, mk, name string, patch map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "events", mk, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if patch == nil {
		return raw
	}
	p, err := json.Marshal(patch)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonpatch.MergePatch(raw, p)
	if err != nil {
		t.Fatalf("%s/%s.json: %v", mk, name, err)
	}
	return out
}

// translate turns an event into its calls, aimed at the simulator.
func (e *env) translate(mk string, ev []byte) []engine.Call {
	e.t.Helper()
	opts := engine.TranslateOptions{BaseURL: e.base(mk)}
	if mk == sim.Napse {
		opts.Vars = map[string]string{"baseUrl": e.base(mk)}
	}
	res, err := enginetest.Bundled(e.t).Translate(ev, opts)
	if err != nil {
		e.t.Fatalf("translate: %v", err)
	}
	if res.Outcome != engine.OutcomeSend {
		e.t.Fatalf("translate: outcome %s (%s), want send", res.Outcome, res.Reason)
	}
	return res.Calls
}

// judge reads an answer with the call's mapping rules.
func judge(t *testing.T, c engine.Call, a answer) engine.Verdict {
	t.Helper()
	v, err := c.Judge(a.status, a.header, a.raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Credentials, set the way each marketplace's auth scheme sends them.

var secrets = sim.DefaultSecrets()

func skyAuth(r *http.Request) {
	r.Header.Set("X-User-Email", secrets["ROTA_SECRET_SKYHUB_USEREMAIL"])
	r.Header.Set("X-Api-Key", secrets["ROTA_SECRET_SKYHUB_APIKEY"])
	r.Header.Set("X-Accountmanager-Key", secrets["ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY"])
}

func fshAuth(r *http.Request) {
	r.Header.Set("X-API-AppKey", secrets["ROTA_SECRET_FASTSHOP_APPKEY"])
	r.Header.Set("X-API-AppToken", secrets["ROTA_SECRET_FASTSHOP_APPTOKEN"])
}

// dafSign signs like the sender's headers placement, at time at, with key.
func dafSign(at time.Time, user, key string) func(*http.Request) {
	return func(r *http.Request) {
		p := url.Values{"UserID": {user}, "Version": {"1.0"}, "Format": {"JSON"}, "Timestamp": {deliver.SellerCenterTimestamp(at)}}
		for name, v := range p {
			r.Header.Set(name, v[0])
		}
		r.Header.Set("Signature", deliver.SellerCenterSignature(p, key))
	}
}

// dafAuth signs with the simulator's credentials at the env's time.
func (e *env) dafAuth(r *http.Request) {
	dafSign(e.clock.Now(), secrets["ROTA_SECRET_DAFITI_USERID"], secrets["ROTA_SECRET_DAFITI_APIKEY"])(r)
}

// napToken gets a Napse token with the simulator's user and password.
func (e *env) napToken() string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"user": secrets["ROTA_SECRET_NAPSE_USER"], "password": secrets["ROTA_SECRET_NAPSE_PASSWORD"]})
	a := e.send(http.MethodPost, e.base(sim.Napse)+"/auth/token", body, nil).want(e.t, http.StatusOK)
	tok, _ := a.body["token"].(string)
	if tok == "" {
		e.t.Fatalf("token service answered without a token: %s", a.raw)
	}
	return tok
}

func withToken(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("x-access-token", tok) }
}

// errorText is SkyHub's {"error"}, or Fast Shop's {"error": {"code",
// "message"}} as "code message".
func errorText(a answer) string {
	switch e := a.body["error"].(type) {
	case string:
		return e
	case map[string]any:
		c, _ := e["code"].(string)
		m, _ := e["message"].(string)
		return c + " " + m
	}
	return ""
}

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
}
