package engine_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
	"github.com/tidwall/sjson"
)

func acme(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Load(os.DirFS("testdata/acme"), engine.WithDisplayDir("testdata/acme"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return e
}

func baseEvent(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/acme/base.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// edit applies sjson edits: pairs of path and value, where a nil value
// deletes the path.
func edit(t testing.TB, raw []byte, kv ...any) []byte {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("edits %v: want pairs of path and value", kv)
	}
	var err error
	for i := 0; i < len(kv); i += 2 {
		path := kv[i].(string)
		if kv[i+1] == nil {
			raw, err = sjson.DeleteBytes(raw, path)
		} else {
			raw, err = sjson.SetBytes(raw, path, kv[i+1])
		}
		if err != nil {
			t.Fatalf("edit %s: %v", path, err)
		}
	}
	return raw
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestShippedFromPendingPacksThenShips(t *testing.T) {
	res, err := acme(t).Translate(baseEvent(t), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != engine.OutcomeSend || len(res.Calls) != 2 {
		t.Fatalf("got %s with %d calls, want send with 2", res.Outcome, len(res.Calls))
	}
	pack, ship := res.Calls[0], res.Calls[1]
	if pack.Name != "pack" || pack.URL != "https://hub.acme.com.br/orders/AC%2077%2F1/pack" || pack.MarketplaceStatus != "packed" {
		t.Errorf("pack = %s %s -> %s", pack.Name, pack.URL, pack.MarketplaceStatus)
	}
	jsonEqual(t, pack.Body, `{"ids":[101,102]}`)
	if ship.Method != "PUT" || ship.URL != "https://hub.acme.com.br/orders/AC%2077%2F1/ship?region=br" {
		t.Errorf("ship = %s %s", ship.Method, ship.URL)
	}
	if want := map[string]string{"Accept": "application/json", "X-Order": "ERP-1"}; !reflect.DeepEqual(ship.Headers.Map(), want) {
		t.Errorf("headers = %v, want %v", ship.Headers, want)
	}
	jsonEqual(t, ship.Body, `{"tracking":"TR1","carrier":"Correios","label":"Pedido ERP-1 (2 itens)",
		"lines":[{"sku":"S-1","qty":2,"price":1990},{"sku":"S-2","qty":1}],"fixed":[1,true,null,"x"]}`)
}

// TestResultPartsAreIndependent edits what a result returns the way a
// caller may (a body written over in place, appended to) and checks that
// the rest of the result, which shares its memory, is untouched.
func TestResultPartsAreIndependent(t *testing.T) {
	e := acme(t)
	raw := baseEvent(t)
	res, err := e.Translate(raw, engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := outcome(res, nil)
	again, err := e.Translate(raw, engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Calls {
		c := &again.Calls[i]
		if cap(c.Body) != len(c.Body) {
			t.Errorf("call %s: body has room for %d more bytes after it, which another part of the result may hold", c.Name, cap(c.Body)-len(c.Body))
		}
		for j := range c.Body {
			c.Body[j] = '#'
		}
		c.Body = append(c.Body, "######"...)
	}
	for i := range again.Calls {
		again.Calls[i].Body = res.Calls[i].Body
	}
	if got := outcome(again, nil); got != want {
		t.Errorf("after the bodies were written over, the result reads\n%s\nwant\n%s", got, want)
	}
}

func TestBodyKeepsTemplateOrder(t *testing.T) {
	res, err := acme(t).Translate(baseEvent(t), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.Calls[1].Body)
	if !strings.HasPrefix(got, `{"tracking":"TR1","carrier":"Correios","label":`) {
		t.Errorf("body keys not in template order: %s", got)
	}
}

func TestTranslate(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	tests := []struct {
		name  string
		event []byte
		opts  engine.TranslateOptions
		calls []string // names of the calls made, when it succeeds
		url   string   // URL of the last call
		body  string   // body of the last call
	}{
		{"already packed ships only", edit(t, base, "order.marketplaceStatus", "packed"), engine.TranslateOptions{}, []string{"ship"}, "", ""},
		{"status from canonical order.status", edit(t, base, "order.marketplaceStatus", nil, "order.status", "ready_to_ship"), engine.TranslateOptions{}, []string{"ship"}, "", ""},
		{"optional keys omitted", edit(t, base, "shipment.carrier", nil, "order.marketplaceStatus", "packed"), engine.TranslateOptions{}, []string{"ship"}, "",
			`{"tracking":"TR1","label":"Pedido ERP-1 (2 itens)","lines":[{"sku":"S-1","qty":2,"price":1990},{"sku":"S-2","qty":1}],"fixed":[1,true,null,"x"]}`},
		{"optional query given", edit(t, base, "order.marketplaceStatus", "packed"), engine.TranslateOptions{Vars: map[string]string{"token": "a b", "region": "ar"}}, []string{"ship"},
			"https://hub.acme.com.br/orders/AC%2077%2F1/ship?region=ar&token=a+b", ""},
		{"default kept beside a given variable", edit(t, base, "order.marketplaceStatus", "packed"), engine.TranslateOptions{Vars: map[string]string{"token": "t"}}, []string{"ship"},
			"https://hub.acme.com.br/orders/AC%2077%2F1/ship?region=br&token=t", ""},
		{"fixed environment", edit(t, base, "order.marketplaceStatus", "packed"), engine.TranslateOptions{Environment: "fixed"}, []string{"ship"}, "https://fixed.acme.test/v1/orders/AC%2077%2F1/ship?region=br", ""},
		{"base URL override", edit(t, base, "order.marketplaceStatus", "packed", "order.servicesEndpoint", "https://evil.example.com"), engine.TranslateOptions{BaseURL: "http://127.0.0.1:9/acme/"}, []string{"ship"}, "http://127.0.0.1:9/acme/orders/AC%2077%2F1/ship?region=br", ""},
		{"exact allowed host", edit(t, base, "order.marketplaceStatus", "packed", "order.servicesEndpoint", "https://API.acme.test"), engine.TranslateOptions{}, []string{"ship"}, "https://API.acme.test/orders/AC%2077%2F1/ship?region=br", ""},
		{"delivered date in the mapping's zone", edit(t, base, "type", "order.delivered", "order.marketplaceStatus", "sent"), engine.TranslateOptions{}, []string{"deliver"}, "", `{"at":"12/05/2024 20:30"}`},
		{"value table", edit(t, base, "type", "order.canceled"), engine.TranslateOptions{}, []string{"cancel"}, "", `{"reason":"SEM_ESTOQUE"}`},
		{"no leadsTo skips transition check", edit(t, base, "type", "order.shipment_exception", "order.marketplaceStatus", "done"), engine.TranslateOptions{}, []string{"note"}, "", `{"text":"atraso"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Translate(tt.event, tt.opts)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			var names []string
			for _, c := range res.Calls {
				names = append(names, c.Name)
			}
			if !reflect.DeepEqual(names, tt.calls) {
				t.Fatalf("calls = %v, want %v", names, tt.calls)
			}
			last := res.Calls[len(res.Calls)-1]
			if tt.url != "" && last.URL != tt.url {
				t.Errorf("url = %s, want %s", last.URL, tt.url)
			}
			if tt.body != "" {
				jsonEqual(t, last.Body, tt.body)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	tests := []struct {
		name            string
		event           []byte
		opts            engine.TranslateOptions
		kind            engine.Kind
		code, path      string
		marketplaceCode string
		source          string // prefix of the source position
		message         string // a fragment of the message
	}{
		{"guard refuses", edit(t, base, "items", []any{}), engine.TranslateOptions{}, engine.KindRejected, "items_required", "/items", "A1", "testdata/acme/acme.yaml:", "Acme needs the items of order AC 77/1"},
		{"final status", edit(t, base, "order.marketplaceStatus", "done"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeFinalStatus, "/order/marketplaceStatus", "", "testdata/acme/acme.yaml:", "done is a final status"},
		{"transition not allowed", edit(t, base, "order.marketplaceStatus", "sent"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeTransitionNotAllowed, "/order/marketplaceStatus", "", "", "from sent to sent"},
		{"missing item field", edit(t, base, "items.1.marketplaceItemId", nil), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMissingField, "/items/1/marketplaceItemId", "", "testdata/acme/acme.yaml:", "item.marketplaceItemId"},
		{"missing event field", edit(t, base, "shipment.trackingCode", nil, "order.marketplaceStatus", "packed"), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMissingField, "/shipment/trackingCode", "", "", "shipment.trackingCode"},
		{"bad integer", edit(t, base, "items.0.marketplaceItemId", "10x"), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeBadValue, "/items/0/marketplaceItemId", "", "", "10x"},
		{"host not allowed", edit(t, base, "order.servicesEndpoint", "https://evil.example.com/"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeHostNotAllowed, "/order/servicesEndpoint", "", "", "evil.example.com"},
		{"bare domain is not a subdomain", edit(t, base, "order.servicesEndpoint", "https://acme.com.br/"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeHostNotAllowed, "/order/servicesEndpoint", "", "", ""},
		{"lookalike host", edit(t, base, "order.servicesEndpoint", "https://hub.acme.com.br.evil.io/"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeHostNotAllowed, "/order/servicesEndpoint", "", "", ""},
		{"no table entry", edit(t, base, "type", "order.canceled", "cancellation.reason", "fraud"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeNoTableEntry, "/cancellation/reason", "", "", "customer_request, out_of_stock"},
		{"unsupported", edit(t, base, "type", "order.handling"), engine.TranslateOptions{}, engine.KindUnsupported, engine.CodeUnsupported, "/type", "", "testdata/acme/acme.yaml:", "no handling step"},
		{"unknown marketplace", edit(t, base, "marketplace", "nope"), engine.TranslateOptions{}, engine.KindUnknownMarketplace, engine.CodeUnknownMarketplace, "/marketplace", "", "", "acme"},
		{"marketplace override", base, engine.TranslateOptions{Marketplace: "other"}, engine.KindUnknownMarketplace, engine.CodeUnknownMarketplace, "", "", "", "other"},
		{"event base URL must be https", edit(t, base, "order.servicesEndpoint", "http://hub.acme.com.br/"), engine.TranslateOptions{}, engine.KindRejected, engine.CodeHostNotAllowed, "/order/servicesEndpoint", "", "", "https"},
		{"unknown environment", base, engine.TranslateOptions{Environment: "staging"}, engine.KindConfiguration, engine.CodeUnknownEnvironment, "", "", "", "production, fixed"},
		{"unknown variable", base, engine.TranslateOptions{Vars: map[string]string{"regoin": "x"}}, engine.KindConfiguration, engine.CodeUnknownVariable, "", "", "", "region"},
		{"unknown field", edit(t, base, "order.foo", 1), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeUnknownField, "/order/foo", "", "", "foo"},
		{"missing required field", edit(t, base, "order.marketplaceOrderId", nil), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMissingField, "/order/marketplaceOrderId", "", "", ""},
		{"malformed date", edit(t, base, "occurredAt", "2024-05-10 10:00"), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeBadFormat, "/occurredAt", "", "", "RFC 3339"},
		{"NF-e check digit", edit(t, base, "invoice", map[string]any{"key": "35230942274696002561550060021990691319029090"}), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeNFeKeyCheckDigit, "/invoice/key", "", "", "expected 8"},
		{"wrong type", edit(t, base, "items.0.quantity", "2"), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeWrongType, "/items/0/quantity", "", "", ""},
		{"malformed JSON", []byte(`{"id": "x",`), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMalformedJSON, "", "", "", "line 1"},
		{"two documents", []byte(`{} {}`), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMalformedJSON, "", "", "", "more than one"},
		{"duplicate key", []byte(strings.Replace(string(base), `"order":{`, `"order":{"marketplaceStatus":null,`, 1)), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeDuplicateKey, "/order/marketplaceStatus", "", "", `"marketplaceStatus" appears twice`},
		{"duplicate key in an item", []byte(strings.Replace(string(base), `"sku":`, `"sku":"X","sku":`, 1)), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeDuplicateKey, "/items/0/sku", "", "", `"sku" appears twice`},
		{"current status unknown", edit(t, base, "order.marketplaceStatus", nil), engine.TranslateOptions{}, engine.KindInvalidEvent, engine.CodeMissingField, "/order/marketplaceStatus", "", "testdata/acme/acme.yaml:55:", "current status"},
		{"skip validation still names missing fields", edit(t, base, "shipment", nil, "order.marketplaceStatus", "packed"), engine.TranslateOptions{SkipValidation: true}, engine.KindInvalidEvent, engine.CodeMissingField, "/shipment/trackingCode", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Translate(tt.event, tt.opts)
			var te *engine.Error
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (result %+v), want *engine.Error", err, res)
			}
			if te.Kind != tt.kind || te.Code != tt.code || te.Path != tt.path || te.MarketplaceCode != tt.marketplaceCode {
				t.Errorf("got %s/%s path=%q mc=%q, want %s/%s path=%q mc=%q (%s)", te.Kind, te.Code, te.Path, te.MarketplaceCode, tt.kind, tt.code, tt.path, tt.marketplaceCode, te.Message)
			}
			if !strings.HasPrefix(te.Source.String(), tt.source) {
				t.Errorf("source = %q, want prefix %q", te.Source, tt.source)
			}
			if !strings.Contains(te.Message, tt.message) {
				t.Errorf("message %q lacks %q", te.Message, tt.message)
			}
			if !errors.Is(err, &engine.Error{Kind: tt.kind, Code: tt.code}) {
				t.Errorf("errors.Is does not match kind and code")
			}
		})
	}
}

// TestVariablesAreOnlyRead checks that the caller's variables are left as
// they were, whether the engine uses them as given or merges them with the
// mapping's defaults, and that of several undeclared ones the error names
// the same one every time.
func TestVariablesAreOnlyRead(t *testing.T) {
	e := acme(t)
	ev := edit(t, baseEvent(t), "order.marketplaceStatus", "packed")
	for _, given := range []map[string]string{{"token": "t"}, {"token": "t", "region": "ar"}} {
		want := maps.Clone(given)
		if _, err := e.Translate(ev, engine.TranslateOptions{Vars: given}); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(given, want) {
			t.Errorf("variables %v became %v", want, given)
		}
	}
	undeclared := map[string]string{"zeta": "1", "alpha": "2", "mid": "3", "region": "ar"}
	for range 20 {
		_, err := e.Translate(ev, engine.TranslateOptions{Vars: undeclared})
		if err == nil || !strings.Contains(err.Error(), `variable "alpha" is not declared`) {
			t.Fatalf("err = %v, want the first undeclared name, alpha", err)
		}
	}
}

func TestIgnore(t *testing.T) {
	res, err := acme(t).Translate(edit(t, baseEvent(t), "type", "order.approved"), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != engine.OutcomeIgnore || res.Reason != "Acme approves orders" || res.Calls == nil || len(res.Calls) != 0 {
		t.Errorf("got %+v, want ignore with reason and empty calls", res)
	}
	out, _ := json.Marshal(res)
	if !strings.Contains(string(out), `"calls":[]`) {
		t.Errorf("calls must print as []: %s", out)
	}
}

// TestConcurrentTranslate runs many translations at once, half of the
// goroutines through TranslateInto with a Result of their own (go test
// -race checks the engine shares no mutable state), and compares each with
// the sequential result.
func TestConcurrentTranslate(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	events := [][]byte{base, edit(t, base, "order.marketplaceStatus", "packed"), edit(t, base, "type", "order.canceled"),
		edit(t, base, "items", []any{}), edit(t, base, "type", "order.delivered", "order.marketplaceStatus", "sent")}
	want := make([]string, len(events))
	for i, ev := range events {
		want[i] = outcome(e.Translate(ev, engine.TranslateOptions{}))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine engine.Result
			translate := func(raw []byte) (*engine.Result, error) {
				if g%2 == 0 {
					return e.Translate(raw, engine.TranslateOptions{})
				}
				return &mine, e.TranslateInto(&mine, raw, engine.TranslateOptions{})
			}
			for i := 0; i < 50; i++ {
				k := (g + i) % len(events)
				if got := outcome(translate(events[k])); got != want[k] {
					errs <- got
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent result differs: %s", got)
	}
}

// TestTranslateIntoReusesCalls translates a two-call event and then a
// one-call event into one Result: the second keeps the array of the
// first's calls, and the slot it no longer uses is cleared.
func TestTranslateIntoReusesCalls(t *testing.T) {
	eng := enginetest.Bundled(t)
	o := engine.TranslateOptions{SkipValidation: true}
	var res engine.Result
	if err := eng.TranslateInto(&res, exampleEvent(t, "dafiti", "shipped"), o); err != nil {
		t.Fatal(err)
	}
	if len(res.Calls) != 2 {
		t.Fatalf("dafiti shipped made %d calls, want 2", len(res.Calls))
	}
	first, second := &res.Calls[0], res.Calls[1]
	secondURL, secondBody := strings.Clone(second.URL), string(second.Body)
	if err := eng.TranslateInto(&res, exampleEvent(t, "dafiti", "delivered"), o); err != nil {
		t.Fatal(err)
	}
	if len(res.Calls) != 1 || &res.Calls[0] != first {
		t.Fatalf("dafiti delivered made %d calls in a new array; want 1 call in the array of the last result", len(res.Calls))
	}
	if left := res.Calls[:2][1]; !reflect.ValueOf(left).IsZero() {
		t.Errorf("the slot the new result does not use still holds call %s", left.Name)
	}
	if second.URL != secondURL || string(second.Body) != secondBody {
		t.Errorf("a copy of an earlier call changed: %s %s, was %s %s", second.URL, second.Body, secondURL, secondBody)
	}
	if err := eng.TranslateInto(&res, []byte(`{"marketplace": "nowhere"}`), o); err == nil {
		t.Fatal("an event for an unknown marketplace translated")
	}
	if res.Marketplace != "" || res.Outcome != "" || len(res.Calls) != 0 || res.Calls == nil || cap(res.Calls) < 2 {
		t.Errorf("after a refusal the result holds %+v (calls nil: %v, room for %d); want it empty, keeping its array", res, res.Calls == nil, cap(res.Calls))
	}
}

func outcome(res *engine.Result, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, _ := json.Marshal(res)
	return string(b)
}
