package engine_test

// Benchmarks of the engine against a hand-written Go baseline
// (engine/internal/handwritten), in one run so that ratios can be taken.
// Both must give the same calls byte for byte: handwritten_test.go checks
// it for many events, and each benchmark for its own event before timing.
//
// Run (about 25 minutes on 2 cores; stop other work on the machine first,
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
//     target < 15 ms. The mapping schema and the canonical event schema are
//     compiled once per process, so this is the warm cost;
//     BenchmarkLoadCold (load_internal_test.go) is the first load of a
//     process, which also compiles them.
//   - BenchmarkTranslateParallel/<mkt>/<event> (b.RunParallel, no validation)
//     at -cpu 2 against BenchmarkTranslateSerial/<mkt>/<event> at -cpu 1:
//     throughput gain = serial ns/op ÷ parallel ns/op; target ≥ 1.7×.
//     BenchmarkTranslateIntoParallel against BenchmarkTranslateIntoSerial
//     is the same through Engine.TranslateInto, each goroutine reusing its
//     own Result. BenchmarkHandwrittenParallel is the control: how far
//     plain Go scales on the same machine (garbage collection is what holds
//     both back), and
//     BenchmarkSyntaxParallel against BenchmarkSyntaxSerial how far work
//     that allocates nothing scales: the machine's own ceiling. On a
//     virtual machine whose vCPUs differ in speed (a busy neighbour on the
//     same physical core), "one core" depends on which one the serial run
//     lands on: pin the serial runs with taskset and compare with their
//     mean, as docs/performance.md shows. Give
//     these a time (-benchtime 2s), not a count: with -benchtime 1000000x,
//     RunParallel sizes its batches from a one-iteration probe and the
//     goroutines contend on its counter for every operation.
//   - cpu-ns/op is the process's CPU time per op (user + system, including
//     the garbage collector on other threads). gc-cpu-ns/op is the
//     runtime's estimate of the collector's part (an overestimate, to
//     compare between runs rather than with cpu-ns/op). Under RunParallel
//     they show what each op costs when two run at once.
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
	"errors"
	"runtime/metrics"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
	"github.com/rotahq/rota/engine/internal/handwritten/cputime"
	"github.com/rotahq/rota/mappings"
	"github.com/tidwall/gjson"
)

func BenchmarkTranslate(b *testing.B) {
	hwEachPair(b, func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte) {
		for _, m := range hwModes {
			b.Run(m.name, func(b *testing.B) { hwMeasure(b, hwTranslate(eng, p, raw, m.skip)) })
		}
	})
}

func BenchmarkHandwritten(b *testing.B) {
	hwEachPair(b, func(b *testing.B, _ *engine.Engine, p hwPair, raw []byte) {
		hwMeasure(b, p.run(raw))
	})
}

// BenchmarkValidate is engine.ValidateEvent alone: the canonical schema and
// the field rules, what TranslateOptions.SkipValidation saves.
func BenchmarkValidate(b *testing.B) {
	hwEachPair(b, func(b *testing.B, _ *engine.Engine, _ hwPair, raw []byte) {
		hwMeasure(b, func() error { return engine.ValidateEvent(raw) })
	})
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
	hwEachPair(b, func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte) {
		hwMeasure(b, hwTranslate(eng, p, raw, true))
	})
}

// BenchmarkTranslateParallel translates from GOMAXPROCS goroutines (set it
// with -cpu) sharing one engine; ns/op is wall time per translation.
func BenchmarkTranslateParallel(b *testing.B) {
	hwEachPair(b, func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte) {
		hwMeasureParallel(b, hwTranslate(eng, p, raw, true))
	})
}

// BenchmarkTranslateIntoSerial is BenchmarkTranslateSerial through
// Engine.TranslateInto, reusing one Result.
func BenchmarkTranslateIntoSerial(b *testing.B) {
	hwEachPair(b, func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte) {
		hwMeasure(b, hwTranslateInto(eng, p, raw))
	})
}

