package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine/durable"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// lifecycle is one order's events, in the order the ERP posts them, and
// where the simulator must leave the order.
type lifecycle struct {
	marketplace string
	orderID     string
	// simID is the id the simulator keeps the order under (Dafiti: an
	// order item).
	simID  string
	events []string
	// edit adjusts an example event to the order (Dafiti: its items).
	edit func(t testing.TB, name string, raw []byte) []byte
	// wantSim is the simulator's final status of the order.
	wantSim string
	// wantStatus and wantMarketplaceStatus are the order as the service
	// keeps it.
	wantStatus, wantMarketplaceStatus string
	// check, when set, checks more of what the simulator holds at the end.
	check func(t *testing.T, f *fixture, orderID string)
}

// The Mirakl instance the fixtures simulate takes XML order documents and
// the deployment sets the NF-e's document type (invoiceDocumentType), so
// order.invoiced uploads the NF-e with OR74. The documented OR74 list has
// no XML; an operator that wants the NF-e XML accepts it.
var miraklTakingXML = sim.MiraklOptions{FileExtensions: []string{"pdf", "xml"}}

const miraklInvoiceType = "CUSTOMER_INVOICE"

var lifecycles = []lifecycle{
	{
		marketplace: "skyhub", orderID: "Lojas Americanas-7700000000001", simID: "Lojas Americanas-7700000000001",
		events:  []string{"approved", "invoiced", "shipped", "delivered"},
		wantSim: "complete", wantStatus: "delivered", wantMarketplaceStatus: "complete",
	},
	{
		marketplace: "dafiti", orderID: "204577001", simID: "123456",
		events: []string{"approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"},
		edit: func(t testing.TB, name string, raw []byte) []byte {
			if name != "ready_to_ship" {
				return raw
			}
			items := gjson.GetBytes(readExample(t, "dafiti", "shipped"), "items").Raw
			out, err := sjson.SetRawBytes(raw, "items", []byte(items))
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		wantSim: "delivered", wantStatus: "delivered", wantMarketplaceStatus: "delivered",
	},
	{
		marketplace: "fastshop", orderID: "977000001", simID: "977000001",
		events: []string{"approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"},
		// The hub keeps "invoiced" after the delivery; the order's canonical
		// status is the one the last event leaves it in.
		wantSim: "invoiced", wantStatus: "delivered", wantMarketplaceStatus: "invoiced",
	},
	{
		// Mirakl: OR21 accepts (the simulated operator debits at once, so
		// the order is SHIPPING), OR74 uploads the NF-e as an order
		// document, OR23 and OR24 ship; the reception is the
		// customer's or the operator's: order.delivered is ignored, and the
		// order stays shipped (ignored events do not move it).
		marketplace: "mirakl", orderID: "Order_77001-A", simID: "Order_77001-A",
		events: []string{"accepted", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"},
		edit: func(t testing.TB, _ string, raw []byte) []byte {
			if !gjson.GetBytes(raw, "items").Exists() {
				return raw
			}
			out, err := sjson.SetBytes(raw, "items.0.marketplaceItemId", "Order_77001-A-1")
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		wantSim: "SHIPPED", wantStatus: "shipped", wantMarketplaceStatus: "SHIPPED",
		check: checkMiraklInvoiceDocument,
	},
	{
		// The simulated BRIDGE starts an order it has never seen at open.
		marketplace: "napse", orderID: "PEYA_770001", simID: "bridge000001",
		events:  []string{"approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"},
		wantSim: "closed", wantStatus: "delivered", wantMarketplaceStatus: "closed",
	},
}

// TestLifecyclePerMarketplace: each marketplace's whole lifecycle, posted
// at once to /v1/events without any order status (the service fills it
// from what it delivered), ends with the simulator's order in its final
// status and every event delivered or ignored, in order.
func TestLifecyclePerMarketplace(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		f := newFixture(t, fixtureOptions{db: db})
		for _, lc := range lifecycles {
			t.Run(lc.marketplace, func(t *testing.T) {
				var ids []string
				for _, name := range lc.events {
					id := fmt.Sprintf("evt-life-%s-%s", lc.marketplace, name)
					raw := event(t, lc.marketplace, name, id, lc.orderID)
					if lc.edit != nil {
						raw = lc.edit(t, name, raw)
					}
					a := f.post("/v1/events", raw)
					if a.status != http.StatusAccepted && a.status != http.StatusOK {
						t.Fatalf("POST %s: %d\n%s", name, a.status, a.body)
					}
					ids = append(ids, id)
				}
				states := f.waitSettled(t, 60*time.Second, ids...)
				for _, id := range ids {
					if s := states[id]; s != durable.Delivered && s != durable.Ignored {
						a := f.get("/v1/events/" + url.PathEscape(id))
						t.Errorf("event %s is %s, want delivered or ignored\n%s", id, s, a.body)
					}
				}
				if got := f.simStatus(lc.marketplace, lc.simID); got != lc.wantSim {
					t.Errorf("simulator has the order at %q, want %q", got, lc.wantSim)
				}
				a := f.get("/v1/orders/" + lc.marketplace + "/" + url.PathEscape(lc.orderID))
				if a.status != http.StatusOK {
					t.Fatalf("GET order: %d\n%s", a.status, a.body)
				}
				var ord durable.OrderRecord
				if err := json.Unmarshal(a.body, &ord); err != nil {
					t.Fatal(err)
				}
				if ord.Status != lc.wantStatus || ord.MarketplaceStatus != lc.wantMarketplaceStatus {
					t.Errorf("order status %q/%q, want %q/%q", ord.Status, ord.MarketplaceStatus, lc.wantStatus, lc.wantMarketplaceStatus)
				}
				if len(ord.Timeline) != len(ids) {
					t.Fatalf("timeline has %d events, want %d", len(ord.Timeline), len(ids))
				}
				for i, e := range ord.Timeline {
					if e.EventID != ids[i] {
						t.Errorf("timeline[%d] is %s, want %s", i, e.EventID, ids[i])
					}
				}
				if lc.check != nil {
					lc.check(t, f, lc.orderID)
				}
			})
		}
	})
}

// readExample reads examples/events/MARKETPLACE/NAME.json.
func readExample(t testing.TB, marketplace, name string) []byte {
	t.Helper()
	return event(t, marketplace, name, "x", "x")
}

// simStatus is the simulator's status of an order (Dafiti: order item).
func (f *fixture) simStatus(marketplace, id string) string {
	f.t.Helper()
	v := f.simOrders(marketplace)
	b, _ := json.Marshal(v)
	for _, list := range []string{"orders", "orderItems"} {
		for _, o := range gjson.GetBytes(b, list).Array() {
			if o.Get("id").String() == id {
				return o.Get("status").String()
			}
		}
	}
	return ""
}

// checkMiraklInvoiceDocument: the NF-e XML of the invoiced example is on
// the Mirakl order, once, as OR72 lists it (the marketplace's own view) and
// as the simulator's admin view shows it, with the document type the
// deployment set and the decoded file's size.
func checkMiraklInvoiceDocument(t *testing.T, f *fixture, orderID string) {
	t.Helper()
	ev := readExample(t, "mirakl", "invoiced")
	name := "nfe-" + gjson.GetBytes(ev, "invoice.key").String() + ".xml"
	xml, err := base64.StdEncoding.DecodeString(gjson.GetBytes(ev, "invoice.xml").String())
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, f.simURL+"/mirakl/api/orders/documents?order_ids="+url.QueryEscape(orderID), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", sim.DefaultSecrets()["ROTA_SECRET_MIRAKL_APIKEY"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OR72: %d\n%s", resp.StatusCode, body)
	}
	views := map[string]gjson.Result{"OR72": gjson.GetBytes(body, "order_documents")}
	admin, _ := json.Marshal(f.simOrders("mirakl"))
	for _, o := range gjson.GetBytes(admin, "orders").Array() {
		if o.Get("id").String() == orderID {
			views["admin view"] = o.Get("documents")
		}
	}
	for _, view := range []string{"OR72", "admin view"} {
		docs := views[view].Array()
		if len(docs) != 1 {
			t.Errorf("%s: %d documents on the order, want the NF-e once: %s", view, len(docs), views[view].Raw)
			continue
		}
		d := docs[0]
		if got := d.Get("file_name").String(); got != name {
			t.Errorf("%s: file_name %q, want %q", view, got, name)
		}
		if got := d.Get("type").String(); got != miraklInvoiceType {
			t.Errorf("%s: type %q, want %q", view, got, miraklInvoiceType)
		}
		if got := d.Get("file_size").Int(); got != int64(len(xml)) {
			t.Errorf("%s: file_size %d, want %d (the decoded NF-e XML)", view, got, len(xml))
		}
		if got := d.Get("order_id").String(); got != orderID {
			t.Errorf("%s: order_id %q, want %q", view, got, orderID)
		}
	}
}
