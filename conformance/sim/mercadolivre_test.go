package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

// The simulator's public Mercado Livre credentials (docs/simulator.md).
const (
	mlClientID     = "5503910054141466"
	mlClientSecret = "sim-mercadolivre-client-secret"
	mlRedirect     = "https://seller.example/callback"
	// mlNFeKey is a valid NF-e access key.
	mlNFeKey = "52060433009911002506550120000007800267301615"
)

// mlNFe is an authorized NF-e document carrying key.
func mlNFe(key string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00" xmlns="http://www.portalfiscal.inf.br/nfe">` +
		`<NFe><infNFe Id="NFe` + key + `" versao="4.00"><ide><nNF>78</nNF></ide></infNFe></NFe>` +
		`<protNFe versao="4.00"><infProt><chNFe>` + key + `</chNFe><cStat>100</cStat></infProt></protNFe></nfeProc>`)
}

// raw sends a request with a body of the given content type.
func (e *env) raw(method, u, contentType string, body []byte, auth func(*http.Request)) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != nil {
		auth(req)
	}
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	rawBody, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: rawBody}
	_ = json.Unmarshal(rawBody, &a.body)
	return a
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// mlAuthorize runs the browser step and returns the code.
func (e *env) mlAuthorize(extra url.Values) string {
	e.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {mlClientID}, "redirect_uri": {mlRedirect}, "state": {"s-1"}}
	for k, v := range extra {
		q[k] = v
	}
	a := e.raw(http.MethodGet, e.base(sim.MercadoLivre)+"/authorization?"+q.Encode(), "", nil, nil).want(e.t, http.StatusFound)
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), mlRedirect+"?") || loc.Query().Get("state") != "s-1" {
		e.t.Fatalf("redirected to %q, want %s?code=...&state=s-1", a.header.Get("Location"), mlRedirect)
	}
	return loc.Query().Get("code")
}

// mlGrant posts a form to the token endpoint.
func (e *env) mlGrant(form url.Values) answer {
	e.t.Helper()
	base := url.Values{"client_id": {mlClientID}, "client_secret": {mlClientSecret}}
	for k, v := range form {
		base[k] = v
	}
	return e.raw(http.MethodPost, e.base(sim.MercadoLivre)+"/oauth/token", "application/x-www-form-urlencoded", []byte(base.Encode()), nil)
}

// mlTokens authorizes and exchanges the code: the access and refresh token.
func (e *env) mlTokens() (string, string) {
	e.t.Helper()
	code := e.mlAuthorize(nil)
	a := e.mlGrant(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {mlRedirect}}).want(e.t, http.StatusOK)
	access, _ := a.body["access_token"].(string)
	refresh, _ := a.body["refresh_token"].(string)
	if access == "" || refresh == "" {
		e.t.Fatalf("token answer %s", a.raw)
	}
	return access, refresh
}

// mlSale sets up an order with its pack and shipment.
func (e *env) mlSale(id, body string) {
	e.t.Helper()
	e.send(http.MethodPut, e.srv.URL+"/_sim/mercadolivre/orders/"+id, []byte(body), nil).want(e.t, http.StatusOK)
}

// mlShipment returns a shipment from the admin view.
func (e *env) mlShipment(id string) map[string]any {
	e.t.Helper()
	list, _ := e.orders(sim.MercadoLivre)["shipments"].([]any)
	for _, s := range list {
		if m := s.(map[string]any); m["id"] == id {
			return m
		}
	}
	e.t.Fatalf("no shipment %s in the admin view", id)
	return nil
}

