package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// ignoreWhenRule answers order.shipped with a call, except for the
// shipments the marketplace handles (logistic type other than
// self_service) and, after them, the orders of a test channel.
const ignoreWhenRule = `events:
  order.shipped:
    ignoreWhen:
      - when: order.attributes.logisticType != "self_service"
        reason: The marketplace reports its own shipments (logistic type ${ order.attributes.logisticType })
      - when: has(order.attributes.channel) && order.attributes.channel == "test"
        reason: Test order
    guards:
      - code: no_tracking
        require: shipment.trackingCode != "NONE"
        message: no tracking code
    calls:
      - name: ship
        method: POST
        path: /orders/{order.marketplaceOrderId}/ship
`

// TestIgnoreWhenTranslate: the first entry that holds ignores the event
// with its rendered reason, before the guards; when none holds the rule
// goes on to its guards and calls.
func TestIgnoreWhenTranslate(t *testing.T) {
	eng := loadDocMapping(t, ignoreWhenRule)
	tests := []struct {
		name    string
		event   string
		outcome engine.Outcome
		reason  string
		code    string // the refusal's code, when translate fails
	}{
		{"first entry holds", `{"order": {"attributes": {"logisticType": "fulfillment"}}}`, engine.OutcomeIgnore, "The marketplace reports its own shipments (logistic type fulfillment)", ""},
		{"first of two holding entries wins", `{"order": {"attributes": {"logisticType": "drop_off", "channel": "test"}}}`, engine.OutcomeIgnore, "The marketplace reports its own shipments (logistic type drop_off)", ""},
		{"second entry holds", `{"order": {"attributes": {"logisticType": "self_service", "channel": "test"}}}`, engine.OutcomeIgnore, "Test order", ""},
		{"none holds: the calls", `{"order": {"attributes": {"logisticType": "self_service"}}}`, engine.OutcomeSend, "", ""},
		{"ignored before the guards", `{"order": {"attributes": {"logisticType": "fulfillment"}}, "shipment": {"trackingCode": "NONE"}}`, engine.OutcomeIgnore, "The marketplace reports its own shipments (logistic type fulfillment)", ""},
		{"none holds: the guards apply", `{"order": {"attributes": {"logisticType": "self_service"}}, "shipment": {"trackingCode": "NONE"}}`, "", "", "no_tracking"},
		{"a field read that is absent: missing_field, as in guards", `{}`, "", "", engine.CodeMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := eng.Translate(mergeJSON(t, docBaseEvent, tt.event), engine.TranslateOptions{})
			if tt.code != "" {
				var e *engine.Error
				if !errors.As(err, &e) || e.Code != tt.code {
					t.Fatalf("got %v, want error %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome || res.Reason != tt.reason {
				t.Errorf("got %s %q, want %s %q", res.Outcome, res.Reason, tt.outcome, tt.reason)
			}
			if res.EventID != "evt-1" || res.EventType != "order.shipped" {
				t.Errorf("got event %q %q, want evt-1 order.shipped", res.EventID, res.EventType)
			}
			if wantCalls := map[engine.Outcome]int{engine.OutcomeSend: 1}[tt.outcome]; len(res.Calls) != wantCalls {
				t.Errorf("got %d calls, want %d", len(res.Calls), wantCalls)
			}
		})
	}
}

// TestIgnoreWhenUnsupported: on an unsupported rule, ignoreWhen ignores
// some events and the rest are refused as unsupported.
func TestIgnoreWhenUnsupported(t *testing.T) {
	eng := loadDocMapping(t, `events:
  order.shipped:
    ignoreWhen:
      - when: order.attributes.logisticType != "self_service"
        reason: Reported by the marketplace
    unsupported: The marketplace has no call for the shipments the seller handles
`)
	res, err := eng.Translate(mergeJSON(t, docBaseEvent, `{"order": {"attributes": {"logisticType": "fulfillment"}}}`), engine.TranslateOptions{})
	if err != nil || res.Outcome != engine.OutcomeIgnore || res.Reason != "Reported by the marketplace" {
		t.Errorf("fulfillment: got %+v, %v, want ignore", res, err)
	}
	_, err = eng.Translate(mergeJSON(t, docBaseEvent, `{"order": {"attributes": {"logisticType": "self_service"}}}`), engine.TranslateOptions{})
	var e *engine.Error
	if !errors.As(err, &e) || e.Kind != engine.KindUnsupported || e.Code != engine.CodeUnsupported || e.Message != "The marketplace has no call for the shipments the seller handles" {
		t.Errorf("self_service: got %v, want unsupported", err)
	}
}

// TestIgnoreWhenExplain: explain lists the entries evaluated, in order,
// with their positions, and marks the one that held.
func TestIgnoreWhenExplain(t *testing.T) {
	eng := loadDocMapping(t, ignoreWhenRule)
	t.Run("second entry holds", func(t *testing.T) {
		ex, err := eng.Explain(mergeJSON(t, docBaseEvent, `{"order": {"attributes": {"logisticType": "self_service", "channel": "test"}}}`), engine.TranslateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.IgnoreWhen) != 2 {
			t.Fatalf("got %+v, want two entries traced", ex.IgnoreWhen)
		}
		first, second := ex.IgnoreWhen[0], ex.IgnoreWhen[1]
		if first.Index != 0 || first.Held || first.Value == nil || *first.Value || first.Expr != `order.attributes.logisticType != "self_service"` {
			t.Errorf("first: got %+v, want index 0, false, not held", first)
		}
		if second.Index != 1 || !second.Held || second.Reason != "Test order" || second.Value == nil || !*second.Value {
			t.Errorf("second: got %+v, want index 1 held with its reason", second)
		}
		if first.Source.Line == 0 || second.Source.Line <= first.Source.Line {
			t.Errorf("got sources %s and %s, want the entries' positions in order", first.Source, second.Source)
		}
		if len(ex.Guards) != 0 || len(ex.Calls) != 0 || ex.Result.Outcome != engine.OutcomeIgnore {
			t.Errorf("got guards %+v, calls %+v, result %+v: want ignore before the guards", ex.Guards, ex.Calls, ex.Result)
		}
	})
	t.Run("none holds", func(t *testing.T) {
		ex, err := eng.Explain(mergeJSON(t, docBaseEvent, `{"order": {"attributes": {"logisticType": "self_service"}}}`), engine.TranslateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.IgnoreWhen) != 2 || ex.IgnoreWhen[0].Held || ex.IgnoreWhen[1].Held {
			t.Errorf("got %+v, want both entries traced, none held", ex.IgnoreWhen)
		}
		if len(ex.Guards) != 1 || ex.Result.Outcome != engine.OutcomeSend {
			t.Errorf("got guards %+v, result %+v: want the guard and the call", ex.Guards, ex.Result)
		}
	})
	t.Run("an entry that fails", func(t *testing.T) {
		ex, err := eng.Explain(mergeJSON(t, docBaseEvent, `{}`), engine.TranslateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.IgnoreWhen) != 1 || ex.IgnoreWhen[0].Error == "" || ex.Error == nil || ex.Error.Code != engine.CodeMissingField {
			t.Errorf("got %+v, error %+v, want the first entry's missing_field", ex.IgnoreWhen, ex.Error)
		}
	})
}

// TestIgnoreWhenFindings: each when is checked as a guard's condition,
// each reason as a template, at file:line:col; ignoreWhen on a fixed
// ignore rule is never used.
func TestIgnoreWhenFindings(t *testing.T) {
	tests := []struct {
		name   string
		events string
		code   diag.Code
		sev    diag.Severity
		line   int
	}{
		{"when not bool", "  order.shipped:\n    ignoreWhen:\n      - when: order.marketplaceOrderId\n        reason: r\n    calls:\n      - {name: a, method: POST, path: /a}\n", diag.GuardNotBool, diag.Error, 15},
		{"when reads an unknown field", "  order.shipped:\n    ignoreWhen:\n      - when: order.nope == \"x\"\n        reason: r\n    calls:\n      - {name: a, method: POST, path: /a}\n", diag.UnknownField, diag.Error, 15},
		{"when syntax", "  order.shipped:\n    ignoreWhen:\n      - when: order.id ==\n        reason: r\n    calls:\n      - {name: a, method: POST, path: /a}\n", diag.ExprSyntax, diag.Error, 15},
		{"reason template reads an unknown field", "  order.shipped:\n    ignoreWhen:\n      - when: order.id == \"x\"\n        reason: ${ order.nope }\n    calls:\n      - {name: a, method: POST, path: /a}\n", diag.UnknownField, diag.Error, 16},
		{"missing reason", "  order.shipped:\n    ignoreWhen:\n      - when: order.id == \"x\"\n    calls:\n      - {name: a, method: POST, path: /a}\n", diag.SchemaViolation, diag.Error, 15},
		{"on a fixed ignore", "  order.shipped:\n    ignoreWhen:\n      - when: order.id == \"x\"\n        reason: r\n    ignore: never sent\n", diag.UnusedIgnoreWhen, diag.Warning, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := loadFindings(t, "", tt.events)
			var found *diag.Diagnostic
			for i := range ds {
				if ds[i].Code == tt.code {
					found = &ds[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("got %v, want a %s finding", ds, tt.code)
			}
			if found.Severity != tt.sev || found.Pos.Line != tt.line || found.Pos.File != "example.yaml" || found.Pos.Col == 0 {
				t.Errorf("got %s %s, want %s at example.yaml:%d", found.Severity, found.Pos, tt.sev, tt.line)
			}
		})
	}
}

// TestIgnoreWhenCost: a when is bounded as any guard condition is.
func TestIgnoreWhenCost(t *testing.T) {
	ds := loadFindings(t, "", "  order.shipped:\n    ignoreWhen:\n      - when: any(items, {any(items, {.sku == \"x\"})})\n        reason: r\n    calls:\n      - {name: a, method: POST, path: /a}\n")
	for _, d := range ds {
		if d.Code == diag.ExprCost && strings.HasPrefix(d.Pos.String(), "example.yaml:15:") {
			return
		}
	}
	t.Errorf("got %v, want expr_cost at example.yaml:15", ds)
}
