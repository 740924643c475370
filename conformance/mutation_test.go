package conformance

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// mutantPropertyRuns keeps the property run of each mutant short: the
// cases and the other checks do most of the catching.
const mutantPropertyRuns = 25

// fullRunsVar names the environment variable that makes the long tests of
// the package exhaustive: with it set (CI's second test step sets it),
// TestMutants runs every mutant; without it, a sample (mutantSample).
const fullRunsVar = "ROTA_TEST_FULL"

// mutantSample is the share of each mapping's mutants of each kind that
// TestMutants runs without fullRunsVar (at least one of every kind), picked
// with mutantSampleSeed: the same mutants on every run.
const (
	mutantSample     = 4 // one in four
	mutantSampleSeed = 18
)

// propertyCheck names the property check among failing results.
const propertyCheck = "check " + CheckProperty

// mutant is one small change to a mapping file.
type mutant struct {
	desc  string
	kind  string // what the change does, for sampling: "flip guard", "drop", ...
	at    []int  // child indexes from the document node to the node changed
	apply func(n *yaml.Node)
}

// TestMutants applies small mutations to each bundled mapping, one at a
// time (flip a guard, a when condition or an ignoreWhen condition, disable
// an ignoreWhen entry, change a leadsTo, drop a body
// field, change a body literal, rename a path segment, change a value-table
// entry), runs the suite against the broken copy and requires each to make
// some case or check fail that passes on the intact mapping. Every surviving
// mutant is a missing case. Without ROTA_TEST_FULL it runs a fixed sample of
// the mutants (mutantSample); CI runs them all.
func TestMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("mutation testing is slow")
	}
	files, err := filepath.Glob("../mappings/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundled mappings: %v", err)
	}
	full := os.Getenv(fullRunsVar) != ""
	caught, total := 0, 0
	var survivors []string
	for _, f := range files {
		c, n, s := mutateFile(t, f, full)
		caught, total, survivors = caught+c, total+n, append(survivors, s...)
	}
	ran := "every mutant"
	if !full {
		ran = fmt.Sprintf("one in %d of each kind; set %s=1 for every mutant", mutantSample, fullRunsVar)
	}
	t.Logf("mutation score: %d/%d mutants caught (%s)", caught, total, ran)
	for _, s := range survivors {
		t.Errorf("survivor: %s", s)
	}
}

// mutateFile runs the mutants of one mapping file (all, or the sample) and
// returns how many were caught, how many ran, and the survivors.
//
// Each mutant runs first without the property run: the cases and the other
// checks do not depend on it, so a result failing there that passes on the
// intact mapping fails in the full run too. Only the mutants that run
// does not catch are run again with the property run.
func mutateFile(t *testing.T, file string, full bool) (int, int, []string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	id := mappingID(t, src)
	intact, err := mutated(src, nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	base := runMapping(t, filepath.Base(file), id, intact, mutantPropertyRuns)
	quickBase := runMapping(t, filepath.Base(file), id, intact, -1)
	orig := runOnly(t, Options{Cases: "cases", Only: []string{id}, Seed: 1, PropertyRuns: mutantPropertyRuns})
	if orig == nil || base == nil || quickBase == nil {
		t.FailNow() // runMapping or runOnly reported why
	}
	if !sameKeys(orig, base) {
		t.Fatalf("%s: re-encoding the mapping changes the verdicts: %v before, %v after", file, orig, base)
	}
	delete(quickBase, propertyCheck)
	ms := mutantsOf(parse(t, src), "mappings/"+filepath.Base(file))
	if len(ms) == 0 {
		t.Fatalf("%s: no mutants: the mutator finds no guard, call or table to change", file)
	}
	all := len(ms)
	if !full {
		ms = sampleMutants(ms, mutantSample, mutantSampleSeed)
	}
	survived := make([]bool, len(ms))
	parallel(len(ms), func(i int) {
		// On a worker goroutine: report with t.Error, never t.Fatal.
		out, err := mutated(src, &ms[i])
		if err != nil {
			t.Errorf("%s: %v", ms[i].desc, err)
			return
		}
		quick := runMapping(t, filepath.Base(file), id, out, -1)
		if quick == nil {
			return
		}
		delete(quick, propertyCheck)
		if hasNew(quick, quickBase) {
			return
		}
		got := runMapping(t, filepath.Base(file), id, out, mutantPropertyRuns)
		survived[i] = got != nil && !hasNew(got, base)
	})
	var out []string
	for i, s := range survived {
		if s {
			out = append(out, ms[i].desc)
		}
	}
	t.Logf("%s: %d/%d mutants caught (%d mutants in all)", file, len(ms)-len(out), len(ms), all)
	return len(ms) - len(out), len(ms), out
}

// sampleMutants keeps one in every mutants of each kind (at least one of
// each), picked at random with seed, in file order.
func sampleMutants(ms []mutant, every int, seed uint64) []mutant {
	rng := rand.New(rand.NewPCG(seed, seed))
	byKind := map[string][]int{}
	var kinds []string
	for i, m := range ms {
		if byKind[m.kind] == nil {
			kinds = append(kinds, m.kind)
		}
		byKind[m.kind] = append(byKind[m.kind], i)
	}
	keep := make([]bool, len(ms))
	for _, k := range kinds {
		idx := byKind[k]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:(len(idx)+every-1)/every] {
			keep[i] = true
		}
	}
	var out []mutant
	for i, m := range ms {
		if keep[i] {
			out = append(out, m)
		}
	}
	return out
}

