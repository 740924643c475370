package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const hubMappings = "testdata/mappings/hub"

// ingestArgs runs ingest for the orders route of the test hub mapping at a
// fixed time.
func ingestArgs(extra ...string) []string {
	return append([]string{"ingest", "-m", "hub", "--mappings", hubMappings, "--route", "orders", "--now", "2024-01-02T03:04:05Z"}, extra...)
}

type ingestDoc struct {
	Marketplace string            `json:"marketplace"`
	Route       string            `json:"route"`
	Events      []json.RawMessage `json:"events"`
	Response    struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"response"`
}

func TestIngest(t *testing.T) {
	o := rota(t, "", ingestArgs("--order-id", "ERP-1", "testdata/payloads/hub_orders.json")...)
	o.wantCode(t, exitOK)
	golden(t, "ingest/hub_orders.json", o.stdout)
	var doc ingestDoc
	decodeStrict(t, o.stdout, "the ingest result", &doc)
	if doc.Marketplace != "hub" || doc.Route != "orders" || len(doc.Events) != 2 || doc.Response.Status != 200 {
		t.Fatalf("got %s/%s with %d events and status %d, want hub/orders, 2 events, 200", doc.Marketplace, doc.Route, len(doc.Events), doc.Response.Status)
	}
	if got, want := compact(t, string(doc.Response.Body)), `[{"code":"H-1001","orderId":"ERP-1"},{"code":"H-1002","orderId":"ERP-1"}]`; got != want {
		t.Errorf("response body %s, want %s", got, want)
	}
	var ev struct {
		ID, OccurredAt string
	}
	if err := json.Unmarshal(doc.Events[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "hub:order.created:H-1001" || ev.OccurredAt != "2024-01-02T00:04:05-03:00" {
		t.Errorf("event id %q at %q, want the id from the hub's code at --now", ev.ID, ev.OccurredAt)
	}
	// Each event is a valid canonical event: translate accepts it.
	tr := rota(t, string(doc.Events[0]), "translate", "--mappings", hubMappings)
	tr.wantCode(t, exitOK)
	if !strings.Contains(tr.stdout, `"outcome": "ignore"`) {
		t.Errorf("translating the ingested event gave\n%s", tr.stdout)
	}
}

// TestIngestIsReproducible: the same payload at the same --now gives the
// same bytes, from a file and from stdin.
func TestIngestIsReproducible(t *testing.T) {
	file := "testdata/payloads/hub_orders.json"
	first := rota(t, "", ingestArgs("--order-id", "ERP-1", file)...)
	first.wantCode(t, exitOK)
	again := rota(t, "", ingestArgs("--order-id", "ERP-1", file)...)
	if again.stdout != first.stdout {
		t.Errorf("two runs disagree:\n%s\n%s", again.stdout, first.stdout)
	}
	empty := rota(t, "", ingestArgs("--order-id", "ERP-1", "-")...)
	empty.wantCode(t, exitRefused)
	raw := readFile(t, file)
	stdin := rota(t, raw, ingestArgs("--order-id", "ERP-1", "-")...)
	stdin.wantCode(t, exitOK)
	if stdin.stdout != first.stdout {
		t.Errorf("stdin and file disagree:\n%s\n%s", stdin.stdout, first.stdout)
	}
}

// TestIngestVariables: a declared variable comes from --var or from
// ROTA_VAR_<MARKETPLACE>_<NAME>; the flag wins; defaults apply otherwise.
func TestIngestVariables(t *testing.T) {
	file := "testdata/payloads/hub_orders.json"
	cases := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"default", "", nil, `"channel": "web"`},
		{"environment", "app", nil, `"channel": "app"`},
		{"flag wins", "app", []string{"--var", "channel=store"}, `"channel": "store"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// t.Setenv restores the caller's value afterwards.
			t.Setenv("ROTA_VAR_HUB_CHANNEL", c.env)
			if c.env == "" {
				os.Unsetenv("ROTA_VAR_HUB_CHANNEL")
			}
			args := append([]string{"ingest", "-m", "hub", "--mappings", hubMappings, "--route", "tagged", "--now", "2024-01-02T03:04:05Z"}, c.args...)
			o := rota(t, "", append(args, file)...)
			o.wantCode(t, exitOK)
			if strings.Count(o.stdout, c.want) != 2 {
				t.Errorf("want %s in both events:\n%s", c.want, o.stdout)
			}
		})
	}
}

