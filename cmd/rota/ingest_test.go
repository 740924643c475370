package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
		{"route needed", []string{"ingest", "-m", "hub", "--mappings", hubMappings}, `{}`, exitUsage, "configuration", "ambiguous_route", false},
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

// TestIngestPicksRoute: the route is the one --route names, or the one
// --method and --path call, or the one whose match the payload meets; none
// or several fitting is an error naming the candidates.
func TestIngestPicksRoute(t *testing.T) {
	dir := "../../examples/inbound/fastshop/"
	now := []string{"--now", "2024-05-10T10:00:00-03:00"}
	cases := []struct {
		name    string
		args    []string
		exit    int
		route   string // on success
		orderID string // on success: the answer's orderId
		code    string // on failure
		names   []string
	}{
		{"order by payload alone", []string{dir + "order.json"}, exitOK, "orders", "FSH-999999999", "", nil},
		{"order by method and path with query", []string{"--method", "POST", "--path", "/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH", dir + "order.json"}, exitOK, "orders", "FSH-999999999", "", nil},
		{"order id overridden", []string{"--order-id", "ERP-77", dir + "order.json"}, exitOK, "orders", "ERP-77", "", nil},
		{"approval by path gives the order id", []string{"--method", "POST", "--path", "/api/fulfillment/pvt/orders/FSH-999999999/fulfill", dir + "payment-approved.json"}, exitOK, "paymentApproved", "FSH-999999999", "", nil},
		{"cancellation by path, escaped id", []string{"--method", "POST", "--path", "api/fulfillment/pvt/orders/FSH%2F1/cancel", dir + "cancellation.json"}, exitOK, "cancellation", "FSH/1", "", nil},
		{"wrong method", []string{"--method", "GET", "--path", "/api/fulfillment/pvt/orders", dir + "order.json"}, exitUsage, "", "", "unknown_route", []string{"orders (POST /api/fulfillment/pvt/orders", "paymentApproved", "cancellation"}},
		{"path of another payload", []string{"--path", "/api/fulfillment/pvt/orders", dir + "cancellation.json"}, exitUsage, "", "", "unknown_route", []string{"orders is called there, but the payload does not meet its match"}},
		{"named route at another path", []string{"--route", "orders", "--path", "/api/fulfillment/pvt/orders/1/cancel", dir + "order.json"}, exitUsage, "", "", "unknown_route", []string{"orders route is called at POST /api/fulfillment/pvt/orders"}},
		{"approval without path has no order id", []string{dir + "payment-approved.json"}, exitUsage, "", "", "missing_order_id", []string{"params.sellerOrderId", "--path"}},
		{"full URL is not a path", []string{"--path", "https://seller.example/api/fulfillment/pvt/orders", dir + "order.json"}, exitUsage, "", "", "unknown_route", []string{"relative to the integration's prefix"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"ingest", "-m", "fastshop"}, now...), c.args...)
			o := rota(t, "", args...)
			o.wantCode(t, c.exit)
			if c.exit != exitOK {
				doc := decodeError(t, o.stdout)
				if doc.Error.Code != c.code {
					t.Errorf("got code %s, want %s", doc.Error.Code, c.code)
				}
				for _, n := range c.names {
					if !strings.Contains(doc.Error.Message, n) {
						t.Errorf("message %q does not name %q", doc.Error.Message, n)
					}
				}
				return
			}
			var doc ingestDoc
			decodeStrict(t, o.stdout, "the ingest result", &doc)
			if doc.Route != c.route {
				t.Errorf("got route %s, want %s", doc.Route, c.route)
			}
			if got := string(doc.Response.Body); !strings.Contains(compact(t, got), `"orderId":"`+c.orderID+`"`) {
				t.Errorf("response body %s, want orderId %s", got, c.orderID)
			}
		})
	}
}

