package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// translateErr translates and returns the *engine.Error, or fails.
func refusal(t *testing.T, e *engine.Engine, ev []byte, o engine.TranslateOptions) *engine.Error {
	t.Helper()
	res, err := e.Translate(ev, o)
	var te *engine.Error
	if !errors.As(err, &te) {
		t.Fatalf("got %+v, %v, want an *engine.Error", res, err)
	}
	return te
}

// TestDotSegmentsAreRefused: a path value that a server or a normalising
// proxy would resolve as . or .. (also percent-encoded, once or more) is
// refused with the pointer of the value; dots that are not a whole segment
// pass.
func TestDotSegmentsAreRefused(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	for _, id := range []string{"..", ".", "%2e%2e", ".%2E", "%2E", "%252e%252e"} {
		for _, skip := range []bool{false, true} {
			t.Run(id, func(t *testing.T) {
				te := refusal(t, e, edit(t, base, "order.marketplaceOrderId", id), engine.TranslateOptions{SkipValidation: skip})
				if te.Kind != engine.KindInvalidEvent || te.Code != engine.CodeDotSegment || te.Path != "/order/marketplaceOrderId" {
					t.Errorf("got %s/%s at %q (%s), want invalid_event/dot_segment at /order/marketplaceOrderId", te.Kind, te.Code, te.Path, te.Message)
				}
				if !strings.HasPrefix(te.Source.String(), "testdata/acme/acme.yaml:") {
					t.Errorf("source %q, want the path's position in the mapping", te.Source)
				}
			})
		}
	}
	for _, id := range []string{"...", "a..", "..a", "a/..", "%2e%2e%2f", "e", "%"} {
		t.Run("passes "+id, func(t *testing.T) {
			res, err := e.Translate(edit(t, base, "order.marketplaceOrderId", id), engine.TranslateOptions{})
			if err != nil {
				t.Fatalf("got %v, want calls", err)
			}
			if u := res.Calls[0].URL; strings.Contains(u, "/../") || strings.Contains(u, "/./") {
				t.Errorf("URL %s holds a dot segment", u)
			}
		})
	}
}

// TestHeaderControlCharactersAreRefused: a header value built from the
// event with a control character is refused at translate, with the pointer
// of the value, not left to fail at send.
func TestHeaderControlCharactersAreRefused(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	for _, id := range []string{"ERP\r\nX-Injected: 1", "ERP\n", "ERP\r", "E\x00RP", "E\tRP", "E\x7fRP", "\x1b[31mERP"} {
		for _, skip := range []bool{false, true} {
			t.Run(strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(id), func(t *testing.T) {
				te := refusal(t, e, edit(t, base, "order.id", id), engine.TranslateOptions{SkipValidation: skip})
				if te.Kind != engine.KindInvalidEvent || te.Code != engine.CodeControlCharacter || te.Path != "/order/id" {
					t.Errorf("got %s/%s at %q (%s), want invalid_event/control_character at /order/id", te.Kind, te.Code, te.Path, te.Message)
				}
			})
		}
	}
}

// TestMappingLoadRefusals: what would make output depend on the machine, or
// be silently ignored, does not load: timezone Local, a second YAML
// document, date() with zone Local.
func TestMappingLoadRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, from, to string
		code           diag.Code
		msg            string
	}{
		{"Local time zone", "timezone: America/Sao_Paulo", "timezone: Local", diag.UnknownTimezone, "depend on the machine"},
		{"second document", "marketplace: acme", "marketplace: acme\n---\nmarketplace: other", diag.YAMLSyntax, "second YAML document"},
		{"second document at the end", "        body: {text: '${ exception.note }'}", "        body: {text: '${ exception.note }'}\n---\nevents: {}\n", diag.YAMLSyntax, "second YAML document"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := acmeWith(t, tt.from, tt.to)
			var ds diag.List
			if !errors.As(err, &ds) {
				t.Fatalf("got %v, want lint findings", err)
			}
			errs := ds.Errors()
			if len(errs) == 0 || errs[0].Code != tt.code || !strings.Contains(errs[0].Message, tt.msg) {
				t.Fatalf("got %v, want a %s finding about %q", errs, tt.code, tt.msg)
			}
		})
	}
	e, err := acmeWith(t, `body: {at: '${ date(delivery.deliveredAt, "02/01/2006 15:04") }'}`, `body: {at: '${ date(delivery.deliveredAt, "02/01/2006 15:04", "Local") }'}`)
	if err != nil {
		t.Fatal(err)
	}
	te := refusal(t, e, edit(t, baseEvent(t), "type", "order.delivered", "order.marketplaceStatus", "sent"), engine.TranslateOptions{})
	if !strings.Contains(te.Message, "Local") {
		t.Errorf("date with zone Local: got %v, want it refused", te)
	}
}

// TestNFeKeyOfZerosIsRefused: the key of all zeros passes the check digit
// (0) but is a placeholder, not a key.
func TestNFeKeyOfZerosIsRefused(t *testing.T) {
	e := acme(t)
	for _, key := range []string{strings.Repeat("0", 44), strings.Repeat("1", 44)} {
		te := refusal(t, e, edit(t, baseEvent(t), "invoice", map[string]any{"key": key}), engine.TranslateOptions{})
		if te.Code != engine.CodeNFeKeyInvalid || te.Path != "/invoice/key" {
			t.Errorf("key %s: got %s at %q (%s), want nfe_key_invalid at /invoice/key", key, te.Code, te.Path, te.Message)
		}
	}
}

// TestLiteralPathsAndHeadersLint: a . or .. segment written in a path, and
// a control character in a literal header value, are lint errors.
func TestLiteralPathsAndHeadersLint(t *testing.T) {
	for _, tt := range []struct{ from, to, msg string }{
		{"path: /orders/{order.marketplaceOrderId}/pack", "path: /orders/../{order.marketplaceOrderId}/pack", ". or .."},
		{"path: /orders/{order.marketplaceOrderId}/pack", "path: /orders/{order.marketplaceOrderId}/./pack", ". or .."},
		{"path: /orders/{order.marketplaceOrderId}/pack", "path: /orders/{order.marketplaceOrderId}/..", ". or .."},
		{"  Accept: application/json\n", "  Accept: \"application/json\\r\\nX-Evil: 1\"\n", "control character"},
	} {
		t.Run(tt.to, func(t *testing.T) {
			_, err := acmeWith(t, tt.from, tt.to)
			var ds diag.List
			if !errors.As(err, &ds) {
				t.Fatalf("got %v, want lint findings", err)
			}
			errs := ds.Errors()
			if len(errs) == 0 || errs[0].Code != diag.BadTemplate || !strings.Contains(errs[0].Message, tt.msg) {
				t.Fatalf("got %v, want a bad_template finding about %q", errs, tt.msg)
			}
		})
	}
	for _, ok := range []string{"path: /orders/{order.marketplaceOrderId}/pack.v2", "path: /orders/x.{order.marketplaceOrderId}/pack", "path: /orders/...{order.marketplaceOrderId}/pack"} {
		if _, err := acmeWith(t, "path: /orders/{order.marketplaceOrderId}/pack", ok); err != nil {
			t.Errorf("%s: got %v, want it loaded", ok, err)
		}
	}
}
