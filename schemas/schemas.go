package schemas

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FS holds the embedded schema files: every *.json file of this folder and
// everything under marketplaces/. Paths are relative to BaseURL.
//
//go:embed *.json all:marketplaces
var FS embed.FS

// BaseURL is the $id prefix of every bundled schema.
const BaseURL = "https://github.com/rotahq/rota/schemas/"

// CanonicalEvent is the file name of the canonical event schema.
const CanonicalEvent = "canonical-event.schema.json"

// Mapping is the file name of the mapping file schema.
const Mapping = "mapping.schema.json"

// NewCompiler returns a jsonschema compiler (Draft2020, AssertFormat and
// AssertContent on) that resolves every BaseURL-prefixed URL from FS, then
// from each extra fs.FS in order (e.g. a user's schema folder; a bundled
// schema always wins), and refuses any other URL: no network access, ever. Its
// LoadURL returns an error naming the URL; Compile wraps that error in a
// *jsonschema.SchemaError.
//
// Each call returns a new compiler; a compiler is not safe for concurrent use,
// the schemas it compiles are.
func NewCompiler(extra ...fs.FS) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.AssertContent = true
	c.LoadURL = loader(append([]fs.FS{FS}, extra...))
	return c
}

// Compile compiles the bundled schema with the given file name (e.g.
// CanonicalEvent, "marketplaces/skyhub/invoice.request.schema.json"). The
// error is a *jsonschema.SchemaError; it wraps fs.ErrNotExist when no such
// schema is bundled. Safe for concurrent use.
func Compile(name string) (*jsonschema.Schema, error) {
	return NewCompiler().Compile(BaseURL + name)
}

var canonicalEventSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return Compile(CanonicalEvent)
})

// CanonicalEventSchema returns the compiled canonical event schema, compiled
// once (every call returns the same *jsonschema.Schema, or the same error);
// safe for concurrent use, and so is the schema's Validate.
func CanonicalEventSchema() (*jsonschema.Schema, error) {
	return canonicalEventSchema()
}

// errRefused is wrapped by the error for a URL that is not under BaseURL.
var errRefused = errors.New("only " + BaseURL + " URLs are resolved, from the bundled schemas; never from the network")

// loader returns a jsonschema LoadURL function that serves BaseURL-prefixed
// URLs from the first of sources holding the file and refuses all others.
func loader(sources []fs.FS) func(string) (io.ReadCloser, error) {
	return func(url string) (io.ReadCloser, error) {
		name, ok := strings.CutPrefix(url, BaseURL)
		if !ok || !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("schemas: refusing to load %s: %w", url, errRefused)
		}
		return open(sources, url, name)
	}
}

// open opens name in the first of sources that has it; url is for errors.
func open(sources []fs.FS, url, name string) (io.ReadCloser, error) {
	for _, fsys := range sources {
		f, err := fsys.Open(name)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("schemas: loading %s: %w", url, err)
		}
	}
	return nil, fmt.Errorf("schemas: no schema %s: %w", url, fs.ErrNotExist)
}
