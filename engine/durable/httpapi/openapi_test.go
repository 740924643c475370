package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/durable/httpapi"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"
)

// openAPIURL is where the tests file the OpenAPI document for the schema
// compiler.
const openAPIURL = "https://github.com/rotahq/rota/schemas/openapi.json"

// openAPI is the parsed document.
type openAPI struct {
	raw map[string]any
	c   *jsonschema.Compiler
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "schemas", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if v := doc["openapi"]; v != "3.1.0" {
		t.Fatalf("openapi: %v, want 3.1.0", v)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("openapi.yaml does not convert to JSON: %v", err)
	}
	c := schemas.NewCompiler()
	if err := c.AddResource(openAPIURL, bytes.NewReader(js)); err != nil {
		t.Fatal(err)
	}
	return &openAPI{raw: doc, c: c}
}

func (o *openAPI) paths() map[string]any { return o.raw["paths"].(map[string]any) }

// operations lists "METHOD PATH" of every operation of the document.
func (o *openAPI) operations() []string {
	var out []string
	for p, item := range o.paths() {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "post", "put", "delete", "patch":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDescribesEveryRoute: the document's operations are exactly
// the handler's routes, and only /healthz and /readyz need no token.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	var routes []string
	for _, r := range httpapi.Routes() {
		routes = append(routes, r.Method+" "+r.Path)
		op := o.paths()[r.Path].(map[string]any)[strings.ToLower(r.Method)].(map[string]any)
		sec, hasSec := op["security"]
		public := hasSec && len(sec.([]any)) == 0
		if public != r.Public {
			t.Errorf("%s %s: the document says public=%v, the handler %v", r.Method, r.Path, public, r.Public)
		}
	}
	slices.Sort(routes)
	if got := o.operations(); !slices.Equal(got, routes) {
		t.Errorf("the document has operations\n%q\nthe handler routes\n%q", got, routes)
	}
}

// responseSchema is the compiled schema of the JSON answer of an operation
// with status, or an error when the document does not have that answer.
func (o *openAPI) responseSchema(method, path string, status int) (*jsonschema.Schema, string, error) {
	item, ok := o.paths()[path].(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("no path %s", path)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("no operation %s %s", method, path)
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("%s %s documents no %d answer", method, path, status)
	}
	ptr := "#/paths/" + escapePointer(path) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status)
	if ref, ok := resp["$ref"].(string); ok {
		ptr = ref
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = o.raw["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content := resp["content"].(map[string]any)
	for ct := range content {
		if ct != "application/json" {
			return nil, ct, nil
		}
	}
	s, err := o.c.Compile(openAPIURL + ptr + "/content/application~1json/schema")
	return s, "application/json", err
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// TestResponsesMatchOpenAPI: the answers of a running server, for every
// route and the errors each documents, validate against the document's
// schemas (JSON Schema 2020-12).
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	o := loadOpenAPI(t)
	f := newFixture(t, fixtureOptions{})
	send := event(t, "skyhub", "invoiced", "evt-openapi-send", "Lojas Americanas-9400")
	ignore := event(t, "skyhub", "approved", "evt-openapi-ignore", "Lojas Americanas-9400")
	if a := f.post("/v1/events", send); a.status != http.StatusAccepted {
		t.Fatalf("POST: %d\n%s", a.status, a.body)
	}
	f.waitSettled(t, 20e9, "evt-openapi-send")
	huge := bytes.Repeat([]byte(" "), httpapi.DefaultMaxBodyBytes+1)
	cases := []struct {
		name         string
		method, path string // path is the document's template
		url          string
		token        string
		body         []byte
		want         int
	}{
		{"accept", "POST", "/v1/events", "/v1/events", testToken, event(t, "skyhub", "shipped", "evt-openapi-2", "Lojas Americanas-9400"), 202},
		{"accept ignored", "POST", "/v1/events", "/v1/events", testToken, ignore, 200},
		{"accept duplicate", "POST", "/v1/events", "/v1/events", testToken, send, 202},
		{"accept invalid", "POST", "/v1/events", "/v1/events", testToken, []byte(`{`), 400},
		{"accept unauthorized", "POST", "/v1/events", "/v1/events", "", send, 401},
		{"accept too large", "POST", "/v1/events", "/v1/events", testToken, huge, 413},
		{"accept refused", "POST", "/v1/events", "/v1/events", testToken, replace(send, `"marketplace": "skyhub"`, `"marketplace": "shopee"`), 422},
		{"list", "GET", "/v1/events", "/v1/events?limit=1", testToken, nil, 200},
		{"list bad", "GET", "/v1/events", "/v1/events?limit=x", testToken, nil, 400},
		{"list unauthorized", "GET", "/v1/events", "/v1/events", "", nil, 401},
		{"event", "GET", "/v1/events/{id}", "/v1/events/evt-openapi-send", testToken, nil, 200},
		{"event unknown", "GET", "/v1/events/{id}", "/v1/events/nope", testToken, nil, 404},
		{"event unauthorized", "GET", "/v1/events/{id}", "/v1/events/nope", "", nil, 401},
		{"replay not dead", "POST", "/v1/events/{id}/replay", "/v1/events/evt-openapi-send/replay", testToken, nil, 409},
		{"replay unknown", "POST", "/v1/events/{id}/replay", "/v1/events/nope/replay", testToken, nil, 404},
		{"replay unauthorized", "POST", "/v1/events/{id}/replay", "/v1/events/nope/replay", "", nil, 401},
		{"skip delivered", "POST", "/v1/events/{id}/skip", "/v1/events/evt-openapi-send/skip", testToken, nil, 409},
		{"skip unknown", "POST", "/v1/events/{id}/skip", "/v1/events/nope/skip", testToken, nil, 404},
		{"skip bad body", "POST", "/v1/events/{id}/skip", "/v1/events/nope/skip", testToken, []byte(`[]`), 400},
		{"skip too large", "POST", "/v1/events/{id}/skip", "/v1/events/nope/skip", testToken, huge, 413},
		{"skip unauthorized", "POST", "/v1/events/{id}/skip", "/v1/events/nope/skip", "", nil, 401},
		{"order", "GET", "/v1/orders/{marketplace}/{marketplaceOrderId}", "/v1/orders/skyhub/Lojas%20Americanas-9400", testToken, nil, 200},
		{"order unknown", "GET", "/v1/orders/{marketplace}/{marketplaceOrderId}", "/v1/orders/skyhub/nope", testToken, nil, 404},
		{"order unauthorized", "GET", "/v1/orders/{marketplace}/{marketplaceOrderId}", "/v1/orders/skyhub/nope", "", nil, 401},
		{"translate", "POST", "/v1/translate", "/v1/translate", testToken, send, 200},
		{"translate ignore", "POST", "/v1/translate", "/v1/translate", testToken, ignore, 200},
		{"translate invalid", "POST", "/v1/translate", "/v1/translate", testToken, []byte(`{"id": 1}`), 400},
		{"translate refused", "POST", "/v1/translate", "/v1/translate", testToken, replace(send, `"marketplace": "skyhub"`, `"marketplace": "shopee"`), 422},
		{"translate too large", "POST", "/v1/translate", "/v1/translate", testToken, huge, 413},
		{"translate unauthorized", "POST", "/v1/translate", "/v1/translate", "", send, 401},
		{"healthz", "GET", "/healthz", "/healthz", "", nil, 200},
		{"readyz", "GET", "/readyz", "/readyz", "", nil, 200},
		{"metrics", "GET", "/metrics", "/metrics", testToken, nil, 200},
		{"metrics unauthorized", "GET", "/metrics", "/metrics", "", nil, 401},
		{"inbox", "GET", "/v1/inbox", "/v1/inbox?after=0", testToken, nil, 200},
		{"inbox bad cursor", "GET", "/v1/inbox", "/v1/inbox?after=x", testToken, nil, 400},
		{"inbox unauthorized", "GET", "/v1/inbox", "/v1/inbox", "", nil, 401},
		{"ack", "POST", "/v1/inbox/ack", "/v1/inbox/ack", testToken, []byte(`{"cursor": "0"}`), 200},
		{"ack bad body", "POST", "/v1/inbox/ack", "/v1/inbox/ack", testToken, []byte(`{}`), 400},
		{"ack unauthorized", "POST", "/v1/inbox/ack", "/v1/inbox/ack", "", []byte(`{"cursor": "0"}`), 401},
		{"replay forward unknown", "POST", "/v1/inbox/{id}/replay", "/v1/inbox/nope/replay", testToken, nil, 404},
		{"replay forward unauthorized", "POST", "/v1/inbox/{id}/replay", "/v1/inbox/nope/replay", "", nil, 401},
		{"inbound unauthorized", "POST", "/inbound/{marketplace}/{path}", "/inbound/fastshop/api/fulfillment/pvt/orders?sc=1", "", seedOrder(t), 401},
		{"inbound no route", "POST", "/inbound/{marketplace}/{path}", "/inbound/fastshop/api/nothing", "", seedOrder(t), 404},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, c.url, c.token, c.body)
			if a.status != c.want {
				t.Fatalf("status %d, want %d\n%s", a.status, c.want, a.body)
			}
			s, ct, err := o.responseSchema(c.method, c.path, a.status)
			if err != nil {
				t.Fatal(err)
			}
			covered[c.method+" "+c.path] = true
			if got := a.header.Get("Content-Type"); !strings.HasPrefix(got, ct) {
				t.Fatalf("Content-Type %q, want %q", got, ct)
			}
			if s == nil {
				return
			}
			var v any
			if err := json.Unmarshal(a.body, &v); err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("the answer does not match the document: %#v\n%s", err, a.body)
			}
		})
	}
	for _, r := range httpapi.Routes() {
		if !covered[r.Method+" "+r.Path] {
			t.Errorf("no case checks %s %s", r.Method, r.Path)
		}
	}
}
