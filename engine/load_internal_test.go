package engine

import (
	"errors"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine/diag"
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

// TestDuplicateMarketplaceNamesTheFirstFile: with files compiled side by
// side, the second file that defines a marketplace is still the one
// refused, naming the first, on every load.
func TestDuplicateMarketplaceNamesTheFirstFile(t *testing.T) {
	src, err := fs.ReadFile(mappings.FS, "skyhub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"a.yaml": {Data: src}, "b.yaml": {Data: src}, "c.yaml": {Data: src}}
	for range 20 {
		_, err := Load(fsys, WithDisplayDir("m"))
		var ds diag.List
		if !errors.As(err, &ds) {
			t.Fatalf("got %v, want a diag.List", err)
		}
		var got []string
		for _, d := range ds {
			if d.Code == diag.DuplicateMarketplace {
				got = append(got, d.Pos.File+": "+d.Message)
			}
		}
		want := []string{
			`m/b.yaml: marketplace "skyhub" is already defined in m/a.yaml; each marketplace has one mapping file`,
			`m/c.yaml: marketplace "skyhub" is already defined in m/a.yaml; each marketplace has one mapping file`,
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
