package engine_test

// Benchmarks of the engine against a hand-written Go baseline
// (engine/internal/handwritten; handwritten_test.go checks that both give
// the same calls byte for byte), in one run so that ratios can be taken.
//
// Run (about 15 minutes on 2 cores; stop other work on the machine first,
// fuzzers and test suites running alongside double the numbers):
//
//	go test ./engine -run '^$' -bench 'Translate|Handwritten|Load|Validate' -benchmem -count 6 -cpu 1,2 | tee /tmp/bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest /tmp/bench.txt
//
// benchstat comes through the Go module proxy. What to read:
//
//   - BenchmarkTranslate/<mkt>/<event>/novalidate against
//     BenchmarkHandwritten/<mkt>/<event>: target ≤ 1.0× the ns/op and no more
//     allocs/op. .../validate (full input validation): target ≤ 5×.
//   - BenchmarkValidate/<mkt>/<event>: engine.ValidateEvent alone, what the
//     validation costs.
//   - BenchmarkLoad: loading and compiling all bundled mappings per op;
//     target < 50 ms. The mapping schema is compiled once per process, so
//     this is the warm cost; the first load in a process also compiles it.
//   - BenchmarkTranslateParallel/<mkt>/<event> (b.RunParallel, no validation)
//     at -cpu 2 against BenchmarkTranslateSerial/<mkt>/<event> at -cpu 1:
//     throughput gain = serial ns/op ÷ parallel ns/op; target ≥ 1.7×.
//     BenchmarkHandwrittenParallel is the control: how far plain Go scales on
//     the same machine (garbage collection is what holds both back).
//   - cpu-ns/op is the process's CPU time per op (user + system, including
//     the garbage collector on other threads). Under RunParallel it shows
//     what each op costs when two run at once.
//
// On a machine shared with other work, run one pair at a time so that the
// engine and the hand-written runs see the same load, and repeat:
//
//	go test ./engine -run '^$' -bench '^Benchmark(Translate|Handwritten|Validate)$/^skyhub$/^shipped$' -benchmem -count 5
//
// A CPU and memory profile of one case (anchor the name: a b.Loop benchmark
// that only partly matches, such as BenchmarkTranslateSerial/skyhub/shipped
// for 'Translate/skyhub/shipped/novalidate', still runs its whole loop once,
// unreported, and lands in the profile):
//
//	go test ./engine -run '^$' -bench '^BenchmarkTranslate$/skyhub/shipped/novalidate' -cpuprofile /tmp/cpu.out -memprofile /tmp/mem.out
//	go tool pprof -top -nodecount 30 /tmp/cpu.out
//	go tool pprof -top -nodecount 30 -sample_index alloc_objects /tmp/mem.out

import (
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/internal/handwritten/cputime"
	"github.com/rotahq/rota/mappings"
)

func BenchmarkTranslate(b *testing.B) {
	eng := hwEngine(b)
	for _, p := range hwPairs {
		raw := p.raw(b)
		for _, m := range hwModes {
			b.Run(p.name()+"/"+m.name, func(b *testing.B) {
				o := engine.TranslateOptions{SkipValidation: m.skip, Vars: p.vars}
				hwCheckTranslates(b, eng, raw, o, p)
				hwMeasure(b, func() error { _, err := eng.Translate(raw, o); return err })
			})
		}
	}
}

func BenchmarkHandwritten(b *testing.B) {
	for _, p := range hwPairs {
		raw := p.raw(b)
		b.Run(p.name(), func(b *testing.B) {
			if err := p.run(raw); err != nil {
				b.Fatal(err)
			}
			hwMeasure(b, func() error { return p.run(raw) })
		})
	}
}

