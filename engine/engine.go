package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Engine holds compiled mappings, one per marketplace. It is immutable after
// loading and safe for concurrent use by many goroutines.
type Engine struct {
	mappings map[string]*compiledMapping
	ids      []string
	findings diag.List
}

// Option configures loading.
type Option func(*loadConfig)

type loadConfig struct {
	displayDir string
}

// WithDisplayDir names the folder files are shown under in findings and
// error sources (mappings/skyhub.yaml:12:5).
func WithDisplayDir(dir string) Option {
	return func(c *loadConfig) { c.displayDir = dir }
}

type sourceFile struct {
	path string
	src  []byte
}

var mappingSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return schemas.Compile(schemas.Mapping)
})

// Load reads every *.yaml and *.yml file at the top of fsys, checks and
// compiles them. It returns a diag.List (use errors.As) holding every error
// found, sorted by position, when any file is broken; warnings are available
// from Findings.
func Load(fsys fs.FS, opts ...Option) (*Engine, error) {
	cfg := loadConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	files, ds := readFS(fsys, cfg.displayDir)
	if ds.HasErrors() {
		return nil, ds
	}
	return build(files)
}

// LoadPaths loads mapping files and folders given on a command line.
func LoadPaths(paths ...string) (*Engine, error) {
	files, ds := readPaths(paths)
	if ds.HasErrors() {
		return nil, ds
	}
	return build(files)
}

// Lint checks the mapping files and folders given and returns every finding,
// errors and warnings, sorted. It never stops at the first problem.
func Lint(paths ...string) diag.List {
	files, ds := readPaths(paths)
	_, more := compileAll(files)
	return append(ds, more...).Sort()
}

// LintFS is Lint for the mapping files of an fs.FS.
func LintFS(fsys fs.FS, displayDir string) diag.List {
	files, ds := readFS(fsys, displayDir)
	_, more := compileAll(files)
	return append(ds, more...).Sort()
}

func build(files []sourceFile) (*Engine, error) {
	// The canonical event schema is compiled at load, while the mappings
	// are (on another core when there is one), so that no translation pays
	// it and a broken schema is reported here.
	validator := make(chan error, 1)
	go func() {
		_, err := canonicalValidator()
		validator <- err
	}()
	e, ds := compileAll(files)
	if err := <-validator; err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Code: diag.Unreadable, Message: fmt.Sprintf("canonical event schema: %v", err)})
	}
	if ds.HasErrors() {
		return nil, ds.Errors().Sort()
	}
	e.findings = ds.Sort()
	return e, nil
}

func compileAll(files []sourceFile) (*Engine, diag.List) {
	schema, err := mappingSchema()
	if err != nil {
		return nil, diag.List{{Severity: diag.Error, Code: diag.Unreadable, Message: fmt.Sprintf("mapping schema: %v", err)}}
	}
	e := &Engine{mappings: map[string]*compiledMapping{}}
	configs := lang.NewConfigs(nativeForm)
	out := make([]compiledFile, len(files))
	found := make([]diag.List, len(files))
	forEach(len(files), func(i int) { out[i], found[i] = compileFile(files[i], schema, configs) })
	var ds diag.List
	for i, f := range out {
		ds = append(ds, found[i]...)
		if f.compiled != nil {
			ds = append(ds, e.add(f.compiled, f.File)...)
		}
	}
	sort.Strings(e.ids)
	return e, ds
}

// compiledFile is one mapping file, parsed and, when it has no errors,
// compiled.
type compiledFile struct {
	*mapping.File
	compiled *compiledMapping // nil when the file has errors
}

