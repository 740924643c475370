package engine_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

// firstCall translates examples/events/<mkt>/<event>.json and returns its
// first call.
func firstCall(t *testing.T, e *engine.Engine, mkt, event string, o engine.TranslateOptions) engine.Call {
	t.Helper()
	res, err := e.Translate(exampleEvent(t, mkt, event), o)
	if err != nil || len(res.Calls) == 0 {
		t.Fatalf("translate %s/%s: got %+v, %v; want a call", mkt, event, res, err)
	}
	return res.Calls[0]
}

func TestJudgeSkyHub(t *testing.T) {
	c := firstCall(t, enginetest.Bundled(t), "skyhub", "shipped", engine.TranslateOptions{})
	tests := []struct {
		status        int
		body          string
		outcome, code string
		message       string
	}{
		{200, `{}`, engine.VerdictSuccess, "", ""},
		{204, ``, engine.VerdictSuccess, "", ""},
		{422, `{"error":"Transição de status inválida"}`, engine.VerdictFail, "422", "Transição de status inválida"},
		{429, `{"error":"Too many requests"}`, engine.VerdictRetry, "429", "Too many requests"},
		{503, `Service Unavailable`, engine.VerdictRetry, "503", "Service Unavailable"},
		{401, `{"message":"x"}`, engine.VerdictFail, "401", `{"message":"x"}`},
	}
	for _, tt := range tests {
		v, err := c.Judge(tt.status, http.Header{}, []byte(tt.body))
		if err != nil {
			t.Fatalf("%d: %v", tt.status, err)
		}
		if v.Outcome != tt.outcome || v.Code != tt.code || v.Message != tt.message {
			t.Errorf("%d %s: got %+v, want %s %s %q", tt.status, tt.body, v, tt.outcome, tt.code, tt.message)
		}
	}
	if ps, burst, ok := c.RateLimit(); !ok || ps != 9 || burst != 9 {
		t.Errorf("rate limit = %v %v %v, want 9/s burst 9", ps, burst, ok)
	}
	if got := c.Endpoint(); got != "skyhub POST /orders/{order.marketplaceOrderId}/shipments" {
		t.Errorf("endpoint = %q", got)
	}
	if c.Confirmation() != nil {
		t.Errorf("SkyHub calls need no confirmation")
	}
}

func TestJudgeNapseAck(t *testing.T) {
	c := firstCall(t, enginetest.Bundled(t), "napse", "canceled", engine.TranslateOptions{Vars: napseVars})
	v, err := c.Judge(200, http.Header{}, []byte(`{"ack": 1023, "message": "orden cerrada"}`))
	if err != nil || v.Outcome != engine.VerdictFail || v.Code != "1023" || v.Message != "orden cerrada" {
		t.Errorf("ack 1023 on HTTP 200: got %+v, %v; want fail 1023", v, err)
	}
	v, err = c.Judge(200, http.Header{}, []byte(`{"ack": 0, "message": "-"}`))
	if err != nil || v.Outcome != engine.VerdictSuccess {
		t.Errorf("ack 0: got %+v, %v; want success", v, err)
	}
}

func TestAuthSchemes(t *testing.T) {
	e := enginetest.Bundled(t)
	a, err := e.Auth("skyhub", "", nil)
	if err != nil || a.Type != engine.AuthHeaders || a.Headers["X-Api-Key"] != "apiKey" {
		t.Fatalf("skyhub auth = %+v, %v", a, err)
	}
	if _, err := e.Auth("skyhub", "nope", nil); err == nil {
		t.Errorf("an unknown scheme must be an error")
	}
	if got := engine.SecretEnvName("fast-shop", "appKey"); got != "ROTA_SECRET_FAST_SHOP_APPKEY" {
		t.Errorf("SecretEnvName = %s", got)
	}
}

