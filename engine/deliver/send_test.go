package deliver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
	"github.com/rotahq/rota/engine/internal/timer"
)

func skyhubShipped(t *testing.T, base string) *engine.Result {
	return translate(t, example(t, "skyhub/shipped.json"), base, nil)
}

func send(t *testing.T, s *Sender, res *engine.Result) *Report {
	t.Helper()
	rep, err := s.Send(context.Background(), res)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	noSecrets(t, "report", mustJSON(t, rep))
	return rep
}

func wantCall(t *testing.T, rep *Report, i int, outcome CallOutcome, status, attempts int, code string) {
	t.Helper()
	if i >= len(rep.Calls) {
		t.Fatalf("report has %d calls, want call %d: %+v", len(rep.Calls), i, rep)
	}
	c := rep.Calls[i]
	if c.Outcome != outcome || c.Status != status || c.Attempts != attempts || c.MarketplaceCode != code {
		t.Errorf("call %d = %s status %d, %d attempts, code %q; want %s %d, %d attempts, code %q\n%+v",
			i, c.Outcome, c.Status, c.Attempts, c.MarketplaceCode, outcome, status, attempts, code, c)
	}
}

func TestHeadersAuthSkyHub(t *testing.T) {
	f := newFake(t, nil)
	rep := send(t, newSender(t, newClock()), skyhubShipped(t, f.URL))
	if rep.Outcome != Delivered {
		t.Fatalf("outcome %s: %+v", rep.Outcome, rep)
	}
	wantCall(t, rep, 0, CallSuccess, 200, 1, "")
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	for name, want := range map[string]string{
		"X-User-Email": "seller@example.com", "X-Api-Key": "sky-api-key-SECRET-1",
		"X-Accountmanager-Key": "sky-am-key-SECRET-2", "Content-Type": "application/json", "Accept": "application/json",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if r.Method != "POST" || r.Path != "/orders/Lojas Americanas-1000000000000/shipments" || !strings.Contains(r.Body, `"status":"order_shipped"`) {
		t.Errorf("request %s %s %s", r.Method, r.Path, r.Body)
	}
}

func TestHeadersAuthFastShop(t *testing.T) {
	f := newFake(t, nil)
	res := translate(t, example(t, "fastshop/shipped.json"), f.URL, nil)
	rep := send(t, newSender(t, newClock()), res)
	if rep.Outcome != Delivered {
		t.Fatalf("outcome %s: %+v", rep.Outcome, rep)
	}
	r := f.requests()[0]
	if r.Header.Get("X-API-AppKey") != "fs-app-key-SECRET-5" || r.Header.Get("X-API-AppToken") != "fs-app-token-SECRET-6" {
		t.Errorf("headers %v", r.Header)
	}
	// The vtex scheme uses other header names.
	s := newSender(t, newClock())
	s.AuthScheme = map[string]string{"fastshop": "vtex"}
	send(t, s, res)
	if r := f.requests()[1]; r.Header.Get("X-VTEX-API-AppKey") != "fs-app-key-SECRET-5" || r.Header.Get("X-API-AppKey") != "" {
		t.Errorf("vtex scheme headers %v", r.Header)
	}
}

func TestMissingSecret(t *testing.T) {
	f := newFake(t, nil)
	s := newSender(t, newClock())
	s.Secrets = MapSecrets{"ROTA_SECRET_SKYHUB_USEREMAIL": "seller@b.c", "ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY": "am-SECRET"}
	rep, err := s.Send(context.Background(), skyhubShipped(t, f.URL))
	var e *engine.Error
	if !errors.As(err, &e) || e.Kind != engine.KindConfiguration || e.Code != CodeMissingSecret || rep != nil {
		t.Fatalf("Send = %+v, %v; want a configuration error missing_secret", rep, err)
	}
	if !strings.Contains(e.Message, "ROTA_SECRET_SKYHUB_APIKEY") || strings.Contains(e.Error(), "am-SECRET") {
		t.Errorf("message %q should name ROTA_SECRET_SKYHUB_APIKEY and no value", e.Message)
	}
	if _, err := s.DryRun(context.Background(), skyhubShipped(t, f.URL)); !errors.As(err, &e) || e.Code != CodeMissingSecret {
		t.Errorf("DryRun error = %v, want missing_secret", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestSkyHub422Refused(t *testing.T) {
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
		answerWith(w, 422, `{"error":"Transição de status inválida"}`)
	})
	c := newClock()
	rep := send(t, newSender(t, c), skyhubShipped(t, f.URL))
	if rep.Outcome != Refused || rep.Calls[0].Message != "Transição de status inválida" || rep.Calls[0].Error != "" {
		t.Errorf("report %+v", rep)
	}
	wantCall(t, rep, 0, CallRefused, 422, 1, "422")
	if len(f.requests()) != 1 || len(c.sleeps()) != 0 {
		t.Errorf("%d requests, slept %v; want 1 request, no retry", len(f.requests()), c.sleeps())
	}
}

func TestSkyHub503ThenSuccess(t *testing.T) {
	f := newFake(t, func(n int, _ request, w http.ResponseWriter) {
		if n <= 2 {
			answerWith(w, 503, `Service Unavailable`)
			return
		}
		answerWith(w, 200, `{}`)
	})
	c := newClock()
	rep := send(t, newSender(t, c), skyhubShipped(t, f.URL))
	if rep.Outcome != Delivered {
		t.Fatalf("outcome %s: %+v", rep.Outcome, rep)
	}
	wantCall(t, rep, 0, CallSuccess, 200, 3, "")
	// Exponential: the ceilings are 500ms then 1s (jitter fixed at the ceiling).
	sl := c.sleeps()
	if len(sl) != 2 || sl[0] < 499*time.Millisecond || sl[0] > 500*time.Millisecond || sl[1] < 999*time.Millisecond || sl[1] > time.Second {
		t.Errorf("backoff sleeps %v, want ~500ms then ~1s", sl)
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) { answerWith(w, 503, `{"error":"down"}`) })
	s := newSender(t, newClock())
	s.Retry.MaxAttempts = 3
	rep := send(t, s, skyhubShipped(t, f.URL))
	wantCall(t, rep, 0, CallFailed, 503, 3, "503")
	if rep.Outcome != Failed || rep.Calls[0].Error != ErrRetriesExhausted || rep.Calls[0].Message != "down" {
		t.Errorf("report %+v", rep)
	}
	// The total time bounds the retries too.
	c := newClock()
	s = newSender(t, c)
	s.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Second, MaxDelay: time.Second, MaxElapsed: 3500 * time.Millisecond}
	rep = send(t, s, skyhubShipped(t, f.URL))
	if rep.Outcome != Failed || rep.Calls[0].Attempts != 4 {
		t.Errorf("with 3.5s in all and 1s delays: %d attempts (%s), want 4 failed; slept %v", rep.Calls[0].Attempts, rep.Outcome, c.sleeps())
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFake(t, func(n int, _ request, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			answerWith(w, 429, `{"error":"Too many requests"}`)
			return
		}
		answerWith(w, 200, `{}`)
	})
	c := newClock()
	rep := send(t, newSender(t, c), skyhubShipped(t, f.URL))
	wantCall(t, rep, 0, CallSuccess, 200, 2, "")
	if sl := c.sleeps(); len(sl) != 1 || sl[0] < 2*time.Second {
		t.Errorf("slept %v, want at least 2s (Retry-After)", sl)
	}
}

