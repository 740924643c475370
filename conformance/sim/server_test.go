package sim_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/mappings"
)

const secretsFile = "../../examples/sim.secrets"

// TestSecretsFileMatchesDefaults: examples/sim.secrets holds exactly the
// simulator's built-in credentials, under the public-test header the
// sender requires, and the sender reads it.
func TestSecretsFileMatchesDefaults(t *testing.T) {
	raw, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(raw), "\n"); first != deliver.PublicTestMarker {
		t.Errorf("first line %q, want %q", first, deliver.PublicTestMarker)
	}
	got, err := deliver.LoadSecretsFile(secretsFile)
	if err != nil {
		t.Fatalf("the sender cannot read it: %v", err)
	}
	if want := sim.DefaultSecrets(); !maps.Equal(map[string]string(got), want) {
		t.Errorf("examples/sim.secrets:\n%v\nthe simulator's defaults:\n%v", got, want)
	}
}

// TestSecretsCoverEveryMappingSecret: every secret the four mappings' auth
// schemes name has a value in the simulator.
func TestSecretsCoverEveryMappingSecret(t *testing.T) {
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(mappings.FS, "*.yaml")
	if len(names) == 0 {
		t.Fatal("no bundled mappings")
	}
	have := sim.DefaultSecrets()
	for _, mk := range eng.Marketplaces() {
		if !slices.Contains(sim.Marketplaces, mk) {
			t.Errorf("marketplace %s has a mapping but no simulator", mk)
			continue
		}
		for _, scheme := range authSchemes(t, mk) {
			vars := map[string]string{}
			for _, v := range eng.Variables(mk) {
				vars[v] = "https://x/" + v
			}
			a, err := eng.Auth(mk, scheme, vars)
			if err != nil {
				t.Fatalf("%s %s: %v", mk, scheme, err)
			}
			for _, name := range a.Secrets {
				if have[engine.SecretEnvName(mk, name)] == "" {
					t.Errorf("%s: no simulator value for %s", mk, engine.SecretEnvName(mk, name))
				}
			}
		}
	}
}

// authSchemes lists the scheme names of a mapping's auth block.
func authSchemes(t *testing.T, mk string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "mappings", mk+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == "  schemes:":
			in = true
		case in && len(line) > 4 && line[:4] == "    " && line[4] != ' ' && line[4] != '#' && strings.HasSuffix(line, ":"):
			out = append(out, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		case in && line != "" && !strings.HasPrefix(line, "    "):
			in = false
		}
	}
	if len(out) == 0 {
		t.Fatalf("mappings/%s.yaml: no auth schemes found", mk)
	}
	return out
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8787", "127.0.0.1:0", "127.1.2.3:80", "[::1]:0", "localhost:0", "LOCALHOST:1"} {
		if err := sim.CheckLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:1", ":8787", "192.168.1.2:80", "[::]:80", "example.com:80", "127.0.0.1"} {
		if err := sim.CheckLoopback(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := sim.CheckLoopback("0.0.0.0:1"); !errors.Is(err, sim.ErrNotLoopback) {
		t.Errorf("error %v does not wrap ErrNotLoopback", err)
	}
}

// TestListenAndServe: ready lines once listening, answers on them, stops
// when the context ends.
func TestListenAndServe(t *testing.T) {
	s := sim.New(sim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan []string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", func(l []string) { lines <- l }) }()
	var got []string
	select {
	case got = <-lines:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no ready lines")
	}
	last := len(got) - 1
	if len(got) != len(sim.Marketplaces) || !strings.HasPrefix(got[0], "dafiti http://127.0.0.1:") || !strings.HasSuffix(got[last], "/skyhub") {
		t.Fatalf("ready lines %q", got)
	}
	base := strings.Fields(got[last])[1]
	resp, err := http.Post(base+"/orders/A/cancel", "application/json", strings.NewReader(`{"status": "order_canceled"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("HTTP %d, want 401", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
	if err := s.ListenAndServe(context.Background(), "0.0.0.0:0", nil); !errors.Is(err, sim.ErrNotLoopback) {
		t.Errorf("non-loopback: %v", err)
	}
}

// TestConcurrentUse hammers one server from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, sim.Options{NapseLag: &sim.Lag{}})
	tok := e.napToken()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := "Lojas Americanas-" + string(rune('A'+i))
			e.send(http.MethodPost, skyURL(e, code, "cancel"), []byte(`{"status": "order_canceled"}`), skyAuth)
			e.send(http.MethodPost, fshURL(e, "c/cancel"), []byte(`{"reason": "x"}`), fshAuth)
			e.send(http.MethodPost, e.base(sim.Napse)+"/order/change-status/state/change", []byte(`{"orderState": "inproc", "internalNumber": "x"}`), withToken(tok))
			e.send(http.MethodPost, e.base(sim.Dafiti)+"/v2/orders/statuses/set-to-cancelled", []byte(`{"orderItemIds": [9], "reason": "Sem estoque"}`), e.dafAuth)
			_ = e.sim.Faults()
			e.orders(sim.Napse)
		}()
	}
	wg.Wait()
	if got := e.status(sim.Napse, "x"); got != "inproc" {
		t.Errorf("napse order is %q", got)
	}
	if got := e.status(sim.FastShop, "c"); got != "canceled" {
		t.Errorf("fastshop order is %q", got)
	}
}

func TestAdminOrders(t *testing.T) {
	e := newEnv(t, sim.Options{})
	e.send(http.MethodGet, e.srv.URL+"/_sim/orders/ebay", nil, nil).want(t, http.StatusNotFound)
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/skyhub/A", []byte(`{"status": "shipped"}`), nil).want(t, http.StatusBadRequest)
	e.send(http.MethodPut, e.srv.URL+"/_sim/orders/dafiti/abc", []byte(`{"status": "pending"}`), nil).want(t, http.StatusBadRequest)
	e.setStatus(sim.SkyHub, "A", "book_product")
	v := e.orders(sim.SkyHub)
	if v["start"] != "payment_received" || e.status(sim.SkyHub, "A") != "book_product" {
		t.Errorf("view %v", v)
	}
	e.send(http.MethodDelete, e.srv.URL+"/_sim/orders/skyhub", nil, nil).want(t, http.StatusOK)
	if got := e.status(sim.SkyHub, "A"); got != "" {
		t.Errorf("after reset: %q", got)
	}
	e.setStatus(sim.Napse, "n", "transit")
	e.send(http.MethodDelete, e.srv.URL+"/_sim/orders", nil, nil).want(t, http.StatusOK)
	if got := e.status(sim.Napse, "n"); got != "" {
		t.Errorf("after reset all: %q", got)
	}
	e.send(http.MethodGet, e.srv.URL+"/elsewhere", nil, nil).want(t, http.StatusNotFound)
	e.send(http.MethodGet, e.srv.URL+"/", nil, nil).want(t, http.StatusOK)
}
