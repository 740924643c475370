package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
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
	// empty runs every mapping. Cases of other marketplaces are left out
	// without a note.
	Only []string
	// Files restricts the run to these mapping files of Mappings (names
	// such as skyhub.yaml); empty loads every mapping file of the folder.
	Files []string
	// Run, when not nil, selects the cases to run, as go test -run does:
	// a case runs when Run matches its name or its full name,
	// <marketplace>/<file>/<name> (skyhub/invoiced/invoice reproduces the
	// seed body). Only the lint check runs then: the other checks need
	// every case.
	Run *regexp.Regexp
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
	// withCases are the marketplaces some case file is written for.
	withCases map[string]bool
}

// Run runs the conformance suite: the cases of opts.Cases written for the
// marketplaces whose mappings it loaded, each against its mapping, then the
// checks against every mapping. Cases written for a marketplace not loaded,
// or whose mapping does not load, do not run: Report.Skipped lists them
// once (a mapping that does not load fails its lint check). The report is
// complete whenever it is not nil. The error is non-nil when the mapping
// folder cannot be read (the report is then nil), when the case folder
// cannot be read (the report holds the checks), or when case files or cases
// are broken: then it is or joins an *InputError (use errors.As), and the
// report shows each broken file or case as a failing result. Run only reads
// files; it is safe to call from several goroutines.
func Run(opts Options) (*Report, error) {
	opts = opts.withDefaults()
	src := mappingSourceOf(opts.Mappings)
	ms, err := loadMappings(src, opts.Only, opts.Files)
	if err != nil {
		return nil, err
	}
	r := &runner{opts: opts, source: src, mappings: map[string]*mappingUnit{}, withCases: map[string]bool{}}
	for _, m := range ms {
		r.mappings[m.id] = m
	}
	files, err := loadCases(opts.Cases)
	rep := &Report{Files: []FileResult{}, Mappings: []MappingResult{}, partial: opts.Run != nil}
	var ran []*caseFile
	for _, f := range r.selectCases(files, rep) {
		ran = append(ran, f)
		rep.Files = append(rep.Files, r.runFile(f))
	}
	for _, m := range ms {
		rep.Mappings = append(rep.Mappings, r.checkMapping(m))
	}
	rep.Matrix = buildMatrix(ms)
	rep.Notes = r.notes(rep)
	rep.count()
	return rep, errors.Join(err, brokenInput(ran))
}

// selectCases keeps the case files of the marketplaces loaded, cut down to the
// cases opts.Run selects, and lists the others in rep.Skipped.
func (r *runner) selectCases(files []*caseFile, rep *Report) []*caseFile {
	skipped := map[string]*SkippedCases{}
	var out []*caseFile
	for _, f := range files {
		id := fileMarketplace(f)
		r.withCases[id] = true
		m, loaded := r.mappings[id]
		switch {
		case id != "" && len(r.opts.Only) > 0 && !slices.Contains(r.opts.Only, id):
			// left out on purpose: neither run nor listed
		case id == "" || (loaded && m.eng != nil) || (loaded && len(f.broken) > 0):
			if f = r.filter(f); f != nil {
				out = append(out, f)
			}
		case r.selected(f) > 0 || len(f.broken) > 0:
			s := skipped[id]
			if s == nil {
				s = &SkippedCases{Marketplace: id, Reason: r.skipReason(id)}
				skipped[id] = s
			}
			s.Files = append(s.Files, f.path)
			s.Cases += max(r.selected(f), 1)
		}
	}
	rep.Skipped = []SkippedCases{}
	for _, s := range skipped {
		rep.Skipped = append(rep.Skipped, *s)
	}
	sort.Slice(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Marketplace < rep.Skipped[j].Marketplace })
	return out
}

// skipReason says why the cases of marketplace id do not run.
func (r *runner) skipReason(id string) string {
	if m, ok := r.mappings[id]; ok && m.eng == nil {
		return fmt.Sprintf("the %s mapping does not load (see its lint check)", id)
	}
	return "no mapping for " + id + " among those tested"
}

// filter returns f with only the cases opts.Run selects, or nil when none
// is. A broken file, whose cases are unknown, is kept whole.
func (r *runner) filter(f *caseFile) *caseFile {
	if r.opts.Run == nil || len(f.broken) > 0 {
		return f
	}
	cp := *f
	cp.cases = nil
	for _, c := range f.cases {
		if r.matches(f, c) {
			cp.cases = append(cp.cases, c)
		}
	}
	if len(cp.cases) == 0 {
		return nil
	}
	return &cp
}

// selected counts the cases of f that opts.Run selects.
func (r *runner) selected(f *caseFile) int {
	n := 0
	for _, c := range f.cases {
		if r.opts.Run == nil || r.matches(f, c) {
			n++
		}
	}
	return n
}

func (r *runner) matches(f *caseFile, c *caseSpec) bool {
	return r.opts.Run.MatchString(c.name) || r.opts.Run.MatchString(CaseFullName(f.marketplace, f.path, c.name))
}

// CaseFullName is the name Options.Run matches besides the case's own:
// <marketplace>/<case file name without extension>/<case name>.
func CaseFullName(marketplace, file, name string) string {
	base := path.Base(filepath.ToSlash(file))
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	return marketplace + "/" + base + "/" + name
}

// notes says what a person reading the report should know about how it
// was run: which copy of the mappings, which checks did not run.
func (r *runner) notes(rep *Report) []string {
	notes := []string{}
	if r.opts.Mappings == "" {
		notes = append(notes, "tested the mappings built into rota; name mapping files or give --mappings DIR to test files on disk")
	}
	for _, m := range rep.Mappings {
		if !r.withCases[m.Marketplace] {
			notes = append(notes, fmt.Sprintf("no case for %s in %s: write them in %s", m.Marketplace, r.opts.Cases, path.Join(filepath.ToSlash(r.opts.Cases), m.Marketplace, "*.yaml")))
		}
	}
	for _, s := range rep.Skipped {
		notes = append(notes, fmt.Sprintf("%s (%s) of %s not run: %s", countNoun(s.Cases, "case"), countNoun(len(s.Files), "file"), s.Marketplace, s.Reason))
	}
	if r.opts.Run != nil {
		if rep.caseCount() == 0 {
			notes = append(notes, fmt.Sprintf("no case matches --run %s", r.opts.Run))
		}
		notes = append(notes, "only the lint check ran: the other checks need every case (run without --run for them)")
	}
	return notes
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// loadCases reads every case file under dir, sorted by path.
func loadCases(dir string) ([]*caseFile, error) {
	paths, err := caseFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("cases %s: %w", dir, err)
	}
	out := make([]*caseFile, 0, len(paths))
	for _, p := range paths {
		cf := loadCaseFile(dir, p)
		if cf.marketplace == "" {
			cf.folder = topFolder(dir, p)
		}
		out = append(out, cf)
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
// a file too broken to say, its folder's name ("" when it has none).
func fileMarketplace(cf *caseFile) string {
	if cf.marketplace != "" {
		return cf.marketplace
	}
	return cf.folder
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
