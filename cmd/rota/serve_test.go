package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a buffer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningServe is rota serve running in-process.
type runningServe struct {
	url    string
	stdout []string
	stderr *lockedBuffer
	stop   func() int
}

// startServe runs rota serve with args in-process until the test ends (or
// stop is called), and returns once it printed "listening on".
func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func(parent context.Context) (context.Context, context.CancelFunc) {
		return context.WithCancel(ctx)
	}
	t.Cleanup(func() { serveContext = old })
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"serve"}, args...), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	rs := &runningServe{stderr: stderr}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for rs.url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("rota serve ended before listening (exit %d)\nstdout: %q\nstderr:\n%s", <-done, rs.stdout, stderr)
			}
			rs.stdout = append(rs.stdout, l)
			if u, ok := strings.CutPrefix(l, "listening on "); ok {
				rs.url = u
			}
		case <-timeout:
			t.Fatalf("rota serve did not print its address in 30s\nstderr:\n%s", stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	var once sync.Once
	code := -1
	rs.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("rota serve did not stop within 30s of its signal")
			}
		})
		return code
	}
	t.Cleanup(func() { rs.stop() })
	return rs
}

// TestServeSimPrintsTokenAndServes: --sim without ROTA_API_TOKEN makes up
// a token, prints it and the address; the API answers with that token; a
// signal stops the server with exit 0.
func TestServeSimPrintsTokenAndServes(t *testing.T) {
	t.Setenv(apiTokenVar, "")
	rs := startServe(t, "--sim", "--addr", "127.0.0.1:0")
	if len(rs.stdout) != 2 || !strings.HasPrefix(rs.stdout[0], apiTokenVar+"=") {
		t.Fatalf("stdout %q, want %s=TOKEN then listening on URL", rs.stdout, apiTokenVar)
	}
	token := strings.TrimPrefix(rs.stdout[0], apiTokenVar+"=")
	if len(token) != 64 {
		t.Errorf("token %q has %d characters, want 64", token, len(token))
	}
	req, _ := http.NewRequest("GET", rs.url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /v1/events with the printed token: %d, want 200", resp.StatusCode)
	}
	if code := rs.stop(); code != exitOK {
		t.Errorf("exit %d after the signal, want 0\nstderr:\n%s", code, rs.stderr)
	}
	if strings.Contains(rs.stderr.String(), token) {
		t.Error("the log holds the token")
	}
	for _, line := range strings.Split(strings.TrimSpace(rs.stderr.String()), "\n") {
		if strings.HasPrefix(line, "rota serve:") {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

// TestServeUsageErrors: bad flags and a missing token end with exit 2 and
// a message, before anything listens.
func TestServeUsageErrors(t *testing.T) {
	insecure := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(insecure, []byte("ROTA_API_TOKEN=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badLine := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(badLine, []byte("# secrets\nTOKEN=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		token string
		args  []string
		want  string
	}{
		{"no token", "", []string{"--addr", "127.0.0.1:0"}, "set ROTA_API_TOKEN"},
		{"bad db", "t", []string{"--db", "mysql://x"}, `--db "mysql://x": want sqlite:PATH or postgres://`},
		{"db password hidden", "t", []string{"--db", "mysql://u:hunter2@h/db"}, `mysql://u:xxxxx@h/db`},
		{"base url without marketplace", "t", []string{"--base-url", "http://x"}, `--base-url "http://x": want MARKETPLACE=URL`},
		{"base url of an unknown marketplace", "t", []string{"--base-url", "shopee=http://x"}, `no mapping has marketplace "shopee"`},
		{"bad retry schedule", "t", []string{"--retry-schedule", "5s,soon"}, `--retry-schedule "5s,soon": want positive durations`},
		{"negative retry", "t", []string{"--retry-schedule", "-5s"}, `want positive durations`},
		{"bad var", "t", []string{"--var", "x"}, `--var "x": want NAME=VALUE`},
		{"insecure secrets file", "t", []string{"--secrets", insecure}, "can be read by other users"},
		{"bad secrets line", "t", []string{"--secrets", badLine}, badLine + ":2: want ROTA_SECRET_"},
		{"address in use or bad", "t", []string{"--addr", "256.0.0.1:1", "--db", "sqlite:" + filepath.Join(t.TempDir(), "r.db")}, "cannot listen on 256.0.0.1:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(apiTokenVar, c.token)
			o := rota(t, "", append([]string{"serve"}, c.args...)...)
			o.wantCode(t, exitUsage)
			if !strings.Contains(o.stderr, c.want) {
				t.Errorf("stderr %q does not contain %q", o.stderr, c.want)
			}
			if strings.Contains(o.stderr, "hunter2") {
				t.Errorf("stderr holds the password: %q", o.stderr)
			}
			if strings.Contains(o.stdout, "listening") {
				t.Errorf("stdout %q, want nothing", o.stdout)
			}
		})
	}
}

// TestServeSecretsFileGivesToken: ROTA_API_TOKEN in the secrets file wins
// over the environment.
func TestServeSecretsFileGivesToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(file, []byte("ROTA_API_TOKEN='from-file'\nROTA_SECRET_SKYHUB_APIKEY=k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(apiTokenVar, "from-env")
	rs := startServe(t, "--addr", "127.0.0.1:0", "--secrets", file, "--db", "sqlite:"+filepath.Join(t.TempDir(), "rota.db"))
	for token, want := range map[string]int{"from-file": 200, "from-env": 401} {
		req, _ := http.NewRequest("GET", rs.url+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %s: %d, want %d", token, resp.StatusCode, want)
		}
	}
}
