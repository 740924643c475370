package engine_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
	"github.com/rotahq/rota/engine/internal/handwritten"
)

// The hand-written baseline (engine/internal/handwritten) must give the same
// calls as the engine with the bundled mappings, byte for byte, and refuse
// the same broken events for the same reason: otherwise the benchmarks in
// bench_test.go would compare different work.

// exampleEvent reads examples/events/<mkt>/<event>.json and applies sjson
// edits (see edit).
func exampleEvent(t testing.TB, mkt, event string, edits ...any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "events", mkt, event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return edit(t, raw, edits...)
}

// hwValidNFeKey is a well-formed NF-e access key (check digit 6).
const hwValidNFeKey = "35240511222333000181550010000123451123456786"

// napseBaseURL is the installation's BRIDGE API the napse examples use.
const napseBaseURL = "https://200.100.100.100:8090"

// napseVars are the run-time variables the napse mapping needs.
var napseVars = map[string]string{"baseUrl": napseBaseURL}

// hwPair is one (marketplace, event) with its hand-written translation.
type hwPair struct {
	mkt, event string
	// edits turn the example event into the benchmarked one.
	edits []any
	// nCalls is how many calls the benchmarked event makes (0 means 1).
	nCalls int
	vars   map[string]string
	// The hand-written translation: one for a function that makes one
	// call, many for one that may make several; exactly one is set. The
	// tests (calls) and the benchmarks (run) both call it.
	one  func(raw []byte) (handwritten.Request, error)
	many func(raw []byte) ([]handwritten.Request, error)
	// variants are more events (edits of the benchmarked one) that must
	// translate the same way.
	variants []hwVariant
	// refusals are edits of the benchmarked event that both must refuse.
	refusals []hwRefusal
}

type hwVariant struct {
	name  string
	edits []any
}

type hwRefusal struct {
	name  string
	edits []any
	code  string
	// schemaOnly: only the engine's input validation catches it (the NF-e
	// check digit), so the engine without validation is not asked to refuse.
	schemaOnly bool
}

func (p hwPair) name() string { return p.mkt + "/" + p.event }

func (p hwPair) raw(t testing.TB, more ...any) []byte {
	t.Helper()
	return edit(t, exampleEvent(t, p.mkt, p.event, p.edits...), more...)
}

// calls runs the hand-written translation of raw, as the tests compare it.
func (p hwPair) calls(raw []byte) ([]handwritten.Request, error) {
	if p.many != nil {
		return p.many(raw)
	}
	r, err := p.one(raw)
	if err != nil {
		return nil, err
	}
	return []handwritten.Request{r}, nil
}

// run is the hand-written translation of raw as the benchmarks time it:
// called the way a caller would, without wrapping its result (no
// allocation that the hand-written code does not make).
func (p hwPair) run(raw []byte) func() error {
	if many := p.many; many != nil {
		return func() error { _, err := many(raw); return err }
	}
	one := p.one
	return func() error { _, err := one(raw); return err }
}

func hwNapseShipped(raw []byte) (handwritten.Request, error) {
	return handwritten.NapseShipped(raw, napseBaseURL)
}

func hwNapseDelivered(raw []byte) (handwritten.Request, error) {
	return handwritten.NapseDelivered(raw, napseBaseURL)
}

func hwNapseCanceled(raw []byte) (handwritten.Request, error) {
	return handwritten.NapseCanceled(raw, napseBaseURL)
}

