package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/rotahq/rota/engine/durable/httpapi"
	"github.com/rotahq/rota/engine/internal/doccheck"
)

// TestEveryRequestCodeIsDocumented: each code of errors.go has a row in the
// request section of docs/errors.md, and the kind has its row among the
// kinds.
func TestEveryRequestCodeIsDocumented(t *testing.T) {
	t.Parallel()
	rows := doccheck.TableCodes(t, root+"/docs/errors.md", "### `request`")
	codes := doccheck.Constants(t, "errors.go", "Code")
	if len(codes) < 7 {
		t.Fatalf("found %d Code constants in errors.go, want them all", len(codes))
	}
	for _, c := range append(codes, httpapi.CodeMalformedJSON) {
		if !rows[c] {
			t.Errorf("code %s has no row under ### `request` in docs/errors.md", c)
		}
	}
	if kinds := doccheck.TableCodes(t, root+"/docs/errors.md", "## Kinds"); !kinds[string(httpapi.KindRequest)] {
		t.Errorf("kind %s has no row in docs/errors.md", httpapi.KindRequest)
	}
}

// TestRequestCodesHaveStatuses: the status each request code answers with
// is the one docs/errors.md gives (spot checks of the table).
func TestRequestCodesHaveStatuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{noStart: true})
	cases := []struct {
		name, method, path, token string
		want                      int
		code                      string
	}{
		{"unauthorized", "GET", "/v1/events", "", http.StatusUnauthorized, httpapi.CodeUnauthorized},
		{"not found", "GET", "/v1/events/x", testToken, http.StatusNotFound, httpapi.CodeNotFound},
		{"method", "PUT", "/v1/translate", testToken, http.StatusMethodNotAllowed, httpapi.CodeMethodNotAllowed},
		{"bad parameter", "GET", "/v1/events?limit=-1", testToken, http.StatusBadRequest, httpapi.CodeBadParameter},
		{"not ready", "GET", "/readyz", "", http.StatusServiceUnavailable, httpapi.CodeNotReady},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, c.path, c.token, nil)
			if a.status != c.want {
				t.Fatalf("status %d, want %d", a.status, c.want)
			}
			if kind, code := a.errorCode(t); kind != string(httpapi.KindRequest) || code != c.code {
				t.Errorf("error %s/%s, want request/%s", kind, code, c.code)
			}
		})
	}
}