// BenchmarkTranslateIntoParallel is BenchmarkTranslateParallel through
// Engine.TranslateInto, each goroutine reusing its own Result.
func BenchmarkTranslateIntoParallel(b *testing.B) {
	hwEachPair(b, func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte) {
		hwMeasureParallelEach(b, func() func() error { return hwTranslateInto(eng, p, raw) })
	})
}

// BenchmarkHandwrittenParallel is the control for BenchmarkTranslateParallel:
// how the hand-written code scales on the same machine. Where it scales no
// better than the engine, the limit is the machine, not the engine.
func BenchmarkHandwrittenParallel(b *testing.B) {
	hwEachPair(b, func(b *testing.B, _ *engine.Engine, p hwPair, raw []byte) {
		hwMeasureParallel(b, p.run(raw))
	})
}

// BenchmarkSyntaxSerial and BenchmarkSyntaxParallel check the event's JSON
// syntax (gjson.ValidBytes, the first step of a translation), work of the
// same kind that allocates nothing: the second control for
// BenchmarkTranslateParallel, how far the machine itself scales when the
// garbage collector has nothing to do.
func BenchmarkSyntaxSerial(b *testing.B) {
	hwEachPair(b, func(b *testing.B, _ *engine.Engine, _ hwPair, raw []byte) {
		hwMeasure(b, hwSyntax(raw))
	})
}

// BenchmarkSyntaxParallel is BenchmarkSyntaxSerial from GOMAXPROCS
// goroutines.
func BenchmarkSyntaxParallel(b *testing.B) {
	hwEachPair(b, func(b *testing.B, _ *engine.Engine, _ hwPair, raw []byte) {
		hwMeasureParallel(b, hwSyntax(raw))
	})
}

func hwSyntax(raw []byte) func() error {
	return func() error {
		if !gjson.ValidBytes(raw) {
			return errors.New("event is not valid JSON")
		}
		return nil
	}
}

// hwEachPair runs bench as one sub-benchmark per pair, named mkt/event, with
// the pair's benchmarked event. It first checks, untimed, that the engine
// (with and without validation) and the hand-written code send that event
// with the same calls, so that no benchmark times a refusal or other work
// than its twin, even in a run that skips the tests.
func hwEachPair(b *testing.B, bench func(b *testing.B, eng *engine.Engine, p hwPair, raw []byte)) {
	eng := enginetest.Bundled(b)
	for _, p := range hwPairs {
		raw := p.raw(b)
		hwCheckSame(b, eng, p, raw, true)
		b.Run(p.name(), func(b *testing.B) { bench(b, eng, p, raw) })
	}
}

// hwTranslate is the engine's translation of p's event raw, as timed.
func hwTranslate(eng *engine.Engine, p hwPair, raw []byte, skipValidation bool) func() error {
	o := engine.TranslateOptions{SkipValidation: skipValidation, Vars: p.vars}
	return func() error { _, err := eng.Translate(raw, o); return err }
}

// hwTranslateInto is hwTranslate (without validation) through
// Engine.TranslateInto, reusing one Result.
func hwTranslateInto(eng *engine.Engine, p hwPair, raw []byte) func() error {
	o := engine.TranslateOptions{SkipValidation: true, Vars: p.vars}
	var res engine.Result
	return func() error { return eng.TranslateInto(&res, raw, o) }
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
	hwMeasureParallelEach(b, func() func() error { return op })
}

// hwMeasureParallelEach is hwMeasureParallel where each goroutine runs an
// op of its own, from newOp.
func hwMeasureParallelEach(b *testing.B, newOp func() func() error) {
	b.ReportAllocs()
	cpu := hwCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		op := newOp()
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
// work on other threads, a real cost of allocating; gc-cpu-ns/op is the
// runtime's estimate of that work (runtime/metrics).
func hwCPU(b *testing.B) func() {
	start, ok := cputime.Process()
	gcStart := gcCPU()
	return func() {
		end, _ := cputime.Process()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
		if b.N > 0 {
			b.ReportMetric((gcCPU()-gcStart)*1e9/float64(b.N), "gc-cpu-ns/op")
		}
	}
}

// gcCPU is the CPU time the garbage collector has taken so far, in seconds,
// as the runtime estimates it.
func gcCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}
