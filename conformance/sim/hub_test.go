package sim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

func hubOrder(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/inbound/fastshop/order.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHubChecksTheAnswer: the hub retries 500s with its error body on its
// schedule, and refuses answers of another shape.
func TestHubChecksTheAnswer(t *testing.T) {
	hubError := `{"error": {"code": "x", "message": "down", "exception": null}}`
	cases := []struct {
		name      string
		answers   []string // status SP body
		wantErr   error
		wantTries int
		wantWaits int
	}{
		{"accepted", []string{`200 [{"marketplaceOrderId": "999999999", "orderId": "S-1"}]`}, nil, 1, 0},
		{"500 then accepted", []string{"500 " + hubError, `200 [{"marketplaceOrderId": "999999999", "orderId": "S-1"}]`}, nil, 2, 1},
		{"gives up after 3 retries", []string{"500 " + hubError}, sim.ErrHubGaveUp, 4, 3},
		{"500 without the error body", []string{"500 oops"}, sim.ErrBadAnswer, 1, 0},
		{"other order id", []string{`200 [{"marketplaceOrderId": "1", "orderId": "S-1"}]`}, sim.ErrBadAnswer, 1, 0},
		{"empty seller id", []string{`200 [{"marketplaceOrderId": "999999999", "orderId": ""}]`}, sim.ErrBadAnswer, 1, 0},
		{"not a list", []string{`200 {"orderId": "S-1"}`}, sim.ErrBadAnswer, 1, 0},
		{"401 not retried", []string{`401 {"error": {"code": "unauthorized", "message": "no", "exception": null}}`}, sim.ErrBadAnswer, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/inbound/fastshop/api/fulfillment/pvt/orders" || r.URL.Query().Get("affiliateId") != "FSH" ||
					r.Header.Get("X-API-AppKey") != "k" || r.Header.Get("X-API-AppToken") != "t" {
					t.Errorf("request %s %s without the hub's path, query or headers", r.Method, r.URL)
				}
				a := c.answers[min(n, len(c.answers)-1)]
				n++
				status, body, _ := strings.Cut(a, " ")
				code, _ := strconv.Atoi(status)
				w.WriteHeader(code)
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			var waits []time.Duration
			h := &sim.Hub{Target: srv.URL + "/inbound/fastshop", AppKey: "k", AppToken: "t",
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
			p, err := h.PlaceOrder(context.Background(), hubOrder(t))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
			if len(p.Attempts) != c.wantTries || len(waits) != c.wantWaits {
				t.Errorf("got %d attempts and %d waits, want %d and %d", len(p.Attempts), len(waits), c.wantTries, c.wantWaits)
			}
			for _, w := range waits {
				if w != sim.HubRetryEvery {
					t.Errorf("waited %s, want %s", w, sim.HubRetryEvery)
				}
			}
		})
	}
}

// TestERPVerifies: the ERP takes only requests signed per the
// specification, each id once.
func TestERPVerifies(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	sign := func(id, ts, body string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "." + body))
		return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	now := time.Unix(1614265330, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	body := `{"test": 2432232314}`
	cases := []struct {
		name, id, ts, sig, body string
		want                    int
	}{
		{"spec vector", "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, 204},
		{"repeat of an id", "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, 204},
		{"one of several signatures", "m2", ts, "v1,AAAA " + sign("m2", ts, body), body, 204},
		{"body changed", "m3", ts, sign("m3", ts, body), `{"test": 1}`, 401},
		{"old timestamp", "m4", old, sign("m4", old, body), body, 401},
		{"no signature", "m5", ts, "", body, 401},
		{"other version", "m6", ts, strings.Replace(sign("m6", ts, body), "v1,", "v2,", 1), body, 401},
	}
	erp, err := sim.NewERP(secret)
	if err != nil {
		t.Fatal(err)
	}
	erp.Now = func() time.Time { return now }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(c.body))
			req.Header.Set("webhook-id", c.id)
			req.Header.Set("webhook-timestamp", c.ts)
			req.Header.Set("webhook-signature", c.sig)
			w := httptest.NewRecorder()
			erp.ServeHTTP(w, req)
			if w.Code != c.want {
				t.Errorf("got %d, want %d: %s", w.Code, c.want, w.Body)
			}
		})
	}
	if n := len(erp.Events()); n != 2 {
		t.Errorf("took %d events, want 2 (the vector once, m2)", n)
	}
}
