package lang

import (
	"sync"
	"testing"

	"github.com/rotahq/rota/engine/diag"
)

// TestConfigsAreSharedNotChanged compiles expressions of every kind, in
// turn, with one Configs: each dialect and library gets one configuration,
// and what one expression adds to it (a boolean result, a patcher) does not
// reach the next.
func TestConfigsAreSharedNotChanged(t *testing.T) {
	cs := NewConfigs(nil)
	l := lib(t)
	l.Configs = cs
	steps := []struct {
		text string
		o    Options
		want diag.Code // "" when it compiles
	}{
		{`order.id`, Options{Lib: l}, ""},
		{`order.id == "x"`, Options{Lib: l, Bool: true}, ""},
		{`order.id`, Options{Lib: l, Bool: true}, diag.GuardNotBool},
		{`order.id`, Options{Lib: l}, ""},
		{`cancellation.reason in tables.reason`, Options{Lib: l, Bool: true}, ""},
		{`upper(order.id) + "-1"`, Options{Lib: l}, ""},
		{`status == 200`, Options{Lib: l, Dialect: ResponseRules, Bool: true}, ""},
		{`has(body.id)`, Options{Lib: l, Dialect: Inbound, Names: []string{"body"}, Bool: true}, ""},
		{`lookup("reason", "out_of_stock")`, Options{Lib: l}, ""},
	}
	for _, s := range steps {
		p, ds := Compile(src(s.text), s.o)
		switch {
		case s.want == "" && len(ds) > 0:
			t.Errorf("%s: got %v, want it to compile", s.text, ds)
		case s.want != "" && (len(ds) == 0 || ds[0].Code != s.want):
			t.Errorf("%s: got %v, want %s", s.text, ds, s.want)
		case s.want == "" && s.o.Dialect == Outbound && s.text == `order.id`:
			if v, err := p.Run(mustEnv(t, `{"order":{"id":"o1"}}`)); err != nil || v != "o1" {
				t.Errorf("%s = %v, %v; want o1", s.text, v, err)
			}
		}
	}
	if got := len(cs.libs); got != 3 {
		t.Errorf("got %d configurations, want 3: one per dialect used with the library", got)
	}
	if got := len(cs.base); got != 3 {
		t.Errorf("got %d dialect configurations, want 3", got)
	}
}

// TestConfigsConcurrentCompiles compiles with one Configs from several
// goroutines (run with -race).
func TestConfigsConcurrentCompiles(t *testing.T) {
	l := lib(t)
	l.Configs = NewConfigs(nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, text := range []string{`order.id == "x"`, `len(items) > 0`, `cancellation.reason in tables.reason`} {
				if _, ds := Compile(src(text), Options{Lib: l, Bool: true}); len(ds) > 0 {
					t.Errorf("%s: %v", text, ds)
				}
			}
		})
	}
	wg.Wait()
}
