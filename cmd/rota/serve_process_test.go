package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// rotaBinary returns the rota command built once for the package
// (rotaOnce), for the tests that run rota serve as a separate process.
func rotaBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs rota as a process; not in -short")
	}
	return rotaOnce(t)
}

// serveProcess is rota serve running as a child process.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan struct{}
}

// startServeProcess execs rota serve with args and waits for its address.
func startServeProcess(t *testing.T, bin, token string, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), apiTokenVar+"="+token)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- u
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-found:
	case <-p.exited:
		t.Fatalf("rota serve exited before listening\n%s", p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("rota serve did not listen within 60s\n%s", p.stderr)
	}
	return p
}

// kill ends the process with SIGKILL (kill -9) and waits for it.
func (p *serveProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// apiClient posts and reads through a server's API.
type apiTestClient struct {
	t     *testing.T
	url   string
	token string
}

func (c apiTestClient) do(method, path string, body []byte) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// exampleEvent reads an example event and gives it an id and an order,
// without order.status and order.marketplaceStatus.
func exampleEvent(t *testing.T, marketplace, name, id, orderID string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../../examples/events", marketplace, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = sjson.SetBytes(raw, "id", id)
	raw, _ = sjson.SetBytes(raw, "order.marketplaceOrderId", orderID)
	raw, _ = sjson.DeleteBytes(raw, "order.status")
	raw, _ = sjson.DeleteBytes(raw, "order.marketplaceStatus")
	return raw
}

// simHistory reads the simulator's orders of a marketplace: id -> the
// statuses it moved to, in order.
func simHistory(t *testing.T, simURL, marketplace string) map[string][]string {
	t.Helper()
	resp, err := http.Get(simURL + "/_sim/orders/" + marketplace)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string][]string{}
	for _, list := range []string{"orders", "orderItems"} {
		for _, o := range gjson.GetBytes(b, list).Array() {
			var moves []string
			for _, m := range o.Get("history").Array() {
				moves = append(moves, m.Get("to").String())
			}
			out[o.Get("id").String()] = moves
		}
	}
	return out
}

// crashOrder is one SkyHub order of the crash test: invoiced, shipped,
// delivered.
var skyhubLifecycle = []string{"invoiced", "shipped", "delivered"}

// TestServeSurvivesKill9: rota serve is killed with SIGKILL while
// deliveries are retrying (the simulator answers 503 and drops answers),
// and restarted on the same SQLite file: every accepted event is
// delivered, in order, and the simulator saw each status move once.
func TestServeSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := rotaBinary(t)
	s := sim.New(sim.Options{})
	simSrv := httptest.NewServer(s.Handler())
	defer simSrv.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "rota.db")
	args := []string{"--db", db, "--secrets", "../../examples/sim.secrets",
		"--base-url", "skyhub=" + simSrv.URL + "/skyhub",
		"--retry-schedule", "100ms,200ms,300ms,500ms,500ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"}
	const token = "crash-token"
	faults := []sim.Fault{{Marketplace: sim.SkyHub, Status: 503, Times: 20}}
	// Lost answers (the call applied, its answer dropped): the mapping's
	// alreadyApplied and readBack rules make the resent call delivered.
	faults = append(faults, sim.Fault{Marketplace: sim.SkyHub, Path: "/orders/", DropAfter: true, Times: 10})
	for _, f := range faults {
		if err := s.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	p := startServeProcess(t, bin, token, args...)
	c := apiTestClient{t: t, url: p.url, token: token}
	const orders = 20
	var ids []string
	for i := range orders {
		order := fmt.Sprintf("Lojas Americanas-88%05d", i)
		for _, name := range skyhubLifecycle {
			id := fmt.Sprintf("evt-crash-%02d-%s", i, name)
			if code, body := c.do("POST", "/v1/events", exampleEvent(t, "skyhub", name, id, order)); code != 202 {
				t.Fatalf("POST %s: %d\n%s", id, code, body)
			}
			ids = append(ids, id)
		}
	}
	// Kill while some calls went through and others are being retried.
	deadline := time.Now().Add(30 * time.Second)
	for len(s.Requests(sim.SkyHub)) < 30 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.kill()
	before := len(s.Requests(sim.SkyHub))
	t.Logf("killed after %d SkyHub requests", before)

	p2 := startServeProcess(t, bin, token, args...)
	c2 := apiTestClient{t: t, url: p2.url, token: token}
	states := waitStates(t, c2, ids, 90*time.Second)
	delivered := 0
	for _, id := range ids {
		if states[id] == "delivered" {
			delivered++
		} else {
			_, body := c2.do("GET", "/v1/events/"+id, nil)
			t.Errorf("event %s is %s after the restart, want delivered\n%s", id, states[id], body)
		}
	}
	hist := simHistory(t, simSrv.URL, sim.SkyHub)
	for i := range orders {
		order := fmt.Sprintf("Lojas Americanas-88%05d", i)
		got := strings.Join(hist[order], ",")
		if want := "order_invoiced,order_shipped,complete"; got != want {
			t.Errorf("simulator moved order %s to %s, want %s (each once, in order)", order, got, want)
		}
	}
	t.Logf("kill -9 run: %d events accepted, %d delivered after the restart; %d SkyHub requests before the kill, %d in all",
		len(ids), delivered, before, len(s.Requests(sim.SkyHub)))
}

// waitStates polls the events until none is pending, or one is dead (the
// later events of its order then wait for an operator), or the deadline.
func waitStates(t *testing.T, c apiTestClient, ids []string, limit time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		states := map[string]string{}
		pending, dead := 0, 0
		for _, id := range ids {
			code, body := c.do("GET", "/v1/events/"+id, nil)
			if code != 200 {
				t.Fatalf("GET %s: %d\n%s", id, code, body)
			}
			var rec struct{ State string }
			_ = json.Unmarshal(body, &rec)
			states[id] = rec.State
			switch rec.State {
			case "pending":
				pending++
			case "dead":
				dead++
			}
		}
		if pending == 0 || dead > 0 || time.Now().After(deadline) {
			return states
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeStopsOnSIGTERM: the binary, sent SIGTERM, shuts down and exits 0.
func TestServeStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := rotaBinary(t)
	p := startServeProcess(t, bin, "sigterm-token", "--sim")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(40 * time.Second):
		t.Fatal("rota serve still runs 40s after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line in the log:\n%s", p.stderr)
	}
}
