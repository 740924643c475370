// Package enginetest gives tests of packages built on the engine the
// engine loaded with the bundled mappings.
package enginetest

import (
	"sync"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
)

var bundled = sync.OnceValues(func() (*engine.Engine, error) {
	return engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
})

// Bundled returns the engine with the bundled mappings, loaded once per
// test binary: an Engine does not change after loading, so tests and
// benchmarks share it. It fails tb when the mappings do not load.
func Bundled(tb testing.TB) *engine.Engine {
	tb.Helper()
	e, err := bundled()
	if err != nil {
		tb.Fatalf("loading the bundled mappings: %v", err)
	}
	return e
}
