package sim_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
)

func napChange(e *env, auth func(*http.Request), body string) answer {
	e.t.Helper()
	return e.send(http.MethodPost, e.base(sim.Napse)+"/order/change-status/state/change", []byte(body), auth).want(e.t, http.StatusOK)
}

func napStatus(e *env, auth func(*http.Request), id string) answer {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"internalOrderNumber": id})
	return e.send(http.MethodPost, e.base(sim.Napse)+"/order/status", body, auth).want(e.t, http.StatusOK)
}

func wantAck(t *testing.T, a answer, code int) {
	t.Helper()
	if a.body["ack"] != float64(code) {
		t.Errorf("ack %v, want %d: %s", a.body["ack"], code, a.raw)
	}
}

func TestNapseAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	body := []byte(`{"user": "sim-napse-user", "password": "wrong"}`)
	a := e.send(http.MethodPost, e.base(sim.Napse)+"/auth/token", body, nil).want(t, http.StatusUnauthorized)
	if a.body["token"] != nil {
		t.Errorf("a token for a wrong password: %s", a.raw)
	}
	change := `{"orderState": "inproc", "internalNumber": "bridge1"}`
	for name, auth := range map[string]func(*http.Request){
		"no token":    nil,
		"wrong token": withToken("forged"),
	} {
		t.Run(name, func(t *testing.T) {
			a := napChange(e, auth, change)
			wantAck(t, a, 9999)
			contains(t, a.body["message"].(string), "token inválido")
		})
	}
	tok := e.napToken()
	wantAck(t, napChange(e, withToken(tok), change), 0)
	// Revoked (as if expired): refused again, with "token inválido".
	e.send(http.MethodDelete, e.srv.URL+"/_sim/tokens", nil, nil).want(t, http.StatusOK)
	a = napChange(e, withToken(tok), `{"orderState": "complete", "internalNumber": "bridge1"}`)
	wantAck(t, a, 9999)
	contains(t, a.body["message"].(string), "token")
}

// TestNapseLifecycle: the mapping's calls by internal number, each
// confirmed with the mapping's status query, which sees the change from its
// second query on (the default lag).
func TestNapseLifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	auth := withToken(e.napToken())
	steps := []struct{ event, from, state string }{
		{"approved", "open", "confirmed"},
		{"handling", "confirmed", "inproc"},
		{"ready_to_ship", "inproc", "complete"},
		{"shipped", "complete", "transit"},
		{"delivered", "transit", "closed"},
	}
	for _, st := range steps {
		ev := event(t, sim.Napse, st.event, map[string]any{"order": map[string]any{"marketplaceStatus": st.from}})
		calls := e.translate(sim.Napse, ev)
		if len(calls) != 1 || calls[0].Confirmation() == nil {
			t.Fatalf("%s: want one confirmed call, got %d", st.event, len(calls))
		}
		c := calls[0]
		a := e.call(c, auth)
		if v := judge(t, c, a); v.Outcome != engine.VerdictSuccess {
			t.Fatalf("%s: the mapping reads %+v (%s)", st.event, v, a.raw)
		}
		cf := c.Confirmation()
		q := e.call(cf.Query, auth)
		if ok, _ := cf.Confirmed(q.status, q.header, q.raw); ok {
			t.Fatalf("%s: confirmed by the first status query; the change should still be pending: %s", st.event, q.raw)
		}
		if q.body["currentStatus"] != st.from {
			t.Errorf("%s: first query shows %v, want %s", st.event, q.body["currentStatus"], st.from)
		}
		q = e.call(cf.Query, auth)
		if ok, _ := cf.Confirmed(q.status, q.header, q.raw); !ok {
			t.Fatalf("%s: not confirmed by the second status query: %s", st.event, q.raw)
		}
	}
	q := napStatus(e, auth, "bridge000001")
	if h, _ := q.body["history"].([]any); len(h) != 5 || q.body["currentStatusName"] != "cerrado" {
		t.Errorf("status %s, want 5 moves and cerrado", q.raw)
	}

	// A closed order cannot change: ack 1023 on HTTP 200, read as a failure
	// that is not retried.
	ev := event(t, sim.Napse, "canceled", map[string]any{"order": map[string]any{
		"marketplaceStatus": "transit", "attributes": map[string]any{"internalNumber": "bridge000001"}}})
	c := e.translate(sim.Napse, ev)[0]
	a := e.call(c, auth).want(t, http.StatusOK)
	wantAck(t, a, 1023)
	if v := judge(t, c, a); v.Outcome != engine.VerdictFail || v.Code != "1023" {
		t.Errorf("the mapping reads %+v, want fail 1023", v)
	}
}

