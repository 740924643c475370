package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

// TestServeInboundHubAndForward runs the newcomer's session of
// docs/inbound.md in-process: rota serve --sim --forward to an ERP that
// verifies the signatures, then rota sim hub placing the seed's order.
func TestServeInboundHubAndForward(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	erp, err := sim.NewERP(secret)
	if err != nil {
		t.Fatal(err)
	}
	erpSrv := httptest.NewServer(erp)
	defer erpSrv.Close()
	t.Setenv(webhookSecretVar, secret)
	t.Setenv(apiTokenVar, "try-rota")
	rs := startServe(t, "--sim", "--addr", "127.0.0.1:0", "--db", "sqlite:"+t.TempDir()+"/rota.db", "--forward", erpSrv.URL+"/webhooks")
	hub := func() (int, string, string) {
		var out, errb bytes.Buffer
		code := run([]string{"sim", "hub", "--target", rs.url + "/inbound/fastshop", "../../examples/inbound/fastshop/order.json"}, strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	for i := range 2 {
		code, out, errs := hub()
		if code != 0 {
			t.Fatalf("rota sim hub (run %d): exit %d\n%s\n%s", i+1, code, out, errs)
		}
		var p sim.Placement
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("the output is not the placement JSON: %v\n%s", err, out)
		}
		if p.OrderID != "FSH-999999999" || len(p.Attempts) != 1 {
			t.Errorf("run %d: orderId %q after %d attempts, want FSH-999999999 after 1", i+1, p.OrderID, len(p.Attempts))
		}
	}
	end := time.Now().Add(20 * time.Second)
	for len(erp.Events()) < 1 && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a wrong second forward
	if n := len(erp.Events()); n != 1 {
		t.Fatalf("the ERP took %d events, want 1", n)
	}
	if total, rejected := erp.Requests(); total != 1 || rejected != 0 {
		t.Errorf("the ERP got %d requests, %d with a bad signature; want 1, 0", total, rejected)
	}
	events := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"events"}, append(args, "--server", rs.url)...), strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	end = time.Now().Add(20 * time.Second)
	for {
		code, out := events("inbox", "--after", "0")
		if code != 0 {
			t.Fatalf("rota events inbox: exit %d\n%s", code, out)
		}
		if strings.Contains(out, `"forward": "delivered"`) && strings.Contains(out, `"id": "fastshop:order.created:999999999"`) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("rota events inbox does not show the delivered forward:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, out := events("ack", "1"); code != 0 || !strings.Contains(out, `"acked": "1"`) {
		t.Errorf("rota events ack 1: exit %d\n%s", code, out)
	}
	if code, out := events("inbox"); code != 0 || !strings.Contains(out, `"events": []`) {
		t.Errorf("rota events inbox after the ack: exit %d, want no event\n%s", code, out)
	}
	if code, out := events("forward", "fastshop:order.created:999999999"); code != exitRefused || !strings.Contains(out, "conflict") {
		t.Errorf("rota events forward of a delivered forward: exit %d, want %d and conflict\n%s", code, exitRefused, out)
	}
	if code, out := events("ack", "5"); code != exitRefused || !strings.Contains(out, "bad_parameter") {
		t.Errorf("rota events ack past the last event: exit %d, want %d and bad_parameter\n%s", code, exitRefused, out)
	}
}

func TestServeForwardNeedsASecret(t *testing.T) {
	cases := []struct {
		name, secret, want string
	}{
		{"missing", "", "ROTA_WEBHOOK_SECRET"},
		{"not whsec", "abc", "whsec_"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(webhookSecretVar, c.secret)
			t.Setenv(apiTokenVar, "try-rota")
			var out, errb bytes.Buffer
			code := run([]string{"serve", "--forward", "http://127.0.0.1:9/webhooks", "--db", "sqlite:" + t.TempDir() + "/rota.db"}, strings.NewReader(""), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %s", code, errb.String(), exitUsage, c.want)
			}
		})
	}
}
