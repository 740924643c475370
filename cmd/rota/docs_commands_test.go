package main

import (
	"bufio"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

// repoRoot is where the documented commands run, as a reader runs them.
const repoRoot = "../.."

// docsSimAddr is the simulator address the docs use; the test serves its
// own simulator and points the commands at it.
const docsSimAddr = "http://127.0.0.1:8787"

// docsServeAddr and docsServeToken are the address and API token of the
// rota serve --sim the docs start (docs/service.md); for a doc that uses
// them the test starts that service itself, on a free port.
const (
	docsServeAddr  = "http://127.0.0.1:8080"
	docsServeToken = "try-rota"
)

// usesServe reports whether a doc's commands talk to rota serve.
func usesServe(t *testing.T, file string) bool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), strings.TrimPrefix(docsServeAddr, "http://"))
}

// docsSkipped are the documented commands the test does not run, each with
// why. Keep it short.
var docsSkipped = map[string]string{
	"rota sim":   "serves until interrupted; the test serves the simulator itself and points the commands at it",
	"rota sim &": "the same, in the background",
}

// docCommand is one command written in a doc.
type docCommand struct {
	file string
	line int
	text string // as written, continuation lines joined
	exit int    // the exit code the doc states (# exit N), 0 otherwise
}

var exitComment = regexp.MustCompile(`#\s*exit (\d+)\b`)

// docCommands reads the commands of fenced sh and console blocks: lines
// starting with "rota ", "go run ./cmd/rota" or "$ " (console prompts). A
// line ending in \ continues on the next one.
func docCommands(t *testing.T, file string) []docCommand {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docCommand
	var lang string
	inBlock := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inBlock, lang = !inBlock, strings.TrimPrefix(trimmed, "```")
			continue
		}
		if !inBlock || (lang != "sh" && lang != "console") {
			continue
		}
		cmd, ok := strings.CutPrefix(trimmed, "$ ")
		if !ok && !strings.HasPrefix(trimmed, "rota ") && !strings.HasPrefix(trimmed, "go run ./cmd/rota") {
			continue
		}
		start := n
		for strings.HasSuffix(cmd, `\`) && sc.Scan() {
			n++
			cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(sc.Text())
		}
		c := docCommand{file: file, line: start, text: cmd}
		if m := exitComment.FindStringSubmatch(cmd); m != nil {
			c.exit, _ = strconv.Atoi(m[1])
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocsCommands runs every command written in README.md and docs/*.md
// from the repository's root, with the binary built once, and requires the
// exit code the doc states. Commands that talk to the simulator run
// against one the test serves, fresh for each file, in the order written.
func TestDocsCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs every documented command")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	t.Parallel()
	bin := filepath.Dir(rotaOnce(t))
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	// One parallel subtest per file: a file's commands run in order, the
	// files at once. A command's new entries at the root are removed once
	// it ends, so no file's command reads another's.
	var total atomic.Int64
	t.Cleanup(func() { // after the subtests
		if total.Load() == 0 {
			t.Error("no documented command found")
		}
	})
	for _, file := range files {
		cmds := docCommands(t, file)
		rel, _ := filepath.Rel(root, file)
		if len(cmds) == 0 {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(sim.New(sim.Options{NapseLag: &sim.Lag{}}).Handler())
			defer srv.Close()
			serveURL := ""
			if usesServe(t, file) {
				p := startServeProcess(t, filepath.Join(bin, "rota"), docsServeToken, "--sim")
				serveURL = p.url
			}
			for _, c := range cmds {
				if why, ok := docsSkipped[strings.TrimSpace(stripComment(c.text))]; ok {
					t.Logf("%s:%d: not run: %s", rel, c.line, why)
					continue
				}
				total.Add(1)
				runDocCommand(t, root, bin, srv.URL, serveURL, rel, c)
			}
		})
	}
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}

func runDocCommand(t *testing.T, root, bin, simURL, serveURL, rel string, c docCommand) {
	t.Helper()
	text := strings.ReplaceAll(c.text, docsSimAddr, simURL)
	if serveURL != "" {
		text = strings.ReplaceAll(text, docsServeAddr, serveURL)
	}
	if rest, ok := strings.CutPrefix(text, "go run ./cmd/rota"); ok {
		text = "rota" + rest
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", text)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if serveURL != "" {
		cmd.Env = append(cmd.Env, "ROTA_SERVER="+serveURL)
	}
	before := rootEntries(t, root)
	out, err := cmd.CombinedOutput()
	removeNewEntries(t, root, before) // e.g. rota schema mapping > mapping.schema.json
	code := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("%s:%d: %s\ndid not finish in 90s", rel, c.line, c.text)
		return
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s:%d: cannot run: %v", rel, c.line, err)
	}
	if code != c.exit {
		t.Errorf("%s:%d: %s\nexit code %d, the doc says %d (mark a command expected to fail with # exit N)\n%s", rel, c.line, c.text, code, c.exit, clipOutput(out))
	}
}

// rootEntries lists the names at the top of the repository.
func rootEntries(t *testing.T, root string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	return names
}

// removeNewEntries deletes what a documented command wrote at the top of
// the repository (a saved schema, a report), so that running the docs
// leaves the checkout as it was.
func removeNewEntries(t *testing.T, root string, before map[string]bool) {
	t.Helper()
	for name := range rootEntries(t, root) {
		if !before[name] {
			if err := os.RemoveAll(filepath.Join(root, name)); err != nil {
				t.Errorf("removing %s written by a documented command: %v", name, err)
			}
		}
	}
}

func clipOutput(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "\n..."
	}
	return string(b)
}

// TestDocCommandsParsing: the reader finds prompts, bare rota lines and
// continuations, reads # exit N, and ignores other blocks and output.
func TestDocCommandsParsing(t *testing.T) {
	doc := "intro\n```sh\nrota lint\ngo test ./...\nrota send a.json \\\n  b.json  # exit 1\n```\n" +
		"```console\n$ rota sim\ndafiti http://x\n$ curl -s http://127.0.0.1:8787/_sim/orders\n```\n" +
		"```yaml\nrota: not a command\n```\n```\nrota unlabeled\n```\n"
	file := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	got := docCommands(t, file)
	want := []docCommand{
		{file, 3, "rota lint", 0},
		{file, 5, "rota send a.json  b.json  # exit 1", 1},
		{file, 9, "rota sim", 0},
		{file, 11, "curl -s http://127.0.0.1:8787/_sim/orders", 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
