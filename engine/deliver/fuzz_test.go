package deliver

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/enginetest"
)

// Fuzz targets for the text the sender reads from outside: the secrets
// file, the marketplace's answers (through each bundled mapping's rules),
// Retry-After headers, and the parameters the SellerCenter signature
// signs. Seeds are under testdata/fuzz/<target>.

var badLine = regexp.MustCompile(`^configuration: bad_secrets_file: secrets\.env:[0-9]+: want ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE on each line \(or a # comment\)$|^configuration: bad_secrets_file: cannot read secrets file secrets\.env: bufio\.Scanner: token too long$`)

// FuzzParseSecrets: the secrets file parser never panics, every name it
// returns is a ROTA_SECRET_ name, and an error never quotes a value.
func FuzzParseSecrets(f *testing.F) {
	f.Add([]byte(PublicTestMarker + "\nROTA_SECRET_SKYHUB_APIKEY=sim-skyhub-api-key\n"))
	f.Add([]byte("# c\n\nROTA_SECRET_A_B = \"quoted value\"\r\nROTA_SECRET_X='y'\n"))
	f.Add([]byte("ROTA_SECRET_=novalue\n"))
	f.Add([]byte("apiKey=hunter2-value\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fs, err := parseSecrets("secrets.env", raw, nil)
		if err != nil {
			// The error is the fixed sentence with a line number: it cannot
			// quote anything from the file.
			if !badLine.MatchString(err.Error()) {
				t.Fatalf("error %q, want %s naming only the line", err, CodeBadSecretsFile)
			}
			return
		}
		for name := range fs {
			if !validSecretName(name) {
				t.Fatalf("name %q is not a ROTA_SECRET_ name", name)
			}
		}
		_ = onlyPublic(fs)
	})
}

// fuzzCalls are calls of every bundled mapping, translated once.
func fuzzCalls(tb testing.TB) ([]engine.Call, error) {
	eng := enginetest.Bundled(tb)
	var calls []engine.Call
	for _, file := range []string{"skyhub/invoiced.json", "skyhub/shipment_exception.json", "dafiti/shipped.json", "dafiti/canceled.json",
		"fastshop/invoiced.json", "fastshop/delivered.json", "napse/handling.json"} {
		raw, err := os.ReadFile(filepath.Join(examples, file))
		if err != nil {
			return nil, err
		}
		opts := engine.TranslateOptions{BaseURL: "https://marketplace.example"}
		if strings.HasPrefix(file, "napse/") {
			opts.Vars = map[string]string{"baseUrl": "https://bridge.example"}
		}
		res, err := eng.Translate(raw, opts)
		if err != nil {
			return nil, err
		}
		calls = append(calls, res.Calls...)
	}
	return calls, nil
}

// FuzzJudge: every bundled mapping's response rules read any answer
// without panicking; the verdict is one of the three; the message is cut
// to diag.MaxMessageLength characters and never shows a secret that the
// answer echoes, in any form; a read-back's applied rule runs too.
func FuzzJudge(f *testing.F) {
	f.Add(422, "", []byte(`{"error":"invalid status transition: order X is order_invoiced (Faturado); invoice needs it to be payment_received"}`))
	f.Add(200, "", []byte(`{"ack":1021,"message":"el nuevo estado no puede ser idéntico al actual (inproc)"}`))
	f.Add(422, "", []byte(`{"ErrorResponse":{"Head":{"ErrorCode":"28","ErrorMessage":"E028: x"},"Body":{"ErrorDetail":[{"OrderItemId":123456,"Status":"shipped"},{"OrderItemId":654321,"Status":"shipped"}]}}}`))
	f.Add(200, "", []byte(`{"orderId":"x","status":"invoiced","packageAttachment":{"packages":[{"invoiceNumber":"1","courierStatus":{"finished":true,"data":[{"description":"d","date":"x"}]}}]}}`))
	f.Add(503, "Retry-After: 5", []byte(`{"error":{"code":"1","message":"sim-skyhub-api-key"}}`))
	f.Add(401, "", []byte("not json \x00 \xff"))
	calls, err := fuzzCalls(f)
	if err != nil {
		f.Fatal(err)
	}
	const secret = `sim-"secret"\válue`
	scrub := scrubber([]string{secret})
	f.Fuzz(func(t *testing.T, status int, headers string, body []byte) {
		h := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(k, v)
			}
		}
		echoed := append(append(slices.Clone(body), secret...), body...)
		for i := range calls {
			c := &calls[i]
			v, err := c.JudgeWith(status, h, echoed, engine.JudgeOptions{Scrub: scrub.Replace})
			if err != nil {
				continue // a rule that fails to run is reported as rule_error
			}
			switch v.Outcome {
			case engine.VerdictSuccess, engine.VerdictRetry, engine.VerdictFail:
			default:
				t.Fatalf("%s: outcome %q", c.Name, v.Outcome)
			}
			if utf8.RuneCountInString(v.Message) > diag.MaxMessageLength+1 || strings.Contains(v.Message, "válue") {
				t.Fatalf("%s: message %q", c.Name, v.Message)
			}
			if rb := c.ReadBack(); rb != nil {
				_, _ = rb.Applied(c, status, h, body)
			}
		}
	})
}

// FuzzRetryAfter: any header gives a wait in [0, MaxRetryAfter]; a number
// of seconds within it is read exactly.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"", "2", " 120 ", "-1", "9223372037", "18446744073709551616", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := retryAfter(v, now)
		if d < 0 || d > MaxRetryAfter {
			t.Fatalf("retryAfter(%q) = %v, want within [0, %v]", v, d, MaxRetryAfter)
		}
	})
}

// FuzzSellerCenterStringToSign: the string to sign holds every parameter
// but Signature, sorted by name, each name and value percent-encoded so
// that the string parses back to exactly the parameters signed.
func FuzzSellerCenterStringToSign(f *testing.F) {
	f.Add("UserID", "look@me.com", "Timestamp", "2015-07-01T11:11:11+00:00", "Signature")
	f.Add("a b", "ç&=+%", "", "", "x")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, n3 string) {
		params := url.Values{}
		params.Add(n1, v1)
		params.Add(n2, v2)
		params.Add(n3, "v3")
		params.Set("Signature", "ignored")
		s := SellerCenterStringToSign(params)
		for i := 0; i < len(s); i++ {
			if c := s[i]; !unreserved(c) && c != '%' && c != '&' && c != '=' {
				t.Fatalf("byte %q of %q is not encoded", c, s)
			}
		}
		back, err := url.ParseQuery(s)
		if err != nil {
			t.Fatalf("%q does not parse back: %v", s, err)
		}
		delete(params, "Signature")
		if len(back) != len(params) {
			t.Fatalf("%q parses back to %v, want %v", s, back, params)
		}
		for name, vs := range params {
			if !slices.Equal(back[name], vs) {
				t.Fatalf("%q: %s = %q, want %q", s, name, back[name], vs)
			}
		}
		var names []string
		for _, pair := range strings.Split(s, "&") {
			if pair == "" {
				continue
			}
			n, _, _ := strings.Cut(pair, "=")
			name, _ := url.PathUnescape(n)
			names = append(names, name)
		}
		if !slices.IsSorted(names) {
			t.Fatalf("%q: names %q not in byte order", s, names)
		}
		if SellerCenterSignature(params, "key") != SellerCenterSignature(params, "key") {
			t.Fatal("the signature is not deterministic")
		}
	})
}
