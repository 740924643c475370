package engine

import (
	"sync"
	"testing"

	"github.com/rotahq/rota/engine/internal/fastschema"
	"github.com/rotahq/rota/mappings"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestLoadCompilesTheCanonicalSchema: Load returns with the canonical event
// schema's validator compiled, so that no translation pays for it.
func TestLoadCompilesTheCanonicalSchema(t *testing.T) {
	saved := canonicalValidator
	t.Cleanup(func() { canonicalValidator = saved })
	compiled := false
	canonicalValidator = sync.OnceValues(func() (*fastschema.Validator, error) {
		compiled = true
		return fastschema.Compile()
	})
	if _, err := Load(mappings.FS, WithDisplayDir("mappings")); err != nil {
		t.Fatal(err)
	}
	if !compiled {
		t.Fatal("Load returned without compiling the canonical event schema; the first translation would pay for it")
	}
}

// BenchmarkLoadCold is what a new process (rota translate) pays before its
// first translation: loading all bundled mappings with nothing compiled
// yet, so each op also compiles the mapping schema and the canonical event
// schema's validator, as the first Load of a process does.
// BenchmarkLoad is the same without them, a later Load.
func BenchmarkLoadCold(b *testing.B) {
	savedMapping, savedCanonical := mappingSchema, canonicalValidator
	b.Cleanup(func() { mappingSchema, canonicalValidator = savedMapping, savedCanonical })
	b.ReportAllocs()
	for b.Loop() {
		mappingSchema = sync.OnceValues(func() (*jsonschema.Schema, error) { return schemas.Compile(schemas.Mapping) })
		canonicalValidator = sync.OnceValues(fastschema.Compile)
		e, err := Load(mappings.FS, WithDisplayDir("mappings"))
		if err != nil {
			b.Fatal(err)
		}
		if n := len(e.Marketplaces()); n < 4 {
			b.Fatalf("loaded %d marketplaces, want the 4 bundled ones", n)
		}
	}
}