// TestIngestOrderIDBlame: a missing seller order id blames what must change:
// the route's configuration (no orderId, no sequence given) or the payload
// the orderId is made from; the marketplace's error answer never carries a
// command-line hint.
func TestIngestOrderIDBlame(t *testing.T) {
	hub := []string{"ingest", "-m", "hub", "--mappings", hubMappings, "--now", "2024-01-02T03:04:05Z"}
	payload := `{"orders": [{"code": "H-1", "lines": [{"sku": "A", "qty": 1}]}, {"code": "H-2", "lines": [{"sku": "B", "qty": 1}]}]}`
	cases := []struct {
		name    string
		args    []string
		stdin   string
		exit    int
		kind    string
		code    string
		path    string
		source  string // suffix of the error's source
		message string
	}{
		{"route says nothing of the order id", append(hub, "--route", "orders"), payload, exitUsage, "configuration", "missing_order_id", "", "hub.yaml:45:5", "add orderId: to the route"},
		{"sequence not given", append(hub, "--route", "numbered"), payload, exitUsage, "configuration", "missing_order_id", "", "hub.yaml:78:21", "--sequence N"},
		{"payload lacks the id the order id is made from", []string{"ingest", "-m", "fastshop", "--route", "orders"}, `[{"items": []}]`, exitRefused, "invalid_event", "missing_field", "/0/marketplaceOrderId", fastshopOrderIDSource(t), "makes the seller's order id from placement.marketplaceOrderId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rota(t, c.stdin, c.args...)
			o.wantCode(t, c.exit)
			doc := decodeError(t, o.stdout)
			if doc.Error.Kind != c.kind || doc.Error.Code != c.code || doc.Error.Path != c.path {
				t.Errorf("got %s/%s at %q, want %s/%s at %q", doc.Error.Kind, doc.Error.Code, doc.Error.Path, c.kind, c.code, c.path)
			}
			if !strings.HasSuffix(doc.Error.Source, c.source) {
				t.Errorf("source %q, want it to end with %s", doc.Error.Source, c.source)
			}
			if !strings.Contains(doc.Error.Message, c.message) {
				t.Errorf("message %q, want it to say %q", doc.Error.Message, c.message)
			}
			if doc.Response != nil && strings.Contains(string(doc.Response.Body), "--") {
				t.Errorf("the marketplace's answer %s carries a command-line hint", doc.Response.Body)
			}
		})
	}
}

// TestIngestSequence: a route whose orderId reads sequence numbers the
// seller's orders from --sequence; --order-id overrides it.
func TestIngestSequence(t *testing.T) {
	payload := `{"orders": [{"code": "H-1", "lines": [{"sku": "A", "qty": 1}]}, {"code": "H-2", "lines": [{"sku": "B", "qty": 1}]}]}`
	args := []string{"ingest", "-m", "hub", "--mappings", hubMappings, "--method", "POST", "--path", "/numbered-orders", "--now", "2024-01-02T03:04:05Z"}
	cases := []struct {
		name  string
		extra []string
		want  string
	}{
		{"from the sequence", []string{"--sequence", "41"}, `[{"code":"H-1","orderId":"HUB-41"},{"code":"H-2","orderId":"HUB-42"}]`},
		{"override", []string{"--sequence", "41", "--order-id", "ERP-1"}, `[{"code":"H-1","orderId":"ERP-1"},{"code":"H-2","orderId":"ERP-1"}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rota(t, payload, append(args, c.extra...)...)
			o.wantCode(t, exitOK)
			var doc ingestDoc
			decodeStrict(t, o.stdout, "the ingest result", &doc)
			if got := compact(t, string(doc.Response.Body)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
	rota(t, payload, append(args, "--sequence", "-1")...).wantCode(t, exitUsage)
}

// TestIngestFastShopGolden: README's command, the hub's order placement
// picked by its payload, with the seller's order id the route makes.
func TestIngestFastShopGolden(t *testing.T) {
	o := rota(t, "", "ingest", "-m", "fastshop", "--now", "2024-05-10T10:00:00-03:00", "../../examples/inbound/fastshop/order.json")
	o.wantCode(t, exitOK)
	golden(t, "ingest/fastshop_order.json", o.stdout)
}

// fastshopOrderIDSource is the position of the expression inside the
// Fast Shop orders route's orderId template, found in the mapping as it
// is now so that edits elsewhere in the file do not move the test.
func fastshopOrderIDSource(t *testing.T) string {
	t.Helper()
	const line = "    orderId: FSH-${ placement.marketplaceOrderId }"
	data, err := os.ReadFile(filepath.Join(repoRoot, "mappings", "fastshop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if l == line {
			return fmt.Sprintf("fastshop.yaml:%d:%d", i+1, strings.Index(l, "placement")+1)
		}
	}
	t.Fatalf("mappings/fastshop.yaml has no line %q", line)
	return ""
}
