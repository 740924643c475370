package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
)

const examples = "../../examples/events/skyhub"

// result is the translate result JSON of the CLI contract.
type result struct {
	Marketplace string `json:"marketplace"`
	EventID     string `json:"eventId"`
	EventType   string `json:"eventType"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason"`
	Calls       []struct {
		Name              string            `json:"name"`
		Method            string            `json:"method"`
		URL               string            `json:"url"`
		Headers           map[string]string `json:"headers"`
		Body              json.RawMessage   `json:"body"`
		MarketplaceStatus string            `json:"marketplaceStatus"`
	} `json:"calls"`
}

func decodeResult(t *testing.T, stdout string) result {
	t.Helper()
	var res result
	decodeStrict(t, stdout, "the result JSON", &res)
	if res.Calls == nil {
		t.Fatalf("calls is missing or null, want a list:\n%s", stdout)
	}
	return res
}

// TestTranslateExamples translates every SkyHub example event and compares
// the output with its golden file.
func TestTranslateExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examples, "*.json"))
	if err != nil || len(files) < 7 {
		t.Fatalf("found %d example events (%v), want at least 7", len(files), err)
	}
	want := map[string]struct {
		code    int
		outcome string // or the error kind
	}{
		"accepted":           {0, "ignore"},
		"approved":           {0, "ignore"},
		"canceled":           {0, "send"},
		"delivered":          {0, "send"},
		"delivery_failed":    {1, "unsupported"},
		"invoiced":           {0, "send"},
		"shipment_exception": {0, "send"},
		"shipped":            {0, "send"},
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to this test", file)
			}
			o := rota(t, "", "translate", file)
			o.wantCode(t, w.code)
			golden(t, "translate/"+name+".json", o.stdout)
			if w.code != 0 {
				doc := decodeError(t, o.stdout)
				if doc.Error.Kind != w.outcome {
					t.Errorf("error kind %q, want %q", doc.Error.Kind, w.outcome)
				}
				return
			}
			if o.stderr != "" {
				t.Errorf("stderr is %q, want nothing", o.stderr)
			}
			res := decodeResult(t, o.stdout)
			if res.Outcome != w.outcome || res.Marketplace != "skyhub" {
				t.Errorf("outcome %q for %q, want %q for skyhub", res.Outcome, res.Marketplace, w.outcome)
			}
			if (res.Outcome == "send") != (len(res.Calls) > 0) || (res.Outcome == "ignore") != (res.Reason != "") {
				t.Errorf("outcome %s with %d calls and reason %q", res.Outcome, len(res.Calls), res.Reason)
			}
		})
	}
}