// example reads docs/marketplaces/examples/<mk>/<name>.
func example(t *testing.T, mk, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "marketplaces", "examples", mk, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sameJSON fails unless got and want are the same JSON value.
func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer is not JSON: %s", got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// keysOf returns an object's keys, sorted.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wantKeys fails unless every key of the example is in the answer.
func wantKeys(t *testing.T, got, example []byte) {
	t.Helper()
	have := map[string]bool{}
	for _, k := range keysOf(t, got) {
		have[k] = true
	}
	for _, k := range keysOf(t, example) {
		if !have[k] {
			t.Errorf("answer lacks %q, which the documentation's example has: %s", k, got)
		}
	}
}

func TestMercadoLivreOAuth(t *testing.T) {
	e := newEnv(t, sim.Options{})
	invalidGrant := example(t, "mercadolivre", "oauth-token-invalid-grant.response.json")
	code := e.mlAuthorize(nil)
	a := e.mlGrant(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {mlRedirect}}).want(t, http.StatusOK)
	if got, want := keysOf(t, a.raw), keysOf(t, example(t, "mercadolivre", "oauth-token-authorization-code.response.json")); !reflect.DeepEqual(got, want) {
		t.Errorf("token answer keys %v, want the documented %v", got, want)
	}
	if a.body["token_type"] != "bearer" || a.body["expires_in"] != 21600.0 || a.body["scope"] != "offline_access read write" ||
		!strings.HasPrefix(a.body["access_token"].(string), "APP_USR-"+mlClientID+"-") || !strings.HasPrefix(a.body["refresh_token"].(string), "TG-") {
		t.Errorf("token answer %s", a.raw)
	}
	access, refresh := a.body["access_token"].(string), a.body["refresh_token"].(string)
	e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/orders/2000003508419013", nil, bearer(access)).want(t, http.StatusOK)

	t.Run("code used twice", func(t *testing.T) {
		a := e.mlGrant(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {mlRedirect}}).want(t, http.StatusBadRequest)
		sameJSON(t, a.raw, invalidGrant)
	})
	t.Run("refresh token works once", func(t *testing.T) {
		a := e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}).want(t, http.StatusOK)
		if got, want := keysOf(t, a.raw), keysOf(t, example(t, "mercadolivre", "oauth-token-refresh.response.json")); !reflect.DeepEqual(got, want) {
			t.Errorf("refresh answer keys %v, want %v", got, want)
		}
		next := a.body["refresh_token"].(string)
		if next == refresh {
			t.Fatal("the refresh answered the same refresh token")
		}
		again := e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}).want(t, http.StatusBadRequest)
		sameJSON(t, again.raw, invalidGrant)
		e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}}).want(t, http.StatusOK)
		tokens, _ := e.orders(sim.MercadoLivre)["tokens"].(map[string]any)
		if tokens["refreshReused"] != 1.0 || tokens["refreshGrants"] != 2.0 || tokens["codeGrants"] != 1.0 {
			t.Errorf("admin token counts %v, want 1 reuse, 2 refreshes, 1 code grant", tokens)
		}
	})
	t.Run("a new authorization supersedes the refresh token", func(t *testing.T) {
		_, old := e.mlTokens()
		e.mlTokens()
		e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}).want(t, http.StatusBadRequest)
	})
	t.Run("access token expires", func(t *testing.T) {
		tok, _ := e.mlTokens()
		e.clock.Advance(6*time.Hour - time.Second)
		e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/orders/1", nil, bearer(tok)).want(t, http.StatusOK)
		e.clock.Advance(time.Second)
		a := e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/orders/1", nil, bearer(tok)).want(t, http.StatusUnauthorized)
		sameJSON(t, a.raw, example(t, "mercadolivre", "error-401-unauthorized.json"))
	})
	t.Run("revoked", func(t *testing.T) {
		tok, refresh := e.mlTokens()
		e.send(http.MethodDelete, e.srv.URL+"/_sim/tokens", nil, nil).want(t, http.StatusOK)
		e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/orders/1", nil, bearer(tok)).want(t, http.StatusUnauthorized)
		e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}).want(t, http.StatusBadRequest)
	})
	t.Run("refresh token expires after 6 months", func(t *testing.T) {
		_, refresh := e.mlTokens()
		e.clock.Advance(181 * 24 * time.Hour)
		e.mlGrant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}).want(t, http.StatusBadRequest)
	})
}

func TestMercadoLivreTokenErrors(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tests := []struct {
		name  string
		form  url.Values
		ctype string
		code  string
	}{
		{"wrong secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"TG-x"}, "client_secret": {"nope"}}, "", "invalid_client"},
		{"unknown grant type", url.Values{"grant_type": {"password"}}, "", "unsupported_grant_type"},
		{"no code", url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {mlRedirect}}, "", "invalid_request"},
		{"JSON body", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"TG-x"}}, "application/json", "invalid_request"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"TG-x"}}, "", "invalid_grant"},
		{"another redirect_uri", url.Values{"grant_type": {"authorization_code"}, "code": {e.mlAuthorize(nil)}, "redirect_uri": {"https://elsewhere.example/cb"}}, "", "invalid_grant"},
		{"PKCE verifier missing", url.Values{"grant_type": {"authorization_code"}, "code": {e.mlAuthorize(url.Values{"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}})}, "redirect_uri": {mlRedirect}}, "", "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"client_id": {mlClientID}, "client_secret": {mlClientSecret}}
			for k, v := range tt.form {
				form[k] = v
			}
			ct := firstNonEmpty(tt.ctype, "application/x-www-form-urlencoded")
			a := e.raw(http.MethodPost, e.base(sim.MercadoLivre)+"/oauth/token", ct, []byte(form.Encode()), nil).want(t, http.StatusBadRequest)
			if a.body["error"] != tt.code || a.body["status"] != 400.0 || a.body["error_description"] == "" {
				t.Errorf("got %s, want error %s", a.raw, tt.code)
			}
		})
	}
	t.Run("PKCE S256", func(t *testing.T) {
		code := e.mlAuthorize(url.Values{"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}})
		e.mlGrant(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {mlRedirect},
			"code_verifier": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}}).want(t, http.StatusOK)
	})
	t.Run("authorization with another client", func(t *testing.T) {
		q := url.Values{"response_type": {"code"}, "client_id": {"1"}, "redirect_uri": {mlRedirect}}
		a := e.raw(http.MethodGet, e.base(sim.MercadoLivre)+"/authorization?"+q.Encode(), "", nil, nil).want(t, http.StatusBadRequest)
		contains(t, string(a.raw), "invalid_client")
	})
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// TestMercadoLivreConcurrentRefresh: two clients refreshing with the same
// refresh token at once: one gets a new pair, the other invalid_grant.
func TestMercadoLivreConcurrentRefresh(t *testing.T) {
	e := newEnv(t, sim.Options{})
	_, refresh := e.mlTokens()
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {mlClientID}, "client_secret": {mlClientSecret}}
			resp, err := http.Post(e.base(sim.MercadoLivre)+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("statuses %v: want exactly one 200, the others 400", codes)
	}
}