// hwPairs are the main events of each marketplace, as benchmarked.
var hwPairs = []hwPair{
	{
		mkt: "skyhub", event: "invoiced",
		one: handwritten.SkyHubInvoiced,
		variants: []hwVariant{
			{"no issue date", []any{"invoice.issuedAt", nil}},
			{"issue date in UTC", []any{"invoice.issuedAt", "2023-03-10T15:30:00.5Z"}},
			{"status from order.status", []any{"order.marketplaceStatus", nil}},
			{"order id with slash", []any{"order.marketplaceOrderId", "LA/77 1"}},
		},
		refusals: []hwRefusal{
			{"from order_shipped", []any{"order.marketplaceStatus", "order_shipped"}, engine.CodeTransitionNotAllowed, false},
			{"from order_canceled", []any{"order.marketplaceStatus", "order_canceled"}, engine.CodeFinalStatus, false},
			{"no invoice key", []any{"invoice.key", nil}, engine.CodeMissingField, false},
			{"bad check digit", []any{"invoice.key", "52060433009911002506550120000007800267301614"}, engine.CodeNFeKeyCheckDigit, true},
		},
	},
	{
		mkt: "skyhub", event: "shipped",
		one: handwritten.SkyHubShipped,
		variants: []hwVariant{
			{"no optional tracking fields", []any{"shipment.service", nil, "shipment.trackingUrl", nil}},
			{"no shippedAt: occurredAt", []any{"shipment.shippedAt", nil, "occurredAt", "2023-03-11T02:10:00Z"}},
			{"several items", []any{"items.1", map[string]any{"sku": "2023002-AZ", "quantity": 3, "price": 100}}},
		},
		refusals: []hwRefusal{
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"from payment_received", []any{"order.marketplaceStatus", "payment_received"}, engine.CodeTransitionNotAllowed, false},
			{"from complete", []any{"order.marketplaceStatus", "complete"}, engine.CodeFinalStatus, false},
			{"no tracking code", []any{"shipment.trackingCode", nil}, engine.CodeMissingField, false},
		},
	},
	{
		mkt: "skyhub", event: "delivered",
		one: handwritten.SkyHubDelivered,
		variants: []hwVariant{
			{"late UTC is the previous day in São Paulo", []any{"delivery.deliveredAt", "2023-03-14T01:30:00Z"}},
			{"from shipment_exception", []any{"order.marketplaceStatus", "shipment_exception"}},
		},
		refusals: []hwRefusal{
			{"from order_invoiced", []any{"order.marketplaceStatus", "order_invoiced"}, engine.CodeTransitionNotAllowed, false},
			{"from complete", []any{"order.marketplaceStatus", "complete"}, engine.CodeFinalStatus, false},
			{"no delivery date", []any{"delivery.deliveredAt", nil}, engine.CodeMissingField, false},
		},
	},
	{
		mkt: "skyhub", event: "canceled",
		one: handwritten.SkyHubCanceled,
		variants: []hwVariant{
			{"from order_invoiced", []any{"order.marketplaceStatus", "order_invoiced"}},
			{"from book_product", []any{"order.marketplaceStatus", "book_product"}},
		},
		refusals: []hwRefusal{
			{"from complete", []any{"order.marketplaceStatus", "complete"}, engine.CodeFinalStatus, false},
			{"from order_shipped", []any{"order.marketplaceStatus", "order_shipped"}, engine.CodeTransitionNotAllowed, false},
			{"from order_canceled", []any{"order.marketplaceStatus", "order_canceled"}, engine.CodeFinalStatus, false},
		},
	},
	{
		mkt: "dafiti", event: "ready_to_ship",
		one: handwritten.DafitiReadyToShip,
		variants: []hwVariant{
			{"two items", []any{"items.1", map[string]any{"sku": "CAM-POLO-AZ-G", "marketplaceItemId": "9173", "quantity": 1, "price": 12990}}},
			{"no delivery type: dropship", []any{"shipment.deliveryType", nil}},
			{"pickup", []any{"shipment.deliveryType", "pickup"}},
			{"carrier is trimmed", []any{"shipment.carrier", " Total Express  "}},
		},
		refusals: []hwRefusal{
			{"no invoice", []any{"invoice", nil}, "invoice_key_required", false},
			{"no tracking code", []any{"shipment.trackingCode", nil}, "tracking_code_required", false},
			{"blank carrier", []any{"shipment.carrier", " "}, "carrier_required", false},
			{"item id with leading zero", []any{"items.0.marketplaceItemId", "09172"}, "order_item_id_required", false},
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"already ready to ship", []any{"order.marketplaceStatus", "ready_to_ship"}, engine.CodeTransitionNotAllowed, false},
			{"from canceled", []any{"order.marketplaceStatus", "canceled"}, engine.CodeFinalStatus, false},
			{"bad check digit", []any{"invoice.key", "35230942274696002561550060021990691319029091"}, engine.CodeNFeKeyCheckDigit, true},
		},
	},
	{
		// The example's items are still pending: two calls.
		mkt: "dafiti", event: "shipped",
		nCalls: 2,
		many:   handwritten.DafitiShipped,
		variants: []hwVariant{
			{"already ready to ship: one call", []any{"order.status", "ready_to_ship", "order.marketplaceStatus", "ready_to_ship", "invoice", nil}},
			{"pending from order.status handling", []any{"order.status", "handling", "order.marketplaceStatus", nil}},
			{"pending from order.status approved", []any{"order.status", "approved", "order.marketplaceStatus", nil}},
			{"pending from marketplace status", []any{"order.status", "approved", "invoice", map[string]any{"key": hwValidNFeKey}}},
			{"no delivery type: dropship", []any{"shipment.deliveryType", nil}},
			{"carrier is trimmed", []any{"shipment.carrier", "  Total Express "}},
		},
		refusals: []hwRefusal{
			{"pending without invoice key", []any{"invoice", nil}, "invoice_key_required", false},
			{"pending without tracking code", []any{"shipment.trackingCode", nil}, "tracking_code_required", false},
			{"pending with blank carrier", []any{"shipment.carrier", "  "}, "carrier_required", false},
			{"item id with leading zero", []any{"items.0.marketplaceItemId", "0123"}, "order_item_id_required", false},
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"no status", []any{"order.status", nil, "order.marketplaceStatus", nil}, "status_required", false},
			{"from canceled", []any{"order.status", "canceled", "order.marketplaceStatus", "canceled"}, engine.CodeFinalStatus, false},
			{"pending with bad check digit", []any{"invoice.key", "35240511222333000181550010000123451123456787"}, engine.CodeNFeKeyCheckDigit, true},
		},
	},
	{
		mkt: "dafiti", event: "canceled",
		one: handwritten.DafitiCanceled,
		variants: []hwVariant{
			{"one item", []any{"items.1", nil}},
			{"no detail", []any{"cancellation.detail", nil}},
		},
		refusals: []hwRefusal{
			{"customer request", []any{"cancellation.reason", "customer_request"}, "cancel_reason_not_accepted", false},
			{"from ready_to_ship", []any{"order.marketplaceStatus", "ready_to_ship"}, engine.CodeTransitionNotAllowed, false},
			{"from canceled", []any{"order.marketplaceStatus", "canceled"}, engine.CodeFinalStatus, false},
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"item id not digits", []any{"items.1.marketplaceItemId", "MOC-1"}, "order_item_id_required", false},
		},
	},
	{
		mkt: "dafiti", event: "delivered",
		one: handwritten.DafitiDelivered,
		variants: []hwVariant{
			{"one item", []any{"items.1", nil}},
			{"status from order.status", []any{"order.marketplaceStatus", nil}},
		},
		refusals: []hwRefusal{
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"item id not digits", []any{"items.1.marketplaceItemId", "MOC-1"}, "order_item_id_required", false},
			{"from pending", []any{"order.marketplaceStatus", "pending"}, engine.CodeTransitionNotAllowed, false},
			{"already delivered", []any{"order.marketplaceStatus", "delivered"}, engine.CodeFinalStatus, false},
		},
	},
	{
		mkt: "fastshop", event: "invoiced",
		one: handwritten.FastShopInvoiced,
		variants: []hwVariant{
			{"with tracking", []any{"shipment", map[string]any{"carrier": "Correios", "trackingCode": "BR123", "trackingUrl": "https://rastreamento.correios.com.br/BR123"}}},
			{"no issue date: occurredAt", []any{"invoice.issuedAt", nil}},
			{"no url", []any{"invoice.url", nil}},
			{"endpoint without slash", []any{"order.servicesEndpoint", "https://hml-fsh-hub.kaive.com.br"}},
			{"from invoiced", []any{"order.marketplaceStatus", "invoiced"}},
			{"two items", []any{"items.1", map[string]any{"sku": "97", "quantity": 2, "price": 0}}},
		},
		refusals: []hwRefusal{
			{"endpoint not kaive", []any{"order.servicesEndpoint", "https://evil.example.com/"}, engine.CodeHostNotAllowed, false},
			{"endpoint not https", []any{"order.servicesEndpoint", "http://fsh-hub.kaive.com.br/"}, engine.CodeHostNotAllowed, false},
			{"invoice total zero", []any{"invoice.total", 0}, "invoice_value_required", false},
			{"no items", []any{"items", []any{}}, "items_required", false},
			{"from waiting-ffmt-authorization", []any{"order.marketplaceStatus", "waiting-ffmt-authorization"}, engine.CodeTransitionNotAllowed, false},
			{"from canceled", []any{"order.marketplaceStatus", "canceled"}, engine.CodeFinalStatus, false},
			{"no item price", []any{"items.0.price", nil}, engine.CodeMissingField, false},
			{"bad check digit", []any{"invoice.key", "35240511222333000181550010000123451123456780"}, engine.CodeNFeKeyCheckDigit, true},
		},
	},
	{
		mkt: "fastshop", event: "shipped",
		one: handwritten.FastShopShipped,
		variants: []hwVariant{
			{"no shippedAt: occurredAt", []any{"shipment.shippedAt", nil}},
			{"shipped late at night, UTC", []any{"shipment.shippedAt", "2024-05-15T02:30:00Z"}},
			{"endpoint without slash", []any{"order.servicesEndpoint", "https://hml-fsh-hub.kaive.com.br"}},
			{"order id and invoice number to escape", []any{"order.marketplaceOrderId", "SLR/99 1", "invoice.number", "12 345"}},
		},
		refusals: []hwRefusal{
			{"before the invoice", []any{"order.marketplaceStatus", "handling"}, "not_invoiced", false},
			{"from canceled", []any{"order.marketplaceStatus", "canceled"}, engine.CodeFinalStatus, false},
			{"endpoint not kaive", []any{"order.servicesEndpoint", "https://evil.example.com/"}, engine.CodeHostNotAllowed, false},
			{"no tracking url", []any{"shipment.trackingUrl", nil}, engine.CodeMissingField, false},
			{"no invoice number", []any{"invoice.number", nil}, engine.CodeMissingField, false},
		},
	},
	{
		mkt: "fastshop", event: "delivered",
		one: handwritten.FastShopDelivered,
		variants: []hwVariant{
			{"no receiver", []any{"delivery.receivedBy", nil}},
			{"blank receiver", []any{"delivery.receivedBy", "  "}},
			{"receiver to trim", []any{"delivery.receivedBy", " Ana Pérez "}},
			{"delivered in UTC", []any{"delivery.deliveredAt", "2024-05-16T18:40:00Z"}},
		},
		refusals: []hwRefusal{
			{"before the invoice", []any{"order.marketplaceStatus", "ready-for-handling"}, "not_invoiced", false},
			{"endpoint not https", []any{"order.servicesEndpoint", "http://fsh-hub.kaive.com.br/"}, engine.CodeHostNotAllowed, false},
			{"no delivery date", []any{"delivery.deliveredAt", nil}, engine.CodeMissingField, false},
			{"no invoice number", []any{"invoice.number", nil}, engine.CodeMissingField, false},
		},
	},
	{
		// By the channel's number, as most channels' orders reach BRIDGE;
		// with BRIDGE's internal number the engine also prepares the status
		// query that confirms the change, which the hand-written code does not.
		mkt: "napse", event: "shipped",
		edits: []any{"order.attributes", nil},
		vars:  napseVars,
		one:   hwNapseShipped,
		variants: []hwVariant{
			{"internal number", []any{"order.attributes", map[string]any{"internalNumber": "bridge000001"}}},
			{"no note", []any{"note", nil}},
			{"from inproc", []any{"order.marketplaceStatus", "inproc"}},
		},
		refusals: []hwRefusal{
			{"already in transit", []any{"order.marketplaceStatus", "transit"}, "state_unchanged", false},
			{"closed", []any{"order.marketplaceStatus", "closed"}, "state_not_changeable", false},
			{"delivered, no marketplace status", []any{"order.marketplaceStatus", nil, "order.status", "delivered"}, "state_not_changeable", false},
			{"not identified", []any{"order.channel", nil}, "order_not_identified", false},
			{"unknown status", []any{"order.marketplaceStatus", "paused"}, engine.CodeTransitionNotAllowed, false},
		},
	},
	{
		mkt: "napse", event: "delivered",
		edits: []any{"order.attributes", nil},
		vars:  napseVars,
		one:   hwNapseDelivered,
		variants: []hwVariant{
			{"internal number", []any{"order.attributes", map[string]any{"internalNumber": "bridge000001"}}},
			{"with note", []any{"note", "Recibido en portería"}},
			{"from complete", []any{"order.marketplaceStatus", "complete"}},
		},
		refusals: []hwRefusal{
			{"already closed", []any{"order.marketplaceStatus", "closed"}, "state_not_changeable", false},
			{"canceled, no marketplace status", []any{"order.marketplaceStatus", nil, "order.status", "canceled"}, "state_not_changeable", false},
			{"not identified", []any{"order.channel", nil}, "order_not_identified", false},
			{"unknown status", []any{"order.marketplaceStatus", "paused"}, engine.CodeTransitionNotAllowed, false},
		},
	},
	{
		mkt: "napse", event: "canceled",
		vars: napseVars,
		one:  hwNapseCanceled,
		variants: []hwVariant{
			{"internal number with note", []any{"order.attributes", map[string]any{"internalNumber": "88123"}}},
			{"internal number, detail", []any{"order.attributes", map[string]any{"internalNumber": "88123"}, "note", nil, "cancellation.detail", "sin stock"}},
			{"channel, detail", []any{"note", nil, "cancellation.detail", "sin stock"}},
			{"channel, no notes", []any{"note", nil}},
			{"from transit", []any{"order.marketplaceStatus", "transit"}},
		},
		refusals: []hwRefusal{
			{"closed", []any{"order.marketplaceStatus", "closed"}, "state_not_changeable", false},
			{"already cancelled", []any{"order.marketplaceStatus", "cancelled"}, "state_not_changeable", false},
			{"delivered, no marketplace status", []any{"order.marketplaceStatus", nil, "order.status", "delivered"}, "state_not_changeable", false},
			{"not identified", []any{"order.channel", nil}, "order_not_identified", false},
			{"unknown status", []any{"order.marketplaceStatus", "paused"}, engine.CodeTransitionNotAllowed, false},
		},
	},
}

