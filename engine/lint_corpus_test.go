package engine_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/doccheck"
)

// lintCorpus is the lint corpus: testdata/lint/<code>/ holds mapping files
// (each linted alone) and folders (their files linted together), each file
// starting with comment lines "# want: LINE:COL CODE", one per finding
// expected of it.
const lintCorpus = "testdata/lint"

// corpusExempt are the lint codes a fixture cannot show, and why.
var corpusExempt = map[string]string{
	string(diag.Unreadable):         "a file in the repository is readable; cmd/rota's TestLintUnreadablePathExits2 covers it",
	string(diag.TooLarge):           "a fixture over the 1 MiB a mapping file may have would bloat the repository; engine/internal/mapping's TestFileSizeLimit builds one",
	string(diag.UnknownEnvironment): "no key of a mapping names an environment, so lint never reports it; --env does, at translate time",
}

var wantLine = regexp.MustCompile(`^# want: (\d+):(\d+) ([a-z_]+)$`)

// TestLintCorpusCoversEveryCode: every lint code documented in
// docs/mapping-format.md has at least one fixture, unless exempt with a
// reason, and the corpus has no folder for a code that does not exist.
func TestLintCorpusCoversEveryCode(t *testing.T) {
	documented := doccheck.TableCodes(t, "../docs/mapping-format.md", "## Troubleshooting lint findings")
	if len(documented) < 20 {
		t.Fatalf("found %d documented codes, want them all", len(documented))
	}
	for code := range documented {
		entries, _ := os.ReadDir(filepath.Join(lintCorpus, code))
		if _, exempt := corpusExempt[code]; exempt {
			if len(entries) > 0 {
				t.Errorf("%s is exempt (%s) but has fixtures: drop the exemption", code, corpusExempt[code])
			}
			continue
		}
		if len(entries) == 0 {
			t.Errorf("lint code %s has no fixture: add %s/%s/NAME.yaml starting with \"# want: LINE:COL %s\"", code, lintCorpus, code, code)
		}
	}
	folders, err := os.ReadDir(lintCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		if !documented[f.Name()] {
			t.Errorf("%s/%s: %s is not a documented lint code", lintCorpus, f.Name(), f.Name())
		}
	}
}

// TestLintCorpus: each fixture yields exactly the findings its want lines
// expect, and at least one of the code its folder is named after.
func TestLintCorpus(t *testing.T) {
	folders, err := os.ReadDir(lintCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, folder := range folders {
		code := folder.Name()
		entries, err := os.ReadDir(filepath.Join(lintCorpus, code))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Run(code+"/"+e.Name(), func(t *testing.T) {
				p := path.Join(lintCorpus, code, e.Name())
				got, want := lintFixture(t, p, e.IsDir())
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if !slices.ContainsFunc(want, func(w string) bool { return strings.HasSuffix(w, " "+code) }) {
					t.Errorf("no finding of %s is expected: the fixture belongs to another folder", code)
				}
			})
		}
	}
}

// lintFixture lints a fixture file or folder and returns its findings and
// the findings its want lines expect, each as "FILE:LINE:COL CODE", sorted.
func lintFixture(t *testing.T, p string, isDir bool) (got, want []string) {
	t.Helper()
	files := []string{p}
	if isDir {
		entries, err := os.ReadDir(p)
		if err != nil {
			t.Fatal(err)
		}
		files = files[:0]
		for _, e := range entries {
			files = append(files, path.Join(p, e.Name()))
		}
	}
	for _, f := range files {
		want = append(want, wantsOf(t, f)...)
	}
	for _, d := range engine.Lint(p) {
		got = append(got, fmt.Sprintf("%s:%d:%d %s", d.Pos.File, d.Pos.Line, d.Pos.Col, d.Code))
	}
	slices.Sort(got)
	slices.Sort(want)
	return got, want
}

// wantsOf reads the want lines of a fixture's leading comment.
func wantsOf(t *testing.T, file string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if m := wantLine.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("%s:%s:%s %s", file, m[1], m[2], m[3]))
		} else if strings.HasPrefix(line, "# want") {
			t.Fatalf("%s: %q is not \"# want: LINE:COL CODE\"", file, line)
		}
	}
	return out
}