// TestMercadoLivreIDs: one sale, three ids; each read shows the others.
func TestMercadoLivreIDs(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	e.mlSale("2000009047722568", `{"packId": "2000006181551917", "shipment": {"id": "43729529445", "mode": "me2", "logisticType": "cross_docking"}}`)
	e.mlSale("2000009047707726", `{"packId": "2000006181551917", "shipment": {"id": "43729529445", "mode": "me2", "logisticType": "cross_docking"}}`)
	ml := e.base(sim.MercadoLivre)
	a := e.send(http.MethodGet, ml+"/orders/2000009047722568", nil, bearer(tok)).want(t, http.StatusOK)
	if a.body["pack_id"] != 2000006181551917.0 || a.body["shipping"].(map[string]any)["id"] != 43729529445.0 || a.body["status"] != "paid" {
		t.Errorf("order %s", a.raw)
	}
	wantKeys(t, a.raw, example(t, "mercadolivre", "orders-get.response.partial.json"))
	p := e.send(http.MethodGet, ml+"/packs/2000006181551917", nil, bearer(tok)).want(t, http.StatusOK)
	sameJSON(t, mustJSON(t, p.body["orders"]), []byte(`[{"id": 2000009047722568}, {"id": 2000009047707726}]`))
	wantKeys(t, p.raw, []byte(`{"shipment": 1, "orders": 1, "id": 1, "status": 1, "status_detail": 1, "buyer": 1}`))
	s := e.send(http.MethodGet, ml+"/orders/2000009047722568/shipments", nil, bearer(tok)).want(t, http.StatusOK)
	wantKeys(t, s.raw, example(t, "mercadolivre", "orders-shipments-get.response.partial.json"))
	sh := e.send(http.MethodGet, ml+"/shipments/43729529445", nil, bearer(tok)).want(t, http.StatusOK)
	if lg := sh.body["logistic"].(map[string]any); lg["mode"] != "me2" || lg["type"] != "cross_docking" || sh.body["substatus"] != "invoice_pending" {
		t.Errorf("shipment %s", sh.raw)
	}
	// An order never seen is paid, in no pack, without a shipment.
	a = e.send(http.MethodGet, ml+"/orders/77", nil, bearer(tok)).want(t, http.StatusOK)
	if a.body["pack_id"] != nil || a.body["shipping"].(map[string]any)["id"] != nil {
		t.Errorf("unseen order %s", a.raw)
	}
	n := e.send(http.MethodGet, ml+"/orders/77/shipments", nil, bearer(tok)).want(t, http.StatusNotFound)
	sameJSON(t, n.raw, example(t, "mercadolivre", "error-404-not-found.json"))
	e.send(http.MethodGet, ml+"/orders/abc", nil, bearer(tok)).want(t, http.StatusNotFound)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMercadoLivreME1Lifecycle: tracking, then the documented status
// pairs, then the final status refuses anything more.
func TestMercadoLivreME1Lifecycle(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	e.mlSale("2339711980", `{"shipment": {"id": "28264263908", "mode": "me1"}}`)
	u := e.base(sim.MercadoLivre) + "/shipments/28264263908"
	notice := func(status, sub string) []byte {
		return []byte(fmt.Sprintf(`{"payload": {"comment": "x", "date": "2020-03-06T16:17:51.175-04:00"}, "status": %q, "substatus": %q}`, status, sub))
	}
	a := e.send(http.MethodPost, u+"/seller_notifications", notice("shipped", "null"), bearer(tok)).want(t, http.StatusBadRequest)
	contains(t, a.body["message"].(string), "no tracking number")
	a = e.send(http.MethodPut, u, example(t, "mercadolivre", "me1-put-shipment-tracking.request.json"), bearer(tok)).want(t, http.StatusOK)
	wantKeys(t, a.raw, example(t, "mercadolivre", "me1-put-shipment-tracking.response.partial.json"))
	if a.body["tracking_number"] != "OP123456789BR" || a.body["tracking_method"] != "Otros" || a.body["service_id"] != 11.0 {
		t.Errorf("tracking answer %s", a.raw)
	}
	steps := []struct {
		status, sub string
		want        int
		after       string
	}{
		{"delivered", "null", 400, "ready_to_ship"},
		{"shipped", "null", 200, "shipped"},
		{"shipped", "out_for_delivery", 200, "shipped"},
		{"shipped", "receiver_absent", 200, "shipped"},
		{"shipped", "lost", 400, "shipped"},
		{"delivered", "null", 200, "delivered"},
		{"shipped", "null", 400, "delivered"},
		{"not_delivered", "returning_to_sender", 400, "delivered"},
	}
	for _, st := range steps {
		a := e.send(http.MethodPost, u+"/seller_notifications", notice(st.status, st.sub), bearer(tok)).want(t, st.want)
		if st.want == 200 {
			sameJSON(t, a.raw, example(t, "mercadolivre", "me1-seller-notifications.response.json"))
		} else if a.body["error"] == nil || a.body["status"] != float64(st.want) {
			t.Errorf("%s/%s: error body %s", st.status, st.sub, a.raw)
		}
		if got := e.mlShipment("28264263908")["status"]; got != st.after {
			t.Fatalf("after %s/%s the shipment is %v, want %s", st.status, st.sub, got, st.after)
		}
	}
	sh := e.mlShipment("28264263908")
	if n := len(sh["notifications"].([]any)); n != 4 {
		t.Errorf("%d notifications accepted, want 4", n)
	}
	if e.send(http.MethodPut, u, example(t, "mercadolivre", "me1-put-shipment-tracking.request.json"), bearer(tok)).status != http.StatusBadRequest {
		t.Error("tracking accepted on a delivered shipment")
	}
	h := e.send(http.MethodGet, u+"/history", nil, bearer(tok)).want(t, http.StatusOK)
	if !strings.Contains(string(h.raw), `"substatus":"receiver_absent"`) {
		t.Errorf("history %s", h.raw)
	}
	// ME1 calls on an ME2 shipment are refused.
	e.mlSale("2", `{"shipment": {"id": "3", "mode": "me2", "logisticType": "drop_off"}}`)
	a = e.send(http.MethodPut, e.base(sim.MercadoLivre)+"/shipments/3", example(t, "mercadolivre", "me1-put-shipment-tracking.request.json"), bearer(tok)).want(t, http.StatusBadRequest)
	contains(t, a.body["message"].(string), "Mercado Envios 1")
}

func TestMercadoLivreNotificationBodies(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	e.mlSale("10", `{"shipment": {"id": "11", "mode": "me1", "status": "shipped"}}`)
	u := e.base(sim.MercadoLivre) + "/shipments/11/seller_notifications"
	for _, body := range []string{
		`{"status": "shipped", "substatus": "null", "tracking_number": "T1"}`,
		`{"status": "shipped", "substatus": "null", "tracking_number": "T1", "payload": {"date": "2020-03-06T16:17:51.175-04:00"}}`,
		`{"status": "shipped", "substatus": "null", "tracking_number": "T1", "payload": {"comment": "x", "date": "06/03/2020"}}`,
		`{"status": "shipped", "tracking_number": "T1", "payload": {"comment": "x", "date": "2020-03-06T16:17:51.175-04:00"}}`,
		`{"status": "shipped", "substatus": "null", "tracking_number": "T1", "payload": {"service_id": 999, "comment": "x", "date": "2020-03-06T16:17:51.175-04:00"}}`,
		`{"status": "shipped", "substatus": "null",}`,
	} {
		a := e.send(http.MethodPost, u, []byte(body), bearer(tok)).want(t, http.StatusBadRequest)
		if a.body["error"] != "bad_request_error" {
			t.Errorf("%s: %s", body, a.raw)
		}
	}
	// substatus JSON null is taken like the documented "null".
	e.send(http.MethodPost, u, []byte(`{"status": "shipped", "substatus": null, "tracking_number": "T1", "payload": {"comment": "x", "date": "2020-03-06T16:17:51.175-04:00"}}`), bearer(tok)).want(t, http.StatusOK)
}

func TestMercadoLivreInvoiceImport(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	e.mlSale("100", `{"shipment": {"id": "200", "mode": "me2", "logisticType": "drop_off"}}`)
	e.mlSale("101", `{"shipment": {"id": "201", "mode": "me2", "logisticType": "fulfillment"}}`)
	e.mlSale("102", `{"shipment": {"id": "202", "mode": "me1"}}`)
	e.mlSale("103", `{"shipment": {"id": "203", "mode": "me2", "logisticType": "cross_docking", "status": "handling", "substatus": "manufacturing"}}`)
	ml := e.base(sim.MercadoLivre)
	imp := func(shipment, ctype string, body []byte) answer {
		return e.raw(http.MethodPost, ml+"/shipments/"+shipment+"/invoice_data?siteId=MLB", ctype, body, bearer(tok))
	}
	e.send(http.MethodGet, ml+"/shipments/200/invoice_data?siteId=MLB", nil, bearer(tok)).want(t, http.StatusNotFound)
	a := imp("200", "application/xml", mlNFe(mlNFeKey)).want(t, http.StatusCreated)
	if a.body["status"] != "approved" || a.body["fiscal_key"] != mlNFeKey {
		t.Errorf("import answer %s", a.raw)
	}
	if sh := e.mlShipment("200"); sh["substatus"] != "ready_to_print" || sh["invoice"] == nil {
		t.Errorf("shipment after import %v", sh)
	}
	g := e.send(http.MethodGet, ml+"/shipments/200/invoice_data/?siteId=MLB", nil, bearer(tok)).want(t, http.StatusOK)
	if g.body["id"] != a.body["id"] {
		t.Errorf("read back %s, imported %s", g.raw, a.raw)
	}
	a = imp("200", "application/xml", mlNFe(mlNFeKey)).want(t, http.StatusBadRequest)
	contains(t, a.body["message"].(string), "already has an imported NF-e")
	if sh := e.mlShipment("200"); sh["invoiceRefused"] != 1.0 {
		t.Errorf("invoiceRefused %v, want 1 (the repeat is counted)", sh["invoiceRefused"])
	}
	tests := []struct {
		name, shipment, query, ctype string
		body                         []byte
		status                       int
		msg                          string
	}{
		{"text/xml is taken", "300", "?siteId=MLB", "text/xml; charset=utf-8", mlNFe(mlNFeKey), 201, ""},
		{"trailing slash", "301", "/?siteId=MLB", "application/xml", mlNFe(mlNFeKey), 201, ""},
		{"no siteId", "302", "", "application/xml", mlNFe(mlNFeKey), 400, "siteId"},
		{"JSON", "303", "?siteId=MLB", "application/json", []byte(`{"xml": "..."}`), 415, "Content-Type"},
		{"not well-formed", "304", "?siteId=MLB", "application/xml", []byte(`<nfeProc><NFe>`), 400, "well-formed"},
		{"not an authorized NF-e", "305", "?siteId=MLB", "application/xml", []byte(`<NFe/>`), 400, "nfeProc"},
		{"no key", "306", "?siteId=MLB", "application/xml", []byte(`<nfeProc/>`), 400, "no access key"},
		{"wrong check digit", "307", "?siteId=MLB", "application/xml", mlNFe(mlNFeKey[:43] + "0"), 400, "access key"},
		{"fulfillment", "201", "?siteId=MLB", "application/xml", mlNFe(mlNFeKey), 400, "imported only for"},
		{"me1", "202", "?siteId=MLB", "application/xml", mlNFe(mlNFeKey), 400, "imported only for"},
		{"not waiting for it", "203", "?siteId=MLB", "application/xml", mlNFe(mlNFeKey), 400, "invoice_pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.raw(http.MethodPost, ml+"/shipments/"+tt.shipment+"/invoice_data"+tt.query, tt.ctype, tt.body, bearer(tok)).want(t, tt.status)
			if tt.msg != "" {
				contains(t, fmt.Sprint(a.body["message"]), tt.msg)
			}
		})
	}
	// "I already have the product" releases the manufacturing shipment,
	// which then waits for its NF-e.
	r := e.send(http.MethodPost, ml+"/shipments/203/process/ready_to_ship", nil, bearer(tok)).want(t, http.StatusOK)
	sameJSON(t, r.raw, example(t, "mercadolivre", "shipments-process-ready-to-ship.response.json"))
	imp("203", "application/xml", mlNFe(mlNFeKey)).want(t, http.StatusCreated)
	e.send(http.MethodPost, ml+"/shipments/203/process/ready_to_ship", nil, bearer(tok)).want(t, http.StatusBadRequest)
}