// compileFile parses, checks and compiles one file, its expressions with
// the engine's shared configurations, returning its findings, at most
// maxFindings (and a summary).
func compileFile(sf sourceFile, schema *jsonschema.Schema, configs *lang.Configs) (compiledFile, diag.List) {
	f, ds := mapping.Parse(sf.path, sf.src, schema)
	if f.Mapping == nil {
		return compiledFile{File: f}, capped(append(ds, salvageFindings(sf, schema, ds)...), sf.path)
	}
	mk, mds := compileMarket(f, configs)
	return compiledFile{File: f, compiled: mk}, capped(append(ds, mds...), sf.path)
}

// forEach calls do(0) ... do(n-1), as many at once as there are CPUs to run
// them, and returns when all have returned.
func forEach(n int, do func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			do(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				do(i)
			}
		})
	}
	wg.Wait()
}

// maxFindings is how many findings one file reports; past it a last finding
// says how many more there are.
const maxFindings = 100

func capped(ds diag.List, file string) diag.List {
	ds = ds.Sort()
	if len(ds) <= maxFindings {
		return ds
	}
	// The summary is an error only when it hides one, so that warnings
	// alone never stop the mappings from loading.
	hidden := ds[maxFindings:]
	severity := diag.Warning
	if hidden.HasErrors() {
		severity = diag.Error
	}
	last := ds[maxFindings-1]
	return append(ds[:maxFindings:maxFindings], diag.Diagnostic{Pos: last.Pos, Severity: severity, Code: last.Code,
		Message: fmt.Sprintf("%d more findings in %s not shown (at most %d are shown per file); fix these first", len(hidden), file, maxFindings)})
}

func (e *Engine) add(mk *compiledMapping, f *mapping.File) diag.List {
	if prev, ok := e.mappings[mk.id]; ok {
		pos := f.PosOf("/marketplace")
		return diag.List{f.Diag(pos, diag.DuplicateMarketplace, "marketplace %q is already defined in %s; each marketplace has one mapping file", mk.id, prev.path)}
	}
	e.mappings[mk.id] = mk
	e.ids = append(e.ids, mk.id)
	return nil
}

// Findings returns the warnings found while loading (errors stop loading).
func (e *Engine) Findings() diag.List { return e.findings }

// Marketplaces returns the ids of the loaded mappings, sorted.
func (e *Engine) Marketplaces() []string { return append([]string(nil), e.ids...) }

// IsMappingFile reports whether Load reads a file of this name from a
// folder: *.yaml or *.yml, neither hidden (.name) nor set aside (_name).
func IsMappingFile(name string) bool {
	base := path.Base(name)
	if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
		return false
	}
	return strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")
}

func readFS(fsys fs.FS, displayDir string) ([]sourceFile, diag.List) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, diag.List{{Pos: diag.Pos{File: displayDir}, Severity: diag.Error, Code: diag.Unreadable, Message: err.Error()}}
	}
	var files []sourceFile
	var ds diag.List
	for _, ent := range entries {
		if ent.IsDir() || !IsMappingFile(ent.Name()) {
			continue
		}
		shown := ent.Name()
		if displayDir != "" && displayDir != "." {
			shown = path.Join(displayDir, ent.Name())
		}
		src, err := fs.ReadFile(fsys, ent.Name())
		if err != nil {
			ds = append(ds, diag.Diagnostic{Pos: diag.Pos{File: shown}, Severity: diag.Error, Code: diag.Unreadable, Message: err.Error()})
			continue
		}
		files = append(files, sourceFile{path: shown, src: src})
	}
	return files, ds
}

func readPaths(paths []string) ([]sourceFile, diag.List) {
	var files []sourceFile
	var ds diag.List
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Error, Code: diag.Unreadable, Message: unreadable(err)})
			continue
		}
		if st.IsDir() {
			fs, fds := readFS(os.DirFS(p), filepath.ToSlash(filepath.Clean(p)))
			files, ds = append(files, fs...), append(ds, fds...)
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Error, Code: diag.Unreadable, Message: unreadable(err)})
			continue
		}
		files = append(files, sourceFile{path: filepath.ToSlash(p), src: src})
	}
	return files, ds
}

func unreadable(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}