// A Retry-After too large for a time.Duration is not a retry at once: it
// is a wait longer than the call may take, so the call fails at once.
func TestRetryAfterHuge(t *testing.T) {
	f := newFake(t, func(n int, _ request, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "9223372037")
		answerWith(w, 503, `{"error":"down"}`)
	})
	c := newClock()
	rep := send(t, newSender(t, c), skyhubShipped(t, f.URL))
	wantCall(t, rep, 0, CallFailed, 503, 1, "503")
	if c := rep.Calls[0]; c.Error != ErrRetriesExhausted {
		t.Errorf("error %q, want %s", c.Error, ErrRetriesExhausted)
	}
	if sl := c.sleeps(); len(sl) != 0 {
		t.Errorf("slept %v, want no retry", sl)
	}
}

// The token service's Retry-After is a minimum, as a marketplace's is.
func TestRetryAfterFromTokenService(t *testing.T) {
	ns := newNapseServer(t)
	var asked atomic.Int32
	inner := ns.handle
	ns.handle = func(n int, r request, w http.ResponseWriter) {
		if r.Path == "/auth/token" && asked.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			answerWith(w, 503, `{"message":"busy"}`)
			return
		}
		inner(n, r, w)
	}
	c := newClock()
	s, res := napseSender(t, ns, c)
	rep := send(t, s, res)
	wantCall(t, rep, 0, CallSuccess, 200, 2, "")
	if sl := c.sleeps(); len(sl) != 1 || sl[0] < 7*time.Second {
		t.Errorf("slept %v, want one wait of at least 7s (the token service's Retry-After)", sl)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"2", 2 * time.Second}, {" 120 ", 2 * time.Minute}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"+5", 0}, {"1.5", 0},
		{"86400", 24 * time.Hour}, {"86401", MaxRetryAfter},
		// 2^63 ns is 9223372036.85 s: these overflowed time.Duration.
		{"9223372037", MaxRetryAfter}, {"18446744073709551616", MaxRetryAfter}, {strings.Repeat("9", 400), MaxRetryAfter},
		{now.AddDate(300, 0, 0).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNapseAckRefused(t *testing.T) {
	f := newFake(t, func(_ int, r request, w http.ResponseWriter) {
		if r.Path == "/auth/token" {
			answerWith(w, 200, `{"token":"tokenvalue-1"}`)
			return
		}
		answerWith(w, 200, `{"ack": 1023, "message": "orden cerrada"}`)
	})
	vars := map[string]string{"baseUrl": f.URL, "tokenUrl": f.URL + "/auth/token"}
	s := newSender(t, newClock())
	s.Vars = vars
	rep := send(t, s, translate(t, example(t, "napse/canceled.json"), "", vars))
	wantCall(t, rep, 0, CallRefused, 200, 1, "1023")
	if rep.Outcome != Refused || rep.Calls[0].Message != "orden cerrada" {
		t.Errorf("report %+v", rep)
	}
}

// Dafiti order.shipped from pending: set-to-ready-to-ship, then set-to-shipped.
func dafitiFromPending(t *testing.T, base string) *engine.Result {
	raw := example(t, "dafiti/ready_to_ship.json", `"order.ready_to_ship"`, `"order.shipped"`)
	res := translate(t, raw, base, nil)
	if len(res.Calls) != 2 {
		t.Fatalf("%d calls, want ready-to-ship and shipped", len(res.Calls))
	}
	return res
}

func TestMultiCallStopsAtFirstFailure(t *testing.T) {
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
		answerWith(w, 422, `{"ErrorResponse":{"Head":{"ErrorCode":"73","ErrorMessage":"All items must be Pending"}}}`)
	})
	rep := send(t, newSender(t, newClock()), dafitiFromPending(t, f.URL))
	wantCall(t, rep, 0, CallRefused, 422, 1, "E073")
	wantCall(t, rep, 1, CallNotSent, 0, 0, "")
	if rep.Outcome != Refused || len(rep.Succeeded()) != 0 || len(f.requests()) != 1 {
		t.Errorf("report %+v, %d requests", rep, len(f.requests()))
	}
	if !strings.Contains(rep.Reason, "set-to-ready-to-ship") || !strings.Contains(rep.Reason, "1 call not sent") {
		t.Errorf("reason %q", rep.Reason)
	}
}