// multipartBody builds a multipart body: parts of (field, file name,
// content type, data).
func multipartBody(t *testing.T, parts ...[4]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := map[string][]string{"Content-Type": {p[2]}}
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q`, p[0])}
		if p[1] != "" {
			h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename=%q`, p[0], p[1])}
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(p[3]))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestMercadoLivreFiscalDocuments(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	e.mlSale("400", `{"packId": "500", "shipment": {"id": "600", "mode": "me2", "logisticType": "self_service"}}`)
	e.mlSale("401", `{"packId": "501", "shipment": {"id": "601", "mode": "me2", "logisticType": "drop_off"}}`)
	e.mlSale("402", `{"shipment": {"id": "602", "mode": "custom"}}`)
	pdf := "%PDF-1.4 danfe"
	xml := string(mlNFe(mlNFeKey))
	post := func(pack string, parts ...[4]string) answer {
		ct, body := multipartBody(t, parts...)
		return e.raw(http.MethodPost, e.base(sim.MercadoLivre)+"/packs/"+pack+"/fiscal_documents", ct, body, bearer(tok))
	}
	a := post("500", [4]string{"fiscal_document", "nfe.xml", "application/xml", xml}, [4]string{"fiscal_document", "danfe.pdf", "application/pdf", pdf}).want(t, http.StatusCreated)
	if ids, _ := a.body["ids"].([]any); len(ids) != 2 {
		t.Errorf("answer %s, want two ids", a.raw)
	}
	a = post("500", [4]string{"fiscal_document", "danfe.pdf", "application/pdf", pdf}).want(t, http.StatusBadRequest)
	contains(t, a.body["message"].(string), "already has its fiscal document")
	// Not in a pack: the order id stands for the pack.
	post("402", [4]string{"fiscal_document", "danfe.pdf", "application/pdf", pdf}).want(t, http.StatusCreated)
	a = post("501", [4]string{"fiscal_document", "danfe.pdf", "application/pdf", pdf}).want(t, http.StatusForbidden)
	if a.body["error"] != "forbidden_error" {
		t.Errorf("biller refusal %s", a.raw)
	}
	contains(t, a.body["message"].(string), "biller")
	for name, parts := range map[string][][4]string{
		"wrong part name": {{"file", "danfe.pdf", "application/pdf", pdf}},
		"no file name":    {{"fiscal_document", "", "application/pdf", pdf}},
		"two PDFs":        {{"fiscal_document", "a.pdf", "application/pdf", pdf}, {"fiscal_document", "b.pdf", "application/pdf", pdf}},
		"not a document":  {{"fiscal_document", "a.txt", "text/plain", "hello"}},
		"over 1 MB":       {{"fiscal_document", "big.pdf", "application/pdf", "%PDF-" + strings.Repeat("x", 1<<20)}},
		"no part":         {},
	} {
		t.Run(name, func(t *testing.T) {
			post("700", parts...).want(t, http.StatusBadRequest)
		})
	}
	l := e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/packs/500/fiscal_documents", nil, bearer(tok)).want(t, http.StatusOK)
	if docs, _ := l.body["fiscal_documents"].([]any); len(docs) != 2 {
		t.Errorf("list %s", l.raw)
	}
}

