package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rotahq/rota/engine/durable/durabletest"
)

// builtRota is the rota command built once for all the package's tests
// that run it as a process (see rotaOnce).
var builtRota struct {
	once sync.Once
	dir  string
	bin  string
	out  []byte
	err  error
}

// binaryTests are the tests that run the rota binary (rotaOnce).
var binaryTests = []string{"TestDocsCommands", "TestServeSurvivesKill9", "TestServeStopsOnSIGTERM", "TestTestReadsTheFileOnDisk"}

// TestMain runs the tests, more of the parallel ones at once than go
// test's default (they wait on rota processes, not the CPU: see
// durabletest.RaiseParallel), then removes the rota binary they built.
// When a test that runs the binary is selected, the build starts at once,
// beside the in-process tests, which run first.
func TestMain(m *testing.M) {
	durabletest.RaiseParallel(durabletest.ParallelTests)
	if !testing.Short() && selectsAny(binaryTests) {
		go builtRota.once.Do(buildRotaBinary)
	}
	code := m.Run()
	builtRota.once.Do(func() {}) // waits for a build under way
	if builtRota.dir != "" {
		_ = os.RemoveAll(builtRota.dir)
	}
	os.Exit(code)
}

// selectsAny reports whether go test's -run selects one of the top-level
// tests named (no -run selects them all; a pattern that does not compile
// counts as selecting, and go test reports it).
func selectsAny(names []string) bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	top, _, _ := strings.Cut(f.Value.String(), "/")
	re, err := regexp.Compile(top)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(names, re.MatchString)
}

// rotaOnce returns the rota command built from the package as it is now,
// the first time a test asks (or from TestMain), into a folder of its own
// where the binary is named rota, for the commands the docs write; later
// calls return the same binary. A failed build fails every test that asks.
func rotaOnce(t *testing.T) string {
	t.Helper()
	builtRota.once.Do(buildRotaBinary)
	if builtRota.err != nil {
		t.Fatalf("go build: %v\n%s", builtRota.err, builtRota.out)
	}
	return builtRota.bin
}

// buildRotaBinary builds the rota command into builtRota.
func buildRotaBinary() {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if builtRota.dir, builtRota.err = os.MkdirTemp("", "rota-test-bin-"); builtRota.err != nil {
		return
	}
	builtRota.bin = filepath.Join(builtRota.dir, "rota")
	builtRota.out, builtRota.err = exec.Command(goBin, "build", "-o", builtRota.bin, ".").CombinedOutput()
}

// buildRota returns the rota command built from the package as it is now
// (rotaOnce). The binary embeds the repository's mappings as they are now,
// so a test that edits a copy on disk can tell the copy it tested.
func buildRota(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the rota binary")
	}
	return rotaOnce(t)
}

// binRun is one run of the prebuilt binary.
type binRun struct {
	code           int
	stdout, stderr string
}

// runBinary runs bin with args in dir and returns its exit code and output.
func runBinary(t *testing.T, bin, dir string, args ...string) binRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := binRun{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", bin, err)
	}
	return r
}

// copyFile copies the repository file from (relative to the repository
// root) to to, creating to's folder.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(from)))
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, to, string(src))
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editFile replaces the first from in path by to.
func editFile(t *testing.T, path, from, to string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), from, to, 1)
	if edited == string(src) {
		t.Fatalf("%q is not in %s", from, path)
	}
	writeTestFile(t, path, edited)
}

// repoCopy lays out, in a temporary folder, what rota test reads in the
// repository for SkyHub: mappings/skyhub.yaml, its cases and the example
// events they name. It returns the copy's root.
func repoCopy(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	copyFile(t, "mappings/skyhub.yaml", filepath.Join(root, "mappings", "skyhub.yaml"))
	for _, glob := range []string{"conformance/cases/skyhub/*.yaml", "conformance/cases/skyhub/events/*.json", "examples/events/skyhub/*.json"} {
		files, err := filepath.Glob(filepath.Join("..", "..", filepath.FromSlash(glob)))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files %s (%v)", glob, err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(filepath.Join("..", ".."), f)
			copyFile(t, filepath.ToSlash(rel), filepath.Join(root, rel))
		}
	}
	return root
}