// mutated re-encodes a mapping file with one mutant applied (nil: none).
func mutated(src []byte, mu *mutant) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if mu != nil {
		mu.apply(nodeAt(&doc, mu.at))
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// runMapping writes a mapping file to a folder of its own and runs the
// marketplace's cases and checks against it, with propertyRuns events per
// type in the property run (negative: none); it returns the failing
// results, or nil (reported with t.Error) when the run cannot start.
// It runs on worker goroutines, so it never calls t.Fatal.
func runMapping(t *testing.T, name, id string, src []byte, propertyRuns int) map[string]bool {
	dir, err := os.MkdirTemp("", "rota-mutant-")
	if err != nil {
		t.Error(err)
		return nil
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, name), src, 0o600); err != nil {
		t.Error(err)
		return nil
	}
	return runOnly(t, Options{Mappings: dir, Cases: "cases", Only: []string{id}, Seed: 1, PropertyRuns: propertyRuns})
}

// runOnly runs the suite and names its failing results; nil (reported
// with t.Error) when the run cannot start.
func runOnly(t *testing.T, o Options) map[string]bool {
	rep, err := Run(o)
	if rep == nil {
		t.Errorf("Run: %v", err)
		return nil
	}
	return failing(rep)
}

// failing names every failing case and check of a report.
func failing(r *Report) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.Files {
		for _, c := range f.Cases {
			if !c.Passed {
				out["case "+f.Path+": "+c.Name] = true
			}
		}
	}
	for _, m := range r.Mappings {
		for _, c := range m.Checks {
			if !c.Passed {
				out["check "+c.Name] = true
			}
		}
	}
	return out
}

func hasNew(got, base map[string]bool) bool {
	for k := range got {
		if !base[k] {
			return true
		}
	}
	return false
}

func sameKeys(a, b map[string]bool) bool {
	return len(a) == len(b) && !hasNew(a, b)
}

