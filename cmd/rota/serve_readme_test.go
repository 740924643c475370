package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeServeCommands returns the commands of the README's block that
// starts rota serve --sim, split into words as a shell would.
func readmeServeCommands(t *testing.T) [][]string {
	t.Helper()
	readme := readFile(t, "../../README.md")
	start := strings.Index(readme, "```sh\nROTA_API_TOKEN=try-rota go run ./cmd/rota serve --sim\n")
	if start < 0 {
		t.Fatal("README.md has no block starting with ROTA_API_TOKEN=try-rota go run ./cmd/rota serve --sim")
	}
	block := readme[start+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	var cmds [][]string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		cmds = append(cmds, shellWords(t, line))
	}
	return cmds
}

// shellWords splits a command line into words: blanks separate them,
// single quotes group them (what the README's commands use).
func shellWords(t *testing.T, line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestReadmeServeCommands runs the README's three commands as written: the
// service on the simulator, curl posting the example event, and rota events
// show seeing it delivered. The one change: the server listens on a free
// port, not 8080, and the other commands are pointed at it.
func TestReadmeServeCommands(t *testing.T) {
	cmds := readmeServeCommands(t)
	if len(cmds) != 3 {
		t.Fatalf("the README block has %d commands, want 3: %q", len(cmds), cmds)
	}
	const prefix = "go run ./cmd/rota "
	serve, post, show := cmds[0], cmds[1], cmds[2]
	env, args := splitEnv(t, serve, prefix)
	for k, v := range env {
		t.Setenv(k, v)
	}
	rs := startServe(t, append(args[1:], "--addr", "127.0.0.1:0")...)
	if got := rs.stdout[len(rs.stdout)-1]; !strings.HasPrefix(got, "listening on http://127.0.0.1:") {
		t.Errorf("serve printed %q, want listening on http://127.0.0.1:PORT", got)
	}

	const readmeURL = "http://127.0.0.1:8080"
	if post[0] != "curl" || !strings.HasPrefix(post[len(post)-1], readmeURL) {
		t.Fatalf("second command %q: want curl ... %s/...", post, readmeURL)
	}
	post[len(post)-1] = strings.Replace(post[len(post)-1], readmeURL, rs.url, 1)
	out := runCurl(t, post)
	var acc struct{ ID, State string }
	if err := json.Unmarshal(out, &acc); err != nil || acc.ID != "evt-skyhub-invoiced-0001" || acc.State != "pending" {
		t.Fatalf("curl printed %s (%v), want the acceptance of evt-skyhub-invoiced-0001, pending", out, err)
	}

	env, args = splitEnv(t, show, prefix)
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("ROTA_SERVER", rs.url)
	deadline := time.Now().Add(20 * time.Second)
	for {
		o := rota(t, "", args...)
		o.wantCode(t, exitOK)
		var rec struct{ ID, State string }
		if err := json.Unmarshal([]byte(o.stdout), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.State == "delivered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event is %s after 20s, want delivered\n%s", rec.State, o.stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// splitEnv splits VAR=VALUE words off the front of a command and checks
// that the rest starts with prefix (go run ./cmd/rota); it returns the
// variables and the rota arguments.
func splitEnv(t *testing.T, words []string, prefix string) (map[string]string, []string) {
	t.Helper()
	env := map[string]string{}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(words[0], "=")
		env[k] = v
		words = words[1:]
	}
	line := strings.Join(words, " ") + " "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("command %q does not start with %q", line, prefix)
	}
	return env, words[3:]
}

// runCurl runs the curl command from the repository root, or, when curl is
// not installed, sends the same request (headers and @file body) from Go.
func runCurl(t *testing.T, words []string) []byte {
	t.Helper()
	if path, err := exec.LookPath("curl"); err == nil {
		cmd := exec.Command(path, words[1:]...)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", words, err)
		}
		return out
	}
	req, _ := http.NewRequest(http.MethodPost, words[len(words)-1], nil)
	for i := 1; i < len(words)-1; i++ {
		switch words[i] {
		case "-H":
			k, v, _ := strings.Cut(words[i+1], ": ")
			req.Header.Set(k, v)
			i++
		case "--data-binary":
			b, err := os.ReadFile(filepath.Join("../..", strings.TrimPrefix(words[i+1], "@")))
			if err != nil {
				t.Fatal(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(b))
			i++
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return buf.Bytes()
}
