package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const skyhubYAML = "../../mappings/skyhub.yaml"

// skyhubPos is file:line:col of token on the first line of the bundled
// SkyHub mapping that holds context, as rota shows it.
func skyhubPos(t *testing.T, context, token string) string {
	t.Helper()
	return posOf(t, skyhubYAML, "mappings/skyhub.yaml", context, token)
}

// TestExplainShipped: explain shows the guard with its value and position,
// every body field with the expression, value and position it came from,
// the status move, and the rendered request.
func TestExplainShipped(t *testing.T) {
	o := rota(t, "", "explain", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitOK)
	golden(t, "explain/shipped.txt", o.stdout)
	lines := strings.Split(o.stdout, "\n")
	wantLines := []string{
		"marketplace  skyhub",
		"mapping      mappings/skyhub.yaml",
		"event        order.shipped",
		// The rule is shown where its body starts (its first key).
		"rule         " + skyhubPos(t, "  order.shipped:", "order.shipped"),
		"  ✓ items_required  len(items) > 0  (" + skyhubPos(t, "require: len(items) > 0", "len(items)") + ")  = true",
		"call shipments (" + skyhubPos(t, "- name: shipments", "name") + "): made",
		"  status order_invoiced → order_shipped: allowed",
		"request 1: shipments",
		"  POST https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/shipments",
		"  Accept: application/json",
		"  Content-Type: application/json",
	}
	for _, want := range wantLines {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, o.stdout)
		}
	}
	fields := []struct{ location, expr, value, context, token string }{
		{"path", "order.marketplaceOrderId", `"Lojas Americanas-1000000000000"`, "path: /orders/{order.marketplaceOrderId}/shipments", "order.marketplaceOrderId"},
		{"body.status", "", `"order_shipped"`, "status: order_shipped", "order_shipped"},
		{"body.shipment.code", "order.marketplaceOrderId", `"Lojas Americanas-1000000000000"`, "code: ${ order.marketplaceOrderId }", "order.marketplaceOrderId"},
		{"body.shipment.delivered_carrier_date", `date(shipment.shippedAt ?? occurredAt, "2006-01-02T15:04:05-07:00")`, `"2023-03-10T17:00:00-03:00"`, "delivered_carrier_date:", "date("},
		{"body.shipment.items.0.sku", "item.sku", `"2023001"`, "sku: ${ item.sku }", "item.sku"},
		{"body.shipment.items.0.qty", "item.quantity", `1`, "qty: ${ item.quantity }", "item.quantity"},
		{"body.shipment.track.code", "shipment.trackingCode", `"BR1122334455"`, "code: ${ shipment.trackingCode }", "shipment.trackingCode"},
		{"body.shipment.track.carrier", "shipment.carrier", `"Correios"`, "carrier: ${ shipment.carrier }", "shipment.carrier"},
		{"body.shipment.track.method", "shipment.service", `"SEDEX"`, "method?: ${ shipment.service }", "shipment.service"},
		{"body.shipment.track.url", "shipment.trackingUrl", `"www.correios.com.br"`, "url?: ${ shipment.trackingUrl }", "shipment.trackingUrl"},
	}
	for _, f := range fields {
		arrow := "← " + f.expr + " = "
		if f.expr == "" {
			arrow = "  = "
		}
		suffix := arrow + f.value + "  (" + skyhubPos(t, f.context, f.token) + ")"
		if !hasField(lines, f.location, suffix) {
			t.Errorf("no field line %q ... %q in\n%s", f.location, suffix, o.stdout)
		}
	}
}

// hasField reports whether a line shows the field at location (padded to
// align) ending with suffix.
func hasField(lines []string, location, suffix string) bool {
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "  "+location+" ")
		if ok && strings.TrimLeft(rest, " ") == strings.TrimLeft(suffix, " ") {
			return true
		}
	}
	return false
}

