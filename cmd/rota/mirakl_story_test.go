package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
)

// miraklStory is the Mirakl order's story of docs/simulator.md.
var miraklStory = []string{"created", "accepted", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"}

// miraklNFe is the file name OR74 gives the NF-e of examples/events/mirakl/invoiced.json.
const miraklNFe = "nfe-35240611222333000181550010000123451123456780.xml"

// miraklSend sends files of the Mirakl story to srv, with the NF-e's
// document type set (--var invoiceDocumentType=CUSTOMER_INVOICE) as
// docs/simulator.md says to upload it.
func miraklSend(t *testing.T, srv *httptest.Server, files ...string) outcome {
	t.Helper()
	args := []string{"send", "--base-url", srv.URL + "/mirakl", "--secrets", "../../examples/sim.secrets",
		"--var", "instanceUrl=https://example-prod.mirakl.net", "--var", "invoiceDocumentType=CUSTOMER_INVOICE"}
	for _, f := range files {
		args = append(args, "../../examples/events/mirakl/"+f+".json")
	}
	return rota(t, "", args...)
}

// miraklDocuments reads the documents of the simulator's Mirakl order
// Order_00012-B from its admin view.
func miraklDocuments(t *testing.T, base string) []map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/_sim/orders/mirakl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var view struct {
		Orders []struct {
			ID        string           `json:"id"`
			Documents []map[string]any `json:"documents"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(body, &view); err != nil {
		t.Fatalf("admin answer %s: %v", body, err)
	}
	for _, o := range view.Orders {
		if o.ID == "Order_00012-B" {
			return o.Documents
		}
	}
	t.Fatalf("the simulator has no order Order_00012-B: %s", body)
	return nil
}

// TestMiraklStoryUploadsInvoice: with invoiceDocumentType set, on an
// instance whose document type takes XML (rota sim --option
// mirakl.fileExtensions=pdf,xml), the Mirakl story uploads the NF-e with
// OR74 once, even when an answer is lost (OR72 reads it back before any
// second upload); on the documented instance, whose OR74 list has no XML,
// the upload is refused with Mirakl's code and the story stops there.
func TestMiraklStoryUploadsInvoice(t *testing.T) {
	takesXML := sim.MiraklOptions{FileExtensions: []string{"pdf", "xml"}}
	documents := "/api/orders/Order_00012-B/documents"
	tests := []struct {
		name        string
		opts        sim.MiraklOptions
		fault       *sim.Fault
		wantCode    int
		wantInvoice string // the outcome of invoiced.json
		confirmedBy string // how the upload's delivery was established
		wantDocs    int
	}{
		{name: "uploaded", opts: takesXML, wantCode: exitOK, wantInvoice: "delivered", wantDocs: 1},
		{name: "answer lost after the upload: read back, not sent again", opts: takesXML,
			fault:    &sim.Fault{Marketplace: sim.Mirakl, Path: documents, DropAfter: true, Times: 1},
			wantCode: exitOK, wantInvoice: "delivered", confirmedBy: "readBack", wantDocs: 1},
		{name: "connection lost before the upload: read back, then sent", opts: takesXML,
			fault:    &sim.Fault{Marketplace: sim.Mirakl, Path: documents, Drop: true, Times: 1},
			wantCode: exitOK, wantInvoice: "delivered", wantDocs: 1},
		{name: "the documented instance takes no XML", wantCode: exitRefused, wantInvoice: "refused", wantDocs: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := sim.Options{NapseLag: &sim.Lag{}, Mirakl: tt.opts}
			if tt.fault != nil {
				o.Faults = []sim.Fault{*tt.fault}
			}
			srv := httptest.NewServer(sim.New(o).Handler())
			t.Cleanup(srv.Close)
			res := miraklSend(t, srv, miraklStory...)
			res.wantCode(t, tt.wantCode)
			var reports []map[string]any
			dec := json.NewDecoder(strings.NewReader(res.stdout))
			for dec.More() {
				var r map[string]any
				if err := dec.Decode(&r); err != nil {
					t.Fatalf("stdout is not a series of JSON reports: %v\n%s", err, res.stdout)
				}
				reports = append(reports, r)
			}
			if len(reports) < 5 {
				t.Fatalf("got %d reports, want at least 5 (up to invoiced.json):\n%s", len(reports), res.stdout)
			}
			inv := reports[4]
			if got := inv["outcome"]; got != tt.wantInvoice {
				t.Errorf("invoiced.json: outcome %v, want %s\n%s", got, tt.wantInvoice, res.stdout)
			}
			calls, _ := inv["calls"].([]any)
			if len(calls) != 1 {
				t.Fatalf("invoiced.json: %d calls, want the OR74 upload", len(calls))
			}
			call, _ := calls[0].(map[string]any)
			if call["name"] != "documents" {
				t.Errorf("invoiced.json: call %v, want documents", call["name"])
			}
			if tt.confirmedBy != "" && call["confirmedBy"] != tt.confirmedBy {
				t.Errorf("invoiced.json: confirmedBy %v, want %s\n%s", call["confirmedBy"], tt.confirmedBy, res.stdout)
			}
			if tt.wantInvoice == "refused" {
				if call["marketplaceCode"] != "valid_order_document.file_name" {
					t.Errorf("refusal code %v, want valid_order_document.file_name", call["marketplaceCode"])
				}
				if len(reports) != 5 {
					t.Errorf("got %d reports, want the story stopped at invoiced.json", len(reports))
				}
			}
			docs := miraklDocuments(t, srv.URL)
			if len(docs) != tt.wantDocs {
				t.Fatalf("%d documents on the order, want %d: %v", len(docs), tt.wantDocs, docs)
			}
			for _, d := range docs {
				if d["file_name"] != miraklNFe || d["type"] != "CUSTOMER_INVOICE" {
					t.Errorf("document %v, want %s typed CUSTOMER_INVOICE", d, miraklNFe)
				}
			}
			if tt.wantCode == exitOK {
				if got := simStatuses(t, srv.URL, "mirakl")["Order_00012-B"]; got != "SHIPPED" {
					t.Errorf("order is %q, want SHIPPED", got)
				}
			}
		})
	}
}
