package conformance

import (
	"os"
	"path/filepath"
	"testing"
)

const varsMapping = `marketplace: vv
name: Variables
timezone: America/Sao_Paulo
variables:
  channel: {description: Sales channel, default: web}
  tag: {description: A tag every call carries}
environments:
  production:
    baseUrl: https://api.vv.example
statuses:
  sent: {canonical: shipped}
events:
  order.shipped:
    calls:
      - name: ship
        method: POST
        path: /orders/{order.marketplaceOrderId}/ship
        body:
          channel: ${ vars.channel }
          tag: ${ vars.tag }
`

const varsCases = `marketplace: vv
vars: {channel: app, tag: T1}
cases:
  - name: the file's variables
    event: &shipped {specVersion: "1.0", id: e1, type: order.shipped, occurredAt: "2024-05-10T10:00:00Z", marketplace: vv, order: {id: O1, marketplaceOrderId: S1}, items: [{sku: A-1, quantity: 2}], shipment: {carrier: Correios, trackingCode: BR123}}
    match: subset
    expect:
      calls: [{body: {channel: app, tag: T1}}]
  - name: a null unsets a variable, so its default applies
    event: *shipped
    vars: {channel: null}
    match: subset
    expect:
      calls: [{body: {channel: web, tag: T1}}]
  - name: a null unsets a variable without default, so it is missing
    event: *shipped
    vars: {tag: null}
    expect:
      error: {kind: configuration, code: missing_variable}
  - name: an empty string is a value, not an unset
    event: *shipped
    vars: {tag: ""}
    match: subset
    expect:
      calls: [{body: {channel: app, tag: ""}}]
`

// TestCaseVarsNullUnsets: vars: {x: null} in a case takes back the value
// the file gives x, as if it were never given.
func TestCaseVarsNullUnsets(t *testing.T) {
	dir := t.TempDir()
	mappings, cases := filepath.Join(dir, "mappings"), filepath.Join(dir, "cases")
	for path, text := range map[string]string{filepath.Join(mappings, "vv.yaml"): varsMapping, filepath.Join(cases, "vv.yaml"): varsCases} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := run(t, Options{Mappings: mappings, Cases: cases, PropertyRuns: -1})
	for _, name := range []string{
		"the file's variables",
		"a null unsets a variable, so its default applies",
		"a null unsets a variable without default, so it is missing",
		"an empty string is a value, not an unset",
	} {
		t.Run(name, func(t *testing.T) {
			if c := caseResult(t, rep, name); !c.Passed {
				t.Errorf("got a failure: %+v", c.Failure)
			}
		})
	}
}
