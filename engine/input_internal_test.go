package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine/lang"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// TestResultsOwnTheirStrings holds translate to its rule that nothing it
// returns points into its reused copy of the input. Tests run with that
// copy overwritten when a translation ends (TestMain), while Explain
// decodes from a string of its own; so for every example event and every
// variant of it (a leaf removed, emptied or changed), translated by its own
// mapping and by each bundled one, with and without validation, the result
// and the error, causes included, must read the same both ways.
func TestResultsOwnTheirStrings(t *testing.T) {
	t.Parallel() // CPU-bound and independent: the slowest tests of the package overlap
	if !poisonInput {
		t.Skip("needs the input copy overwritten (TestMain)")
	}
	e := bundled(t)
	overrides := append([]string{""}, e.ids...)
	compared, refusals := 0, 0
	for _, raw := range variantEvents(t) {
		for _, mkt := range overrides {
			for _, skip := range []bool{false, true} {
				o := TranslateOptions{Marketplace: mkt, SkipValidation: skip}
				res, err := e.Translate([]byte(raw), o)
				got := describeOutcome(res, err)
				want := describeOutcome(explained(e, []byte(raw), o))
				if got != want {
					t.Fatalf("marketplace %q, skip validation %v: translate returned\n%s\nexplain returned\n%s\nevent: %s", mkt, skip, got, want, raw)
				}
				if strings.Contains(got, "##") {
					t.Fatalf("outcome reads the overwritten input:\n%s\nevent: %s", got, raw)
				}
				compared++
				if err != nil {
					refusals++
				}
			}
		}
	}
	if refusals == 0 || refusals == compared {
		t.Fatalf("%d translations, %d refused: the variants should give both results and refusals", compared, refusals)
	}
	t.Logf("%d translations compared, %d of them refusals", compared, refusals)
}

// explained returns the result and error Explain gives for raw, shaped as
// Translate returns them.
func explained(e *Engine, raw []byte, o TranslateOptions) (*Result, error) {
	ex, err := e.Explain(raw, o)
	if err != nil {
		return nil, err
	}
	if ex.Error != nil {
		return ex.Result, ex.Error
	}
	return ex.Result, nil
}

// describeOutcome renders everything a caller can read from a translation:
// the result with its calls and confirmation queries, and the error with
// every cause in its chain.
func describeOutcome(res *Result, err error) string {
	var b strings.Builder
	j, _ := json.Marshal(res)
	b.Write(j)
	if res != nil {
		for i := range res.Calls {
			if cf := res.Calls[i].Confirmation(); cf != nil {
				j, _ := json.Marshal(cf.Query)
				fmt.Fprintf(&b, "\nconfirm: %s", j)
			}
		}
	}
	for ; err != nil; err = errors.Unwrap(err) {
		fmt.Fprintf(&b, "\n%T: %s", err, err)
		switch c := err.(type) {
		case *Error:
			j, _ := json.Marshal(c)
			fmt.Fprintf(&b, " %s", j)
		case *lang.TableMissError:
			fmt.Fprintf(&b, " table %q key %q", c.Table, c.Key)
		case *lang.ConvertError:
			fmt.Fprintf(&b, " func %q value %#v why %q", c.Func, c.Value, c.Why)
		case *lang.MissingError:
			fmt.Fprintf(&b, " path %q pointer %q", c.Path, c.Pointer)
		}
	}
	return b.String()
}