func TestMercadoLivreFeedback(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	ml := e.base(sim.MercadoLivre)
	notFulfilled := example(t, "mercadolivre", "orders-feedback-not-fulfilled.request.json")
	fulfilled := []byte(`{"fulfilled": true, "rating": "positive", "message": "Entregue"}`)
	e.mlSale("800", `{"shipment": {"id": "900", "mode": "custom"}}`)
	e.mlSale("801", `{"shipment": {"id": "901", "mode": "me2", "logisticType": "drop_off"}}`)
	e.mlSale("802", `{"expired": true}`)
	e.mlSale("803", `{"shipment": {"id": "903", "mode": "me1", "status": "shipped"}}`)

	if g := e.send(http.MethodGet, ml+"/orders/800/feedback", nil, bearer(tok)).want(t, http.StatusOK); g.body["sale"] != nil {
		t.Errorf("feedback before any: %s", g.raw)
	}
	a := e.send(http.MethodPost, ml+"/orders/800/feedback", notFulfilled, bearer(tok)).want(t, http.StatusCreated)
	if a.body["reason"] != "OUT_OF_STOCK" || a.body["fulfilled"] != false {
		t.Errorf("answer %s", a.raw)
	}
	if got := e.status(sim.MercadoLivre, "800"); got != "cancelled" {
		t.Errorf("order after not-fulfilled feedback is %q, want cancelled", got)
	}
	if got := e.mlShipment("900")["status"]; got != "cancelled" {
		t.Errorf("custom shipment is %v, want cancelled", got)
	}
	if g := e.send(http.MethodGet, ml+"/orders/800/feedback", nil, bearer(tok)).want(t, http.StatusOK); g.body["sale"] == nil {
		t.Errorf("read back %s", g.raw)
	}
	a = e.send(http.MethodPost, ml+"/orders/800/feedback", notFulfilled, bearer(tok)).want(t, http.StatusBadRequest)
	contains(t, a.body["message"].(string), "already has the seller's feedback")

	e.send(http.MethodPost, ml+"/orders/801/feedback", notFulfilled, bearer(tok)).want(t, http.StatusCreated)
	if got := e.status(sim.MercadoLivre, "801"); got != "paid" {
		t.Errorf("ME2 order after not-fulfilled feedback is %q, want paid (ME2 sales are cancelled in Seller Central)", got)
	}
	a = e.send(http.MethodPost, ml+"/orders/802/feedback", notFulfilled, bearer(tok)).want(t, http.StatusBadRequest)
	if a.body["error"] != "not_fulfilled_feedback_in_order_expired" || a.body["message"] != "You can't submit a not fulfilled feedback after order has expired" {
		t.Errorf("expired order: %s", a.raw)
	}
	e.send(http.MethodPost, ml+"/orders/803/feedback", fulfilled, bearer(tok)).want(t, http.StatusCreated)
	if sh := e.mlShipment("903"); sh["status"] != "delivered" || sh["substatus"] != "fulfilled_feedback" {
		t.Errorf("ME1 shipment after fulfilled feedback: %v/%v", sh["status"], sh["substatus"])
	}
	for _, body := range []string{
		`{"fulfilled": false, "rating": "positive", "message": "x", "reason": "OUT_OF_STOCK"}`,
		`{"fulfilled": false, "rating": "neutral", "message": "x"}`,
		`{"fulfilled": false, "rating": "neutral", "message": "x", "reason": "NO_REASON"}`,
		`{"rating": "positive", "message": "x"}`,
		`{"fulfilled": true, "rating": "great", "message": "x"}`,
		`{"fulfilled": true, "rating": "positive", "message": "` + strings.Repeat("a", 160) + `"}`,
	} {
		a := e.send(http.MethodPost, ml+"/orders/804/feedback", []byte(body), bearer(tok)).want(t, http.StatusBadRequest)
		if a.body["error"] != "bad_request_error" {
			t.Errorf("%s: %s", body, a.raw)
		}
	}
}