func TestMultiCallReportsWhatSucceeded(t *testing.T) {
	f := newFake(t, func(_ int, r request, w http.ResponseWriter) {
		if strings.HasSuffix(r.Path, "set-to-shipped") {
			answerWith(w, 400, `{"message":"bad items"}`)
			return
		}
		answerWith(w, 200, `{"orderItemIds":[123456,654321]}`)
	})
	rep := send(t, newSender(t, newClock()), dafitiFromPending(t, f.URL))
	wantCall(t, rep, 0, CallSuccess, 200, 1, "")
	wantCall(t, rep, 1, CallRefused, 400, 1, "400")
	if got := rep.Succeeded(); len(got) != 1 || got[0] != "set-to-ready-to-ship" || !strings.Contains(rep.Reason, "accepted before it: set-to-ready-to-ship") {
		t.Errorf("succeeded %v, reason %q", got, rep.Reason)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFake(t, nil)
	s := newSender(t, newClock())
	res := skyhubShipped(t, f.URL)
	if rep := send(t, s, res); rep.Outcome != Delivered {
		t.Fatalf("first: %+v", rep)
	}
	rep := send(t, s, res)
	if rep.Outcome != Duplicate || rep.Calls[0].Outcome != CallSkipped || !rep.OK() {
		t.Errorf("second: %+v", rep)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
	// A refused event is not remembered: it may be sent again.
	g := newFake(t, func(_ int, _ request, w http.ResponseWriter) { answerWith(w, 422, `{"error":"no"}`) })
	s = newSender(t, newClock())
	res = skyhubShipped(t, g.URL)
	send(t, s, res)
	if rep := send(t, s, res); rep.Outcome != Refused || len(g.requests()) != 2 {
		t.Errorf("refused event re-sent: %s, %d requests", rep.Outcome, len(g.requests()))
	}
}

// Concurrent sends of one event: only one reaches the marketplace.
func TestIdempotencyConcurrent(t *testing.T) {
	f := newFake(t, nil)
	s := &Sender{Engine: enginetest.Bundled(t), Secrets: testSecrets}
	res := skyhubShipped(t, f.URL)
	var wg sync.WaitGroup
	outcomes := make([]Outcome, 8)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := s.Send(context.Background(), res)
			if err != nil {
				t.Error(err)
				return
			}
			outcomes[i] = rep.Outcome
		}()
	}
	wg.Wait()
	delivered := 0
	for _, o := range outcomes {
		if o == Delivered {
			delivered++
		} else if o != Duplicate {
			t.Errorf("outcome %s", o)
		}
	}
	if delivered != 1 || len(f.requests()) != 1 {
		t.Errorf("%d delivered, %d requests; want 1 and 1 (%v)", delivered, len(f.requests()), outcomes)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
		answerWith(w, 503, `{"error":"down"}`)
	})
	// The real timer: the backoff would last about an hour; the run is
	// canceled once it has started.
	s := &Sender{Engine: enginetest.Bundled(t), Secrets: testSecrets,
		Retry: RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour, MaxElapsed: 2 * time.Hour},
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return timer.Sleep(ctx, d) }}
	s.jitter = func() float64 { return 0.99 }
	start := time.Now()
	rep, err := s.Send(ctx, skyhubShipped(t, f.URL))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v after cancellation", took)
	}
	if rep.Outcome != Canceled || rep.Calls[0].Outcome != CallCanceled || rep.Calls[0].Error != ErrCanceled || rep.Calls[0].Attempts != 1 {
		t.Errorf("report %+v", rep)
	}
	// Canceled before anything is sent.
	rep, _ = s.Send(ctx, skyhubShipped(t, f.URL))
	if rep.Outcome != Canceled || rep.Calls[0].Attempts != 0 || len(f.requests()) != 1 {
		t.Errorf("already canceled: %+v, %d requests", rep, len(f.requests()))
	}
}

