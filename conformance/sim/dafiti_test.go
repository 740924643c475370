package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
)

// dafHead returns the SellerCenter error envelope's Head.
func dafHead(t *testing.T, a answer) map[string]any {
	t.Helper()
	er, _ := a.body["ErrorResponse"].(map[string]any)
	head, _ := er["Head"].(map[string]any)
	if head == nil {
		t.Fatalf("no ErrorResponse.Head in %s", a.raw)
	}
	return head
}

// wantDafError checks the HTTP status and the E-code of an error answer.
func wantDafError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	a.want(t, status)
	head := dafHead(t, a)
	msg, _ := head["ErrorMessage"].(string)
	if !strings.HasPrefix(msg, code+":") || fmt.Sprint(head["ErrorCode"]) != strings.TrimLeft(code[1:], "0") {
		t.Errorf("error %v %q, want %s", head["ErrorCode"], msg, code)
	}
}

// TestDafitiSignatureTestVector: the simulator accepts the documented test
// vector (marketplaces.md 1.5) signed in the query string, and refuses it
// with one character changed.
func TestDafitiSignatureTestVector(t *testing.T) {
	e := newEnv(t, sim.Options{Secrets: map[string]string{
		"ROTA_SECRET_DAFITI_USERID": "look@me.com",
		"ROTA_SECRET_DAFITI_APIKEY": "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe",
	}})
	e.clock.t = time.Date(2015, 7, 1, 11, 12, 0, 0, time.UTC)
	const query = "Action=FeedList&Format=XML&Timestamp=2015-07-01T11%3A11%3A11%2B00%3A00&UserID=look%40me.com&Version=1.0"
	const sig = "3ceb8ed91049dfc718b0d2d176fb2ed0e5fd74f76c5971f34cdab48412476041"
	u := e.base(sim.Dafiti) + "/v2/orders-failure-reasons?" + query + "&Signature="
	e.send(http.MethodGet, u+sig, nil, nil).want(t, http.StatusOK)
	wantDafError(t, e.send(http.MethodGet, u+"4"+sig[1:], nil, nil), http.StatusUnauthorized, "E007")
}

func TestDafitiAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	user, key := secrets["ROTA_SECRET_DAFITI_USERID"], secrets["ROTA_SECRET_DAFITI_APIKEY"]
	now := e.clock.Now()
	body := []byte(`{"orderItemIds": [1], "reason": "Sem estoque"}`)
	tests := []struct {
		name   string
		auth   func(*http.Request)
		status int
		code   string
	}{
		{"unsigned", nil, 401, "E001"},
		{"wrong key", dafSign(now, user, "another-key"), 401, "E007"},
		{"wrong user", dafSign(now, "someone@else.test", key), 401, "E007"},
		{"signature of other parameters", func(r *http.Request) {
			dafSign(now, user, key)(r)
			r.Header.Set("Format", "XML")
		}, 401, "E007"},
		{"stale timestamp", dafSign(now.Add(-6*time.Minute), user, key), 401, "E003"},
		{"timestamp in the future", dafSign(now.Add(6*time.Minute), user, key), 401, "E003"},
		{"no Version", func(r *http.Request) { dafSign(now, user, key)(r); r.Header.Del("Version") }, 401, "E001"},
		{"bearer never issued", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401, "E009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(http.MethodPost, e.base(sim.Dafiti)+"/v2/orders/statuses/set-to-cancelled", body, tt.auth)
			wantDafError(t, a, tt.status, tt.code)
		})
	}
	t.Run("4 minutes old is fine", func(t *testing.T) {
		e.send(http.MethodPost, e.base(sim.Dafiti)+"/v2/orders/statuses/set-to-cancelled", body, dafSign(now.Add(-4*time.Minute), user, key)).want(t, http.StatusOK)
	})
	if got := e.status(sim.Dafiti, "1"); got != "canceled" {
		t.Errorf("item 1 is %q, want canceled (refused calls changed nothing, the good one cancelled)", got)
	}
}

