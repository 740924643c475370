package engine_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/rotahq/rota/engine"
)

// FuzzIngest feeds arbitrary payloads to Ingest: it must never panic, and
// must end in canonical events that are valid JSON or in a typed
// *engine.Error.
func FuzzIngest(f *testing.F) {
	e := acme(f)
	f.Add([]byte(orders))
	f.Add([]byte(`{"orders":[{"code":"X1","code":"X2","lines":[]}]}`))
	f.Add([]byte(`{"orders":[{"code":"X1","total":1e2,"lines":[{"sku":"a","qty":2.0}]}]}`))
	f.Add([]byte(`{"orders":[{"code":"\ud800","lines":[]}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		res, err := e.Ingest("acme", payload, engine.IngestOptions{OrderID: "S-9", Now: receivedAt})
		if err != nil {
			var te *engine.Error
			if !errors.As(err, &te) || te.Kind == "" || te.Code == "" {
				t.Fatalf("payload %q: untyped error %v", payload, err)
			}
			return
		}
		for _, ev := range res.Events {
			if !json.Valid(ev) {
				t.Fatalf("payload %q: invalid event %s", payload, ev)
			}
			if err := engine.ValidateEvent(ev); err != nil {
				t.Fatalf("payload %q: event %s does not validate: %v", payload, ev, err)
			}
		}
	})
}

// FuzzPathSegment renders arbitrary text into a URL path
// (order.marketplaceOrderId): a call's URL keeps the base's host and a path
// without a segment that resolves as . or .., however many times it is
// percent-decoded; otherwise translation ends in a typed refusal.
func FuzzPathSegment(f *testing.F) {
	e := acme(f)
	for _, s := range []string{"AC 77/1", "..", ".", "%2e%2e", "%252e.", "a/../b", "?x=1#f", "\x00", "é"} {
		f.Add(s)
	}
	base := baseEvent(f)
	f.Fuzz(func(t *testing.T, id string) {
		raw := edit(t, base, "order.marketplaceOrderId", id)
		res, err := e.Translate(raw, engine.TranslateOptions{SkipValidation: true})
		if err != nil {
			var te *engine.Error
			if !errors.As(err, &te) || te.Code == "" {
				t.Fatalf("id %q: untyped error %v", id, err)
			}
			return
		}
		for _, c := range res.Calls {
			u, err := url.Parse(c.URL)
			if err != nil {
				t.Fatalf("id %q: URL %q does not parse: %v", id, c.URL, err)
			}
			if u.Host != "hub.acme.com.br" || u.RawQuery != "region=br" && c.Name == "ship" {
				t.Fatalf("id %q: URL %q left its host or query", id, c.URL)
			}
			for seg := range strings.SplitSeq(u.EscapedPath(), "/") {
				for range 4 {
					if seg == "." || seg == ".." {
						t.Fatalf("id %q: URL %q has a dot segment", id, c.URL)
					}
					if seg, err = url.PathUnescape(seg); err != nil {
						break
					}
				}
			}
		}
	})
}

// FuzzEventHost gives arbitrary base URLs through the event
// (order.servicesEndpoint), validation skipped: whenever calls are built,
// the host and port net/http would dial for each (url.Parse, then
// Hostname and Port, 443 by default, as net.JoinHostPort and
// net.SplitHostPort see them) are ones the mapping's allowedHosts admit:
// *.acme.com.br or api.acme.test, on 443, over https, without userinfo.
func FuzzEventHost(f *testing.F) {
	e := acme(f)
	for _, s := range []string{
		"https://hub.acme.com.br/", "https://api.acme.test", "https://[::ffff:127.0.0.1%25.acme.com.br]:443/",
		"https://u:p@hub.acme.com.br/", "https://hub.acme.com.br:8443/", "https://127.0.0.1/", "https://hub.acme.com.br./",
		"https://HUB.ACME.COM.BR:443/a/b", "https://2130706433/", "https://hub.acme.com.br\\@evil.io/",
	} {
		f.Add(s)
	}
	base := baseEvent(f)
	f.Fuzz(func(t *testing.T, endpoint string) {
		raw := edit(t, base, "order.servicesEndpoint", endpoint)
		res, err := e.Translate(raw, engine.TranslateOptions{SkipValidation: true})
		if err != nil {
			var te *engine.Error
			if !errors.As(err, &te) || te.Code == "" {
				t.Fatalf("endpoint %q: untyped error %v", endpoint, err)
			}
			return
		}
		for _, c := range res.Calls {
			u, err := url.Parse(c.URL)
			if err != nil {
				t.Fatalf("endpoint %q: call URL %q does not parse: %v", endpoint, c.URL, err)
			}
			port := u.Port()
			if port == "" {
				port = "443"
			}
			host, dialPort, err := net.SplitHostPort(net.JoinHostPort(u.Hostname(), port))
			if err != nil {
				t.Fatalf("endpoint %q: dial address: %v", endpoint, err)
			}
			host = strings.ToLower(host)
			admitted := host == "api.acme.test" || strings.HasSuffix(host, ".acme.com.br") && len(host) > len(".acme.com.br")
			if u.Scheme != "https" || u.User != nil || dialPort != "443" || !admitted || strings.ContainsAny(host, "%:[]") {
				t.Fatalf("endpoint %q: call %s would dial %s:%s (scheme %s, userinfo %v)", endpoint, c.URL, host, dialPort, u.Scheme, u.User)
			}
		}
	})
}
