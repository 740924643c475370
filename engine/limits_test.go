package engine_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
)

// nested returns depth levels of {"a": ... } around 1.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// nestedArrays returns depth levels of [ ... ] around 1.
func nestedArrays(depth int) string {
	return strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth)
}

// withAttributes puts raw JSON at order.attributes of the base event.
func withAttributes(t testing.TB, attrs string) []byte {
	t.Helper()
	return []byte(strings.Replace(string(baseEvent(t)), `"order":{`, `"order":{"attributes":`+attrs+`,`, 1))
}

// TestLimits holds each limit of docs/limits.md at the limit and just past
// it, through the whole translation, with and without validation: at the
// limit the input gets past the check (the schema may still refuse it for
// other reasons), past it the limit's code and pointer come back.
func TestLimits(t *testing.T) {
	e := acme(t)
	base := string(baseEvent(t))
	atLimitDepth := engine.MaxDepth - 2 // the event object and order
	array := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(`"x",`, n), ",") + "]" }
	str := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	padded := func(n int) string { return base + strings.Repeat(" ", n-len(base)) }
	tests := []struct {
		name     string
		event    string
		code     string // "" when the limit must not be what refuses it
		path     string
		pastCode string
	}{
		{"depth at the limit", string(withAttributes(t, nested(atLimitDepth))), "", "", ""},
		{"depth past the limit", string(withAttributes(t, nested(atLimitDepth+1))), engine.CodeTooDeep, "/order/attributes" + strings.Repeat("/a", atLimitDepth), ""},
		{"array depth past the limit", string(withAttributes(t, `{"a":`+nestedArrays(atLimitDepth)+`}`)), engine.CodeTooDeep, "/order/attributes/a" + strings.Repeat("/0", atLimitDepth-1), ""},
		{"string at the limit", string(withAttributes(t, `{"a":`+str(engine.MaxStringBytes-2)+`}`)), "", "", ""},
		{"string past the limit", string(withAttributes(t, `{"a":`+str(engine.MaxStringBytes-1)+`}`)), engine.CodeStringTooLong, "/order/attributes/a", ""},
		{"key past the limit", string(withAttributes(t, `{`+str(engine.MaxStringBytes-1)+`:"x"}`)), engine.CodeStringTooLong, "/order/attributes", ""},
		{"array at the limit", string(withAttributes(t, `{"a":`+array(engine.MaxArrayLen)+`}`)), "", "", ""},
		{"array past the limit", string(withAttributes(t, `{"a":`+array(engine.MaxArrayLen+1)+`}`)), engine.CodeArrayTooLong, "/order/attributes/a", ""},
		{"input at the limit", padded(engine.MaxInputBytes), "", "", ""},
		{"input past the limit", padded(engine.MaxInputBytes + 1), engine.CodeTooLarge, "", ""},
		{"largest integer", strings.Replace(base, `"quantity":2`, `"quantity":9223372036854775807`, 1), "", "", ""},
		{"integer past the range", strings.Replace(base, `"quantity":2`, `"quantity":9223372036854775808`, 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"smallest integer", strings.Replace(base, `"quantity":2`, `"quantity":-9223372036854775808`, 1), "", "", ""},
		{"integer below the range", strings.Replace(base, `"quantity":2`, `"quantity":-9223372036854775809`, 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"400 digits", strings.Replace(base, `"quantity":2`, `"quantity":1`+strings.Repeat("0", 399), 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"1e400", strings.Replace(base, `"quantity":2`, `"quantity":1e400`, 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"1.5e400 in a fraction", strings.Replace(base, `"quantity":2`, `"quantity":1.5e308`, 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"huge exponent", strings.Replace(base, `"quantity":2`, `"quantity":1e-999999999999`, 1), engine.CodeNumberOutOfRange, "/items/0/quantity", ""},
		{"invalid UTF-8 in a value", strings.Replace(base, `"AC 77/1"`, "\"AC\xff\xfe\"", 1), engine.CodeInvalidUTF8, "/order/marketplaceOrderId", ""},
		{"invalid UTF-8 in a key", strings.Replace(base, `"sku":`, "\"s\xffku\":", 1), engine.CodeInvalidUTF8, "/items/0", ""},
		{"lone surrogate escape", strings.Replace(base, `"AC 77/1"`, `"AC\ud800"`, 1), engine.CodeInvalidUTF8, "/order/marketplaceOrderId", ""},
		{"surrogate pair is fine", strings.Replace(base, `"AC 77/1"`, `"AC\ud83d\ude00"`, 1), "", "", ""},
	}
	for _, tt := range tests {
		for _, skip := range []bool{false, true} {
			name := tt.name
			if skip {
				name += "/skip validation"
			}
			t.Run(name, func(t *testing.T) {
				_, err := e.Translate([]byte(tt.event), engine.TranslateOptions{SkipValidation: skip})
				var te *engine.Error
				errors.As(err, &te)
				if tt.code == "" {
					if te != nil && isLimitCode(te.Code) {
						t.Fatalf("got %s at %q (%s), want the input to pass the limits", te.Code, te.Path, te.Message)
					}
					return
				}
				if te == nil {
					t.Fatalf("got %v, want %s at %q", err, tt.code, tt.path)
				}
				if te.Kind != engine.KindInvalidEvent || te.Code != tt.code || te.Path != tt.path {
					t.Errorf("got %s/%s at %q (%s), want invalid_event/%s at %q", te.Kind, te.Code, te.Path, te.Message, tt.code, tt.path)
				}
			})
		}
	}
}

func isLimitCode(code string) bool {
	switch code {
	case engine.CodeTooLarge, engine.CodeTooDeep, engine.CodeStringTooLong, engine.CodeArrayTooLong,
		engine.CodeNumberOutOfRange, engine.CodeInvalidUTF8, engine.CodeMalformedJSON:
		return true
	}
	return false
}

// TestDeepNestingIsRefusedAtOnce: 100k levels (600 KB) took over a minute
// to validate when the tree was built with gjson's ForEach; past MaxDepth it
// is refused with the pointer of the first level too deep. The benchmark
// BenchmarkValidateNesting measures the time.
func TestDeepNestingIsRefusedAtOnce(t *testing.T) {
	e := acme(t)
	for _, ev := range [][]byte{withAttributes(t, nested(100_000)), withAttributes(t, nestedArrays(300_000))} {
		_, err := e.Translate(ev, engine.TranslateOptions{})
		if !errors.Is(err, &engine.Error{Kind: engine.KindInvalidEvent, Code: engine.CodeTooDeep}) {
			t.Errorf("got %v, want too_deep", err)
		}
	}
}

// TestIntegersAreWrittenCanonically: an integer written with a fraction or
// an exponent reaches the body as a plain integer, -0 as 0.
func TestIntegersAreWrittenCanonically(t *testing.T) {
	e := acme(t)
	base := string(baseEvent(t))
	for _, tt := range []struct{ field, in, want string }{
		{"quantity", "1.0", `"qty":1,`}, {"quantity", "1e2", `"qty":100,`}, {"quantity", "1.00E+2", `"qty":100,`},
		{"quantity", "2500e-2", `"qty":25,`}, {"quantity", "2", `"qty":2,`}, {"price", "-0", `"price":0}`}, {"price", "19.9e2", `"price":1990}`},
	} {
		for _, skip := range []bool{false, true} {
			old := map[string]string{"quantity": `"quantity":2`, "price": `"price":1990`}[tt.field]
			ev := strings.Replace(base, old, `"`+tt.field+`":`+tt.in, 1)
			res, err := e.Translate([]byte(ev), engine.TranslateOptions{SkipValidation: skip})
			if err != nil {
				t.Fatalf("quantity %s: %v", tt.in, err)
			}
			body := string(res.Calls[len(res.Calls)-1].Body)
			if !strings.Contains(body, tt.want) {
				t.Errorf("quantity %s (skip validation %v): body %s, want it to hold %s", tt.in, skip, body, tt.want)
			}
		}
	}
}

// BenchmarkValidateNesting validates events of growing size: nested past
// MaxDepth (refused in one pass), and many values nested close to the
// limit (read whole). Time per byte (b.SetBytes) stays flat as the input
// grows: work is linear in its size.
func BenchmarkValidateNesting(b *testing.B) {
	deep := func(depth int) []byte { return withAttributes(b, nested(depth)) }
	wide := func(chunks int) []byte {
		parts := make([]string, chunks)
		for i := range parts {
			parts[i] = nestedArrays(engine.MaxDepth - 4)
		}
		return withAttributes(b, `{"a":[`+strings.Join(parts, ",")+`]}`)
	}
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"depth=1000", deep(1000)}, {"depth=10000", deep(10_000)}, {"depth=100000", deep(100_000)},
		{"chunks=10", wide(10)}, {"chunks=100", wide(100)}, {"chunks=1000", wide(1000)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.raw)))
			for b.Loop() {
				if engine.ValidateEvent(c.raw) == nil {
					b.Fatal("want the event refused")
				}
			}
		})
	}
}

