package engine_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
)

// TestIngestIsAsStrictAsEvents: a payload is read as an event is (a key
// twice, invalid UTF-8, nesting and numbers past the limits are refused
// with the payload's pointer), and an expression's failure on a payload
// value names where the value is in the payload, not the route's name for
// it.
func TestIngestIsAsStrictAsEvents(t *testing.T) {
	e, err := acmeWith(t, `totals?: {items: '${ int(o.total) }'`, `totals?: {items: '${ toInt(o.total) }'`)
	if err != nil {
		t.Fatal(err)
	}
	deep := `{"orders":[{"code":"X1","lines":[],"x":` + nested(engine.MaxDepth) + `}]}`
	tests := []struct {
		name, payload, code, path string
	}{
		{"key twice", `{"orders":[{"code":"X1","code":"X2","lines":[]}]}`, engine.CodeDuplicateKey, "/orders/0/code"},
		{"key twice at the top", `{"orders":[],"orders":[{"code":"X1","lines":[]}]}`, engine.CodeDuplicateKey, "/orders"},
		{"invalid UTF-8", "{\"orders\":[{\"code\":\"X\xff\",\"lines\":[]}]}", engine.CodeInvalidUTF8, "/orders/0/code"},
		{"too deep", deep, engine.CodeTooDeep, "/orders/0/x" + strings.Repeat("/a", engine.MaxDepth-3)},
		{"integer out of range", `{"orders":[{"code":"X1","total":1e30,"lines":[]}]}`, engine.CodeNumberOutOfRange, "/orders/0/total"},
		{"value the route cannot convert", `{"orders":[{"code":"X1","total":"12x","lines":[]}]}`, engine.CodeBadValue, "/orders/0/total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Ingest("acme", []byte(tt.payload), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
			var te *engine.Error
			if !errors.As(err, &te) {
				t.Fatalf("got %v, want %s at %q", err, tt.code, tt.path)
			}
			if te.Code != tt.code || te.Path != tt.path {
				t.Errorf("got %s at %q (%s), want %s at %q", te.Code, te.Path, te.Message, tt.code, tt.path)
			}
		})
	}
}

// TestIngestKeepsIntegersExact: integers above 2^53 reach the event as
// sent; 1.0 and 1e3 as the integers they are.
func TestIngestKeepsIntegersExact(t *testing.T) {
	e := acme(t)
	for _, tt := range []struct{ in, want string }{
		{"9007199254740993", "9007199254740993"},
		{"9223372036854775807", "9223372036854775807"},
		{"1500.0", "1500"},
		{"15e2", "1500"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			res, err := e.Ingest("acme", []byte(`{"orders":[{"code":"X1","total":`+tt.in+`,"lines":[]}]}`), engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
			if err != nil {
				t.Fatal(err)
			}
			var ev struct {
				Order struct {
					Totals struct{ Items json.Number }
				}
			}
			dec := json.NewDecoder(strings.NewReader(string(res.Events[0])))
			dec.UseNumber()
			if err := dec.Decode(&ev); err != nil {
				t.Fatal(err)
			}
			if got := string(ev.Order.Totals.Items); got != tt.want {
				t.Errorf("totals.items = %s, want %s (event %s)", got, tt.want, res.Events[0])
			}
		})
	}
}
