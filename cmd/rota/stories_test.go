package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
)

// story is one order's life told by a marketplace's example events
// (examples/events/<marketplace>/), as docs/simulator.md sends them.
type story struct {
	marketplace string
	files       []string          // in order
	want        map[string]string // simulator order (item) id → final status
}

// stories are the lifecycles docs/simulator.md documents, one command each,
// and the other endings of the same order: each from a fresh simulator.
var stories = map[string]story{
	"skyhub": {"skyhub", []string{"approved", "invoiced", "shipped", "shipment_exception", "delivered"},
		map[string]string{"Lojas Americanas-1000000000000": "complete"}},
	"skyhub canceled": {"skyhub", []string{"approved", "canceled"},
		map[string]string{"Lojas Americanas-1000000000000": "order_canceled"}},
	"dafiti": {"dafiti", []string{"created", "approved", "handling", "invoiced", "shipped", "delivered"},
		map[string]string{"123456": "delivered", "654321": "delivered"}},
	"dafiti ready to ship": {"dafiti", []string{"created", "approved", "handling", "invoiced", "ready_to_ship"},
		map[string]string{"123456": "ready_to_ship", "654321": "ready_to_ship"}},
	"dafiti canceled": {"dafiti", []string{"created", "approved", "handling", "canceled"},
		map[string]string{"123456": "canceled", "654321": "canceled"}},
	"dafiti delivery failed": {"dafiti", []string{"created", "approved", "handling", "invoiced", "shipped", "delivery_failed"},
		map[string]string{"123456": "failed", "654321": "failed"}},
	"fastshop": {"fastshop", []string{"created", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "shipment_exception", "delivered"},
		map[string]string{"999999999": "invoiced"}},
	"fastshop canceled": {"fastshop", []string{"created", "approved", "handling", "canceled"},
		map[string]string{"999999999": "canceled"}},
	"mercadolivre": {"mercadolivre", []string{"created", "accepted", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "shipment_exception", "delivered"},
		map[string]string{"28264263908": "delivered"}},
	"mercadolivre canceled": {"mercadolivre", []string{"created", "approved", "canceled"},
		map[string]string{"2000003508419013": "cancelled"}},
	"mercadolivre delivery failed": {"mercadolivre", []string{"created", "approved", "ready_to_ship", "shipped", "delivery_failed"},
		map[string]string{"28264263908": "not_delivered"}},
	"mirakl": {"mirakl", []string{"created", "accepted", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "delivered"},
		map[string]string{"Order_00012-B": "SHIPPED"}},
	"mirakl canceled": {"mirakl", []string{"created", "accepted", "approved", "canceled"},
		map[string]string{"Order_00012-B": "CANCELED"}},
	"napse": {"napse", []string{"created", "approved", "handling", "invoiced", "ready_to_ship", "shipped", "shipment_exception", "delivered"},
		map[string]string{"bridge000001": "closed"}},
	"napse canceled": {"napse", []string{"created", "approved", "canceled"},
		map[string]string{"bridge000001": "confirmed", "bridge0000000001": "cancelled"}},
}

// newStorySim serves a fresh simulator whose Napse changes show at once.
func newStorySim(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(sim.New(sim.Options{NapseLag: &sim.Lag{}}).Handler())
	t.Cleanup(srv.Close)
	// The installation's token URL, as a deployment sets it: --base-url
	// moves it to the simulator.
	t.Setenv("ROTA_VAR_NAPSE_TOKENURL", "https://bridge.example.test:8090/auth/token")
	// Mercado Livre's token pair: a fresh store per story, seeded from the
	// refresh token of examples/sim.secrets, which this simulator accepts once.
	t.Setenv("ROTA_TOKENS_DIR", t.TempDir())
	return srv
}

// TestExampleStories sends each marketplace's example events, in order,
// with one rota send, through the simulator: every event is delivered (or
// has nothing to send), and the simulator ends with the order where the
// story says.
func TestExampleStories(t *testing.T) {
	for name, st := range stories {
		t.Run(name, func(t *testing.T) {
			srv := newStorySim(t)
			args := []string{"send", "--base-url", srv.URL + "/" + st.marketplace, "--secrets", "../../examples/sim.secrets"}
			for _, f := range st.files {
				args = append(args, "../../examples/events/"+st.marketplace+"/"+f+".json")
			}
			o := rota(t, "", args...)
			o.wantCode(t, exitOK)
			reports := decodeReports(t, o.stdout)
			if len(reports) != len(st.files) {
				t.Fatalf("got %d reports, want one per file (%d):\n%s", len(reports), len(st.files), o.stdout)
			}
			for i, r := range reports {
				if r.Outcome != "delivered" && r.Outcome != "ignored" {
					t.Errorf("%s: outcome %s, want delivered or ignored", st.files[i], r.Outcome)
				}
				if r.EventID == "" {
					t.Errorf("%s: the report names no event", st.files[i])
				}
			}
			got := simStatuses(t, srv.URL, st.marketplace)
			for id, want := range st.want {
				if got[id] != want {
					t.Errorf("simulator order %s is %q, want %q (all: %v)", id, got[id], want, got)
				}
			}
		})
	}
}

// TestSendStopsAtFirstFailure: several files stop at the first one the
// marketplace refuses, with its exit code; the files after it are not sent.
func TestSendStopsAtFirstFailure(t *testing.T) {
	srv := newStorySim(t)
	ex := "../../examples/events/skyhub/"
	o := rota(t, "", "send", "--base-url", srv.URL+"/skyhub", "--secrets", "../../examples/sim.secrets",
		ex+"invoiced.json", ex+"delivered.json", ex+"shipped.json")
	o.wantCode(t, exitRefused)
	reports := decodeReports(t, o.stdout)
	if len(reports) != 2 || reports[0].Outcome != "delivered" || reports[1].Outcome != "refused" {
		t.Fatalf("got %+v, want invoiced delivered, then delivered refused (not shipped yet)", reports)
	}
	if !strings.Contains(o.stderr, "stopped at "+ex+"delivered.json (file 2 of 3); the 1 after it were not sent") {
		t.Errorf("stderr %q does not say where it stopped", o.stderr)
	}
	if got := simStatuses(t, srv.URL, "skyhub")["Lojas Americanas-1000000000000"]; got != "order_invoiced" {
		t.Errorf("order is %q, want order_invoiced: shipped.json must not have been sent", got)
	}
}

type storyReport struct {
	EventID string `json:"eventId"`
	Outcome string `json:"outcome"`
}

// decodeReports reads the JSON reports send prints, one after the other.
func decodeReports(t *testing.T, stdout string) []storyReport {
	t.Helper()
	var out []storyReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	for {
		var r storyReport
		err := dec.Decode(&r)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("stdout is not a series of JSON reports: %v\n%s", err, stdout)
		}
		out = append(out, r)
	}
}

// simStatuses reads the simulator's orders (Dafiti: order items) and their
// statuses from its admin endpoint.
func simStatuses(t *testing.T, base, marketplace string) map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/_sim/orders/" + marketplace)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&doc); err != nil {
		t.Fatalf("admin answer %s: %v", body, err)
	}
	out := map[string]string{}
	for _, key := range []string{"orders", "orderItems", "shipments"} {
		list, _ := doc[key].([]any)
		for _, o := range list {
			m, _ := o.(map[string]any)
			id, _ := m["id"].(string)
			status, _ := m["status"].(string)
			out[id] = status
		}
	}
	return out
}