func TestTimeoutAndNetworkErrors(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) { <-block })
	s := newSender(t, newClock())
	s.Timeout = 50 * time.Millisecond
	s.Retry.MaxAttempts = 2
	// The request was written and no answer came: the marketplace may have
	// applied it, and the read-back (which times out too) cannot tell.
	rep := send(t, s, skyhubShipped(t, f.URL))
	if c := rep.Calls[0]; rep.Outcome != Unknown || c.Outcome != CallUnknown || c.Error != ErrTimeout || c.Attempts != 1 || c.ReadBacks != 1 || c.Status != 0 {
		t.Errorf("timeout: %+v", rep)
	}
	closed := newFake(t, nil)
	closed.Close()
	rep = send(t, s, skyhubShipped(t, closed.URL))
	if c := rep.Calls[0]; rep.Outcome != Failed || c.Error != ErrNetwork || c.Attempts != 2 || c.Message == "" {
		t.Errorf("network: %+v", rep)
	}
	if strings.Contains(rep.Calls[0].Message, closed.URL) {
		t.Errorf("message %q quotes the URL", rep.Calls[0].Message)
	}
}

// SkyHub allows 9 calls per second per endpoint, burst 9: 20 calls take at
// least (20-9)/9 s on the Sender's clock.
func TestRateLimit(t *testing.T) {
	f := newFake(t, nil)
	c := newClock()
	s := newSender(t, c)
	res := skyhubShipped(t, f.URL)
	start := c.Now()
	for i := range 20 {
		r := *res
		r.EventID = fmt.Sprintf("evt-%d", i)
		if rep := send(t, s, &r); rep.Outcome != Delivered {
			t.Fatalf("call %d: %+v", i, rep)
		}
	}
	took := c.Now().Sub(start)
	if want := 11 * time.Second / 9; took < want-time.Millisecond || took > want+100*time.Millisecond {
		t.Errorf("20 calls took %v on the clock, want about %v", took, want)
	}
	if n := len(c.sleeps()); n != 11 {
		t.Errorf("%d waits, want 11 (the first 9 are the burst)", n)
	}
	// Another endpoint has its own limiter.
	other := translate(t, example(t, "skyhub/delivered.json"), f.URL, nil)
	before := c.Now()
	if rep := send(t, s, other); rep.Outcome != Delivered {
		t.Fatalf("delivery endpoint: %+v", rep)
	}
	if c.Now() != before {
		t.Errorf("the delivery endpoint waited for the shipments endpoint's limiter")
	}
}

