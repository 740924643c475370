package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		rule string
		want sim.Fault
	}{
		{"skyhub:503x2", sim.Fault{Marketplace: "skyhub", Status: 503, Times: 2}},
		{"napse:delay=2s", sim.Fault{Marketplace: "napse", Delay: 2 * time.Second}},
		{"dafiti:drop", sim.Fault{Marketplace: "dafiti", Drop: true}},
		{"dafiti:drop-afterx1", sim.Fault{Marketplace: "dafiti", DropAfter: true, Times: 1}},
		{"skyhub/orders/:429x1,retry-after=3", sim.Fault{Marketplace: "skyhub", Path: "/orders/", Status: 429, Times: 1, RetryAfter: 3}},
		{"fastshop:delay=500ms,503", sim.Fault{Marketplace: "fastshop", Delay: 500 * time.Millisecond, Status: 503}},
		{"*:delay=1sx3,method=post", sim.Fault{Marketplace: "*", Delay: time.Second, Times: 3, Method: "POST"}},
		{"napse:500,times=4", sim.Fault{Marketplace: "napse", Status: 500, Times: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := sim.ParseFault(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			again, err := sim.ParseFault(got.String())
			if err != nil || again != got {
				t.Errorf("String() %q reads back as %+v, %v", got.String(), again, err)
			}
		})
	}
	for _, bad := range []string{"skyhub", "skyhub:", "ebay:503", "skyhub:200", "skyhub:503,drop", "skyhub:delay=soon", "skyhub:teapot", "skyhub:503,color=red", "skyhub:503x-1", "skyhub:times=2"} {
		if _, err := sim.ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) accepted it", bad)
		}
	}
}

// TestFault503TwiceThenSuccess: the state is untouched by the faulted
// calls; the third attempt goes through.
func TestFault503TwiceThenSuccess(t *testing.T) {
	f, _ := sim.ParseFault("skyhub:503x2")
	e := newEnv(t, sim.Options{Faults: []sim.Fault{f}})
	c := e.translate(sim.SkyHub, event(t, sim.SkyHub, "invoiced", nil))[0]
	for i := range 2 {
		a := e.call(c, skyAuth).want(t, http.StatusServiceUnavailable)
		if a.header.Get("Retry-After") != "1" || errorText(a) == "" {
			t.Errorf("attempt %d: Retry-After %q, body %s", i+1, a.header.Get("Retry-After"), a.raw)
		}
		if v := judge(t, c, a); v.Outcome != engine.VerdictRetry {
			t.Errorf("the mapping reads %+v, want retry", v)
		}
	}
	e.call(c, skyAuth).want(t, http.StatusOK)
	if got := e.status(sim.SkyHub, skyOrder); got != "order_invoiced" {
		t.Errorf("order is %q", got)
	}
	reqs := e.sim.Requests(sim.SkyHub)
	if len(reqs) != 3 || reqs[0].Fault != "skyhub:503x2" || reqs[0].Status != 503 || reqs[2].Status != 200 || reqs[2].Fault != "" {
		t.Errorf("request log %+v", reqs)
	}
	if fs := e.sim.Faults(); len(fs) != 0 {
		t.Errorf("used-up fault still active: %v", fs)
	}
}

func TestFaultOnlyWhereItMatches(t *testing.T) {
	e := newEnv(t, sim.Options{})
	if err := e.sim.AddFault(sim.Fault{Marketplace: "skyhub", Path: "/orders/X/", Status: 500}); err != nil {
		t.Fatal(err)
	}
	e.send(http.MethodPost, skyURL(e, "Y", "invoice"), skyInvoice, skyAuth).want(t, http.StatusOK)
	e.send(http.MethodPost, skyURL(e, "X", "invoice"), skyInvoice, skyAuth).want(t, http.StatusInternalServerError)
	e.send(http.MethodPost, skyURL(e, "X", "invoice"), skyInvoice, skyAuth).want(t, http.StatusInternalServerError)
	e.sim.ClearFaults()
	e.send(http.MethodPost, skyURL(e, "X", "invoice"), skyInvoice, skyAuth).want(t, http.StatusOK)
}

