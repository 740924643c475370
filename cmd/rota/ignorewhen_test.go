package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ignoreWhenMappings is a mapping whose order.shipped ignores the events
// of shipments the marketplace fulfils (ignoreWhen[0]) and pickups
// (ignoreWhen[1]).
const ignoreWhenMappings = "../../conformance/testdata/ignorewhen/mappings"

func writeShippedEvent(t *testing.T, attributes, carrier string) string {
	t.Helper()
	ev := `{"specVersion": "1.0", "id": "evt-1", "type": "order.shipped", "occurredAt": "2024-05-10T10:00:00-03:00", "marketplace": "shop",
 "order": {"id": "ERP-1", "marketplaceOrderId": "S1", "marketplaceStatus": "paid"` + attributes + `},
 "items": [{"sku": "A-1", "quantity": 2}], "shipment": {"carrier": "` + carrier + `", "trackingCode": "BR123"}}`
	path := filepath.Join(t.TempDir(), "shipped.json")
	if err := os.WriteFile(path, []byte(ev), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTranslateIgnoreWhen: an event an ignoreWhen entry picks translates
// to outcome ignore with the entry's rendered reason, exit 0, as a fixed
// ignore does.
func TestTranslateIgnoreWhen(t *testing.T) {
	o := rota(t, "", "translate", "--mappings", ignoreWhenMappings, writeShippedEvent(t, `, "attributes": {"fulfilledBy": "marketplace"}`, "Correios"))
	o.wantCode(t, exitOK)
	var res struct {
		Outcome, Reason string
		Calls           []any
	}
	if err := json.Unmarshal([]byte(o.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "ignore" || res.Reason != "The marketplace ships its own stock (marketplace)." || res.Calls == nil || len(res.Calls) != 0 {
		t.Errorf("got %s, want outcome ignore with the rendered reason and calls []", o.stdout)
	}
}

// TestExplainIgnoreWhen: explain lists each entry evaluated with its
// position, and which held or that none did.
func TestExplainIgnoreWhen(t *testing.T) {
	tests := []struct {
		name, attributes, carrier string
		want                      []string
	}{
		{"second entry holds", "", "Retira", []string{
			"ignoreWhen:",
			`✗ ignoreWhen[0] has(order.attributes.fulfilledBy) && order.attributes.fulfilledBy == "marketplace" (` + filepath.Join(ignoreWhenMappings, "shop.yaml") + `:40:15) = false`,
			`✓ ignoreWhen[1] shipment.carrier == "Retira" (` + filepath.Join(ignoreWhenMappings, "shop.yaml") + `:42:15) = true`,
			`held: ignored, reason "Picked up at the store, nothing to tell."`,
			"guards: not evaluated (the event is ignored)",
		}},
		{"none holds", "", "Correios", []string{"ignoreWhen:", "✗ ignoreWhen[1]", "none held: the rule goes on", "guards:", "✓ items_required", "call ship"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := rota(t, "", "explain", "--mappings", ignoreWhenMappings, writeShippedEvent(t, tt.attributes, tt.carrier))
			o.wantCode(t, exitOK)
			for _, want := range tt.want {
				if !containsSpaced(o.stdout, want) {
					t.Errorf("explain output lacks %q:\n%s", want, o.stdout)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		o := rota(t, "", "explain", "--format", "json", "--mappings", ignoreWhenMappings, writeShippedEvent(t, "", "Retira"))
		o.wantCode(t, exitOK)
		var ex struct {
			IgnoreWhen []struct {
				Index  int
				Held   bool
				Reason string
				Source string
			}
		}
		if err := json.Unmarshal([]byte(o.stdout), &ex); err != nil {
			t.Fatal(err)
		}
		if len(ex.IgnoreWhen) != 2 || ex.IgnoreWhen[1].Index != 1 || !ex.IgnoreWhen[1].Held || ex.IgnoreWhen[0].Held || !strings.HasSuffix(ex.IgnoreWhen[1].Source, "shop.yaml:42:15") {
			t.Errorf("got %+v, want entry 1 held at shop.yaml:42:15", ex.IgnoreWhen)
		}
	})
}
