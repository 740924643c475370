package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

func TestHeadersReadLikeHTTP(t *testing.T) {
	h := headersOf(t, map[string]string{"X-Order": "ERP-1", "Accept": "application/json", "x-b": ""})
	if h.Len() != 3 {
		t.Fatalf("Len = %d, want 3", h.Len())
	}
	if got := h.Get("accept"); got != "application/json" {
		t.Errorf(`Get("accept") = %q, want the value of "Accept"`, got)
	}
	if v, ok := h.Lookup("X-B"); !ok || v != "" {
		t.Errorf(`Lookup("X-B") = %q, %v; want "", true`, v, ok)
	}
	if v, ok := h.Lookup("X-Missing"); ok || v != "" {
		t.Errorf(`Lookup("X-Missing") = %q, %v; want "", false`, v, ok)
	}
	var names []string
	for name := range h.All() {
		names = append(names, name)
	}
	if want := []string{"Accept", "X-Order", "x-b"}; !reflect.DeepEqual(names, want) {
		t.Errorf("All names %v, want %v (byte order, as the mapping spells them)", names, want)
	}
	m := h.Map()
	m["Accept"] = "text/plain"
	if h.Get("Accept") != "application/json" {
		t.Error("changing the map from Map changed the headers")
	}
}

func TestHeadersStopWhenTheLoopBreaks(t *testing.T) {
	h := headersOf(t, map[string]string{"A": "1", "B": "2", "C": "3"})
	n := 0
	for range h.All() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("loop ran %d times, want 2", n)
	}
}

func TestHeadersKeepOneValuePerName(t *testing.T) {
	h := headersOf(t, map[string]string{"accept": "b", "Accept": "a", "ACCEPT": "c"})
	if h.Len() != 1 || h.Get("Accept") != "b" {
		t.Errorf("got %v, want only accept: b (the greatest spelling)", h)
	}
}

// TestHeadersJSONIsTheMapsJSON: headers encode exactly as the map they
// replace did, escaping included, and decode back.
func TestHeadersJSONIsTheMapsJSON(t *testing.T) {
	m := map[string]string{"Accept": "application/json", "X-Q": `a "b" \ <c> & d`, "X-U": "ção\u2028\x01", "Z": ""}
	got, err := json.Marshal(headersOf(t, m))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back engine.Headers
	if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back.Map(), m) {
		t.Errorf("decoded %v (%v), want %v", back, err, m)
	}
	if err := json.Unmarshal([]byte(`{"A":1}`), &back); err == nil {
		t.Error("a number decoded as a header value")
	}
	if err := json.Unmarshal([]byte(`null`), &back); err != nil || back.Len() != 0 {
		t.Errorf("null decoded to %v (%v), want no headers", back, err)
	}
	if got, _ := json.Marshal(engine.Headers{}); string(got) != "{}" {
		t.Errorf("no headers encode as %s, want {}", got)
	}
}

// acmeWith loads testdata/acme/acme.yaml with one text replaced.
func acmeWith(t *testing.T, from, to string) (*engine.Engine, error) {
	t.Helper()
	src, err := os.ReadFile("testdata/acme/acme.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), from) {
		t.Fatalf("testdata/acme/acme.yaml no longer has %q", from)
	}
	mapping := strings.Replace(string(src), from, to, 1)
	return engine.Load(fstest.MapFS{"acme.yaml": {Data: []byte(mapping)}})
}

// TestCallHeaderReplacesTheMappingsWhateverItsCase: a call's header replaces
// the mapping's header of the same name, compared as HTTP compares names,
// so the request never carries both.
func TestCallHeaderReplacesTheMappingsWhateverItsCase(t *testing.T) {
	e, err := acmeWith(t, `          X-Order: "${ order.id }"`, `          X-Order: "${ order.id }"
          accept: application/vnd.acme+json`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Translate(baseEvent(t), engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pack, ship := res.Calls[0].Headers, res.Calls[1].Headers
	if want := map[string]string{"accept": "application/vnd.acme+json", "X-Order": "ERP-1"}; !reflect.DeepEqual(ship.Map(), want) {
		t.Errorf("ship headers %v, want %v", ship, want)
	}
	if want := map[string]string{"Accept": "application/json"}; !reflect.DeepEqual(pack.Map(), want) {
		t.Errorf("pack headers %v, want the mapping's %v", pack, want)
	}
}

// TestHeadersThatDifferOnlyInCaseAreALintError: two headers of one list
// whose names differ only in case are reported at the second one.
func TestHeadersThatDifferOnlyInCaseAreALintError(t *testing.T) {
	_, err := acmeWith(t, "headers:\n  Accept: application/json\n", "headers:\n  Accept: application/json\n  ACCEPT: text/plain\n")
	var ds diag.List
	if !errors.As(err, &ds) {
		t.Fatalf("got %v, want lint findings", err)
	}
	errs := ds.Errors()
	if len(errs) != 1 || errs[0].Code != diag.DuplicateHeader {
		t.Fatalf("got %v, want one %s finding", errs, diag.DuplicateHeader)
	}
	if p := errs[0].Pos; p.Line != 27 || p.Col != 3 || !strings.Contains(errs[0].Message, `"ACCEPT" repeats "Accept"`) {
		t.Errorf("finding at %d:%d %q; want 27:3 naming both headers", p.Line, p.Col, errs[0].Message)
	}
}

// TestLiteralHeadersAreNotSharedWritable: calls whose headers are all
// literal share them, and nothing a caller does to one result's headers
// shows in the next.
func TestLiteralHeadersAreNotSharedWritable(t *testing.T) {
	e := acme(t)
	raw := edit(t, baseEvent(t), "type", "order.canceled", "cancellation", map[string]any{"reason": "out_of_stock"})
	first, err := e.Translate(raw, engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first.Calls[0].Headers.Map()["Accept"] = "text/plain"
	if err := json.Unmarshal([]byte(`{"Accept":"text/plain"}`), &first.Calls[0].Headers); err != nil {
		t.Fatal(err)
	}
	second, err := e.Translate(raw, engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Calls[0].Headers.Get("Accept"); got != "application/json" {
		t.Errorf("second translation sends Accept: %s, want application/json", got)
	}
}

// headersOf returns the headers of m as a caller gets them: decoded from
// JSON.
func headersOf(t *testing.T, m map[string]string) engine.Headers {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var h engine.Headers
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}