func TestTokenRejectedRule(t *testing.T) {
	e := enginetest.Bundled(t)
	a, err := e.Auth("napse", "", map[string]string{"tokenUrl": "https://bridge.example:8090/auth/token"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.HasTokenRule() || a.TokenURL != "https://bridge.example:8090/auth/token" {
		t.Fatalf("napse auth = %+v", a)
	}
	for _, tt := range []struct {
		status int
		body   string
		want   bool
	}{
		{200, `{"ack": 9999, "message": "Token inválido"}`, true},
		{200, `{"ack": 1023, "message": "orden cerrada"}`, false},
		{401, ``, true},
		{200, `not json`, false},
	} {
		got, err := a.TokenRejected(tt.status, http.Header{}, []byte(tt.body))
		if err != nil || got != tt.want {
			t.Errorf("%d %s: rejected = %v, %v; want %v", tt.status, tt.body, got, err, tt.want)
		}
	}
	if names := e.AuthSchemes("dafiti"); !reflect.DeepEqual(names, []string{"sellercenter-hmac", "oauth2"}) {
		t.Errorf("dafiti schemes = %v, want the default first: [sellercenter-hmac oauth2]", names)
	}
	if names := e.AuthSchemes("nope"); names != nil {
		t.Errorf("unknown marketplace schemes = %v, want nil", names)
	}
	if _, err := e.Auth("napse", "", map[string]string{"tokenUrl": "not a url"}); err == nil {
		t.Errorf("an unusable token URL must be a configuration error")
	}
}

// Each bundled mapping reads the marketplace's answer to a repeat of a
// change it already made as a success with AlreadyApplied, and any other
// refusal as a refusal.
func TestJudgeAlreadyApplied(t *testing.T) {
	e := enginetest.Bundled(t)
	dafiti := firstCall(t, e, "dafiti", "delivered", engine.TranslateOptions{})
	tests := []struct {
		name    string
		call    engine.Call
		status  int
		body    string
		applied bool
		outcome string
	}{
		{"skyhub repeat names the target status", firstCall(t, e, "skyhub", "invoiced", engine.TranslateOptions{}), 422,
			`{"error":"invalid status transition: order Lojas Americanas-1 is order_invoiced (Faturado); invoice needs it to be payment_received"}`, true, engine.VerdictSuccess},
		{"skyhub refusal naming another status", firstCall(t, e, "skyhub", "invoiced", engine.TranslateOptions{}), 422,
			`{"error":"invalid status transition: order Lojas Americanas-1 is order_shipped (Pedido Enviado); invoice needs it to be payment_received"}`, false, engine.VerdictFail},
		{"napse 1021", firstCall(t, e, "napse", "canceled", engine.TranslateOptions{Vars: napseVars}), 200,
			`{"ack":1021,"message":"el nuevo estado no puede ser idéntico al actual"}`, true, engine.VerdictSuccess},
		{"napse 1023", firstCall(t, e, "napse", "canceled", engine.TranslateOptions{Vars: napseVars}), 200,
			`{"ack":1023,"message":"orden cerrada"}`, false, engine.VerdictFail},
		{"napse 1023 naming the state the call sets", firstCall(t, e, "napse", "canceled", engine.TranslateOptions{Vars: napseVars}), 200,
			`{"ack":1023,"message":"no se puede cambiar de estado una orden cancelado (cancelled)"}`, true, engine.VerdictSuccess},
		{"napse 1023 naming another final state", firstCall(t, e, "napse", "canceled", engine.TranslateOptions{Vars: napseVars}), 200,
			`{"ack":1023,"message":"no se puede cambiar de estado una orden cerrado (closed)"}`, false, engine.VerdictFail},
		{"dafiti every item already delivered", dafiti, 422,
			`{"ErrorResponse":{"Head":{"ErrorCode":"28","ErrorMessage":"E028: x"},"Body":{"ErrorDetail":[{"OrderItemId":1,"Status":"delivered"},{"OrderItemId":2,"Status":"delivered"}]}}}`, true, engine.VerdictSuccess},
		{"dafiti one item of two listed", dafiti, 422,
			`{"ErrorResponse":{"Head":{"ErrorCode":"28","ErrorMessage":"E028: x"},"Body":{"ErrorDetail":[{"OrderItemId":1,"Status":"delivered"}]}}}`, false, engine.VerdictFail},
		{"dafiti items elsewhere", dafiti, 422,
			`{"ErrorResponse":{"Head":{"ErrorCode":"28","ErrorMessage":"E028: x"},"Body":{"ErrorDetail":[{"OrderItemId":1,"Status":"pending"},{"OrderItemId":2,"Status":"pending"}]}}}`, false, engine.VerdictFail},
		{"fastshop has no repeat rule", firstCall(t, e, "fastshop", "invoiced", engine.TranslateOptions{}), 409,
			`{"error":{"code":"OMS003","message":"x"}}`, false, engine.VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.call.Judge(tt.status, http.Header{}, []byte(tt.body))
			if err != nil || v.AlreadyApplied != tt.applied || v.Outcome != tt.outcome {
				t.Errorf("got %+v, %v; want outcome %s, alreadyApplied %v", v, err, tt.outcome, tt.applied)
			}
		})
	}
}

// A read-back is rendered with its call from the event; its applied rule
// sees the call's leadsTo and request.
func TestReadBack(t *testing.T) {
	e := enginetest.Bundled(t)
	sky := firstCall(t, e, "skyhub", "invoiced", engine.TranslateOptions{BaseURL: "https://sim.example/skyhub"})
	rb := sky.ReadBack()
	if rb == nil || rb.Query.Method != http.MethodGet || rb.Query.URL != "https://sim.example/skyhub/orders/Lojas%20Americanas-1000000000000" {
		t.Fatalf("skyhub read-back %+v", rb)
	}
	for body, want := range map[string]bool{
		`{"code":"x","status":{"code":"order_invoiced"}}`:   true,
		`{"code":"x","status":{"code":"payment_received"}}`: false,
		`[]`: false,
	} {
		if got, err := rb.Applied(&sky, 200, http.Header{}, []byte(body)); err != nil || got != want {
			t.Errorf("applied(%s) = %v, %v; want %v", body, got, err, want)
		}
	}
	fs := firstCall(t, e, "fastshop", "invoiced", engine.TranslateOptions{})
	order := `{"status":"invoiced","packageAttachment":{"packages":[{"invoiceNumber":"%s"}]}}`
	for number, want := range map[string]bool{"12345": true, "999": false} {
		if got, err := fs.ReadBack().Applied(&fs, 200, http.Header{}, []byte(strings.Replace(order, "%s", number, 1))); err != nil || got != want {
			t.Errorf("fastshop invoice %s read back: %v, %v; want %v", number, got, err, want)
		}
	}
	if napse := firstCall(t, e, "napse", "canceled", engine.TranslateOptions{Vars: napseVars}); napse.ReadBack() != nil || !napse.TellsRepeat() || napse.Idempotent() {
		t.Errorf("napse: want no read-back, a repeat rule, a POST")
	}
}

// A readBack naming a query the mapping does not declare is a load error.
func TestReadBackUnknownQuery(t *testing.T) {
	_, err := acmeWith(t, "events:", "readBack: {query: nope, applied: \"true\"}\nevents:")
	if err == nil || !strings.Contains(err.Error(), "unknown_query") || !strings.Contains(err.Error(), `readBack names query "nope"`) {
		t.Errorf("got %v, want unknown_query", err)
	}
}