// TestMercadoLivreExamples sends every documented request body to its
// call, and reproduces every documented error body.
func TestMercadoLivreExamples(t *testing.T) {
	e := newEnv(t, sim.Options{MercadoLivre: sim.MercadoLivreOptions{RatePerSecond: 1000}})
	tok, _ := e.mlTokens()
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "marketplaces", "examples", "mercadolivre", "*.json"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	ml := e.base(sim.MercadoLivre)
	for i, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body := example(t, "mercadolivre", name)
			order, ship := fmt.Sprint(5000+i), fmt.Sprint(6000+i)
			switch {
			case name == "me1-put-shipment-tracking.request.json":
				e.mlSale(order, `{"shipment": {"id": "`+ship+`", "mode": "me1"}}`)
				e.send(http.MethodPut, ml+"/shipments/"+ship, body, bearer(tok)).want(t, http.StatusOK)
			case strings.HasPrefix(name, "me1-seller-notifications-") && strings.HasSuffix(name, ".request.json"):
				status := "shipped"
				if strings.Contains(name, "-shipped.") || strings.Contains(name, "-out-for-delivery.") {
					status = "ready_to_ship"
				}
				e.mlSale(order, `{"shipment": {"id": "`+ship+`", "mode": "me1", "status": "`+status+`"}}`)
				e.send(http.MethodPut, ml+"/shipments/"+ship, []byte(`{"service_id": 11, "tracking_number": "OP1"}`), bearer(tok)).want(t, http.StatusOK)
				a := e.send(http.MethodPost, ml+"/shipments/"+ship+"/seller_notifications", body, bearer(tok)).want(t, http.StatusOK)
				sameJSON(t, a.raw, example(t, "mercadolivre", "me1-seller-notifications.response.json"))
			case name == "orders-feedback-not-fulfilled.request.json":
				e.send(http.MethodPost, ml+"/orders/"+order+"/feedback", body, bearer(tok)).want(t, http.StatusCreated)
			case strings.HasPrefix(name, "error-"):
				var doc struct{ Status int }
				_ = json.Unmarshal(body, &doc)
				if err := e.sim.AddFault(sim.Fault{Marketplace: sim.MercadoLivre, Status: doc.Status, Times: 1}); err != nil {
					t.Fatal(err)
				}
				a := e.send(http.MethodGet, ml+"/orders/"+order, nil, bearer(tok)).want(t, doc.Status)
				sameJSON(t, a.raw, body)
			case strings.HasPrefix(name, "notification-"):
				t.Skip("a notification goes from Mercado Livre to the seller's callback, not to the simulator")
			case strings.Contains(name, ".response."):
				t.Skip("an answer; the tests of its call compare it")
			default:
				t.Fatalf("%s: no test sends or reproduces this example: add it here", name)
			}
		})
	}
}