// TestTranslateMatchesLibrary runs the shipped example through the engine
// and through the CLI: both must give the same result.
func TestTranslateMatchesLibrary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(examples, "shipped.json"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Translate(raw, engine.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lib, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	o := rota(t, "", "translate", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitOK)
	if got, want := compact(t, o.stdout), compact(t, string(lib)); got != want {
		t.Errorf("CLI and library disagree:\n cli: %s\n lib: %s", got, want)
	}
	// The contract's example call, as cli.md shows it.
	r := decodeResult(t, o.stdout)
	c := r.Calls[0]
	if c.Method != "POST" || c.URL != "https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/shipments" || c.MarketplaceStatus != "order_shipped" {
		t.Errorf("call %s %s -> %s, want the contract's example", c.Method, c.URL, c.MarketplaceStatus)
	}
	if !strings.Contains(o.stdout, "\n      \"body\": {\n        \"status\": \"order_shipped\",") {
		t.Errorf("body is not printed as indented JSON:\n%s", o.stdout)
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTranslateReadsStdin(t *testing.T) {
	file := filepath.Join(examples, "shipped.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := rota(t, "", "translate", file)
	fromFile.wantCode(t, exitOK)
	for _, args := range [][]string{{"translate"}, {"translate", "-"}} {
		o := rota(t, string(raw), args...)
		o.wantCode(t, exitOK)
		if o.stdout != fromFile.stdout {
			t.Errorf("%v from stdin printed\n%s\nwant what the file gives:\n%s", args, o.stdout, fromFile.stdout)
		}
	}
}

// TestTranslateInvalidEvents checks that each broken event is refused with
// exit code 1, kind invalid_event, the right code and JSON pointer.
func TestTranslateInvalidEvents(t *testing.T) {
	cases := []struct {
		file, code, path string
	}{
		{"unknown_field.json", "unknown_field", "/shipment/trackingNumber"},
		{"missing_field.json", "missing_field", "/occurredAt"},
		{"bad_date.json", "bad_format", "/shipment/shippedAt"},
		{"nfe_check_digit.json", "nfe_key_check_digit", "/invoice/key"},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			o := rota(t, "", "translate", filepath.Join("testdata", "events", c.file))
			o.wantCode(t, exitRefused)
			e := decodeError(t, o.stdout).Error
			if e.Kind != "invalid_event" || e.Code != c.code || e.Path != c.path {
				t.Errorf("got %s/%s at %q, want invalid_event/%s at %q", e.Kind, e.Code, e.Path, c.code, c.path)
			}
			if len(e.Details) != 0 {
				t.Errorf("the fixture should break one rule, got %d more problems: %s", len(e.Details), e.Details)
			}
			wantLine := "rota: invalid_event: " + c.code + ": "
			if !strings.HasPrefix(o.stderr, wantLine) || !strings.HasSuffix(o.stderr, "(at "+c.path+")\n") || strings.Count(o.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line %q... (at %s)", o.stderr, wantLine, c.path)
			}
		})
	}
}

func TestTranslateMalformedJSON(t *testing.T) {
	o := rota(t, `{"specVersion": "1.0",`, "translate")
	o.wantCode(t, exitRefused)
	if e := decodeError(t, o.stdout).Error; e.Kind != "invalid_event" || e.Code != "malformed_json" {
		t.Errorf("got %s/%s, want invalid_event/malformed_json", e.Kind, e.Code)
	}
}

func TestTranslateUnknownMarketplace(t *testing.T) {
	for name, args := range map[string][]string{
		"event field": {"translate", "testdata/events/unknown_marketplace.json"},
		"flag":        {"translate", "-m", "nosuch", filepath.Join(examples, "shipped.json")},
	} {
		t.Run(name, func(t *testing.T) {
			o := rota(t, "", args...)
			o.wantCode(t, exitRefused)
			e := decodeError(t, o.stdout).Error
			if e.Kind != "unknown_marketplace" || e.Code != "unknown_marketplace" || !strings.Contains(e.Message, `"nosuch"`) {
				t.Errorf("got %s/%s %q, want unknown_marketplace naming nosuch", e.Kind, e.Code, e.Message)
			}
		})
	}
}

// TestTranslateMarketplaceFlag: -m picks the mapping whatever the event's
// marketplace field says.
func TestTranslateMarketplaceFlag(t *testing.T) {
	file := "testdata/events/other_marketplace.json"
	without := rota(t, "", "translate", file)
	without.wantCode(t, exitRefused)
	for _, flag := range []string{"-m", "--marketplace"} {
		o := rota(t, "", "translate", flag, "skyhub", file)
		o.wantCode(t, exitOK)
		if res := decodeResult(t, o.stdout); res.Marketplace != "skyhub" || res.Outcome != "send" {
			t.Errorf("%s skyhub: outcome %q for %q, want send for skyhub", flag, res.Outcome, res.Marketplace)
		}
	}
}

// TestTranslateRejectedTransition: SkyHub cannot cancel an order that is
// already complete (a final status).
func TestTranslateRejectedTransition(t *testing.T) {
	o := rota(t, "", "translate", "testdata/events/canceled_after_delivery.json")
	o.wantCode(t, exitRefused)
	e := decodeError(t, o.stdout).Error
	source := posOf(t, "../../mappings/skyhub.yaml", "mappings/skyhub.yaml", "leadsTo: order_canceled", "order_canceled")
	if e.Kind != "rejected" || e.Code != "final_status" || e.Path != "/order/marketplaceStatus" || e.Source != source {
		t.Errorf("got %s/%s at %q from %q, want rejected/final_status at /order/marketplaceStatus from %s", e.Kind, e.Code, e.Path, e.Source, source)
	}
	want := "rota: rejected: final_status: " + e.Message + " (" + source + ")\n"
	if o.stderr != want {
		t.Errorf("stderr\n %q\nwant\n %q", o.stderr, want)
	}
}

func TestTranslateUnreadableInputExits2(t *testing.T) {
	o := rota(t, "", "translate", "testdata/events/no-such-file.json")
	o.wantCode(t, exitUsage)
	if o.stdout != "" || !strings.HasPrefix(o.stderr, "rota: cannot read testdata/events/no-such-file.json: ") {
		t.Errorf("stdout %q, stderr %q; want nothing and a cannot read line", o.stdout, o.stderr)
	}
}

// TestTranslateConfigurationExits2: errors the run is to blame for (an
// environment or a variable the mapping lacks) print the error JSON and exit 2.
func TestTranslateConfigurationExits2(t *testing.T) {
	shipped := filepath.Join(examples, "shipped.json")
	cases := []struct {
		name string
		args []string
		code string
	}{
		{"unknown environment", []string{"--env", "homologation", shipped}, "unknown_environment"},
		{"undeclared variable", []string{"--var", "baseUrl=https://x.test", shipped}, "unknown_variable"},
		{"missing variable", []string{"--mappings", "testdata/mappings/shop", "testdata/events/shop_shipped.json"}, "missing_variable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Make sure the caller's environment does not set the variable;
			// t.Setenv restores it afterwards.
			t.Setenv("ROTA_VAR_SHOP_BASEURL", "")
			os.Unsetenv("ROTA_VAR_SHOP_BASEURL")
			o := rota(t, "", append([]string{"translate"}, c.args...)...)
			o.wantCode(t, exitUsage)
			if e := decodeError(t, o.stdout).Error; e.Kind != "configuration" || e.Code != c.code {
				t.Errorf("got %s/%s, want configuration/%s", e.Kind, e.Code, c.code)
			}
			if !strings.HasPrefix(o.stderr, "rota: configuration: "+c.code+": ") {
				t.Errorf("stderr %q", o.stderr)
			}
		})
	}
}

func TestTranslateBrokenMappingsExit2(t *testing.T) {
	o := rota(t, "", "translate", "--mappings", "testdata/lint/broken", filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitUsage)
	if o.stdout != "" {
		t.Errorf("stdout %q, want nothing", o.stdout)
	}
	for _, want := range []string{
		"testdata/lint/broken/a.yaml:", ": error: unknown_key: ", "\n |", // findings with snippets
		"rota: cannot load testdata/lint/broken: 6 errors\n",
	} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, o.stderr)
		}
	}
	missing := rota(t, "", "translate", "--mappings", "testdata/no-such-dir", filepath.Join(examples, "shipped.json"))
	missing.wantCode(t, exitUsage)
}

