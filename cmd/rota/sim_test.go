package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
)

// startSim runs rota sim in-process with args and returns its ready lines,
// a function that stops it and returns its exit code and stderr.
func startSim(t *testing.T, args ...string) (lines []string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	saved := simContext
	simContext = func(parent context.Context) (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { simContext = saved; cancel() })

	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(append([]string{"sim"}, args...), strings.NewReader(""), pw, &stderr)
		pw.Close()
		done <- code
	}()
	rd := bufio.NewReader(pr)
	got := make(chan []string, 1)
	go func() {
		var ls []string
		for len(ls) < len(sim.Marketplaces) {
			l, err := rd.ReadString('\n')
			if err != nil {
				break
			}
			ls = append(ls, strings.TrimSuffix(l, "\n"))
		}
		got <- ls
		_, _ = io.Copy(io.Discard, rd)
	}()
	select {
	case lines = <-got:
	case code := <-done:
		t.Fatalf("rota sim ended with %d before it was ready:\n%s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("rota sim printed no ready lines")
	}
	return lines, func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatal("rota sim did not stop")
			return 0, ""
		}
	}
}

func TestSimServesAndStops(t *testing.T) {
	lines, stop := startSim(t, "--addr", "127.0.0.1:0", "--fault", "skyhub:503x1", "--option", "mirakl.holdDebit=true")
	if len(lines) != 6 {
		t.Fatalf("ready lines %q, want 6", lines)
	}
	for i, mk := range []string{"dafiti", "fastshop", "mercadolivre", "mirakl", "napse", "skyhub"} {
		name, url, _ := strings.Cut(lines[i], " ")
		if name != mk || !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/"+mk) {
			t.Errorf("line %d %q, want %q <base URL>", i, lines[i], mk)
		}
	}
	skyhub := strings.Fields(lines[5])[1]
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, skyhub+"/orders/Lojas%20Americanas-1/cancel", strings.NewReader(`{"status": "order_canceled"}`))
		req.Header.Set("Content-Type", "application/json")
		s := sim.DefaultSecrets()
		req.Header.Set("X-User-Email", s["ROTA_SECRET_SKYHUB_USEREMAIL"])
		req.Header.Set("X-Api-Key", s["ROTA_SECRET_SKYHUB_APIKEY"])
		req.Header.Set("X-Accountmanager-Key", s["ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(); got != http.StatusServiceUnavailable {
		t.Errorf("first call HTTP %d, want 503 (--fault skyhub:503x1)", got)
	}
	if got := post(); got != http.StatusOK {
		t.Errorf("second call HTTP %d, want 200", got)
	}
	code, stderr := stop()
	if code != exitOK {
		t.Errorf("exit code %d, want 0\n%s", code, stderr)
	}
	for _, want := range []string{"/_sim", "--base-url http://127.0.0.1:", "fault skyhub:503x1", "stopped"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestSimUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"all interfaces", []string{"--addr", "0.0.0.0:1"}, "loopback only"},
		{"no host", []string{"--addr", ":8787"}, "loopback only"},
		{"other host", []string{"--addr", "192.168.0.10:8787"}, "loopback only"},
		{"bad fault", []string{"--addr", "127.0.0.1:0", "--fault", "skyhub:teapot"}, "--fault"},
		{"unknown marketplace in fault", []string{"--addr", "127.0.0.1:0", "--fault", "ebay:503"}, "unknown marketplace"},
		{"bad napse lag", []string{"--addr", "127.0.0.1:0", "--napse-lag", "soon"}, "--napse-lag"},
		{"unknown option", []string{"--addr", "127.0.0.1:0", "--option", "mirakl.colour=red"}, "unknown option"},
		{"option without value", []string{"--addr", "127.0.0.1:0", "--option", "mirakl.holdDebit"}, "NAME=VALUE"},
		{"bad option value", []string{"--addr", "127.0.0.1:0", "--option", "mirakl.holdDebit=maybe"}, "mirakl.holdDebit"},
		{"an argument", []string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := rota(t, "", append([]string{"sim"}, tt.args...)...)
			o.wantCode(t, exitUsage)
			if !strings.Contains(o.stderr, tt.want) {
				t.Errorf("stderr %q, want it to mention %q", o.stderr, tt.want)
			}
			if o.stdout != "" {
				t.Errorf("stdout %q, want nothing (no ready lines)", o.stdout)
			}
		})
	}
}

func TestParseLag(t *testing.T) {
	tests := map[string]sim.Lag{
		"1":       {Queries: 1},
		"0":       {},
		"2s":      {Delay: 2 * time.Second},
		"3,500ms": {Queries: 3, Delay: 500 * time.Millisecond},
	}
	for in, want := range tests {
		got, err := parseLag(in)
		if err != nil || got != want {
			t.Errorf("parseLag(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "x", "1,-2s"} {
		if _, err := parseLag(bad); err == nil {
			t.Errorf("parseLag(%q) accepted", bad)
		}
	}
}