// BenchmarkValidate is engine.ValidateEvent alone: the canonical schema and
// the field rules, what TranslateOptions.SkipValidation saves.
func BenchmarkValidate(b *testing.B) {
	for _, p := range hwPairs {
		raw := p.raw(b)
		b.Run(p.name(), func(b *testing.B) {
			if err := engine.ValidateEvent(raw); err != nil {
				b.Fatal(err)
			}
			hwMeasure(b, func() error { return engine.ValidateEvent(raw) })
		})
	}
}

// BenchmarkLoad loads and compiles all bundled mappings per op.
func BenchmarkLoad(b *testing.B) {
	e, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		b.Fatal(err)
	}
	if n := len(e.Marketplaces()); n < 4 {
		b.Fatalf("loaded %d marketplaces, want the 4 bundled ones", n)
	}
	hwMeasure(b, func() error { _, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings")); return err })
}

// BenchmarkTranslateSerial is BenchmarkTranslate/.../novalidate under the
// name its parallel twin is compared with.
func BenchmarkTranslateSerial(b *testing.B) {
	eng := hwEngine(b)
	for _, p := range hwPairs {
		raw := p.raw(b)
		b.Run(p.name(), func(b *testing.B) {
			o := engine.TranslateOptions{SkipValidation: true, Vars: p.vars}
			hwCheckTranslates(b, eng, raw, o, p)
			hwMeasure(b, func() error { _, err := eng.Translate(raw, o); return err })
		})
	}
}

// BenchmarkTranslateParallel translates from GOMAXPROCS goroutines (set it
// with -cpu) sharing one engine; ns/op is wall time per translation.
func BenchmarkTranslateParallel(b *testing.B) {
	eng := hwEngine(b)
	for _, p := range hwPairs {
		raw := p.raw(b)
		b.Run(p.name(), func(b *testing.B) {
			o := engine.TranslateOptions{SkipValidation: true, Vars: p.vars}
			hwCheckTranslates(b, eng, raw, o, p)
			hwMeasureParallel(b, func() error { _, err := eng.Translate(raw, o); return err })
		})
	}
}

// BenchmarkHandwrittenParallel is the control for BenchmarkTranslateParallel:
// how the hand-written code scales on the same machine. Where it scales no
// better than the engine, the limit is the machine, not the engine.
func BenchmarkHandwrittenParallel(b *testing.B) {
	for _, p := range hwPairs {
		raw := p.raw(b)
		b.Run(p.name(), func(b *testing.B) {
			if err := p.run(raw); err != nil {
				b.Fatal(err)
			}
			hwMeasureParallel(b, func() error { return p.run(raw) })
		})
	}
}

// hwMeasure times op in b's loop, reporting allocations and CPU time per op.
func hwMeasure(b *testing.B, op func() error) {
	b.ReportAllocs()
	cpu := hwCPU(b)
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	cpu()
}

// hwMeasureParallel is hwMeasure from GOMAXPROCS goroutines.
func hwMeasureParallel(b *testing.B, op func() error) {
	b.ReportAllocs()
	cpu := hwCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu()
}

// hwCPU starts measuring the process's CPU time; the function it returns
// reports it per op as cpu-ns/op (after the loop, when b.N is the number of
// iterations). Other load on the machine inflates ns/op, not cpu-ns/op: on
// a shared machine compare cpu-ns/op. It includes the garbage collector's
// work on other threads, a real cost of allocating.
func hwCPU(b *testing.B) func() {
	start, ok := cputime.Process()
	return func() {
		end, _ := cputime.Process()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// hwCheckTranslates makes sure the benchmarked event is sent with the calls
// the test expects, so that no benchmark times a refusal.
func hwCheckTranslates(b *testing.B, eng *engine.Engine, raw []byte, o engine.TranslateOptions, p hwPair) {
	b.Helper()
	res, err := eng.Translate(raw, o)
	if err != nil {
		b.Fatal(err)
	}
	if n := max(p.nCalls, 1); res.Outcome != engine.OutcomeSend || len(res.Calls) != n {
		b.Fatalf("outcome %s with %d calls, want send with %d", res.Outcome, len(res.Calls), n)
	}
}
