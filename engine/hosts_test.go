package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
)

// TestEventHostsAreHeldToTheAllowList: a base URL from the event reaches no
// host but the ones allowedHosts names, as Go would dial it, whether or not
// validation is skipped: no IP literal, zone, userinfo, other port, numeric
// host or trailing dot.
func TestEventHostsAreHeldToTheAllowList(t *testing.T) {
	e := acme(t)
	base := baseEvent(t)
	refused := []struct{ url, code string }{
		{"https://[::ffff:127.0.0.1%25.acme.com.br]:8443/", engine.CodeHostNotAllowed},
		{"https://[::ffff:127.0.0.1%25.acme.com.br]/", engine.CodeHostNotAllowed},
		{"https://[fe80::1%25eth0.acme.com.br]/", engine.CodeHostNotAllowed},
		{"https://127.0.0.1/", engine.CodeHostNotAllowed},
		{"https://[::1]/", engine.CodeHostNotAllowed},
		{"https://2130706433/", engine.CodeHostNotAllowed},
		{"https://127.1/", engine.CodeHostNotAllowed},
		{"https://0x7f.0x1/", engine.CodeHostNotAllowed},
		{"https://seller:s3cr3tpw@hub.acme.com.br/", engine.CodeHostNotAllowed},
		{"https://seller@hub.acme.com.br/", engine.CodeHostNotAllowed},
		{"https://hub.acme.com.br:8443/", engine.CodeHostNotAllowed},
		{"https://hub.acme.com.br:80/", engine.CodeHostNotAllowed},
		{"https://hub.acme.com.br./", engine.CodeHostNotAllowed},
		{"https://hub%2eevil.io%23.acme.com.br/", engine.CodeBadBaseURL},
		{"https://hub_x.acme.com.br/", engine.CodeHostNotAllowed},
		{"http://hub.acme.com.br/", engine.CodeHostNotAllowed},
		{"https://hub.acme.com.br/a/../b", engine.CodeDotSegment},
		{"https://hub.acme.com.br/%2e%2e/", engine.CodeDotSegment},
	}
	for _, tt := range refused {
		for _, skip := range []bool{false, true} {
			t.Run(tt.url, func(t *testing.T) {
				res, err := e.Translate(edit(t, base, "order.servicesEndpoint", tt.url), engine.TranslateOptions{SkipValidation: skip})
				var te *engine.Error
				if !errors.As(err, &te) {
					t.Fatalf("got %+v, %v, want %s", res, err, tt.code)
				}
				if te.Code == engine.CodeBadFormat && !skip {
					return // the schema's uri format refused it first
				}
				if te.Code != tt.code || te.Path != "/order/servicesEndpoint" {
					t.Errorf("got %s at %q (%s), want %s at /order/servicesEndpoint", te.Code, te.Path, te.Message, tt.code)
				}
				if strings.Contains(te.Message, "s3cr3tpw") {
					t.Errorf("message %q echoes the URL's password", te.Message)
				}
			})
		}
	}
	for _, u := range []string{"https://hub.acme.com.br/", "https://HUB.Acme.com.br:443/x", "https://api.acme.test"} {
		t.Run("allows "+u, func(t *testing.T) {
			if _, err := e.Translate(edit(t, base, "order.servicesEndpoint", u), engine.TranslateOptions{SkipValidation: true}); err != nil {
				t.Errorf("got %v, want calls", err)
			}
		})
	}
}

// TestAllowedHostsWithPortsAndAddresses: an entry with :port allows that
// port; an IP address is allowed only when the environment sets
// allowIPHosts, and then matched exactly.
func TestAllowedHostsWithPortsAndAddresses(t *testing.T) {
	e, err := acmeWith(t, `allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["*.acme.com.br:8443", "203.0.113.7", "[2001:db8::7]:9443"]
    allowIPHosts: true`)
	if err != nil {
		t.Fatal(err)
	}
	base := baseEvent(t)
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"https://hub.acme.com.br:8443/", true},
		{"https://hub.acme.com.br/", false},
		{"https://hub.acme.com.br:8444/", false},
		{"https://203.0.113.7/", true},
		{"https://203.0.113.7:8443/", false},
		{"https://[::ffff:203.0.113.7]/", true},
		{"https://203.0.113.8/", false},
		{"https://[2001:db8::7]:9443/", true},
		{"https://[2001:db8::7%25eth0]:9443/", false},
		{"https://[2001:db8::7]/", false},
	} {
		t.Run(tt.url, func(t *testing.T) {
			_, err := e.Translate(edit(t, base, "order.servicesEndpoint", tt.url), engine.TranslateOptions{SkipValidation: true})
			if got := err == nil; got != tt.want {
				t.Errorf("allowed = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestAllowedHostsLint: allowedHosts entries that would open the door to
// hosts nobody vetted, and a literal http:// base URL, are lint errors
// (bad_url) at the entry.
func TestAllowedHostsLint(t *testing.T) {
	for _, tt := range []struct{ from, to, msg string }{
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["*.com"]`, "public domain"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["*.com.br"]`, "public domain"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["*.co.uk"]`, "public domain"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["127.0.0.1"]`, "allowIPHosts"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["[::1]"]`, "allowIPHosts"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["acme.com.br:99999"]`, "port"},
		{`allowedHosts: ["*.acme.com.br", api.acme.test]`, `allowedHosts: ["12.34"]`, "host name"},
		{`baseUrl: https://fixed.acme.test/v1`, `baseUrl: http://fixed.acme.test/v1`, "https"},
	} {
		t.Run(tt.to, func(t *testing.T) {
			_, err := acmeWith(t, tt.from, tt.to)
			var ds diag.List
			if !errors.As(err, &ds) {
				t.Fatalf("got %v, want lint findings", err)
			}
			errs := ds.Errors()
			if len(errs) == 0 || errs[0].Code != diag.BadURL || !strings.Contains(errs[0].Message, tt.msg) {
				t.Fatalf("got %v, want a %s finding about %q", errs, diag.BadURL, tt.msg)
			}
		})
	}
	for _, ok := range []string{`allowedHosts: ["*.acme.com.br", "*.kaive.com.br:8443", api.acme.test]`, `allowedHosts: ["10.0.0.5"]
    allowIPHosts: true`} {
		t.Run("accepts "+ok, func(t *testing.T) {
			if _, err := acmeWith(t, `allowedHosts: ["*.acme.com.br", api.acme.test]`, ok); err != nil {
				t.Errorf("got %v, want it loaded", err)
			}
		})
	}
}