func TestSecretsScrubbedFromReport(t *testing.T) {
	f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
		answerWith(w, 401, `{"error":"invalid X-Api-Key sky-api-key-SECRET-1 for seller@example.com"}`)
	})
	rep, err := newSender(t, newClock()).Send(context.Background(), skyhubShipped(t, f.URL))
	if err != nil {
		t.Fatal(err)
	}
	out := mustJSON(t, rep)
	noSecrets(t, "report", out)
	if rep.Outcome != Refused || !strings.Contains(rep.Calls[0].Message, "invalid X-Api-Key [redacted] for [redacted]") {
		t.Errorf("message %q", rep.Calls[0].Message)
	}
	if s := scrubber([]string{"bbbb@ccc", "aaaa@bbbb@ccc"}).Replace("a bbbb%40ccc aaaa@bbbb@ccc"); s != "a [redacted] [redacted]" {
		t.Errorf("scrub = %q", s)
	}
}

// A secret is replaced in every form a marketplace may echo it in.
func TestScrubberForms(t *testing.T) {
	const secret = `pa"ss\wörd/<&>🔑`
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	tests := []struct{ name, text string }{
		{"raw", "key " + secret + " refused"},
		{"JSON-escaped", `{"error":"key pa\"ss\\wörd/<&>🔑 refused"}`},
		{"JSON-escaped, HTML safe", `{"error":"key pa\"ss\\wörd/\u003c\u0026\u003e🔑 refused"}`},
		{"JSON-escaped, ASCII only", `{"error":"key pa\"ss\\w\u00f6rd\/<&>\ud83d\udd11 refused"}`},
		{"JSON-escaped, ASCII only, upper case", `{"error":"key pa\"ss\\w\u00F6rd/<&>\uD83D\uDD11 refused"}`},
		{"percent-encoded", "key=" + url.QueryEscape(secret) + "&x=1"},
		{"percent-encoded, RFC 3986", "key=" + rfc3986Escape(secret) + "&x=1"},
		{"base64", "Authorization: Basic " + b64},
	}
	r := scrubber([]string{secret})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Replace(tt.text)
			if !strings.Contains(got, Redacted) || strings.Contains(got, "ss") || strings.Contains(got, "rd") {
				t.Errorf("got %q, want the secret redacted", got)
			}
		})
	}
}