// TestMercadoLivreErrorsInNature: 401, 404 and 429 as the simulator gives
// them by itself match the documented bodies.
func TestMercadoLivreErrorsInNature(t *testing.T) {
	e := newEnv(t, sim.Options{MercadoLivre: sim.MercadoLivreOptions{RatePerSecond: 2}})
	tok, _ := e.mlTokens()
	ml := e.base(sim.MercadoLivre)
	sameJSON(t, e.send(http.MethodGet, ml+"/orders/1", nil, nil).want(t, http.StatusUnauthorized).raw, example(t, "mercadolivre", "error-401-unauthorized.json"))
	sameJSON(t, e.send(http.MethodGet, ml+"/orders/1", nil, func(r *http.Request) { r.Header.Set("Authorization", tok) }).want(t, http.StatusUnauthorized).raw,
		example(t, "mercadolivre", "error-401-unauthorized.json"))
	e.send(http.MethodGet, ml+"/orders/1", nil, bearer(tok)).want(t, http.StatusOK)
	e.send(http.MethodGet, ml+"/orders/2", nil, bearer(tok)).want(t, http.StatusOK)
	a := e.send(http.MethodGet, ml+"/orders/3", nil, bearer(tok)).want(t, http.StatusTooManyRequests)
	sameJSON(t, a.raw, example(t, "mercadolivre", "error-429-too-many-requests.json"))
	e.send(http.MethodGet, ml+"/packs/3", nil, bearer(tok)).want(t, http.StatusOK) // another endpoint, another budget
	e.clock.Advance(time.Second)
	e.send(http.MethodGet, ml+"/orders/3", nil, bearer(tok)).want(t, http.StatusOK)
	sameJSON(t, e.send(http.MethodGet, ml+"/nothing", nil, bearer(tok)).want(t, http.StatusNotFound).raw, example(t, "mercadolivre", "error-404-not-found.json"))
}

