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
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
)

// bodiesMapping sends an invoiced event three ways: the NF-e XML as a raw
// body, a form, and a multipart upload with a file part, a JSON part and a
// conditional part.
const bodiesMapping = `marketplace: example
name: Example
timezone: America/Sao_Paulo
variables:
  shopId: {optional: true}
  code: {optional: true}
  blob: {optional: true}
  mode: {default: text}
environments:
  production:
    baseUrl: https://api.example.com
headers:
  Accept: application/json
  Content-Type: application/json
statuses:
  invoiced: {canonical: invoiced}
events:
  order.invoiced:
    calls:
      - name: nfe
        method: POST
        path: /shipments/{order.marketplaceOrderId}/invoice_data
        raw:
          contentType: application/xml
          content: ${ invoice.xml }
          decode: base64
      - name: login
        method: POST
        path: /oauth/token
        form:
          grant_type: refresh_token
          code?: ${ vars.code }
          dropped: null
          note: NF ${ invoice.number } & série ${ invoice.series }
          attr?: ${ order.attributes.missing }
      - name: documents
        method: POST
        path: /orders/{order.marketplaceOrderId}/documents
        multipart:
          - name: files
            filename: "nfe-${ invoice.key }.xml"
            contentType: application/xml
            content: ${ invoice.xml }
            decode: base64
          - name: order_documents
            json:
              order_documents: [{file_name: "nfe-${ invoice.key }.xml", type_code: "NFE"}]
          - name: shop_id
            content: ${ vars.shopId }
            when: has(vars.shopId)
  order.shipped:
    otherwise: {ignore: no such mode}
    calls:
      - name: blob
        when: vars.mode == "text"
        method: PUT
        path: /blob
        headers:
          Content-Type: text/xml
        raw:
          contentType: application/octet-stream
          content: ${ vars.blob }
      - name: blob64
        when: vars.mode == "base64"
        method: PUT
        path: /blob64
        raw:
          contentType: application/octet-stream
          content: ${ vars.blob }
          decode: base64
`

const nfeXML = `<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00"><NFe><infNFe Id="NFe52060433009911002506550120000007800267301615"/></NFe></nfeProc>`

func bodiesEngine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Load(fstest.MapFS{"example.yaml": {Data: []byte(bodiesMapping)}})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return e
}

func invoicedEvent(t testing.TB, xmlB64 string) []byte {
	t.Helper()
	ev := map[string]any{
		"specVersion": "1.0", "id": "evt-1", "type": "order.invoiced", "occurredAt": "2024-05-10T10:00:00-03:00",
		"marketplace": "example",
		"order":       map[string]any{"id": "ERP-1", "marketplaceOrderId": "A-1"},
		"invoice": map[string]any{"key": "52060433009911002506550120000007800267301615", "number": "780", "series": "12",
			"issuedAt": "2024-05-10T09:00:00-03:00", "xml": xmlB64},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func translateBodies(t *testing.T, raw []byte, vars map[string]string) *engine.Result {
	t.Helper()
	res, err := bodiesEngine(t).Translate(raw, engine.TranslateOptions{Vars: vars})
	if err != nil {
		t.Fatalf("translate: %v", err)
	}
	return res
}

func callNamed(t *testing.T, res *engine.Result, name string) engine.Call {
	t.Helper()
	for _, c := range res.Calls {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no call %s in %+v", name, res.Calls)
	return engine.Call{}
}

func TestRawBodyIsTheDecodedXML(t *testing.T) {
	for _, tc := range []struct{ name, b64 string }{
		{"padded", base64.StdEncoding.EncodeToString([]byte(nfeXML))},
		{"unpadded", base64.RawStdEncoding.EncodeToString([]byte(nfeXML))},
		{"wrapped at 76 columns", wrap76(base64.StdEncoding.EncodeToString([]byte(nfeXML)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := callNamed(t, translateBodies(t, invoicedEvent(t, tc.b64), nil), "nfe")
			if string(c.Encoded) != nfeXML || string(c.BodyBytes()) != nfeXML {
				t.Errorf("body %q, want the decoded XML %q", c.Encoded, nfeXML)
			}
			if c.Body != nil {
				t.Errorf("Body = %s, want nil for a raw body", c.Body)
			}
			if c.BodyText != nfeXML || c.BodyBase64 != "" {
				t.Errorf("bodyText %q, bodyBase64 %q; want the XML as text", c.BodyText, c.BodyBase64)
			}
			if got := c.Headers.Get("Content-Type"); got != "application/xml" || c.ContentType != "application/xml" {
				t.Errorf("Content-Type header %q, contentType %q; want application/xml (not the mapping's application/json)", got, c.ContentType)
			}
			if got, _ := json.Marshal(c.Headers); string(got) != `{"Accept":"application/json","Content-Type":"application/xml"}` {
				t.Errorf("headers %s, want the mapping's Accept and the raw body's Content-Type only", got)
			}
		})
	}
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s
}

func TestFormKeepsOrderAndLeavesOutOptionalKeys(t *testing.T) {
	raw := invoicedEvent(t, base64.StdEncoding.EncodeToString([]byte(nfeXML)))
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"optional variable unset", nil, "grant_type=refresh_token&note=NF+780+%26+s%C3%A9rie+12"},
		{"optional variable set", map[string]string{"code": "a b/c"}, "grant_type=refresh_token&code=a+b%2Fc&note=NF+780+%26+s%C3%A9rie+12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := callNamed(t, translateBodies(t, raw, tc.vars), "login")
			if c.BodyText != tc.want || string(c.Encoded) != tc.want {
				t.Errorf("form %q, want %q", c.Encoded, tc.want)
			}
			if got := c.Headers.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q, want application/x-www-form-urlencoded", got)
			}
			vals, err := url.ParseQuery(c.BodyText)
			if err != nil || vals.Get("note") != "NF 780 & série 12" {
				t.Errorf("parsed note %q (%v), want the text back", vals.Get("note"), err)
			}
		})
	}
}

