package engine_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
)

// fuzzBodiesMapping renders untrusted event text into a form and a
// multipart body: field values, a file name, a text part and a file
// decoded from base64.
const fuzzBodiesMapping = `marketplace: example
name: Example
timezone: America/Sao_Paulo
environments:
  production:
    baseUrl: https://api.example.com
statuses:
  invoiced: {canonical: invoiced}
events:
  order.invoiced:
    calls:
      - name: form
        method: POST
        path: /form
        form:
          a: ${ order.attributes.a }
          b?: ${ order.attributes.b }
      - name: upload
        method: POST
        path: /upload
        multipart:
          - name: file
            filename: ${ order.attributes.f }
            content: ${ invoice.xml }
            decode: base64
          - name: note
            content: ${ order.attributes.a }
          - name: meta
            json:
              name: ${ order.attributes.f }
              b?: ${ order.attributes.b }
`

// FuzzBodies renders event text into form and multipart bodies: the
// outcome is a typed error, or bodies that parse back, as a server would
// read them, into exactly the values the event gave.
func FuzzBodies(f *testing.F) {
	e, err := engine.Load(fstest.MapFS{"example.yaml": {Data: []byte(fuzzBodiesMapping)}})
	if err != nil {
		f.Fatalf("load: %v", err)
	}
	f.Add("a b&c=d", "é\"\\", "nfe.xml", []byte("<nfe/>"))
	f.Add("", "", "", []byte{})
	f.Add("--rota-", "\r\n--x", "a\"b.xml", []byte("\r\n--rota-\r\n"))
	f.Add("%zz+", "\x00", "../x", []byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, a, b, name string, file []byte) {
		attrs := map[string]any{"a": a, "f": name}
		if b != "" {
			attrs["b"] = b
		}
		raw, err := json.Marshal(map[string]any{
			"specVersion": "1.0", "id": "evt-1", "type": "order.invoiced", "occurredAt": "2024-05-10T10:00:00-03:00",
			"marketplace": "example", "order": map[string]any{"id": "ERP-1", "marketplaceOrderId": "A-1", "attributes": attrs},
			"invoice": map[string]any{"key": "52060433009911002506550120000007800267301615", "xml": base64.StdEncoding.EncodeToString(file)},
		})
		if err != nil {
			t.Skip()
		}
		res, err := e.Translate(raw, engine.TranslateOptions{})
		if err != nil {
			var te *engine.Error
			if !errors.As(err, &te) || te.Kind == "" || te.Code == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// What the event holds, after JSON (invalid UTF-8 becomes U+FFFD).
		var ev struct {
			Order struct{ Attributes map[string]string }
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		at := ev.Order.Attributes
		checkForm(t, res.Calls[0], at)
		checkUpload(t, res.Calls[1], at, file)
	})
}

func checkForm(t *testing.T, c engine.Call, at map[string]string) {
	vals, err := url.ParseQuery(string(c.Encoded))
	if err != nil {
		t.Fatalf("form %q does not parse: %v", c.Encoded, err)
	}
	want := url.Values{"a": {at["a"]}}
	if b, ok := at["b"]; ok {
		want["b"] = []string{b}
	}
	if vals.Encode() != want.Encode() {
		t.Fatalf("form %q parses to %v, want %v", c.Encoded, vals, want)
	}
}

func checkUpload(t *testing.T, c engine.Call, at map[string]string, file []byte) {
	_, params, err := mime.ParseMediaType(c.Headers.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", c.Headers.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(c.Encoded), params["boundary"])
	var names []string
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("multipart %q: %v", c.Encoded, err)
		}
		body, _ := io.ReadAll(p)
		_, disp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if err != nil {
			t.Fatalf("part header %q: %v", p.Header.Get("Content-Disposition"), err)
		}
		names = append(names, disp["name"])
		switch disp["name"] {
		case "file":
			if disp["filename"] != at["f"] || !bytes.Equal(body, file) {
				t.Fatalf("file part %q with %x, want %q with %x", disp["filename"], body, at["f"], file)
			}
		case "note":
			if string(body) != at["a"] {
				t.Fatalf("note part %q, want %q", body, at["a"])
			}
		case "meta":
			var m map[string]string
			if err := json.Unmarshal(body, &m); err != nil || m["name"] != at["f"] {
				t.Fatalf("meta part %q (%v), want name %q", body, err, at["f"])
			}
		}
	}
	if len(names) != 3 || names[0] != "file" || names[1] != "note" || names[2] != "meta" {
		t.Fatalf("parts %q, want file, note, meta", names)
	}
}