func TestMercadoLivreAdminSetup(t *testing.T) {
	e := newEnv(t, sim.Options{})
	for _, body := range []string{
		`{"status": "shipped"}`,
		`{"shipment": {"id": "1", "mode": "me3"}}`,
		`{"shipment": {"id": "1", "mode": "me2"}}`,
		`{"shipment": {"id": "1", "mode": "me1", "logisticType": "drop_off"}}`,
		`{"shipment": {"id": "1", "mode": "not_specified"}}`,
		`{"shipment": {"id": "x", "mode": "me1"}}`,
		`{"packId": "p1"}`,
		`{"colour": "red"}`,
	} {
		e.send(http.MethodPut, e.srv.URL+"/_sim/mercadolivre/orders/10", []byte(body), nil).want(t, http.StatusBadRequest)
	}
	e.send(http.MethodPut, e.srv.URL+"/_sim/mercadolivre/orders/abc", []byte(`{}`), nil).want(t, http.StatusBadRequest)
	e.setStatus(sim.MercadoLivre, "10", "cancelled")
	if got := e.status(sim.MercadoLivre, "10"); got != "cancelled" {
		t.Errorf("order is %q", got)
	}
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/mercadolivre/10", []byte(`{"status": "closed"}`), nil).want(t, http.StatusBadRequest)
}

// TestMercadoLivreSizeLimits: a fiscal document or an NF-e of exactly
// 1 MB is taken, one byte more is refused.
func TestMercadoLivreSizeLimits(t *testing.T) {
	e := newEnv(t, sim.Options{})
	tok, _ := e.mlTokens()
	ml := e.base(sim.MercadoLivre)
	pdf := func(n int) string { return "%PDF-" + strings.Repeat("x", n-5) }
	for i, tt := range []struct {
		size int
		want int
	}{{1 << 20, http.StatusCreated}, {1<<20 + 1, http.StatusBadRequest}} {
		ct, body := multipartBody(t, [4]string{"fiscal_document", "danfe.pdf", "application/pdf", pdf(tt.size)})
		e.raw(http.MethodPost, fmt.Sprintf("%s/packs/%d/fiscal_documents", ml, 70+i), ct, body, bearer(tok)).want(t, tt.want)
	}
	nfe := mlNFe(mlNFeKey)
	pad := func(n int) []byte { return append(append([]byte{}, nfe...), bytes.Repeat([]byte(" "), n-len(nfe))...) }
	for i, tt := range []struct {
		size int
		want int
	}{{1 << 20, http.StatusCreated}, {1<<20 + 1, http.StatusBadRequest}} {
		e.raw(http.MethodPost, fmt.Sprintf("%s/shipments/%d/invoice_data?siteId=MLB", ml, 80+i), "application/xml", pad(tt.size), bearer(tok)).want(t, tt.want)
	}
}

// TestMercadoLivreSeedRefreshToken: the refresh token of the simulator's
// public credentials (examples/sim.secrets) is accepted once, as the first
// renewal of a sender that has no token pair yet, then never again; an
// authorization code supersedes it; a simulator whose secrets hold none
// seeds nothing.
func TestMercadoLivreSeedRefreshToken(t *testing.T) {
	seed := sim.DefaultSecrets()["ROTA_SECRET_MERCADOLIVRE_REFRESHTOKEN"]
	if seed == "" {
		t.Fatal("the public test secrets hold no ROTA_SECRET_MERCADOLIVRE_REFRESHTOKEN")
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {seed}}
	t.Run("works once", func(t *testing.T) {
		e := newEnv(t, sim.Options{})
		a := e.mlGrant(refresh).want(t, http.StatusOK)
		access, _ := a.body["access_token"].(string)
		e.send(http.MethodGet, e.base(sim.MercadoLivre)+"/orders/2000003508419013", nil, bearer(access)).want(t, http.StatusOK)
		again := e.mlGrant(refresh).want(t, http.StatusBadRequest)
		if again.body["error"] != "invalid_grant" {
			t.Errorf("the seed used twice: got %s, want invalid_grant", again.raw)
		}
	})
	t.Run("an authorization supersedes it", func(t *testing.T) {
		e := newEnv(t, sim.Options{})
		e.mlTokens()
		if a := e.mlGrant(refresh).want(t, http.StatusBadRequest); a.body["error"] != "invalid_grant" {
			t.Errorf("the seed after a newer pair: got %s, want invalid_grant", a.raw)
		}
	})
	t.Run("not in the secrets", func(t *testing.T) {
		secrets := sim.DefaultSecrets()
		delete(secrets, "ROTA_SECRET_MERCADOLIVRE_REFRESHTOKEN")
		secrets["ROTA_SECRET_MERCADOLIVRE_CLIENTID"] = mlClientID
		secrets["ROTA_SECRET_MERCADOLIVRE_CLIENTSECRET"] = mlClientSecret
		e := newEnv(t, sim.Options{Secrets: secrets})
		if a := e.mlGrant(refresh).want(t, http.StatusBadRequest); a.body["error"] != "invalid_grant" {
			t.Errorf("a seed the simulator was not given: got %s, want invalid_grant", a.raw)
		}
	})
}
