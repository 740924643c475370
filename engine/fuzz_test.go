package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// FuzzTranslate feeds arbitrary bytes to Translate, with and without
// validation: it must never panic, and must end in a result whose bodies
// are valid JSON or in a typed *engine.Error; TranslateInto, into one
// Result reused throughout, must end the same way.
func FuzzTranslate(f *testing.F) {
	e := acme(f)
	f.Add(baseEvent(f))
	seeds, _ := filepath.Glob("../examples/events/*/*.json")
	for _, s := range seeds {
		if raw, err := os.ReadFile(s); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	// One Result, reused from input to input, as a worker would.
	var (
		mu     sync.Mutex
		reused engine.Result
	)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, skip := range []bool{false, true} {
			o := engine.TranslateOptions{SkipValidation: skip}
			res, err := e.Translate(raw, o)
			checkOutcome(t, raw, res, err)
			mu.Lock()
			into := outcome(&reused, e.TranslateInto(&reused, raw, o))
			mu.Unlock()
			if want := outcome(res, err); into != want {
				t.Fatalf("input %q: TranslateInto gave\n%s\nTranslate gave\n%s", raw, into, want)
			}
		}
	})
}

func checkOutcome(t *testing.T, raw []byte, res *engine.Result, err error) {
	t.Helper()
	if err != nil {
		var te *engine.Error
		if !errors.As(err, &te) || te.Kind == "" || te.Code == "" {
			t.Fatalf("input %q: untyped error %v", raw, err)
		}
		return
	}
	switch res.Outcome {
	case engine.OutcomeIgnore:
		if len(res.Calls) != 0 || res.Reason == "" {
			t.Fatalf("ignore with calls or without a reason: %+v", res)
		}
	case engine.OutcomeSend:
		if len(res.Calls) == 0 {
			t.Fatalf("input %q: send without calls (the CLI contract wants one or more)", raw)
		}
		for _, c := range res.Calls {
			if c.Body != nil && !json.Valid(c.Body) {
				t.Fatalf("input %q: invalid body %s", raw, c.Body)
			}
		}
	default:
		t.Fatalf("input %q: outcome %q", raw, res.Outcome)
	}
}

// FuzzLoad feeds arbitrary mapping files to the loader: it must never
// panic, and every finding must carry a code and a position in the file.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"../mappings/*.yaml", "testdata/acme/*.yaml", "testdata/lint/*/*.yaml", "testdata/lint/*/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src)
			}
		}
	}
	f.Add([]byte("marketplace: x\n"))
	f.Add([]byte("events: {order.shipped: {calls: [{name: a, method: POST, path: /x, body: '${ invoice.kee }'}]}}"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, d := range lintSource("m.yaml", src) {
			if d.Code == "" || d.Pos.File == "" {
				t.Fatalf("finding without code or file: %+v", d)
			}
			if d.Severity == diag.Error && d.Pos.Line == 0 && d.Code != diag.Unreadable {
				t.Fatalf("error without a line: %+v", d)
			}
		}
	})
}
