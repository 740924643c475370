package deliver

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

// docs/delivery.md lists the environment variable of every secret the
// bundled mappings' auth schemes name, and every stable code.
func TestDocsListSecretsAndCodes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/delivery.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	e := enginetest.Bundled(t)
	if mks := e.Marketplaces(); len(mks) < 4 {
		t.Fatalf("bundled mappings: %v, want the four marketplaces", mks)
	}
	checked := 0
	for _, mk := range e.Marketplaces() {
		for _, name := range e.AuthSchemes(mk) {
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("docs/delivery.md does not name the %s scheme %s", mk, name)
			}
			a, err := e.Auth(mk, name, nil)
			if err != nil {
				t.Fatalf("%s scheme %s: %v", mk, name, err)
			}
			for _, secret := range a.Secrets {
				checked++
				if env := engine.SecretEnvName(mk, secret); !strings.Contains(doc, "`"+env+"`") {
					t.Errorf("docs/delivery.md does not list %s", env)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("the bundled mappings name no secret: the check above ran on nothing")
	}
	codes := slices.Concat(
		strs(ErrNetwork, ErrTimeout, ErrAuthFailed, ErrRetriesExhausted, ErrRuleFailed, ErrBadRequest, ErrCanceled, ErrNotConfirmed, ErrReadBackFailed),
		[]string{CodeMissingSecret, CodeMissingTokenURL, CodeInsecureSecretsFile, CodeBadSecretsFile, CodeSecretTooShort},
		strs(Delivered, Refused, Failed, Unconfirmed, Duplicate, Canceled, Ignored, Unknown),
		strs(CallSuccess, CallRefused, CallFailed, CallCanceled, CallNotSent, CallSkipped, CallUnknown),
		strs(ConfirmedByAlreadyApplied, ConfirmedByReadBack))
	for _, code := range codes {
		if !strings.Contains(doc, "`"+code+"`") {
			t.Errorf("docs/delivery.md does not document %s", code)
		}
	}
}

// docYAML returns the first yaml block of doc after the line starting with marker.
func docYAML(t *testing.T, doc, marker string) string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+marker)
	if !ok {
		t.Fatalf("the doc has no line starting with %q", marker)
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatalf("no yaml block after %q", marker)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// The example of docs/mapping-format.md ("Lost answers") works as the doc
// says: a lost answer is settled by the read-back; a repeat answered
// SAME_STATUS counts as delivered.
func TestDocsLostAnswerExample(t *testing.T) {
	raw, err := os.ReadFile("../../docs/mapping-format.md")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Load(fstest.MapFS{"acme.yaml": {Data: []byte(docYAML(t, string(raw), "A complete example (a test loads it"))}})
	if err != nil {
		t.Fatalf("the doc's example does not load: %v", err)
	}
	event := []byte(`{"specVersion": "1.0", "id": "evt-acme-1", "type": "order.invoiced", "occurredAt": "2023-03-10T12:30:00-03:00",
		"marketplace": "acme", "order": {"id": "ERP-1", "marketplaceOrderId": "A-1", "status": "approved"},
		"items": [{"sku": "S", "quantity": 1, "price": 100}],
		"invoice": {"key": "52060433009911002506550120000007800267301615", "number": "780", "series": "1", "total": 100}}`)
	for _, tc := range []struct {
		name        string
		post        func(w http.ResponseWriter) // after the change is applied
		confirmedBy Confirmation
	}{
		{"answer lost, read back", func(http.ResponseWriter) { panic(http.ErrAbortHandler) }, ConfirmedByReadBack},
		{"repeat refused as the same status", func(w http.ResponseWriter) { answerWith(w, 409, `{"code":"SAME_STATUS"}`) }, ConfirmedByAlreadyApplied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, posts := "approved", 0
			var mu sync.Mutex
			f := newFake(t, func(_ int, r request, w http.ResponseWriter) {
				mu.Lock()
				defer mu.Unlock()
				if r.Method == http.MethodGet {
					answerWith(w, 200, `{"status":"`+status+`","invoice":"780"}`)
					return
				}
				posts++
				status = "invoiced"
				tc.post(w)
			})
			res, err := eng.Translate(event, engine.TranslateOptions{BaseURL: f.URL})
			if err != nil {
				t.Fatal(err)
			}
			s := &Sender{Engine: eng, Sleep: func(context.Context, time.Duration) error { return nil }}
			rep, err := s.Send(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Calls[0]; rep.Outcome != Delivered || c.ConfirmedBy != tc.confirmedBy || posts != 1 {
				t.Errorf("got %s (%s) confirmed by %q after %d posts, want delivered confirmed by %q after 1", rep.Outcome, rep.Reason, c.ConfirmedBy, posts, tc.confirmedBy)
			}
		})
	}
}

// strs returns the strings of a typed string set.
func strs[T ~string](vs ...T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// TestReportJSON: the typed outcome, error and confirmation fields marshal
// as the plain strings of the documented report, byte for byte.
func TestReportJSON(t *testing.T) {
	yes := true
	rep := Report{EventID: "evt-1", Marketplace: "skyhub", Outcome: Unknown, Reason: "lost", Calls: []CallReport{
		{Name: "a", Method: "PUT", URL: "https://x/1", Status: 200, Attempts: 1, Outcome: CallSuccess,
			Confirmed: &yes, ConfirmedBy: ConfirmedByReadBack},
		{Name: "b", Method: "POST", URL: "https://x/2", Attempts: 3, Outcome: CallUnknown, Error: ErrNetwork, Message: "reset"},
		{Name: "c", Method: "POST", URL: "https://x/3", Outcome: CallNotSent},
	}}
	got, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eventId":"evt-1","marketplace":"skyhub","outcome":"unknown","reason":"lost","calls":[` +
		`{"name":"a","method":"PUT","url":"https://x/1","status":200,"attempts":1,"outcome":"success","confirmed":true,"confirmedBy":"readBack"},` +
		`{"name":"b","method":"POST","url":"https://x/2","attempts":3,"message":"reset","outcome":"unknown","error":"network_error"},` +
		`{"name":"c","method":"POST","url":"https://x/3","attempts":0,"outcome":"not_sent"}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back Report
	if err := json.Unmarshal(got, &back); err != nil || back.Outcome != Unknown || back.Calls[1].Error != ErrNetwork {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if ErrNetwork.Error() != "network_error" {
		t.Errorf("ErrNetwork.Error() = %q, want network_error", ErrNetwork.Error())
	}
}
