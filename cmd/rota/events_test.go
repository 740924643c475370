package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// postEvent posts an example event to a running server.
func postEvent(t *testing.T, url, token, file string) {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: %d, want 202", file, resp.StatusCode)
	}
}

// TestEventsAndOrdersClients: the client verbs print the server's JSON and
// exit with the contract's codes.
func TestEventsAndOrdersClients(t *testing.T) {
	const token = "client-test-token"
	t.Setenv(apiTokenVar, token)
	rs := startServe(t, "--sim", "--addr", "127.0.0.1:0")
	postEvent(t, rs.url, token, "../../examples/events/skyhub/invoiced.json")
	cases := []struct {
		name     string
		token    string
		args     []string
		wantCode int
		// wantOut is a JSON field path and value the output must hold.
		wantKey, wantValue string
		wantErr            string
	}{
		{"show", token, []string{"events", "show", "evt-skyhub-invoiced-0001"}, 0, "id", "evt-skyhub-invoiced-0001", ""},
		{"list", token, []string{"events", "list", "--marketplace", "skyhub", "--limit", "1"}, 0, "events.0.id", "evt-skyhub-invoiced-0001", ""},
		{"list dead", token, []string{"events", "list", "--state", "dead"}, 0, "events.#", "0", ""},
		{"order", token, []string{"orders", "show", "skyhub", "Lojas Americanas-1000000000000"}, 0, "timeline.0.eventId", "evt-skyhub-invoiced-0001", ""},
		{"show unknown", token, []string{"events", "show", "evt-none"}, 1, "error.code", "not_found", "rota: request: not_found"},
		{"replay not dead", token, []string{"events", "replay", "evt-skyhub-invoiced-0001"}, 1, "error.code", "conflict", "rota: request: conflict"},
		{"bad state", token, []string{"events", "list", "--state", "lost"}, 1, "error.code", "bad_parameter", "bad_parameter"},
		{"wrong token", "other", []string{"events", "list"}, 2, "error.code", "unauthorized", "unauthorized"},
		{"no token", "", []string{"events", "list"}, 2, "", "", "set ROTA_API_TOKEN"},
		{"no server", token, []string{"events", "list", "--server", "http://127.0.0.1:1"}, 2, "", "", "cannot reach http://127.0.0.1:1"},
		{"bad server", token, []string{"events", "list", "--server", "ftp://x"}, 2, "", "", `--server "ftp://x"`},
		{"show without id", token, []string{"events", "show"}, 2, "", "", "accepts 1 arg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(apiTokenVar, c.token)
			args := c.args
			if !strings.Contains(strings.Join(args, " "), "--server") {
				args = append(args, "--server", rs.url)
			}
			o := rota(t, "", args...)
			o.wantCode(t, c.wantCode)
			if c.wantErr != "" && !strings.Contains(o.stderr, c.wantErr) {
				t.Errorf("stderr %q does not contain %q", o.stderr, c.wantErr)
			}
			if c.wantKey == "" {
				if o.stdout != "" {
					t.Errorf("stdout %q, want nothing", o.stdout)
				}
				return
			}
			var v any
			if err := json.Unmarshal([]byte(o.stdout), &v); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, o.stdout)
			}
			if got := jsonPath(v, c.wantKey); got != c.wantValue {
				t.Errorf("%s = %q, want %q\n%s", c.wantKey, got, c.wantValue, o.stdout)
			}
			if strings.Contains(o.stdout+o.stderr, token) {
				t.Error("the output holds the token")
			}
		})
	}
}

// jsonPath reads a dotted path (numbers index arrays, # is an array's
// length) from a decoded JSON value, as a string.
func jsonPath(v any, path string) string {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			if part == "#" {
				return itoa(len(x))
			}
			i := 0
			for _, r := range part {
				i = i*10 + int(r-'0')
			}
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return itoa(int(x))
	}
	return ""
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