type parsedPart struct {
	name, filename, contentType, content string
}

// readMultipart parses a multipart body with the boundary of its content
// type, as a server would.
func readMultipart(t testing.TB, contentType string, body []byte) []parsedPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out []parsedPart
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("multipart: %v in %q", err, body)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parsedPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)})
	}
}

func TestMultipartHasFileJSONAndConditionalParts(t *testing.T) {
	raw := invoicedEvent(t, base64.StdEncoding.EncodeToString([]byte(nfeXML)))
	file := parsedPart{"files", "nfe-52060433009911002506550120000007800267301615.xml", "application/xml", nfeXML}
	docs := parsedPart{"order_documents", "", "application/json", `{"order_documents":[{"file_name":"nfe-52060433009911002506550120000007800267301615.xml","type_code":"NFE"}]}`}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []parsedPart
	}{
		{"when false: part left out", nil, []parsedPart{file, docs}},
		{"when true: part sent", map[string]string{"shopId": "4711"}, []parsedPart{file, docs, {"shop_id", "", "text/plain; charset=utf-8", "4711"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := callNamed(t, translateBodies(t, raw, tc.vars), "documents")
			if got := readMultipart(t, c.ContentType, c.Encoded); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parts\n got %q\nwant %q", got, tc.want)
			}
			if c.Headers.Get("Content-Type") != c.ContentType || !strings.HasPrefix(c.ContentType, "multipart/form-data; boundary=rota-") {
				t.Errorf("Content-Type header %q, contentType %q; want the same multipart/form-data with its boundary", c.Headers.Get("Content-Type"), c.ContentType)
			}
			if len(c.Parts) != len(tc.want) || !c.Parts[1].JSON || c.Parts[0].Filename != file.filename {
				t.Errorf("Parts = %+v, want %d parts, the second JSON", c.Parts, len(tc.want))
			}
			again := callNamed(t, translateBodies(t, raw, tc.vars), "documents")
			if !bytes.Equal(again.Encoded, c.Encoded) {
				t.Error("the same event gave two different multipart bodies; the boundary must be derived from the content")
			}
		})
	}
	other := callNamed(t, translateBodies(t, invoicedEvent(t, base64.StdEncoding.EncodeToString([]byte(nfeXML+" "))), nil), "documents")
	first := callNamed(t, translateBodies(t, raw, nil), "documents")
	if other.ContentType == first.ContentType {
		t.Errorf("two different documents got the same boundary %q", first.ContentType)
	}
}