// TestBaseURLCacheKeepsItsOwnKey checks the cache of the last base URL taken
// from an event: it must keep a copy of that URL, not a view of the input
// buffer, which the next event overwrites. Two events that differ only in
// the endpoint put it at the same offset; translated in turn, each must be
// sent to its own host. The buffer is left as the next event writes it
// (not overwritten with garbage), as in production.
func TestBaseURLCacheKeepsItsOwnKey(t *testing.T) {
	saved := poisonInput
	poisonInput = false
	t.Cleanup(func() { poisonInput = saved })
	e := bundled(t)
	raw, err := os.ReadFile(filepath.Join("..", "examples", "events", "fastshop", "invoiced.json"))
	if err != nil {
		t.Fatal(err)
	}
	var events [2][]byte
	for i, host := range []string{"aaa-hub.kaive.com.br", "bbb-hub.kaive.com.br"} {
		s, err := sjson.Set(string(raw), "order.servicesEndpoint", "https://"+host+"/")
		if err != nil {
			t.Fatal(err)
		}
		events[i] = []byte(s)
	}
	for round := range 20 {
		i := round % 2
		res, err := e.Translate(events[i], TranslateOptions{SkipValidation: true})
		if err != nil {
			t.Fatal(err)
		}
		want := "https://" + []string{"aaa", "bbb"}[i] + "-hub.kaive.com.br/"
		for _, c := range res.Calls {
			if !strings.HasPrefix(c.URL, want) {
				t.Fatalf("round %d: call %s goes to %s, want a URL under %s", round, c.Name, c.URL, want)
			}
		}
	}
}

// TestGuardMessageOwnsItsText checks a guard message that is nothing but a
// value of the event: the refusal must carry a copy of it.
func TestGuardMessageOwnsItsText(t *testing.T) {
	if !poisonInput {
		t.Skip("needs the input copy overwritten (TestMain)")
	}
	e, raw := acmeEdited(t,
		`message: "Acme needs the items of order ${ order.marketplaceOrderId }"`, `message: "${ order.marketplaceOrderId }"`)
	s, err := sjson.SetRaw(raw, "items", "[]")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Translate([]byte(s), TranslateOptions{})
	var te *Error
	if !errors.As(err, &te) || te.Code != "items_required" {
		t.Fatalf("got %v, want the items_required refusal", err)
	}
	if want := gjson.Get(s, "order.marketplaceOrderId").String(); te.Message != want {
		t.Fatalf("message %q, want the order id %q", te.Message, want)
	}
}

// TestBuiltTextOwnedByResults holds translate to its rule for the strings
// that evaluation builds (dates, joined text), which live in the pooled
// environment's text buffer, overwritten when a translation ends (TestMain):
// used whole as a header, a query value, a path segment, a body value and a
// guard message, they must read the same as Explain gives them, where each
// has memory of its own.
func TestBuiltTextOwnedByResults(t *testing.T) {
	if !poisonInput {
		t.Skip("needs the text buffer overwritten (TestMain)")
	}
	built := `        query: {day: '${ date(delivery.deliveredAt, "Monday") + "!" }'}
        headers: {X-Day: '${ date(delivery.deliveredAt, "2006-01-02") + "T" + date(delivery.deliveredAt, "15:04") }'}
        body: {at: '${ date(delivery.deliveredAt, "02/01/2006 15:04") }', who: '${ "to " + order.id }'}
    guards:
      - code: weekday
        require: date(delivery.deliveredAt, "Mon") != "Sat"
        message: '${ date(delivery.deliveredAt, "Monday, 02/01") + " is a Saturday" }'`
	e, raw := acmeEdited(t,
		`        body: {at: '${ date(delivery.deliveredAt, "02/01/2006 15:04") }'}`, built,
		"/orders/{order.marketplaceOrderId}/deliver", `/orders/{date(delivery.deliveredAt, "2006") + "-" + order.marketplaceOrderId}/deliver`)
	delivered, err := sjson.Set(raw, "type", "order.delivered")
	if err == nil {
		delivered, err = sjson.Set(delivered, "order.marketplaceStatus", "sent")
	}
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"2024-05-12T23:30:00Z": `"url":"https://hub.acme.com.br/orders/2024-AC%2077%2F1/deliver?day=Sunday%21","headers":{"Accept":"application/json","X-Day":"2024-05-12T20:30"}`,
		"2024-05-11T13:00:00Z": "Saturday, 11/05 is a Saturday",
	}
	for at, fragment := range want {
		ev, err := sjson.Set(delivered, "delivery.deliveredAt", at)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // the buffer is reused by the next translation
			res, err := e.Translate([]byte(ev), TranslateOptions{})
			got := describeOutcome(res, err)
			if wantOutcome := describeOutcome(explained(e, []byte(ev), TranslateOptions{})); got != wantOutcome {
				t.Fatalf("translate returned\n%s\nexplain returned\n%s", got, wantOutcome)
			}
			if !strings.Contains(got, fragment) || strings.Contains(got, "##") {
				t.Fatalf("delivered at %s: got\n%s\nwant it to contain %s", at, got, fragment)
			}
		}
	}
}