func TestDafitiOAuth2(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tokenURL := e.base(sim.Dafiti) + "/oauth/client-credentials"
	post := func(user, pass string) answer {
		req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		a := answer{status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(&a.body)
		return a
	}
	if a := post(secrets["ROTA_SECRET_DAFITI_CLIENTID"], "wrong"); a.status != http.StatusUnauthorized || a.body["error"] != "invalid_client" {
		t.Errorf("wrong secret: HTTP %d %v, want 401 invalid_client", a.status, a.body)
	}
	a := post(secrets["ROTA_SECRET_DAFITI_CLIENTID"], secrets["ROTA_SECRET_DAFITI_CLIENTSECRET"]).want(t, http.StatusOK)
	tok, _ := a.body["access_token"].(string)
	if tok == "" || a.body["token_type"] != "Bearer" || a.body["expires_in"] != 3600.0 {
		t.Fatalf("token answer %v", a.body)
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	u := e.base(sim.Dafiti) + "/v2/orders/statuses/set-to-cancelled"
	e.send(http.MethodPost, u, []byte(`{"orderItemIds": [5], "reason": "Sem estoque"}`), bearer).want(t, http.StatusOK)
	e.clock.Advance(time.Hour)
	wantDafError(t, e.send(http.MethodPost, u, []byte(`{"orderItemIds": [6], "reason": "Sem estoque"}`), bearer), http.StatusUnauthorized, "E009")
}

// TestDafitiLifecycle: items pending → ready_to_ship → shipped → delivered,
// with the calls the mapping makes; then a refused cancellation.
func TestDafitiLifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	items := []any{
		map[string]any{"sku": "A", "marketplaceItemId": "123456", "quantity": 1, "price": 100},
		map[string]any{"sku": "B", "marketplaceItemId": "654321", "quantity": 1, "price": 100},
	}
	rts := event(t, sim.Dafiti, "ready_to_ship", map[string]any{"items": items})
	for _, step := range []struct {
		ev     []byte
		status string
	}{
		{rts, "ready_to_ship"},
		{event(t, sim.Dafiti, "shipped", nil), "shipped"},
		{event(t, sim.Dafiti, "delivered", nil), "delivered"},
	} {
		for _, c := range e.translate(sim.Dafiti, step.ev) {
			a := e.call(c, e.dafAuth).want(t, http.StatusOK)
			if v := judge(t, c, a); v.Outcome != engine.VerdictSuccess {
				t.Fatalf("%s: the mapping reads %+v", c.Name, v)
			}
			ids, _ := a.body["orderItemIds"].([]any)
			if len(ids) != 2 || ids[0] != 123456.0 {
				t.Errorf("answer %s, want {\"orderItemIds\": [123456, 654321]}", a.raw)
			}
		}
		for _, id := range []string{"123456", "654321"} {
			if got := e.status(sim.Dafiti, id); got != step.status {
				t.Fatalf("item %s is %q, want %q", id, got, step.status)
			}
		}
	}
}

// TestDafitiShippedFromPending: an order.shipped for pending items makes
// two calls, ready-to-ship then shipped, both accepted.
func TestDafitiShippedFromPending(t *testing.T) {
	e := newEnv(t, sim.Options{})
	ev := event(t, sim.Dafiti, "shipped", map[string]any{
		"order":   map[string]any{"marketplaceStatus": "pending", "status": "invoiced"},
		"invoice": map[string]any{"key": "35230942274696002561550060021990691319029098", "number": "1"},
	})
	calls := e.translate(sim.Dafiti, ev)
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for _, c := range calls {
		e.call(c, e.dafAuth).want(t, http.StatusOK)
	}
	if got := e.status(sim.Dafiti, "654321"); got != "shipped" {
		t.Errorf("item is %q, want shipped", got)
	}
}

func TestDafitiRefusals(t *testing.T) {
	e := newEnv(t, sim.Options{})
	const rtsBody = `{"orderItems": [{"id": %d}], "trackingNumber": "t1", "deliveryType": "dropship", "shippingProvider": "Total Express", "accessKey": "35230942274696002561550060021990691319029098"}`
	tests := []struct {
		name, start, path, body string
		status                  int
		code                    string
		after                   string
	}{
		{"cancel after ready to ship", "ready_to_ship", "set-to-cancelled", `{"orderItemIds": [%d], "reason": "Sem estoque"}`, 422, "E028", "ready_to_ship"},
		{"cancel for another reason", "", "set-to-cancelled", `{"orderItemIds": [%d], "reason": "Cliente desistiu"}`, 400, "E022", ""},
		{"ready to ship when shipped", "shipped", "set-to-ready-to-ship", rtsBody, 422, "E073", "shipped"},
		{"ready to ship again", "ready_to_ship", "set-to-ready-to-ship", rtsBody, 200, "", "ready_to_ship"},
		{"ship unknown (pending) item", "", "set-to-shipped", `{"orderItemIds": [%d]}`, 422, "E028", ""},
		{"deliver when ready to ship", "ready_to_ship", "set-to-delivered", `{"orderItemIds": [%d]}`, 422, "E028", "ready_to_ship"},
		{"fail delivery when shipped", "shipped", "set-to-delivery-failed", `{"orderItemIds": [%d], "reason": "CANCELAMENTO ANTES DA EMISSÃO DA NF"}`, 200, "", "failed"},
		{"fail delivery with unknown reason", "shipped", "set-to-delivery-failed", `{"orderItemIds": [%d], "reason": "Cliente ausente"}`, 400, "E022", "shipped"},
		{"fail delivery when delivered", "delivered", "set-to-delivery-failed", `{"orderItemIds": [%d], "reason": "CANCELAMENTO ANTES DA EMISSÃO DA NF"}`, 422, "E028", "delivered"},
		{"malformed JSON (seed's trailing comma)", "", "set-to-shipped", `{"orderItemIds": [%d],}`, 400, "E005", ""},
		{"item id not a number", "", "set-to-shipped", `{"orderItemIds": ["%d"]}`, 400, "E020", ""},
		{"no tracking number", "", "set-to-ready-to-ship", `{"orderItems": [{"id": %d}], "deliveryType": "dropship", "shippingProvider": "X", "accessKey": "35230942274696002561550060021990691319029098"}`, 400, "E026", ""},
		{"seed's bad NF-e key", "", "set-to-ready-to-ship", `{"orderItems": [{"id": %d}], "trackingNumber": "t", "deliveryType": "dropship", "shippingProvider": "X", "accessKey": "35230942274696002561550060021990691319029090"}`, 400, "E005", ""},
		{"unknown delivery type", "", "set-to-ready-to-ship", `{"orderItems": [{"id": %d}], "trackingNumber": "t", "deliveryType": "courier", "shippingProvider": "X", "accessKey": "35230942274696002561550060021990691319029098"}`, 400, "E024", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := 1000 + i
			key := fmt.Sprint(id)
			if tt.start != "" {
				e.setStatus(sim.Dafiti, key, tt.start)
			}
			a := e.send(http.MethodPost, e.base(sim.Dafiti)+"/v2/orders/statuses/"+tt.path, []byte(fmt.Sprintf(tt.body, id)), e.dafAuth)
			if tt.code == "" {
				a.want(t, tt.status)
			} else {
				wantDafError(t, a, tt.status, tt.code)
			}
			if got := e.status(sim.Dafiti, key); got != tt.after {
				t.Errorf("item is %q, want %q", got, tt.after)
			}
		})
	}
}

