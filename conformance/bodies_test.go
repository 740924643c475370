package conformance

import (
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

func TestCompareBodiesThatAreNotJSON(t *testing.T) {
	call := engine.Call{Name: "documents", Encoded: []byte("--b..."), ContentType: "multipart/form-data; boundary=b", BodyText: "--b...",
		Parts: []engine.Part{
			{Name: "files", Filename: "nfe.xml", ContentType: "application/xml", Content: []byte("<nfe/>")},
			{Name: "meta", ContentType: "application/json", Content: []byte(`{"a":1,"b":{"c":"d"}}`), JSON: true},
			{Name: "bin", ContentType: "application/octet-stream", Content: []byte{0xff}},
		}}
	act := map[string]any{"calls": []any{callDoc(call)}}
	tests := []struct {
		name   string
		exp    string
		subset bool
		equal  bool
	}{
		{"part fields not given are not compared", `{"calls": [{"parts": [{"name": "files"}, {"name": "meta"}, {"name": "bin"}]}]}`, false, true},
		{"text, json and base64", `{"calls": [{"parts": [{"text": "<nfe/>"}, {"json": {"a": 1.0, "b": {"c": "d"}}}, {"base64": "/w=="}]}]}`, false, true},
		{"text differs", `{"calls": [{"parts": [{"text": "<nfe />"}, {}, {}]}]}`, false, false},
		{"file name differs", `{"calls": [{"parts": [{"filename": "x.xml"}, {}, {}]}]}`, false, false},
		{"part missing", `{"calls": [{"parts": [{"name": "files"}, {"name": "meta"}]}]}`, false, false},
		{"exact json, key missing", `{"calls": [{"parts": [{}, {"json": {"a": 1}}, {}]}]}`, false, false},
		{"subset json", `{"calls": [{"parts": [{}, {"json": {"b": {"c": "d"}}}, {}]}]}`, true, true},
		{"body text and content type", `{"calls": [{"contentType": "multipart/form-data; boundary=b", "bodyText": "--b..."}]}`, false, true},
		{"body text differs", `{"calls": [{"bodyText": "--c..."}]}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := decodeJSON([]byte(tt.exp))
			if err != nil {
				t.Fatal(err)
			}
			exp := e.(map[string]any)
			if got := equalJSON(exp, project(exp, act, tt.subset)); got != tt.equal {
				t.Errorf("equal = %v, want %v (projected %v)", got, tt.equal, project(exp, act, tt.subset))
			}
		})
	}
}

func TestJSONPartsAreCheckedAgainstTheirSchema(t *testing.T) {
	s, err := jsonschema.CompileString("part.json", `{"type": "object", "required": ["order_documents"]}`)
	if err != nil {
		t.Fatal(err)
	}
	m := &mappingUnit{id: "example", requestSchemas: map[string]*jsonschema.Schema{"documents.meta": s}}
	call := func(meta string) engine.Call {
		return engine.Call{Name: "documents", Encoded: []byte("x"), Parts: []engine.Part{
			{Name: "files", ContentType: "application/xml", Content: []byte("<nfe/>")},
			{Name: "meta", ContentType: "application/json", Content: []byte(meta), JSON: true},
		}}
	}
	if msg := m.validateBody(call(`{"order_documents": []}`)); msg != "" {
		t.Errorf("a valid part: %q, want no problem", msg)
	}
	msg := m.validateBody(call(`{"documents": []}`))
	if !strings.Contains(msg, "part meta breaks marketplaces/example/documents.meta.request.schema.json") {
		t.Errorf("an invalid part: %q, want it named with its schema", msg)
	}
}