// parallel runs f(0..n-1) on as many goroutines as there are CPUs.
func parallel(n int, f func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func parse(t *testing.T, src []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

func mappingID(t *testing.T, src []byte) string {
	var top struct {
		Marketplace string `yaml:"marketplace"`
	}
	if err := yaml.Unmarshal(src, &top); err != nil || top.Marketplace == "" {
		t.Fatalf("no marketplace: %v", err)
	}
	return top.Marketplace
}

// nodeAt follows child indexes from the document node.
func nodeAt(doc *yaml.Node, at []int) *yaml.Node {
	n := doc
	for _, i := range at {
		n = n.Content[i]
	}
	return n
}

// mutator collects the mutants of one mapping document.
type mutator struct {
	file     string
	statuses []string
	out      []mutant
}

// mutantsOf lists the mutants of a mapping document, in file order.
func mutantsOf(doc *yaml.Node, file string) []mutant {
	m := &mutator{file: file}
	root := doc.Content[0]
	if st := member(root, "statuses"); st >= 0 {
		m.statuses = keys(root.Content[st])
	}
	if ev := member(root, "events"); ev >= 0 {
		m.events(root.Content[ev], []int{0, ev})
	}
	if tb := member(root, "tables"); tb >= 0 {
		m.tables(root.Content[tb], []int{0, tb})
	}
	return m.out
}

func (m *mutator) add(n *yaml.Node, at []int, what string, apply func(n *yaml.Node)) {
	desc := fmt.Sprintf("%s:%d:%d: %s", m.file, n.Line, n.Column, what)
	m.out = append(m.out, mutant{desc: desc, kind: mutantKind(what), at: join(at), apply: apply})
}

// mutantKind is the kind of change a mutant's description (as the
// mutator writes it) names: "drop", "change", "table", or after the rule's
// or call's name "flip guard", "flip when", "flip ignoreWhen", "disable
// ignoreWhen", "leadsTo", "rename path segment".
func mutantKind(what string) string {
	for _, k := range []string{"drop", "change", "table"} {
		if strings.HasPrefix(what, k+" ") {
			return k
		}
	}
	_, change, _ := strings.Cut(what, ": ")
	for _, k := range []string{"flip guard", "flip when", "flip ignoreWhen", "disable ignoreWhen", "leadsTo", "rename path segment"} {
		if strings.HasPrefix(change, k) {
			return k
		}
	}
	return what
}

func (m *mutator) events(events *yaml.Node, at []int) {
	for i := 0; i+1 < len(events.Content); i += 2 {
		typ, rule := events.Content[i].Value, events.Content[i+1]
		if rule.Kind != yaml.MappingNode {
			continue
		}
		rat := join(at, i+1)
		if iw := member(rule, "ignoreWhen"); iw >= 0 {
			m.ignoreWhen(typ, rule.Content[iw], join(rat, iw))
		}
		if g := member(rule, "guards"); g >= 0 {
			m.guards(typ, rule.Content[g], join(rat, g))
		}
		if c := member(rule, "calls"); c >= 0 {
			m.calls(typ, rule.Content[c], join(rat, c))
		}
	}
}

func (m *mutator) guards(typ string, seq *yaml.Node, at []int) {
	for i, g := range seq.Content {
		if r := member(g, "require"); r >= 0 && g.Kind == yaml.MappingNode {
			code := value(g, "code")
			m.flip(g.Content[r], join(at, i, r), fmt.Sprintf("%s: flip guard %s", typ, code))
		}
	}
}

// ignoreWhen flips each ignoreWhen entry's condition, and disables each
// entry (its condition made false, as if the entry were dropped), so that
// the cases must show both the events it ignores and those it lets through.
func (m *mutator) ignoreWhen(typ string, seq *yaml.Node, at []int) {
	for i, e := range seq.Content {
		if w := member(e, "when"); w >= 0 && e.Kind == yaml.MappingNode {
			m.flip(e.Content[w], join(at, i, w), fmt.Sprintf("%s: flip ignoreWhen[%d]", typ, i))
			m.add(e.Content[w], join(at, i, w), fmt.Sprintf("%s: disable ignoreWhen[%d]", typ, i), func(n *yaml.Node) {
				n.Value, n.Style = "false", 0
			})
		}
	}
}

func (m *mutator) flip(n *yaml.Node, at []int, what string) {
	m.add(n, at, what, func(n *yaml.Node) {
		n.Value, n.Style = "!("+n.Value+")", 0
	})
}

func (m *mutator) calls(typ string, seq *yaml.Node, at []int) {
	for i, call := range seq.Content {
		if call.Kind != yaml.MappingNode {
			continue
		}
		cat := join(at, i)
		name := typ + " " + value(call, "name")
		if w := member(call, "when"); w >= 0 {
			m.flip(call.Content[w], join(cat, w), name+": flip when")
		}
		if l := member(call, "leadsTo"); l >= 0 {
			m.leadsTo(call.Content[l], join(cat, l), name)
		}
		if p := member(call, "path"); p >= 0 {
			m.path(call.Content[p], join(cat, p), name)
		}
		if b := member(call, "body"); b >= 0 && call.Content[b].Kind != yaml.AliasNode {
			m.body(call.Content[b], join(cat, b), name+": body")
		}
	}
}

// leadsTo changes the status to the next one in the status table.
func (m *mutator) leadsTo(n *yaml.Node, at []int, name string) {
	for i, s := range m.statuses {
		if s == n.Value && len(m.statuses) > 1 {
			to := m.statuses[(i+1)%len(m.statuses)]
			m.add(n, at, fmt.Sprintf("%s: leadsTo %s → %s", name, s, to), func(n *yaml.Node) { n.Value = to })
		}
	}
}

// path renames each literal segment of a call path.
func (m *mutator) path(n *yaml.Node, at []int, name string) {
	segs := strings.Split(n.Value, "/")
	for i, s := range segs {
		if s == "" || strings.ContainsAny(s, "{}") {
			continue
		}
		renamed := append([]string(nil), segs...)
		renamed[i] = s + "x"
		to := strings.Join(renamed, "/")
		m.add(n, at, fmt.Sprintf("%s: rename path segment %s (%s)", name, s, to), func(n *yaml.Node) { n.Value = to })
	}
}

// body drops every field and changes every literal of a body template.
func (m *mutator) body(n *yaml.Node, at []int, where string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "$each" || k.Value == "$as" {
				continue
			}
			field := where + "." + k.Value
			if !strings.HasPrefix(k.Value, "$") {
				m.drop(k, at, i, field)
			}
			if v.Kind != yaml.AliasNode {
				m.body(v, join(at, i+1), field)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			m.body(c, join(at, i), where+"["+strconv.Itoa(i)+"]")
		}
	case yaml.ScalarNode:
		m.literal(n, at, where)
	}
}

func (m *mutator) drop(k *yaml.Node, at []int, i int, field string) {
	m.add(k, at, "drop "+field, func(n *yaml.Node) {
		n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
	})
}

// literal changes a scalar that is not a template: strings get a suffix,
// numbers grow by one, booleans flip.
func (m *mutator) literal(n *yaml.Node, at []int, where string) {
	if strings.Contains(n.Value, "${") {
		return
	}
	var to string
	switch n.Tag {
	case "!!str":
		to = n.Value + "X"
	case "!!int":
		v, _ := strconv.Atoi(n.Value)
		to = strconv.Itoa(v + 1)
	case "!!bool":
		to = strconv.FormatBool(n.Value != "true")
	default:
		return
	}
	m.add(n, at, fmt.Sprintf("change %s %q → %q", where, n.Value, to), func(n *yaml.Node) { n.Value = to })
}

func (m *mutator) tables(tables *yaml.Node, at []int) {
	for i := 0; i+1 < len(tables.Content); i += 2 {
		name, table := tables.Content[i].Value, tables.Content[i+1]
		for j := 0; j+1 < len(table.Content); j += 2 {
			entry := table.Content[j+1]
			to := entry.Value + " X"
			m.add(entry, join(at, i+1, j+1), fmt.Sprintf("table %s: entry %s → %q", name, table.Content[j].Value, to),
				func(n *yaml.Node) { n.Value = to })
		}
	}
}

// member returns the index of key's value in a mapping node, or -1.
func member(n *yaml.Node, key string) int {
	if n.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i + 1
		}
	}
	return -1
}

