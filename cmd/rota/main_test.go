package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// outcome is what one in-process run of the CLI produced.
type outcome struct {
	code           int
	stdout, stderr string
}

// rota runs the CLI in-process with args and stdin, as main does.
func rota(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// wantCode fails the test when the run ended with another exit code.
func (o outcome) wantCode(t *testing.T, want int) {
	t.Helper()
	if o.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, want, o.stdout, o.stderr)
	}
}

// golden compares got with testdata/golden/name byte for byte; with -update
// it rewrites the file instead.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/rota -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test ./cmd/rota -update if the change is intended)\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return "(no line differs)"
}

// posOf returns file:line:col of the first occurrence of token on the first
// line of file containing context, so that tests compute positions from
// fixtures instead of hard-coding them. display is how rota shows the file.
func posOf(t *testing.T, file, display, context, token string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if !strings.Contains(line, context) {
			continue
		}
		col := strings.Index(line, token)
		if col < 0 {
			t.Fatalf("%s:%d: %q is not on the line holding %q", file, i+1, token, context)
		}
		return display + ":" + strconv.Itoa(i+1) + ":" + strconv.Itoa(col+1)
	}
	t.Fatalf("%s: no line holds %q", file, context)
	return ""
}

// errorDoc is the error JSON of the CLI contract.
type errorDoc struct {
	Error *struct {
		Kind            string            `json:"kind"`
		Code            string            `json:"code"`
		Message         string            `json:"message"`
		MarketplaceCode string            `json:"marketplaceCode"`
		Path            string            `json:"path"`
		Source          string            `json:"source"`
		Details         []json.RawMessage `json:"details"`
	} `json:"error"`
	Response *struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"response"`
}

// decodeStrict parses stdout as one JSON document into v, refusing fields v
// does not declare, and fails the test when it cannot; what names the
// document in the failure.
func decodeStrict(t *testing.T, stdout, what string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not %s (%v):\n%s", what, err, stdout)
	}
}

// decodeError parses stdout as the error JSON and fails when it is not.
func decodeError(t *testing.T, stdout string) errorDoc {
	t.Helper()
	var doc errorDoc
	decodeStrict(t, stdout, "the error JSON", &doc)
	if doc.Error == nil {
		t.Fatalf("stdout is not the error JSON (no error object):\n%s", stdout)
	}
	return doc
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"no verb", nil, "Usage:"},
		{"unknown verb", []string{"bogus"}, `unknown command "bogus"`},
		{"unknown flag", []string{"translate", "--bogus"}, "unknown flag: --bogus"},
		{"two inputs", []string{"translate", "a.json", "b.json"}, "accepts at most 1 arg"},
		{"var without value", []string{"translate", "--var", "baseUrl", "x.json"}, `--var "baseUrl": want NAME=VALUE`},
		{"lint format", []string{"lint", "--format", "xml"}, `--format "xml": want text or json`},
		{"explain format", []string{"explain", "--format", "xml", "x.json"}, `--format "xml": want text or json`},
		{"ingest without marketplace", []string{"ingest", "x.json"}, `required flag(s) "marketplace" not set`},
		{"ingest bad now", []string{"ingest", "-m", "shop", "--now", "yesterday", "x.json"}, `--now "yesterday"`},
		{"test format", []string{"test", "--format", "xml"}, `--format "xml": want text or json`},
		{"test unreadable path", []string{"test", "testdata/no-such.yaml"}, "rota: cannot read testdata/no-such.yaml: no such file or directory\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rota(t, "", c.args...)
			o.wantCode(t, exitUsage)
			if !strings.Contains(o.stderr, c.want) {
				t.Errorf("stderr %q does not contain %q", o.stderr, c.want)
			}
			if o.stdout != "" {
				t.Errorf("stdout is %q, want nothing", o.stdout)
			}
		})
	}
}

// verbs are the verbs of the CLI contract (docs/cli.md) and the tools
// beside them.
var verbs = []string{"lint", "translate", "explain", "ingest", "test", "send", "auth", "sim", "serve", "events", "orders", "schema", "version"}

func TestHelpExits0(t *testing.T) {
	o := rota(t, "", "--help")
	o.wantCode(t, exitOK)
	for _, verb := range verbs {
		if !strings.Contains(o.stdout, "  "+verb+" ") {
			t.Errorf("help does not list %s:\n%s", verb, o.stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	o := rota(t, "", "version")
	o.wantCode(t, exitOK)
	if !strings.HasPrefix(o.stdout, "rota ") || !strings.HasSuffix(o.stdout, "\n") || len(o.stdout) <= len("rota \n") {
		t.Errorf("version printed %q, want rota VERSION and a newline", o.stdout)
	}
}

// TestRootCommandsAreRegistered: the root holds exactly the verbs, each
// once and with a one-line description for help.
func TestRootCommandsAreRegistered(t *testing.T) {
	var got []string
	for _, c := range newRootCmd().Commands() {
		got = append(got, c.Name())
		if c.Short == "" {
			t.Errorf("verb %s has no Short description", c.Name())
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(verbs))
	if !slices.Equal(got, want) {
		t.Errorf("root has verbs %q, want %q", got, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