var hwModes = []struct {
	name string
	skip bool
}{{"validate", false}, {"novalidate", true}}

func TestHandwrittenMatchesEngine(t *testing.T) {
	eng := enginetest.Bundled(t)
	for _, p := range hwPairs {
		cases := append([]hwVariant{{"benchmarked", nil}}, p.variants...)
		for _, v := range cases {
			t.Run(p.name()+"/"+v.name, func(t *testing.T) {
				hwCheckSame(t, eng, p, p.raw(t, v.edits...), v.edits == nil)
			})
		}
	}
}

// hwCheckSame fails t unless the hand-written code and the engine, with and
// without validation, send raw with the same calls; for the benchmarked
// event (benchmarked), as many as p.nCalls says.
func hwCheckSame(t testing.TB, eng *engine.Engine, p hwPair, raw []byte, benchmarked bool) {
	t.Helper()
	want, err := p.calls(raw)
	if err != nil {
		t.Fatalf("%s: hand-written: %v", p.name(), err)
	}
	if n := max(p.nCalls, 1); benchmarked && len(want) != n {
		t.Fatalf("%s: the benchmarked event makes %d calls, want %d", p.name(), len(want), n)
	}
	for _, m := range hwModes {
		mode := p.name() + " " + m.name
		res, err := eng.Translate(raw, engine.TranslateOptions{SkipValidation: m.skip, Vars: p.vars})
		if err != nil {
			t.Fatalf("%s: engine: %v", mode, err)
		}
		if res.Outcome != engine.OutcomeSend {
			t.Fatalf("%s: engine outcome %s, want send", mode, res.Outcome)
		}
		hwSameCalls(t, mode, res.Calls, want)
	}
}