func value(n *yaml.Node, key string) string {
	if i := member(n, key); i >= 0 {
		return n.Content[i].Value
	}
	return ""
}

func keys(n *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// join returns a new path: at followed by more.
func join(at []int, more ...int) []int {
	return append(append([]int(nil), at...), more...)
}

// TestMutantKinds: every mutant of the bundled mappings has one of the
// kinds the sample of TestMutants draws from, and the sample keeps some
// of each kind of each mapping.
func TestMutantKinds(t *testing.T) {
	files, err := filepath.Glob("../mappings/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundled mappings: %v", err)
	}
	known := map[string]bool{"drop": true, "change": true, "table": true, "flip guard": true, "flip when": true, "flip ignoreWhen": true, "disable ignoreWhen": true, "leadsTo": true, "rename path segment": true}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms := mutantsOf(parse(t, src), f)
		kinds := map[string]int{}
		for _, m := range ms {
			if !known[m.kind] {
				t.Errorf("%s: kind %q, want one of %v", m.desc, m.kind, known)
			}
			kinds[m.kind]++
		}
		sample := sampleMutants(ms, mutantSample, mutantSampleSeed)
		sampled := map[string]int{}
		for _, m := range sample {
			sampled[m.kind]++
		}
		for k, n := range kinds {
			if want := (n + mutantSample - 1) / mutantSample; sampled[k] != want {
				t.Errorf("%s: sample has %d %q mutants of %d, want %d", f, sampled[k], k, n, want)
			}
		}
	}
}
