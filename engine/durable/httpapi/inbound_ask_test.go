package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/mappings"
)

// askEngine loads the bundled mappings with Fast Shop's order route in ask
// mode.
func askEngine(t *testing.T) *engine.Engine {
	t.Helper()
	return fastshopOrderIDEngine(t, "    orderIdMode: ask\n    orderIdTimeout: 300ms\n")
}

// fastshopOrderIDEngine loads the bundled mappings with the orderId line of
// Fast Shop's order route replaced by lines.
func fastshopOrderIDEngine(t *testing.T, lines string) *engine.Engine {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(mappings.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(mappings.FS, p)
		if err != nil {
			return err
		}
		if p == "fastshop.yaml" {
			old := "    orderId: FSH-${ placement.marketplaceOrderId }\n"
			if !strings.Contains(string(b), old) {
				t.Fatalf("fastshop.yaml has no line %q", old)
			}
			b = []byte(strings.Replace(string(b), old, lines, 1))
		}
		files[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Load(files, engine.WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestInboundAskMode(t *testing.T) {
	t.Parallel()
	eng := askEngine(t)
	var calls atomic.Int32
	var slow atomic.Bool
	slow.Store(true)
	var gotBody atomic.Value
	erpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(string(b))
		if slow.Load() {
			time.Sleep(time.Second) // past the route's 300ms
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"orderId": "ERP-77"})
	}))
	defer erpSrv.Close()
	_, in := newERP(t, 0)
	in.AskURL = erpSrv.URL + "/orders"
	f := newFixture(t, fixtureOptions{eng: eng, inbound: in})
	h := f.newHub()
	h.Sleep = func(context.Context, time.Duration) error { slow.Store(false); return nil }
	p, err := h.PlaceOrder(context.Background(), seedOrder(t))
	if err != nil {
		t.Fatalf("PlaceOrder: %v %+v", err, p)
	}
	if len(p.Attempts) != 2 || p.Attempts[0].Status != http.StatusInternalServerError {
		t.Fatalf("got attempts %+v, want a 500 (the ERP too slow) then a 200", p.Attempts)
	}
	if code := hubError(t, p.Attempts[0].Body); code != durable.CodeOrderIDTimeout {
		t.Errorf("first answer code %q, want %s", code, durable.CodeOrderIDTimeout)
	}
	if p.OrderID != "ERP-77" {
		t.Errorf("orderId %q, want ERP-77 (the ERP's)", p.OrderID)
	}
	body, _ := gotBody.Load().(string)
	if !strings.Contains(body, `"marketplaceOrderId":"999999999"`) || strings.Contains(body, "rota-ask") {
		t.Errorf("the ERP was asked with %s; want the canonical event without order.id", body)
	}
	// A re-sent order is answered from the database: the ERP is not asked again.
	before := calls.Load()
	p2, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t))
	if err != nil || p2.OrderID != "ERP-77" {
		t.Fatalf("re-sent: orderId %q, err %v; want ERP-77", p2.OrderID, err)
	}
	if calls.Load() != before {
		t.Errorf("the ERP was asked %d more times for a re-sent order, want 0", calls.Load()-before)
	}
}

func TestInboundAskModeWithoutURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{eng: askEngine(t)})
	p, err := f.newHub().PlaceOrder(context.Background(), seedOrder(t))
	if !errors.Is(err, sim.ErrHubGaveUp) {
		t.Fatalf("got %v, want the hub to give up", err)
	}
	if code := hubError(t, p.Attempts[0].Body); code != engine.CodeMissingOrderID {
		t.Errorf("code %q, want %s", code, engine.CodeMissingOrderID)
	}
	if n := f.inboxLen(t); n != 0 {
		t.Errorf("%d events kept, want 0", n)
	}
}

func TestInboundAssignSequence(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		eng := fastshopOrderIDEngine(t, "    orderId: FSH-${ sequence }\n")
		f := newFixture(t, fixtureOptions{db: db, eng: eng})
		place := func(id string) string {
			order := strings.ReplaceAll(string(seedOrder(t)), `"999999999"`, `"`+id+`"`)
			p, err := f.newHub().PlaceOrder(context.Background(), []byte(order))
			if err != nil {
				t.Fatalf("order %s: %v", id, err)
			}
			return p.OrderID
		}
		got := []string{place("A1"), place("A2"), place("A1"), place("A3")}
		want := []string{"FSH-1", "FSH-2", "FSH-1", "FSH-3"}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("answer %d: orderId %q, want %q (all: %v)", i+1, got[i], want[i], got)
			}
		}
	})
}