// TestIngestErrorResponse: a payload that cannot become a valid event is
// refused with exit 1, and the output carries the answer the marketplace
// understands.
func TestIngestErrorResponse(t *testing.T) {
	o := rota(t, "", ingestArgs("--order-id", "E", "testdata/payloads/hub_zero_quantity.json")...)
	o.wantCode(t, exitRefused)
	golden(t, "ingest/hub_zero_quantity.json", o.stdout)
	doc := decodeError(t, o.stdout)
	if doc.Error.Kind != "invalid_event" || doc.Error.Code != "bad_value" {
		t.Errorf("got %s/%s, want invalid_event/bad_value", doc.Error.Kind, doc.Error.Code)
	}
	if doc.Response == nil || doc.Response.Status != 422 || !strings.Contains(compact(t, string(doc.Response.Body)), `"code":"bad_value"`) {
		t.Errorf("response %s, want the route's 422 error answer", jsonOf(doc.Response))
	}
	if !strings.HasPrefix(o.stderr, "rota: invalid_event: bad_value: ") {
		t.Errorf("stderr %q", o.stderr)
	}
}

func TestIngestErrors(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		stdin    string
		exit     int
		kind     string
		code     string
		response bool
	}{
		{"malformed payload", ingestArgs("--order-id", "E"), `{"orders": [`, exitRefused, "invalid_event", "malformed_json", true},
		{"no order id", ingestArgs(), `{"orders": [{"code": "H-1", "lines": [{"sku": "A", "qty": 1}]}]}`, exitUsage, "configuration", "missing_order_id", true},
		{"unknown marketplace", []string{"ingest", "-m", "nosuch", "--mappings", hubMappings}, `{}`, exitRefused, "unknown_marketplace", "unknown_marketplace", false},
		{"unknown route", []string{"ingest", "-m", "hub", "--mappings", hubMappings, "--route", "returns"}, `{}`, exitUsage, "configuration", "unknown_route", false},
		{"route needed", []string{"ingest", "-m", "hub", "--mappings", hubMappings}, `{}`, exitUsage, "configuration", "unknown_route", false},
		{"undeclared variable", ingestArgs("--var", "region=br"), `{}`, exitUsage, "configuration", "unknown_variable", true},
		{"bundled mapping without routes", []string{"ingest", "-m", "skyhub"}, `{}`, exitUsage, "configuration", "unknown_route", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rota(t, c.stdin, c.args...)
			o.wantCode(t, c.exit)
			doc := decodeError(t, o.stdout)
			if doc.Error.Kind != c.kind || doc.Error.Code != c.code {
				t.Errorf("got %s/%s, want %s/%s", doc.Error.Kind, doc.Error.Code, c.kind, c.code)
			}
			if (doc.Response != nil) != c.response {
				t.Errorf("response %s, want one: %v", jsonOf(doc.Response), c.response)
			}
		})
	}
}

func TestIngestUnreadableInputExits2(t *testing.T) {
	o := rota(t, "", ingestArgs("testdata/payloads/no-such-file.json")...)
	o.wantCode(t, exitUsage)
	if o.stdout != "" || !strings.HasPrefix(o.stderr, "rota: cannot read ") {
		t.Errorf("stdout %q, stderr %q", o.stdout, o.stderr)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestIngestChecksHeaders(t *testing.T) {
	order := "../../examples/inbound/fastshop/order.json"
	base := []string{"ingest", "-m", "fastshop", "--route", "orders", "--order-id", "S-1", "--now", "2024-05-10T10:00:00-03:00",
		"--secrets", "../../examples/sim.secrets"}
	good := append(append([]string(nil), base...), "--header", "X-API-AppKey: sim-fastshop-app-key",
		"--header", "X-API-AppToken: sim-fastshop-app-token", order)
	rota(t, "", good...).wantCode(t, exitOK)

	bad := append(append([]string(nil), base...), "--header", "X-API-AppKey: sim-fastshop-app-key",
		"--header", "X-API-AppToken: wrong", order)
	o := rota(t, "", bad...)
	o.wantCode(t, exitRefused)
	if !strings.Contains(o.stdout, `"code": "unauthorized"`) || !strings.Contains(o.stdout, "X-API-AppToken") {
		t.Errorf("wrong token: stdout %s", o.stdout)
	}
	if strings.Contains(o.stdout+o.stderr, "sim-fastshop-app-token") {
		t.Errorf("the secret value was printed")
	}

	malformed := append(append([]string(nil), base...), "--header", "no colon", order)
	rota(t, "", malformed...).wantCode(t, exitUsage)
}
