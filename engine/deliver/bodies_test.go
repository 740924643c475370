package deliver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
)

// bodiesSendMapping sends a form and a multipart body; the token variable
// ends up in both, and in a test it holds the API key's value.
const bodiesSendMapping = `marketplace: example
name: Example
timezone: America/Sao_Paulo
variables:
  token: {description: a value sent in the form}
environments:
  production:
    baseUrl: https://api.example.com
auth:
  default: key
  schemes:
    key:
      type: headers
      secrets: [apiKey]
      headers: {X-Api-Key: apiKey}
headers:
  Content-Type: application/json
statuses:
  invoiced: {canonical: invoiced}
events:
  order.invoiced:
    calls:
      - name: login
        method: POST
        path: /login
        form:
          token: ${ vars.token }
      - name: nfe
        method: POST
        path: /nfe
        multipart:
          - name: file
            filename: nfe.xml
            content: ${ invoice.xml }
            decode: base64
          - name: token
            content: ${ vars.token }
`

const bodiesSecret = "api-key-SECRET-42"

type seenRequest struct {
	contentType string
	body        []byte
}

func bodiesResult(t *testing.T, baseURL string) (*engine.Engine, *engine.Result) {
	t.Helper()
	e, err := engine.Load(fstest.MapFS{"example.yaml": {Data: []byte(bodiesSendMapping)}})
	if err != nil {
		t.Fatal(err)
	}
	ev := `{"specVersion": "1.0", "id": "evt-b1", "type": "order.invoiced", "occurredAt": "2024-05-10T10:00:00-03:00",
 "marketplace": "example", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1"},
 "invoice": {"key": "52060433009911002506550120000007800267301615", "xml": "` + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 'x'}) + `"}}`
	res, err := e.Translate([]byte(ev), engine.TranslateOptions{Vars: map[string]string{"token": bodiesSecret}, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	return e, res
}

func TestSendSendsTheExactBodyBytes(t *testing.T) {
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{r.Header.Get("Content-Type"), b})
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer srv.Close()
	e, res := bodiesResult(t, srv.URL)
	s := &deliver.Sender{Engine: e, Secrets: deliver.MapSecrets{"ROTA_SECRET_EXAMPLE_APIKEY": bodiesSecret}}
	rep, err := s.Send(context.Background(), res)
	if err != nil || rep.Outcome != deliver.Delivered {
		t.Fatalf("send: %+v, %v", rep, err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d requests, want 2", len(seen))
	}
	for i, c := range res.Calls {
		if !bytes.Equal(seen[i].body, c.Encoded) || seen[i].contentType != c.ContentType {
			t.Errorf("call %s: server got %q (%s), want the call's bytes %q (%s)", c.Name, seen[i].body, seen[i].contentType, c.Encoded, c.ContentType)
		}
	}
	if !bytes.Contains(seen[1].body, []byte{0xff, 0xfe, 'x'}) {
		t.Errorf("multipart body %q lacks the decoded file bytes", seen[1].body)
	}
}

func TestDryRunRedactsSecretsInBodies(t *testing.T) {
	e, res := bodiesResult(t, "")
	s := &deliver.Sender{Engine: e, Secrets: deliver.MapSecrets{"ROTA_SECRET_EXAMPLE_APIKEY": bodiesSecret}}
	drs, err := s.DryRun(context.Background(), res)
	if err != nil || len(drs) != 2 {
		t.Fatalf("dry run: %+v, %v", drs, err)
	}
	out, err := json.Marshal(drs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), bodiesSecret) || strings.Contains(string(out), "SECRET") {
		t.Errorf("the dry run shows the secret: %s", out)
	}
	if drs[0].BodyText != "token=%5Bredacted%5D" && drs[0].BodyText != "token="+deliver.Redacted {
		t.Errorf("form shown as %q, want the token redacted", drs[0].BodyText)
	}
	// The multipart body holds bytes that are not UTF-8: it is shown in
	// base64, redacted before it is encoded.
	shown, err := base64.StdEncoding.DecodeString(drs[1].BodyBase64)
	if err != nil || !bytes.Contains(shown, []byte(deliver.Redacted)) || bytes.Contains(shown, []byte(bodiesSecret)) {
		t.Errorf("multipart shown as %q (%v), want the token redacted", shown, err)
	}
	if drs[1].ContentType != res.Calls[1].ContentType {
		t.Errorf("contentType %q, want %q", drs[1].ContentType, res.Calls[1].ContentType)
	}
}