// acmeEdited loads testdata/acme/acme.yaml with each of the text pairs
// fromTo (from, to, from, to...) replaced, and returns it with the base
// event, testdata/acme/base.json.
func acmeEdited(t *testing.T, fromTo ...string) (*Engine, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "acme", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mapping := string(src)
	for i := 0; i+1 < len(fromTo); i += 2 {
		if !strings.Contains(mapping, fromTo[i]) {
			t.Fatalf("testdata/acme/acme.yaml no longer has %s", fromTo[i])
		}
		mapping = strings.Replace(mapping, fromTo[i], fromTo[i+1], 1)
	}
	e, err := Load(fstest.MapFS{"acme.yaml": {Data: []byte(mapping)}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "acme", "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	return e, string(raw)
}

// TestTranslateIntoAgreesWithTranslate translates every variant event,
// by its own mapping and by each bundled one, with and without validation,
// into one Result reused throughout: each outcome must read as Translate's,
// and a refusal that Translate returns without a result must leave the
// Result empty. The text of earlier results is new each time: URLs and
// bodies kept from every hundredth translation must still read as they did.
func TestTranslateIntoAgreesWithTranslate(t *testing.T) {
	t.Parallel() // CPU-bound and independent: the slowest tests of the package overlap
	e := bundled(t)
	overrides := append([]string{""}, e.ids...)
	type kept struct {
		url, urlCopy string
		body         []byte
		bodyCopy     string
	}
	var (
		res               Result
		keep              []kept
		compared, emptied int
	)
	for _, raw := range variantEvents(t) {
		for _, mkt := range overrides {
			for _, skip := range []bool{false, true} {
				o := TranslateOptions{Marketplace: mkt, SkipValidation: skip}
				want, werr := e.Translate([]byte(raw), o)
				err := e.TranslateInto(&res, []byte(raw), o)
				gotRes := &res
				if want == nil {
					if res.Marketplace != "" || res.EventID != "" || res.Outcome != "" || len(res.Calls) != 0 {
						t.Fatalf("marketplace %q: refused with %v, but the result holds %+v\nevent: %s", mkt, werr, res, raw)
					}
					gotRes = nil
					emptied++
				}
				if got, w := describeOutcome(gotRes, err), describeOutcome(want, werr); got != w {
					t.Fatalf("marketplace %q, skip validation %v: TranslateInto gave\n%s\nTranslate gave\n%s\nevent: %s", mkt, skip, got, w, raw)
				}
				if compared++; compared%100 == 0 && len(res.Calls) > 0 {
					c := res.Calls[0]
					keep = append(keep, kept{c.URL, strings.Clone(c.URL), c.Body, string(c.Body)})
				}
			}
		}
	}
	for i, k := range keep {
		if k.url != k.urlCopy || string(k.body) != k.bodyCopy {
			t.Fatalf("kept call %d changed when its Result was reused:\n%s %s\nwas\n%s %s", i, k.url, k.body, k.urlCopy, k.bodyCopy)
		}
	}
	if emptied == 0 || emptied == compared || len(keep) == 0 {
		t.Fatalf("%d translations, %d refused without a result, %d kept: the variants should give all three", compared, emptied, len(keep))
	}
	t.Logf("%d translations compared, %d refused without a result, %d calls kept", compared, emptied, len(keep))
}