func TestNapseCodes(t *testing.T) {
	e := newEnv(t, sim.Options{NapseLag: &sim.Lag{}})
	auth := withToken(e.napToken())
	e.setStatus(sim.Napse, "cancelled-1", "cancelled")
	tests := []struct {
		name, body string
		ack        int
	}{
		{"no state", `{"internalNumber": "n1"}`, 1040},
		{"unknown state", `{"orderState": "shipped", "internalNumber": "n1"}`, 1040},
		{"no order", `{"orderState": "inproc"}`, 991},
		{"external number without channel", `{"orderState": "inproc", "externalNumber": "PEYA_1"}`, 991},
		{"unknown order starts open", `{"orderState": "open", "internalNumber": "n2"}`, 1021},
		{"same state", `{"orderState": "inproc", "internalNumber": "n3"}`, 0},
		{"same state again", `{"orderState": "inproc", "internalNumber": "n3"}`, 1021},
		{"cancelled is final", `{"orderState": "open", "internalNumber": "cancelled-1"}`, 1023},
		{"by external number and channel", `{"orderState": "cancelled", "externalNumber": "PEYA_001230", "channel": "PEYA"}`, 0},
		{"the same order again, by external number", `{"orderState": "transit", "externalNumber": "PEYA_001230", "channel": "PEYA"}`, 1023},
		{"malformed JSON", `{"orderState": "inproc",}`, 9999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAck(t, napChange(e, auth, tt.body), tt.ack)
		})
	}
	wantAck(t, napStatus(e, auth, "never-seen"), 1022)
	wantAck(t, e.send(http.MethodPost, e.base(sim.Napse)+"/order/status", []byte(`{}`), auth).want(t, http.StatusOK), 991)
	// The order named by external number got an internal number.
	if got := e.status(sim.Napse, "bridge0000000001"); got != "cancelled" {
		t.Errorf("order by external number is %q, want cancelled (no lag)", got)
	}
}

func TestNapseLagByTime(t *testing.T) {
	e := newEnv(t, sim.Options{NapseLag: &sim.Lag{Delay: 2 * time.Second}})
	auth := withToken(e.napToken())
	wantAck(t, napChange(e, auth, `{"orderState": "inproc", "internalNumber": "n"}`), 0)
	// Before the delay the old state shows, however many queries.
	for range 3 {
		if q := napStatus(e, auth, "n"); q.body["currentStatus"] != "open" {
			t.Fatalf("before the delay: %s", q.raw)
		}
	}
	// The change is pending, so a second identical one is refused.
	wantAck(t, napChange(e, auth, `{"orderState": "inproc", "internalNumber": "n"}`), 1021)
	e.clock.Advance(2 * time.Second)
	if q := napStatus(e, auth, "n"); q.body["currentStatus"] != "inproc" {
		t.Fatalf("after the delay: %s", q.raw)
	}
}

// TestNapseExternalNumberLink: the admin endpoint names an order by its
// channel's number too; the mapping's cancel by external number then
// reaches it and is refused because the order is closed.
func TestNapseExternalNumberLink(t *testing.T) {
	e := newEnv(t, sim.Options{})
	auth := withToken(e.napToken())
	body := []byte(`{"status": "closed", "externalNumber": "PEYA_001230", "channel": "PEYA"}`)
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/napse/bridge000001", body, nil).want(t, http.StatusOK)
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/skyhub/X", body, nil).want(t, http.StatusBadRequest)
	ev := event(t, sim.Napse, "canceled", map[string]any{"order": map[string]any{"marketplaceStatus": nil, "status": "shipped"}})
	c := e.translate(sim.Napse, ev)[0]
	if c.Confirmation() != nil {
		t.Fatal("the call by external number should have no confirmation")
	}
	wantAck(t, e.call(c, auth), 1023)
	if got := e.status(sim.Napse, "bridge000001"); got != "closed" {
		t.Errorf("order is %q", got)
	}
}