func TestFaultDelay(t *testing.T) {
	e := newEnv(t, sim.Options{})
	postFault(t, e, `{"marketplace": "fastshop", "delay": "150ms", "times": 1}`)
	start := time.Now()
	e.send(http.MethodPost, fshURL(e, "1/cancel"), []byte(`{"reason": "x"}`), fshAuth).want(t, http.StatusOK)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %s, want at least 150ms", d)
	}
	start = time.Now()
	e.send(http.MethodPost, fshURL(e, "2/cancel"), []byte(`{"reason": "x"}`), fshAuth).want(t, http.StatusOK)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("second call took %s: the delay applied once only", d)
	}
}

func TestFaultDrop(t *testing.T) {
	e := newEnv(t, sim.Options{})
	postFault(t, e, `{"rule": "dafiti:dropx1"}`)
	u := e.base(sim.Dafiti) + "/v2/orders/statuses/set-to-cancelled"
	body := []byte(`{"orderItemIds": [7], "reason": "Sem estoque"}`)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	e.dafAuth(req)
	if resp, err := e.srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped call answered HTTP %d", resp.StatusCode)
	}
	if got := e.status(sim.Dafiti, "7"); got != "" {
		t.Errorf("a dropped call changed the item to %q", got)
	}
	e.send(http.MethodPost, u, body, e.dafAuth).want(t, http.StatusOK)
}

// TestFaultDropAfter: the call is handled, the answer lost; the retry is
// then refused by the marketplace's own rules.
func TestFaultDropAfter(t *testing.T) {
	e := newEnv(t, sim.Options{})
	postFault(t, e, `{"marketplace": "skyhub", "dropAfter": true, "times": 1}`)
	req, _ := http.NewRequest(http.MethodPost, skyURL(e, "Z", "invoice"), bytes.NewReader(skyInvoice))
	req.Header.Set("Content-Type", "application/json")
	skyAuth(req)
	if resp, err := e.srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped call answered HTTP %d", resp.StatusCode)
	}
	if got := e.status(sim.SkyHub, "Z"); got != "order_invoiced" {
		t.Errorf("order is %q, want order_invoiced (handled before the drop)", got)
	}
	e.send(http.MethodPost, skyURL(e, "Z", "invoice"), skyInvoice, skyAuth).want(t, http.StatusUnprocessableEntity)
}

// TestFaultStatusBodies: injected errors come in each marketplace's style.
func TestFaultStatusBodies(t *testing.T) {
	e := newEnv(t, sim.Options{})
	postFault(t, e, `[{"marketplace": "napse", "status": 503}, {"marketplace": "dafiti", "status": 429, "retryAfter": 2}]`)
	a := e.send(http.MethodPost, e.base(sim.Napse)+"/order/status", []byte(`{}`), nil).want(t, http.StatusServiceUnavailable)
	wantAck(t, a, 9999)
	a = e.send(http.MethodPost, e.base(sim.Dafiti)+"/v2/orders/statuses/set-to-shipped", []byte(`{}`), nil).want(t, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2", a.header.Get("Retry-After"))
	}
	dafHead(t, a)
	var list struct{ Faults []map[string]any }
	g := e.send(http.MethodGet, e.srv.URL+"/_sim/faults", nil, nil).want(t, http.StatusOK)
	_ = json.Unmarshal(g.raw, &list)
	if len(list.Faults) != 2 || list.Faults[1]["rule"] != "dafiti:429,retry-after=2" {
		t.Errorf("GET /_sim/faults: %s", g.raw)
	}
	e.send(http.MethodDelete, e.srv.URL+"/_sim/faults", nil, nil).want(t, http.StatusOK)
	if fs := e.sim.Faults(); len(fs) != 0 {
		t.Errorf("faults after DELETE: %v", fs)
	}
}

func TestAdminRefusesBadFaults(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, body := range []string{`{"marketplace": "skyhub"}`, `{"marketplace": "ebay", "status": 503}`, `{"status": 503, "colour": 1}`, `[{"status": 503}, {"drop": true, "status": 500}]`, `{"rule": "skyhub"}`} {
		a := e.send(http.MethodPost, e.srv.URL+"/_sim/faults", []byte(body), nil).want(t, http.StatusBadRequest)
		if !strings.Contains(string(a.raw), "error") {
			t.Errorf("%s: %s", body, a.raw)
		}
	}
	if fs := e.sim.Faults(); len(fs) != 0 {
		t.Errorf("a refused request added faults: %v", fs)
	}
}

func postFault(t *testing.T, e *env, body string) {
	t.Helper()
	e.send(http.MethodPost, e.srv.URL+"/_sim/faults", []byte(body), nil).want(t, http.StatusCreated)
}