func hwSameCalls(t testing.TB, mode string, got []engine.Call, want []handwritten.Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: engine made %d calls, hand-written %d", mode, len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Name != w.Name || g.Method != w.Method || g.URL != w.URL {
			t.Errorf("%s: call %d: engine %s %s %s, hand-written %s %s %s", mode, i, g.Name, g.Method, g.URL, w.Name, w.Method, w.URL)
		}
		if !reflect.DeepEqual(g.Headers.Map(), w.Headers) {
			t.Errorf("%s: call %d: engine headers %v, hand-written %v", mode, i, g.Headers, w.Headers)
		}
		if !bytes.Equal(g.Body, w.Body) {
			t.Errorf("%s: call %d: bodies differ\n      engine %s\n hand-written %s", mode, i, g.Body, w.Body)
		}
	}
}

func TestHandwrittenRefusesWithEngine(t *testing.T) {
	eng := enginetest.Bundled(t)
	for _, p := range hwPairs {
		for _, r := range p.refusals {
			t.Run(p.name()+"/"+r.name, func(t *testing.T) {
				raw := p.raw(t, r.edits...)
				_, err := p.calls(raw)
				var he *handwritten.Error
				if !errors.As(err, &he) {
					t.Fatalf("hand-written: got %v, want a refusal %s", err, r.code)
				}
				if he.Code != r.code {
					t.Errorf("hand-written: refused with %s (%v), want %s", he.Code, err, r.code)
				}
				for _, m := range hwModes {
					if m.skip && r.schemaOnly {
						continue
					}
					_, err := eng.Translate(raw, engine.TranslateOptions{SkipValidation: m.skip, Vars: p.vars})
					var ee *engine.Error
					if !errors.As(err, &ee) {
						t.Fatalf("%s: engine: got %v, want a refusal %s", m.name, err, r.code)
					}
					if ee.Code != r.code {
						t.Errorf("%s: engine refused with %s (%v), want %s", m.name, ee.Code, err, r.code)
					}
				}
			})
		}
	}
}