// TestLimitsAreDocumented: docs/limits.md has a row for each limit of
// limits.go, with its value and its code, and each code has its row in
// docs/errors.md (TestEveryErrorCodeIsDocumented).
func TestLimitsAreDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/limits.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if start := strings.Index(line, "`engine."); start >= 0 {
			name := line[start+1 : start+1+strings.IndexByte(line[start+1:], '`')]
			rows[name] = line
		}
	}
	for _, l := range []struct {
		name, value, code string
	}{
		{"engine.MaxInputBytes", thousands(engine.MaxInputBytes) + " bytes", engine.CodeTooLarge},
		{"engine.MaxDepth", fmt.Sprintf("%d levels", engine.MaxDepth), engine.CodeTooDeep},
		{"engine.MaxStringBytes", thousands(engine.MaxStringBytes) + " bytes", engine.CodeStringTooLong},
		{"engine.MaxArrayLen", thousands(engine.MaxArrayLen), engine.CodeArrayTooLong},
		{"engine.MinInteger", "2⁶³", engine.CodeNumberOutOfRange},
	} {
		row, ok := rows[l.name]
		if !ok {
			t.Errorf("docs/limits.md has no row for %s", l.name)
			continue
		}
		if !strings.Contains(row, l.value) || !strings.Contains(row, "`"+l.code+"`") {
			t.Errorf("docs/limits.md row for %s: %s\nwant it to say %q and `%s`", l.name, row, l.value, l.code)
		}
	}
	if engine.MinInteger != math.MinInt64 || engine.MaxInteger != math.MaxInt64 {
		t.Errorf("the integer range changed; docs/limits.md says int64")
	}
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
