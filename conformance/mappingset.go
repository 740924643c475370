package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/mappings"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// mappingUnit is one mapping file and what the cases and checks need of it.
// Each file is compiled on its own, so one broken mapping does not stop the
// others from being tested.
type mappingUnit struct {
	id   string
	path string // as shown: mappings/skyhub.yaml
	src  []byte
	// decl is what the file declares, as the engine parsed it; nil when
	// it does not decode as a mapping.
	decl *engine.Mapping
	// eng is nil when the file does not load; loadErr says why.
	eng     *engine.Engine
	loadErr diag.List
	lint    diag.List
	// requestSchemas by call name; schemaErrs says why one is missing.
	requestSchemas map[string]*jsonschema.Schema
	schemaErrs     map[string]error
	obs            *observations
}

// model returns what the mapping declares, or nil.
func (m *mappingUnit) model() *engine.Mapping { return m.decl }

// rule returns the mapping's rule for an event type.
func (m *mappingUnit) rule(typ string) (engine.EventRule, bool) {
	if m.decl != nil {
		for _, r := range m.decl.Events {
			if r.Type == typ {
				return r, true
			}
		}
	}
	return engine.EventRule{}, false
}

// mappingSource is where mapping files are read from.
type mappingSource struct {
	fsys    fs.FS
	display string
	// schemaDirs are extra request schema folders (next to the mappings).
	schemaDirs []fs.FS
}

func mappingSourceOf(dir string) mappingSource {
	if dir == "" {
		return mappingSource{fsys: mappings.FS, display: "mappings"}
	}
	src := mappingSource{fsys: os.DirFS(dir), display: filepath.ToSlash(filepath.Clean(dir))}
	if st, err := os.Stat(filepath.Join(dir, "..", "schemas")); err == nil && st.IsDir() {
		src.schemaDirs = append(src.schemaDirs, os.DirFS(filepath.Join(dir, "..", "schemas")))
	}
	return src
}

// loadMappings reads the mapping files of the source (those named in
// files, or all), keeps those of the marketplaces in only (or all), sorted
// by marketplace id. The error is for a folder that cannot be read, holds
// no mapping file, or lacks a file named.
func loadMappings(src mappingSource, only, files []string) ([]*mappingUnit, error) {
	names, err := mappingFiles(src.fsys)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // the path is fsys's own ".", not the folder's
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the mappings folder %s: %w", src.display, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no mapping files (*.yaml, *.yml) in %s", src.display)
	}
	for _, f := range files {
		if !slices.Contains(names, f) {
			return nil, fmt.Errorf("no mapping file %s in %s", f, src.display)
		}
	}
	var out []*mappingUnit
	definedIn := map[string]string{} // marketplace id → file
	for _, name := range names {
		if len(files) > 0 && !slices.Contains(files, name) {
			continue
		}
		m := loadUnit(src, name)
		if prev, ok := definedIn[m.id]; ok {
			m.lint = append(m.lint, m.duplicateOf(prev))
		}
		definedIn[m.id] = m.path
		if len(only) == 0 || slices.Contains(only, m.id) {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// mappingFiles lists the mapping files at the top of fsys as the engine
// does: *.yaml and *.yml, not hidden, not starting with _.
func mappingFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && engine.IsMappingFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// duplicateOf is the finding of a mapping whose marketplace another file,
// prev, already defines, as the engine reports it when it loads both.
func (m *mappingUnit) duplicateOf(prev string) diag.Diagnostic {
	pos := diag.Pos{File: m.path}
	if m.decl != nil {
		pos = m.decl.Document.Pos("/marketplace")
	}
	return diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: diag.DuplicateMarketplace,
		Message: fmt.Sprintf("marketplace %q is already defined in %s; each marketplace has one mapping file", m.id, prev)}
}

func loadUnit(src mappingSource, name string) *mappingUnit {
	m := &mappingUnit{path: shownPath(src.display, name), obs: newObservations()}
	var err error
	if m.src, err = fs.ReadFile(src.fsys, name); err != nil {
		m.loadErr = diag.List{{Pos: diag.Pos{File: m.path}, Severity: diag.Error, Code: diag.Unreadable, Message: err.Error()}}
		m.id = strings.TrimSuffix(strings.TrimSuffix(name, ".yml"), ".yaml")
		return m
	}
	m.eng, m.decl, m.lint = engine.LoadMapping(m.path, m.src)
	if m.eng == nil {
		m.loadErr = m.lint.Errors()
	}
	m.id = m.marketplaceID(name)
	m.compileSchemas(src.schemaDirs)
	return m
}

func shownPath(display, name string) string {
	if display == "" || display == "." {
		return name
	}
	return path.Join(display, name)
}

// marketplaceID is the mapping's id: from the engine, the model, the YAML,
// or else the file name.
func (m *mappingUnit) marketplaceID(name string) string {
	if m.eng != nil {
		if ids := m.eng.Marketplaces(); len(ids) == 1 {
			return ids[0]
		}
	}
	if md := m.model(); md != nil && md.Marketplace != "" {
		return md.Marketplace
	}
	if doc := m.document(); doc != nil {
		if top, ok := doc.Value().(map[string]any); ok {
			if id, ok := top["marketplace"].(string); ok && id != "" {
				return id
			}
		}
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, ".yml"), ".yaml")
}

// compileSchemas compiles the request schema of every call that has a body:
// schemas/marketplaces/<id>/<call>.request.schema.json.
func (m *mappingUnit) compileSchemas(extra []fs.FS) {
	m.requestSchemas, m.schemaErrs = map[string]*jsonschema.Schema{}, map[string]error{}
	c := schemas.NewCompiler(extra...)
	for _, name := range m.bodyCallNames() {
		s, err := c.Compile(schemas.BaseURL + requestSchemaName(m.id, name))
		if err != nil {
			m.schemaErrs[name] = err
			continue
		}
		m.requestSchemas[name] = s
	}
	m.compilePartSchemas(c)
}

func requestSchemaName(id, call string) string {
	return "marketplaces/" + id + "/" + call + ".request.schema.json"
}

// bodyCallNames lists the distinct names of the calls that send a body.
func (m *mappingUnit) bodyCallNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range m.calls() {
		if c.call.HasBody && !seen[c.call.Name] {
			seen[c.call.Name] = true
			out = append(out, c.call.Name)
		}
	}
	sort.Strings(out)
	return out
}

// callRef is one call of an event rule, with its JSON pointer in the file.
type callRef struct {
	eventType string
	ptr       string
	call      engine.RuleCall
}

// calls lists every call of every event rule, in file order.
func (m *mappingUnit) calls() []callRef {
	md := m.model()
	if md == nil {
		return nil
	}
	var out []callRef
	for _, r := range md.Events {
		for _, c := range r.Calls {
			out = append(out, callRef{r.Type, c.Pointer, c})
		}
	}
	return out
}

// pos returns the position of the value at a JSON pointer of the file.
func (m *mappingUnit) pos(ptr string) diag.Pos {
	if m.decl == nil {
		return diag.Pos{File: m.path}
	}
	return m.decl.Document.Pos(ptr)
}