// TestTranslateAllocatesNoMoreThanHandwritten holds the performance
// target that is not a matter of time: translating a benchmarked event
// without validation allocates no more often than the hand-written code,
// and no more than the result and its text.
// Allocation counts, unlike times, are the same on every machine.
func TestTranslateAllocatesNoMoreThanHandwritten(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	eng := enginetest.Bundled(t)
	for _, p := range hwPairs {
		raw := p.raw(t)
		translate, hw := hwTranslate(eng, p, raw, true), p.run(raw)
		var failed error
		count := func(op func() error) float64 {
			return testing.AllocsPerRun(20, func() {
				if err := op(); err != nil {
					failed = err
				}
			})
		}
		got, want, into := count(translate), count(hw), count(hwTranslateInto(eng, p, raw))
		if failed != nil {
			t.Fatalf("%s: %v", p.name(), failed)
		}
		if got > want {
			t.Errorf("%s: translate allocates %.0f times, the hand-written code %.0f", p.name(), got, want)
		}
		// The result with its calls, and the text they point to.
		if got > 2 {
			t.Errorf("%s: translate allocates %.0f times, want 2 (the result and its text)", p.name(), got)
		}
		// Into a reused result, only the text.
		if into > 1 {
			t.Errorf("%s: TranslateInto allocates %.0f times, want 1 (the text)", p.name(), into)
		}
		t.Logf("%s: %.0f allocations (%.0f into a reused result), hand-written %.0f", p.name(), got, into, want)
	}
}
