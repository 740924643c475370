package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliBodiesMapping = `marketplace: example
name: Example
timezone: America/Sao_Paulo
environments:
  production:
    baseUrl: https://api.example.com
headers:
  Content-Type: application/json
statuses:
  invoiced: {canonical: invoiced}
events:
  order.invoiced:
    calls:
      - name: nfe
        method: POST
        path: /nfe
        raw:
          contentType: application/xml
          content: ${ invoice.xml }
          decode: base64
      - name: documents
        method: POST
        path: /documents
        multipart:
          - name: files
            filename: nfe-${ invoice.number }.xml
            content: ${ invoice.xml }
            decode: base64
          - name: note
            content: ${ order.attributes.note }
            when: has(order.attributes.note)
`

const cliBodiesEvent = `{"specVersion": "1.0", "id": "evt-1", "type": "order.invoiced", "occurredAt": "2024-05-10T10:00:00-03:00",
 "marketplace": "example", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1"},
 "invoice": {"key": "52060433009911002506550120000007800267301615", "number": "780", "xml": "PG5mZS8+"}}`

func writeBodiesFixture(t *testing.T) (dir, event string) {
	t.Helper()
	dir = t.TempDir()
	event = filepath.Join(dir, "event.json")
	if err := os.Mkdir(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"m/example.yaml": cliBodiesMapping, "event.json": cliBodiesEvent} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "m"), event
}

func TestTranslateShowsBodiesThatAreNotJSON(t *testing.T) {
	dir, event := writeBodiesFixture(t)
	o := rota(t, "", "translate", "--mappings", dir, event)
	o.wantCode(t, exitOK)
	var res struct {
		Calls []map[string]json.RawMessage `json:"calls"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &res); err != nil || len(res.Calls) != 2 {
		t.Fatalf("translate output %s: %v", o.stdout, err)
	}
	nfe, docs := res.Calls[0], res.Calls[1]
	if string(nfe["bodyText"]) != `"<nfe/>"` || string(nfe["contentType"]) != `"application/xml"` || nfe["body"] != nil {
		t.Errorf("nfe call %s, want bodyText <nfe/>, contentType application/xml and no body", o.stdout)
	}
	var headers map[string]string
	if err := json.Unmarshal(nfe["headers"], &headers); err != nil || len(headers) != 1 || headers["Content-Type"] != "application/xml" {
		t.Errorf("nfe headers %s, want only the XML Content-Type", nfe["headers"])
	}
	var parts []map[string]string
	if err := json.Unmarshal(docs["parts"], &parts); err != nil || len(parts) != 1 || parts[0]["filename"] != "nfe-780.xml" || parts[0]["text"] != "<nfe/>" || parts[0]["contentType"] != "application/octet-stream" {
		t.Errorf("parts %s (%v), want the file part alone", docs["parts"], err)
	}
}

func TestExplainShowsWhereEachPartCameFrom(t *testing.T) {
	dir, event := writeBodiesFixture(t)
	o := rota(t, "", "explain", "--mappings", dir, event)
	o.wantCode(t, exitOK)
	for _, want := range []string{
		"raw.content                ← invoice.xml = \"PG5mZS8+\"",
		"multipart.files.filename ← nfe-${invoice.number}.xml = \"nfe-780.xml\"",
		"multipart.note omitted: no value",
		"headers.Content-Type = \"multipart/form-data; boundary=rota-",
		"Content-Disposition: form-data; name=\"files\"; filename=\"nfe-780.xml\"",
		"<nfe/>",
	} {
		if !containsSpaced(o.stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, o.stdout)
		}
	}
}

// containsSpaced reports whether a line of s holds want's words in order,
// separated by any run of spaces (explain aligns its columns).
func containsSpaced(s, want string) bool {
	w := strings.Join(strings.Fields(want), " ")
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(strings.Join(strings.Fields(line), " "), w) {
			return true
		}
	}
	return false
}