// TestTranslateVariables: a declared variable comes from --var or from
// ROTA_VAR_<MARKETPLACE>_<NAME>; the flag wins; defaults apply otherwise.
func TestTranslateVariables(t *testing.T) {
	shipped := "testdata/events/shop_shipped.json"
	base := []string{"translate", "--mappings", "testdata/mappings/shop"}
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		wantURL string
	}{
		{"flag", nil, []string{"--var", "baseUrl=https://flag.test"},
			"https://flag.test/orders/SH-1001/ship?channel=web"},
		{"environment", map[string]string{"ROTA_VAR_SHOP_BASEURL": "https://env.test", "ROTA_VAR_SHOP_CHANNEL": "app"}, nil,
			"https://env.test/orders/SH-1001/ship?channel=app"},
		{"flag wins", map[string]string{"ROTA_VAR_SHOP_BASEURL": "https://env.test"}, []string{"--var", "baseUrl=https://flag.test", "--var", "channel=store"},
			"https://flag.test/orders/SH-1001/ship?channel=store"},
		{"other marketplace's variable ignored", map[string]string{"ROTA_VAR_SKYHUB_BASEURL": "https://other.test"}, []string{"--var", "baseUrl=https://flag.test"},
			"https://flag.test/orders/SH-1001/ship?channel=web"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			o := rota(t, "", append(append(append([]string{}, base...), c.args...), shipped)...)
			o.wantCode(t, exitOK)
			res := decodeResult(t, o.stdout)
			if len(res.Calls) != 1 || res.Calls[0].URL != c.wantURL {
				t.Errorf("calls %+v, want one to %s", res.Calls, c.wantURL)
			}
		})
	}
}
