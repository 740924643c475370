package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// DefaultCases is the case folder rota test reads, relative to the root of
// the repository.
const DefaultCases = "conformance/cases"

// DefaultPropertyRuns is how many events the property run generates per
// canonical event type and mapping.
const DefaultPropertyRuns = 200

// Options say what to test.
type Options struct {
	// Mappings is the folder of mapping files to test; "" tests the bundled
	// mappings (package mappings), shown as mappings/<file>. Request schemas
	// are the bundled ones, plus a schemas/ folder next to Mappings if any.
	Mappings string
	// Cases is the folder of case files (*.yaml, *.yml, searched
	// recursively); "" is DefaultCases, relative to the working directory.
	Cases string
	// Only restricts the run to these marketplace ids (cases and checks);
	// empty runs every mapping.
	Only []string
	// Seed seeds the property run: the same seed generates the same events.
	Seed int64
	// PropertyRuns is how many events the property run generates per event
	// type: 0 means DefaultPropertyRuns, a negative number none.
	PropertyRuns int
}

func (o Options) withDefaults() Options {
	if o.Cases == "" {
		o.Cases = DefaultCases
	}
	switch {
	case o.PropertyRuns == 0:
		o.PropertyRuns = DefaultPropertyRuns
	case o.PropertyRuns < 0:
		o.PropertyRuns = 0
	}
	return o
}

// InputError lists the case files and cases that cannot be read or are
// malformed. Run returns it together with a complete Report, in which each
// of them is also a failing result.
type InputError struct {
	Problems []Problem
}

func (e *InputError) Error() string {
	return "broken case input:\n" + problemLines(e.Problems)
}

// runner is the state of one run.
type runner struct {
	opts     Options
	source   mappingSource
	mappings map[string]*mappingUnit
}

// Run runs the conformance suite: every case of opts.Cases against its
// mapping, then the checks against every mapping. The report is complete
// whenever it is not nil. The error is non-nil when the mapping folder
// cannot be read (the report is then nil), when the case folder cannot be
// read (the report holds the checks), or when case files or cases are
// broken: then it is or joins an *InputError (use errors.As), and the report
// shows each broken file or case as a failing result. Run only reads files;
// it is safe to call from several goroutines.
func Run(opts Options) (*Report, error) {
	opts = opts.withDefaults()
	src := mappingSourceOf(opts.Mappings)
	ms, err := loadMappings(src, opts.Only)
	if err != nil {
		return nil, err
	}
	files, err := loadCases(opts.Cases, opts.Only)
	r := &runner{opts: opts, source: src, mappings: map[string]*mappingUnit{}}
	for _, m := range ms {
		r.mappings[m.id] = m
	}
	rep := &Report{Files: []FileResult{}, Mappings: []MappingResult{}}
	for _, f := range files {
		rep.Files = append(rep.Files, r.runFile(f))
	}
	for _, m := range ms {
		rep.Mappings = append(rep.Mappings, r.checkMapping(m))
	}
	rep.Matrix = buildMatrix(ms)
	rep.count()
	return rep, errors.Join(err, brokenInput(files))
}

// loadCases reads every case file under dir, sorted by path, keeping those
// of the marketplaces in only (all when only is empty).
func loadCases(dir string, only []string) ([]*caseFile, error) {
	paths, err := caseFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("cases %s: %w", dir, err)
	}
	var out []*caseFile
	for _, p := range paths {
		cf := loadCaseFile(dir, p)
		if len(only) == 0 || slices.Contains(only, fileMarketplace(cf, dir, p)) {
			out = append(out, cf)
		}
	}
	return out, nil
}

func caseFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != dir && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")):
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// fileMarketplace is the marketplace a case file tests: as written, or for
// a file too broken to say, its folder's name.
func fileMarketplace(cf *caseFile, root, p string) string {
	if cf.marketplace != "" {
		return cf.marketplace
	}
	return topFolder(root, p)
}

// brokenInput gathers the problems of case files and cases that cannot run.
func brokenInput(files []*caseFile) error {
	var ps []Problem
	for _, f := range files {
		ps = append(ps, f.broken...)
		for _, c := range f.cases {
			ps = append(ps, c.broken...)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &InputError{Problems: ps}
}