func TestExplainShippedJSON(t *testing.T) {
	o := rota(t, "", "explain", "--format", "json", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitOK)
	golden(t, "explain/shipped.json", o.stdout)
	var ex struct {
		Marketplace string `json:"marketplace"`
		Guards      []struct {
			Code   string `json:"code"`
			Value  *bool  `json:"value"`
			Source string `json:"source"`
		} `json:"guards"`
		Calls []struct {
			Made   bool `json:"made"`
			Fields []struct {
				Location string `json:"location"`
				Source   string `json:"source"`
			} `json:"fields"`
		} `json:"calls"`
		Result *result `json:"result"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Guards) != 1 || ex.Guards[0].Value == nil || !*ex.Guards[0].Value || ex.Guards[0].Source != skyhubPos(t, "require: len(items) > 0", "len(items)") {
		t.Errorf("guards %+v, want items_required true at its position", ex.Guards)
	}
	if len(ex.Calls) != 1 || !ex.Calls[0].Made || len(ex.Calls[0].Fields) != 12 {
		t.Errorf("calls %+v, want one made call with 12 fields (path, 2 headers, 9 body values)", ex.Calls)
	}
	if ex.Result == nil || ex.Result.Outcome != "send" {
		t.Errorf("result %+v, want send", ex.Result)
	}
}

// TestExplainFailedGuard: a guard that is false shows ✗ and the error, and
// the run exits 1 like translate.
func TestExplainFailedGuard(t *testing.T) {
	o := rota(t, "", "explain", "testdata/events/shipped_no_items.json")
	o.wantCode(t, exitRefused)
	golden(t, "explain/shipped_no_items.txt", o.stdout)
	guard := skyhubPos(t, "require: len(items) > 0", "len(items)")
	lines := strings.Split(o.stdout, "\n")
	for _, want := range []string{
		"  ✗ items_required  len(items) > 0  (" + guard + ")  = false",
		"error: rejected: items_required",
		"  rule " + guard,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, o.stdout)
		}
	}
	if strings.Contains(o.stdout, "call shipments") || strings.Contains(o.stdout, "request 1") {
		t.Errorf("a refused event shows a call:\n%s", o.stdout)
	}
	if !strings.HasPrefix(o.stderr, "rota: rejected: items_required: ") {
		t.Errorf("stderr %q", o.stderr)
	}
}

// TestExplainRefusedTransition shows the status move the table refuses.
func TestExplainRefusedTransition(t *testing.T) {
	o := rota(t, "", "explain", "testdata/events/canceled_after_delivery.json")
	o.wantCode(t, exitRefused)
	lines := strings.Split(o.stdout, "\n")
	for _, want := range []string{
		"  status complete → order_canceled: refused by the status table",
		"error: rejected: final_status",
		"  at /order/marketplaceStatus",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, o.stdout)
		}
	}
}

func TestExplainIgnore(t *testing.T) {
	o := rota(t, "", "explain", filepath.Join(examples, "approved.json"))
	o.wantCode(t, exitOK)
	if !strings.Contains(o.stdout, "\nguards: none\n") || !strings.Contains(o.stdout, "\noutcome: ignore: Payment approval happens at the marketplace") {
		t.Errorf("got\n%s", o.stdout)
	}
}

// TestExplainInvalidEvent: an event refused before a mapping is chosen
// shows the error for a person (text) or as the error JSON (json).
func TestExplainInvalidEvent(t *testing.T) {
	file := "testdata/events/nfe_check_digit.json"
	o := rota(t, "", "explain", file)
	o.wantCode(t, exitRefused)
	if !strings.HasPrefix(o.stdout, "error: invalid_event: nfe_key_check_digit\n") || !strings.Contains(o.stdout, "\n  at /invoice/key\n") {
		t.Errorf("got\n%s", o.stdout)
	}
	j := rota(t, "", "explain", "--format", "json", file)
	j.wantCode(t, exitRefused)
	if e := decodeError(t, j.stdout).Error; e.Code != "nfe_key_check_digit" || e.Path != "/invoice/key" {
		t.Errorf("got %s at %s", e.Code, e.Path)
	}
}

// TestExplainSkippedCallAndOmittedField: a call whose condition is false is
// shown as skipped with the condition's value; an optional field without a
// value is marked omitted.
func TestExplainSkippedCallAndOmittedField(t *testing.T) {
	const shop = "testdata/mappings/shop/shop.yaml"
	o := rota(t, "", "explain", "--mappings", "testdata/mappings/shop", "--var", "baseUrl=https://shop.test", "testdata/events/shop_shipped.json")
	o.wantCode(t, exitOK)
	golden(t, "explain/shop_shipped.txt", o.stdout)
	lines := strings.Split(o.stdout, "\n")
	for _, want := range []string{
		"call pack (" + posOf(t, shop, shop, "- name: pack", "name") + "): skipped: its condition is false",
		"  ✗ when  len(items) > 1  (" + posOf(t, shop, shop, "when: len(items) > 1", "len") + ")  = false",
		"call ship (" + posOf(t, shop, shop, "- name: ship", "name") + "): made",
		"  query.channel  ← vars.channel = \"web\"  (" + posOf(t, shop, shop, "channel: ${ vars.channel }", "vars.channel") + ")",
		"  body.service     omitted: no value  (" + posOf(t, shop, shop, "service?: ${ shipment.service }", "service") + ")",
		"  POST https://shop.test/orders/SH-1001/ship?channel=web",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, o.stdout)
		}
	}
}

// TestExplainSkippedGuard: a guard whose when condition is false is listed
// as skipped, with its condition; the guard after it shows its own value.
func TestExplainSkippedGuard(t *testing.T) {
	const mappings = "../../conformance/testdata/guardwhen/mappings"
	event := strings.Replace(readFile(t, "../../conformance/testdata/events/shipped.json"), `"carrier": "Correios"`, `"carrier": "Jadlog"`, 1)
	o := rota(t, event, "explain", "--mappings", mappings, "-")
	o.wantCode(t, exitOK)
	for _, want := range []string{
		"  - tracking_required  shipment.trackingCode matches \"^BR\"  (" + mappings + "/shop.yaml:43:18)  skipped: its when is false\n",
		"      when  shipment.carrier == \"Correios\"  (" + mappings + "/shop.yaml:42:15)\n",
		"  ✓ items_required  has(items) && len(items) > 0  (" + mappings + "/shop.yaml:46:18)  = true\n",
	} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, o.stdout)
		}
	}
	j := rota(t, event, "explain", "--format", "json", "--mappings", mappings, "-")
	var ex struct {
		Guards []struct {
			Code    string          `json:"code"`
			Skipped bool            `json:"skipped"`
			Value   *bool           `json:"value"`
			When    json.RawMessage `json:"when"`
		} `json:"guards"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &ex); err != nil {
		t.Fatalf("%v:\n%s", err, j.stdout)
	}
	if len(ex.Guards) != 2 || !ex.Guards[0].Skipped || ex.Guards[0].Value != nil || ex.Guards[0].When == nil || ex.Guards[1].Skipped || ex.Guards[1].Value == nil {
		t.Errorf("guards %+v, want tracking_required skipped (with its when) and items_required evaluated", ex.Guards)
	}
}