// TestDafitiBatchIsAllOrNothing: one item in a wrong status refuses the
// whole call; the detail names it; the mapping reads E073, not retried.
func TestDafitiBatchIsAllOrNothing(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.setStatus(sim.Dafiti, "654321", "canceled")
	ev := event(t, sim.Dafiti, "ready_to_ship", map[string]any{"items": []any{
		map[string]any{"sku": "A", "marketplaceItemId": "123456", "quantity": 1},
		map[string]any{"sku": "B", "marketplaceItemId": "654321", "quantity": 1},
	}})
	c := e.translate(sim.Dafiti, ev)[0]
	a := e.call(c, e.dafAuth)
	wantDafError(t, a, http.StatusUnprocessableEntity, "E073")
	contains(t, string(a.raw), `"OrderItemId":654321`)
	if v := judge(t, c, a); v.Outcome != engine.VerdictFail || v.Code != "E073" {
		t.Errorf("the mapping reads %+v, want fail E073", v)
	}
	if got := e.status(sim.Dafiti, "123456"); got != "" {
		t.Errorf("item 123456 moved to %q in a refused batch", got)
	}
}

// TestDafitiQueryPlacement: the sender's query placement is verified too.
func TestDafitiQueryPlacement(t *testing.T) {
	e := newEnv(t, sim.Options{})
	p := url.Values{"UserID": {secrets["ROTA_SECRET_DAFITI_USERID"]}, "Version": {"1.0"}, "Format": {"JSON"},
		"Timestamp": {deliver.SellerCenterTimestamp(e.clock.Now())}}
	q := deliver.SellerCenterStringToSign(p) + "&Signature=" + deliver.SellerCenterSignature(p, secrets["ROTA_SECRET_DAFITI_APIKEY"])
	e.send(http.MethodGet, e.base(sim.Dafiti)+"/v2/orders-failure-reasons?"+q, nil, nil).want(t, http.StatusOK)
	wantDafError(t, e.send(http.MethodGet, e.base(sim.Dafiti)+"/v2/orders-failure-reasons?"+q+"&Extra=1", nil, nil), http.StatusUnauthorized, "E007")
}