// The marketplace echoes a secret across the point where the message is
// cut: no part of it is left, because it is scrubbed before the cut.
func TestSecretScrubbedBeforeTruncating(t *testing.T) {
	const key = "sky-api-key-SECRET-1"
	for _, pad := range []int{290, 295, 299} {
		f := newFake(t, func(_ int, _ request, w http.ResponseWriter) {
			answerWith(w, 422, strings.Repeat("x", pad)+key+" is wrong")
		})
		rep := send(t, newSender(t, newClock()), skyhubShipped(t, f.URL))
		msg := rep.Calls[0].Message
		for i := 4; i <= len(key); i++ {
			if strings.Contains(msg, key[:i]) {
				t.Errorf("pad %d: message %q keeps %q of the secret", pad, msg, key[:i])
				break
			}
		}
		if !strings.Contains(msg, "x[") {
			t.Errorf("pad %d: message %q, want the secret redacted", pad, msg)
		}
	}
}

// A secret value shorter than MinSecretLength is refused before anything
// is sent; the error names the variable, never the value.
func TestShortSecretRefused(t *testing.T) {
	f := newFake(t, nil)
	sec := maps.Clone(testSecrets)
	sec["ROTA_SECRET_SKYHUB_APIKEY"] = "k3y-1"
	s := newSender(t, newClock())
	s.Secrets = sec
	_, err := s.Send(context.Background(), skyhubShipped(t, f.URL))
	var e *engine.Error
	if !errors.As(err, &e) || e.Code != CodeSecretTooShort || !strings.Contains(e.Message, "ROTA_SECRET_SKYHUB_APIKEY") || strings.Contains(e.Message, "k3y-1") {
		t.Errorf("error %v, want %s naming the variable, not the value", err, CodeSecretTooShort)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestIgnoredResult(t *testing.T) {
	res, err := enginetest.Bundled(t).Translate(example(t, "skyhub/approved.json"), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := newSender(t, newClock())
	s.Secrets = MapSecrets{} // nothing is needed to send nothing
	rep, err := s.Send(context.Background(), res)
	if err != nil || rep.Outcome != Ignored || rep.Reason == "" || !rep.OK() {
		t.Errorf("Send = %+v, %v", rep, err)
	}
}

func TestRebase(t *testing.T) {
	got, err := rebase("https://api.sellercenter.com.br/oauth/client-credentials?a=1", "http://127.0.0.1:8080/sim/dafiti/")
	if err != nil || got != "http://127.0.0.1:8080/sim/dafiti/oauth/client-credentials?a=1" {
		t.Errorf("rebase = %q, %v", got, err)
	}
	// Already on the base's host: left alone (--var tokenUrl for rota sim).
	if got, _ := rebase("http://127.0.0.1:8080/napse/auth/token", "http://127.0.0.1:8080/napse"); got != "http://127.0.0.1:8080/napse/auth/token" {
		t.Errorf("rebase on the same host = %q", got)
	}
	var e *engine.Error
	if _, err := rebase("https://x/y", "not a url"); !errors.As(err, &e) || e.Code != engine.CodeBadBaseURL || !strings.Contains(e.Message, "--base-url") {
		t.Errorf("a relative base URL: %v, want bad_base_url saying what to give", err)
	}
}