func TestPartsEncodeForPeople(t *testing.T) {
	c := callNamed(t, translateBodies(t, invoicedEvent(t, base64.StdEncoding.EncodeToString([]byte(nfeXML))), nil), "documents")
	got, err := json.Marshal(c.Parts)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"files","filename":"nfe-52060433009911002506550120000007800267301615.xml","contentType":"application/xml","text":` +
		string(mustMarshal(t, nfeXML)) + `},{"name":"order_documents","contentType":"application/json","json":{"order_documents":[{"file_name":"nfe-52060433009911002506550120000007800267301615.xml","type_code":"NFE"}]}}]`
	if string(got) != want {
		t.Errorf("parts JSON\n got %s\nwant %s", got, want)
	}
	bin, _ := json.Marshal(engine.Part{Name: "f", ContentType: "application/octet-stream", Content: []byte{0xff, 0x00}})
	if string(bin) != `{"name":"f","contentType":"application/octet-stream","base64":"/wA="}` {
		t.Errorf("binary part %s, want its bytes in base64", bin)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadBase64IsRefused(t *testing.T) {
	for _, tc := range []struct{ name, xml string }{
		{"not the alphabet", "PG5m*ZVBy"},
		{"url-safe alphabet", base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe})},
		{"a lone byte", "PG5mZ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The canonical schema refuses invoice.xml that is not base64
			// (bad_value); skipping validation, the body refuses it itself.
			_, err := bodiesEngine(t).Translate(invoicedEvent(t, tc.xml), engine.TranslateOptions{SkipValidation: true})
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *engine.Error", err)
			}
			if e.Kind != engine.KindInvalidEvent || e.Code != engine.CodeBadBase64 || e.Path != "/invoice/xml" {
				t.Errorf("got %s/%s at %q, want invalid_event/bad_base64 at /invoice/xml", e.Kind, e.Code, e.Path)
			}
			if !strings.HasPrefix(e.Source.String(), "example.yaml:25:") || !strings.Contains(e.Message, "invoice.xml is not valid base64") {
				t.Errorf("source %q, message %q; want the raw content's position and the field named", e.Source, e.Message)
			}
		})
	}
}

const shippedEvent = `{"specVersion": "1.0", "id": "evt-1", "type": "order.shipped", "occurredAt": "2024-05-10T10:00:00-03:00",
 "marketplace": "example", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1"}, "items": [{"sku": "S", "quantity": 1}],
 "shipment": {"carrier": "Correios", "trackingCode": "BR1"}}`

func TestNonJSONBodySizeLimit(t *testing.T) {
	e := bodiesEngine(t)
	atLimit := strings.Repeat("a", engine.MaxBodyBytes-3) + "\u00e9Z" // 1 MiB of text exactly
	for _, tc := range []struct {
		name, mode, call, blob string
		wantOK                 bool
	}{
		{"text at the limit", "text", "blob", atLimit, true},
		{"text one byte past", "text", "blob", atLimit + "b", false},
		// 1 MiB decoded is 1.33 MiB of base64: the bytes sent count, not the text.
		{"decoded at the limit", "base64", "blob64", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfe}, engine.MaxBodyBytes)), true},
		{"decoded one byte past", "base64", "blob64", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfe}, engine.MaxBodyBytes+1)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Translate([]byte(shippedEvent), engine.TranslateOptions{Vars: map[string]string{"blob": tc.blob, "mode": tc.mode}})
			if tc.wantOK {
				if err != nil {
					t.Fatalf("err = %v, want the body sent", err)
				}
				if c := callNamed(t, res, tc.call); len(c.Encoded) != engine.MaxBodyBytes {
					t.Errorf("body of %d bytes, want %d", len(c.Encoded), engine.MaxBodyBytes)
				}
				return
			}
			var te *engine.Error
			if !errors.As(err, &te) || te.Code != engine.CodeCallBodyTooLarge || te.Kind != engine.KindConfiguration {
				t.Fatalf("err = %v, want configuration/call_body_too_large (the value comes from a variable)", err)
			}
			if !strings.Contains(te.Message, "1048576 bytes") || te.Source.IsZero() {
				t.Errorf("message %q, source %q; want the limit and the mapping position", te.Message, te.Source)
			}
		})
	}
}

func TestBinaryBodyIsShownInBase64(t *testing.T) {
	res := translateBodies(t, []byte(shippedEvent), map[string]string{"blob": "/wD+", "mode": "base64"})
	c := callNamed(t, res, "blob64")
	if !bytes.Equal(c.Encoded, []byte{0xff, 0x00, 0xfe}) || c.BodyText != "" || c.BodyBase64 != "/wD+" {
		t.Errorf("encoded %x, bodyText %q, bodyBase64 %q; want ff00fe shown as /wD+", c.Encoded, c.BodyText, c.BodyBase64)
	}
}

func TestCallContentTypeHeaderOverridesTheEncoding(t *testing.T) {
	res := translateBodies(t, []byte(shippedEvent), map[string]string{"blob": "PGEvPg=="})
	if got := callNamed(t, res, "blob").Headers.Get("Content-Type"); got != "text/xml" {
		t.Errorf("blob: Content-Type %q, want the call's own text/xml", got)
	}
	res = translateBodies(t, []byte(shippedEvent), map[string]string{"blob": "PGEvPg==", "mode": "base64"})
	if got := callNamed(t, res, "blob64").Headers.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("blob64: Content-Type %q, want the raw body's application/octet-stream", got)
	}
}

func TestJSONBodyOutputUnchanged(t *testing.T) {
	res, err := acme(t).Translate(baseEvent(t), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"contentType", "bodyText", "bodyBase64", "parts"} {
		if bytes.Contains(out, []byte(`"`+key+`"`)) {
			t.Errorf("a JSON body's output has %q: %s", key, out)
		}
	}
}

func TestAtMostOneBody(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"body and raw", "        raw:\n          contentType: application/xml\n", "        body: {a: 1}\n        raw:\n          contentType: application/xml\n",
			"example.yaml:24:9: error: schema: a call has at most one of body, raw, form and multipart; this one has body and raw"},
		{"form and multipart", "        form:\n", "        multipart: [{name: a, content: b}]\n        form:\n",
			"example.yaml:30:9: error: schema: a call has at most one of body, raw, form and multipart; this one has form and multipart"},
		{"part with content and json", "            content: ${ vars.shopId }\n", "            content: ${ vars.shopId }\n            json: {a: 1}\n",
			"example.yaml:48:13: error: schema: part \"shop_id\" must have exactly one of content (text) and json"},
		{"a query with a form", "statuses:\n", "queries:\n  q:\n    method: POST\n    path: /q\n    form: {a: b}\nstatuses:\n",
			"example.yaml:19:5: error: schema: a query sends a JSON body or none; form is for calls of events"},
		{"bad content type", "contentType: application/xml\n          content: ${ invoice.xml }", "contentType: application/xml; =x\n          content: ${ invoice.xml }",
			"example.yaml:24:24: error: bad_template: content type \"application/xml; =x\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(bodiesMapping, tc.from, tc.to, 1)
			if src == bodiesMapping {
				t.Fatal("edit did not apply")
			}
			_, _, ds := engine.LoadMapping("example.yaml", []byte(src))
			if !strings.Contains(ds.Error(), tc.want) {
				t.Errorf("findings:\n%v\nwant one starting %q", ds, tc.want)
			}
		})
	}
}

// BenchmarkBodies translates the invoiced event whose calls send a raw, a
// form and a multipart body, against the acme JSON body as the baseline.
func BenchmarkBodies(b *testing.B) {
	jsonEngine := acme(b)
	jsonEvent := baseEvent(b)
	bodies := bodiesEngine(b)
	event := invoicedEvent(b, base64.StdEncoding.EncodeToString([]byte(nfeXML)))
	for _, bc := range []struct {
		name string
		e    *engine.Engine
		raw  []byte
	}{{"json-baseline", jsonEngine, jsonEvent}, {"raw-form-multipart", bodies, event}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.e.Translate(bc.raw, engine.TranslateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