// The edit every test below makes: the invoice call's body status, which
// the case "invoice reproduces the seed body" checks.
const (
	bodyBefore = "          status: order_invoiced\n"
	bodyAfter  = "          status: order_invoiced_edited\n"
	seedCase   = "invoice reproduces the seed body"
)

// TestTestReadsTheFileOnDisk is the acceptance test of rota test against a
// prebuilt binary: a copy of mappings/skyhub.yaml, inside a repository
// layout (run from its root, as mappings/skyhub.yaml, where the binary once
// tested its own embedded copy instead) and outside any repository (with
// the analyst's own case folder), is edited on disk; rota test FILE and
// rota test --mappings DIR both see the edit.
func TestTestReadsTheFileOnDisk(t *testing.T) {
	t.Parallel()
	bin := buildRota(t)

	t.Run("inside the repository layout", func(t *testing.T) {
		root := repoCopy(t)
		runs := [][]string{
			{"test", "--property-runs", "-1", "mappings/skyhub.yaml"},
			{"test", "--property-runs", "-1", "--mappings", "mappings"},
			{"test", "--property-runs", "-1", filepath.Join(root, "mappings", "skyhub.yaml")},
		}
		for _, args := range runs {
			if r := runBinary(t, bin, root, args...); r.code != exitOK || !strings.Contains(r.stdout, "  ok    "+seedCase+"\n") {
				t.Fatalf("before the edit, rota %s: exit %d, want 0 with the case passing\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
		editFile(t, filepath.Join(root, "mappings", "skyhub.yaml"), bodyBefore, bodyAfter)
		for _, args := range runs {
			r := runBinary(t, bin, root, args...)
			if r.code != exitRefused || !strings.Contains(r.stdout, "  FAIL  "+seedCase+"  (") || !strings.Contains(r.stdout, "order_invoiced_edited") {
				t.Errorf("after the edit, rota %s: exit %d, want 1 with the case failing on the edited value\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
	})

	t.Run("outside the repository with the analyst's cases", func(t *testing.T) {
		work := t.TempDir()
		copyFile(t, "mappings/skyhub.yaml", filepath.Join(work, "acme-mappings", "skyhub.yaml"))
		copyFile(t, "examples/events/skyhub/invoiced.json", filepath.Join(work, "events", "invoiced.json"))
		writeTestFile(t, filepath.Join(work, "my-cases", "skyhub", "invoiced.yaml"), `marketplace: skyhub
cases:
  - name: `+seedCase+`
    event: ../../events/invoiced.json
    match: subset
    expect:
      calls:
        - name: invoice
          body:
            status: order_invoiced
`)
		runs := [][]string{
			{"test", "--cases", "my-cases", "--run", "invoice", "acme-mappings/skyhub.yaml"},
			{"test", "--cases", "my-cases", "--run", "invoice", "--mappings", "acme-mappings"},
		}
		for _, args := range runs {
			r := runBinary(t, bin, work, args...)
			if r.code != exitOK || !strings.HasSuffix(r.stdout, "\n2 passed, 0 failed\n") {
				t.Fatalf("before the edit, rota %s: exit %d, want 0 and 2 passed (the case and lint)\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
		writeTestFile(t, filepath.Join(work, "my-cases", "skyhub", "new.yaml"), `marketplace: skyhub
cases:
  - name: invoice goes to the order
    event: ../../events/invoiced.json
    match: subset
    expect:
      calls:
        - name: invoice
          url: https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/invoice
`)
		editFile(t, filepath.Join(work, "acme-mappings", "skyhub.yaml"), bodyBefore, bodyAfter)
		for _, args := range runs {
			r := runBinary(t, bin, work, args...)
			if r.code != exitRefused || !strings.Contains(r.stdout, "  FAIL  "+seedCase+"  (") ||
				!strings.Contains(r.stdout, "  ok    invoice goes to the order\n") || !strings.HasSuffix(r.stdout, "\n2 passed, 1 failed\n") {
				t.Errorf("after the edit, rota %s: exit %d, want 1, the edited case failing and the new one run\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
	})
}
