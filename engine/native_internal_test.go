package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine/event"
	"github.com/rotahq/rota/engine/lang"
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// outboundPrograms lists every expression translate may evaluate for a
// mapping: guards, conditions, messages, base URLs, paths, queries,
// headers, bodies and confirmation queries.
func outboundPrograms(mk *market) []*lang.Program {
	var out []*lang.Program
	add := func(ps ...*lang.Program) {
		for _, p := range ps {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	addHeaders := func(hs []header) {
		for _, h := range hs {
			add(progsOf(h.value)...)
		}
	}
	for _, name := range mk.envOrder {
		add(progsOf(mk.envs[name].base)...)
	}
	addHeaders(mk.headers)
	for _, ru := range mk.rules {
		for _, g := range ru.guards {
			add(g.when, g.prog)
			add(progsOf(g.message)...)
		}
		for _, cp := range ru.calls {
			add(cp.when)
			for _, p := range cp.path {
				add(p.prog)
			}
			addHeaders(cp.query)
			addHeaders(cp.headers)
			add(progsOf(cp.body)...)
		}
	}
	for _, cp := range mk.queries {
		for _, p := range cp.path {
			add(p.prog)
		}
		addHeaders(cp.query)
		addHeaders(cp.headers)
	}
	return out
}

func bundled(t *testing.T) *Engine {
	t.Helper()
	e, err := Load(mappings.FS, WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestBundledMappingsEvaluateNatively keeps the bundled mappings on the
// native evaluation path: an expression that falls back to expr's VM on
// every translation is a performance regression to look at.
func TestBundledMappingsEvaluateNatively(t *testing.T) {
	e := bundled(t)
	total := 0
	for _, id := range e.ids {
		for _, p := range outboundPrograms(e.markets[id]) {
			if path, ok := p.Chain(); ok && path.String() == "items" {
				continue // $each: items reads the decoded items directly
			}
			total++
			if !p.Native() {
				t.Errorf("%s: %q is evaluated by expr's VM, not natively: its part %q is a shape the native evaluator "+
					"does not model. A bundled mapping must translate at native speed (the VM boxes every value and "+
					"runs several times slower; docs/performance.md): rewrite that part with what is native (field "+
					"reads, has(), ??, comparisons with constants, in with a constant list, &&, ||, !, ternaries, len, "+
					"all, any and none over items, the string and domain functions), or teach engine/lang/fast.go the "+
					"shape; see docs/contributing-a-marketplace.md", p.Source().Pos, p.Source().Text, p.NotNative())
			}
		}
	}
	if total < 50 {
		t.Fatalf("found only %d outbound expressions in the bundled mappings", total)
	}
}

// TestNativeAgreesWithVM evaluates every outbound expression of the
// bundled mappings, natively and with expr's VM, against the example events
// and variants of them with each field removed, emptied or changed: both
// must give the same value or the same error.
func TestNativeAgreesWithVM(t *testing.T) {
	t.Parallel() // CPU-bound and independent: the slowest tests of the package overlap
	e := bundled(t)
	events := variantEvents(t)
	compared := 0
	for _, id := range e.ids {
		mk := e.markets[id]
		progs := outboundPrograms(mk)
		vars, err := mk.resolveVars(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range events {
			env := &lang.Env{Vars: vars}
			if !event.DecodeInto(&env.Event, raw) {
				t.Fatalf("decode %s", raw)
			}
			env.Current = mk.currentStatus(env)
			items := append([]*event.Item{nil}, env.Items...)
			for _, it := range items {
				env.Item = it
				for _, p := range progs {
					compareEval(t, p, env, raw)
					compared++
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("no evaluation compared: no outbound expression or no event")
	}
	t.Logf("%d evaluations compared over %d events", compared, len(events))
}

func compareEval(t *testing.T, p *lang.Program, env *lang.Env, raw string) {
	t.Helper()
	got, err1 := p.Eval(env)
	want, err2 := p.EvalVM(env)
	switch {
	case (err1 == nil) != (err2 == nil):
		t.Errorf("%s %q: native error %v, VM error %v\nevent: %s", p.Source().Pos, p.Source().Text, err1, err2, raw)
	case err1 != nil && err1.Error() != err2.Error():
		t.Errorf("%s %q: native error %q, VM error %q", p.Source().Pos, p.Source().Text, err1, err2)
	case err1 == nil && !reflect.DeepEqual(got.Interface(), want.Interface()):
		t.Errorf("%s %q: native %#v, VM %#v\nevent: %s", p.Source().Pos, p.Source().Text, got.Interface(), want.Interface(), raw)
	}
}

// variantEvents returns the example events and, for each, variants with
// one leaf removed, emptied, blanked or replaced.
func variantEvents(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "events", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example events: %v", err)
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(b)
		out = append(out, raw)
		for _, path := range leafPaths(gjson.Parse(raw), "") {
			for _, v := range []any{nil, "", "  ", "x", "12", 0, 7} {
				var s string
				if v == nil {
					s, err = sjson.Delete(raw, path)
				} else {
					s, err = sjson.Set(raw, path, v)
				}
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func leafPaths(r gjson.Result, prefix string) []string {
	if !r.IsObject() && !r.IsArray() {
		return []string{prefix}
	}
	var out []string
	i := 0
	r.ForEach(func(k, v gjson.Result) bool {
		seg := strings.ReplaceAll(k.String(), ".", `\.`)
		if r.IsArray() {
			seg = strconv.Itoa(i)
		}
		i++
		p := seg
		if prefix != "" {
			p = prefix + "." + seg
		}
		out = append(out, leafPaths(v, p)...)
		return true
	})
	return out
}

// FuzzNativeAgreesWithVM holds the native evaluation to the VM's results
// on arbitrary event JSON, for every outbound expression of the bundled
// mappings: go test ./engine -run '^$' -fuzz '^FuzzNativeAgreesWithVM$'
func FuzzNativeAgreesWithVM(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "events", "*", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	e, err := Load(mappings.FS)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		env := &lang.Env{}
		if !gjson.Valid(raw) || !event.DecodeInto(&env.Event, raw) {
			return
		}
		if _, err := decodeTree(raw); err != nil && err.(*Error).Code == CodeDuplicateKey {
			return // refused before translation; readers disagree on such JSON
		}
		for _, id := range e.ids {
			mk := e.markets[id]
			env.Vars, _ = mk.resolveVars(nil)
			env.Current = mk.currentStatus(env)
			for _, it := range append([]*event.Item{nil}, env.Items...) {
				env.Item = it
				for _, p := range outboundPrograms(mk) {
					compareEval(t, p, env, raw)
				}
			}
		}
	})
}
