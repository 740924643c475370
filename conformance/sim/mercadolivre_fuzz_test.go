package sim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rotahq/rota/engine/fiscal"
)

// FuzzNFeKeyOf: the NF-e import's XML reader never panics, and a key it
// returns is a valid access key.
func FuzzNFeKeyOf(f *testing.F) {
	const key = "52060433009911002506550120000007800267301615"
	f.Add([]byte(`<nfeProc><NFe><infNFe Id="NFe` + key + `"/></NFe><protNFe><infProt><chNFe>` + key + `</chNFe></infProt></protNFe></nfeProc>`))
	f.Add([]byte(`<nfeProc/>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><nfeProc><chNFe>&a;</chNFe></nfeProc>`))
	f.Add([]byte(`<nfeProc><chNFe>` + key + `<x/>1</chNFe></nfeProc>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := nfeKeyOf(doc)
		switch {
		case err == nil && fiscal.CheckNFeKey(got) != nil:
			t.Fatalf("returned an invalid key %q", got)
		case err != nil && got != "":
			t.Fatalf("returned key %q with error %v", got, err)
		}
	})
}

// FuzzMercadoLivreNotification: a seller notification body is either
// refused or one of the documented pairs with a valid date.
func FuzzMercadoLivreNotification(f *testing.F) {
	f.Add([]byte(`{"payload": {"comment": "x", "date": "2020-03-06T16:17:51.175-04:00"}, "status": "delivered", "substatus": "null"}`))
	f.Add([]byte(`{"payload": {"service_id": 154, "comment": "x", "date": "2023-01-16T13:03:51.175-04:00"}, "tracking_number": "T", "status": "shipped", "substatus": null}`))
	f.Add([]byte(`{"payload": [], "status": 1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := decodeJSON(body)
		m, ok := object(v)
		if err != nil || !ok {
			return
		}
		n, pair, e := mlCheckNotification(m)
		if e != nil {
			return
		}
		if _, known := mlNotices[n.Status+"/"+n.Substatus]; !known || pair.to == "" {
			t.Fatalf("accepted %s/%s, not a documented pair", n.Status, n.Substatus)
		}
		if _, err := time.Parse(time.RFC3339, n.Date); err != nil {
			t.Fatalf("accepted date %q", n.Date)
		}
	})
}

// FuzzMiraklUpload: OR74's multipart reader never panics, and a body it
// takes pairs every file with exactly one entry.
func FuzzMiraklUpload(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"order_documents\"\r\n\r\n{\"order_documents\": [{\"file_name\": \"a.pdf\", \"type_code\": \"CUSTOMER_INVOICE\"}]}\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\xc3\xa7.pdf\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/orders/X/documents", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		up, e := mklReadUpload(httptest.NewRecorder(), r)
		if e != nil {
			return
		}
		if len(up.entries) == 0 || len(up.files) == 0 {
			t.Fatal("accepted an upload without entries or files")
		}
		for _, entry := range up.entries {
			name, _ := entry["file_name"].(string)
			if _, ok := up.files[name]; !ok || !mklASCII(name) {
				t.Fatalf("entry %q has no file, or a name that is not US-ASCII", name)
			}
		}
	})
}
