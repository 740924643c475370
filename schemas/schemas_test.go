package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// examplesDir holds the example events: <marketplace>/<type without "order.">.json.
const examplesDir = "../examples/events"

// invalidCases maps each file of testdata/invalid to the instance locations
// (JSON pointers) of the leaf validation errors it must produce, and the last
// segment of their keyword locations. Every file there must be listed.
var invalidCases = []struct {
	file     string
	pointers []string
	keywords []string
}{
	{"unknown-top-level-field", []string{""}, []string{"additionalProperties"}},
	{"unknown-order-field", []string{"/order"}, []string{"additionalProperties"}},
	{"invoiced-without-invoice", []string{""}, []string{"required"}},
	{"delivered-without-delivery", []string{""}, []string{"required"}},
	{"canceled-without-cancellation", []string{""}, []string{"required"}},
	{"delivery-failed-without-failure", []string{""}, []string{"required"}},
	{"shipment-exception-without-exception", []string{""}, []string{"required"}},
	{"shipped-without-order-id", []string{"/order"}, []string{"required"}},
	{"created-without-marketplace-order-id", []string{"/order"}, []string{"required"}},
	{"occurred-at-malformed", []string{"/occurredAt"}, []string{"format"}},
	{"occurred-at-without-offset", []string{"/occurredAt"}, []string{"format"}},
	{"key-43-chars", []string{"/invoice/key"}, []string{"minLength", "pattern"}},
	{"key-lowercase-letter", []string{"/invoice/key"}, []string{"pattern"}},
	{"key-letter-in-cnpj-check-digits", []string{"/invoice/key"}, []string{"pattern"}},
	{"quantity-zero", []string{"/items/0/quantity"}, []string{"minimum"}},
	{"quantity-fractional", []string{"/items/0/quantity"}, []string{"type"}},
	{"price-negative", []string{"/items/0/price"}, []string{"minimum"}},
	{"attribute-not-string", []string{"/order/attributes/x"}, []string{"type"}},
	{"marketplace-upper-case", []string{"/marketplace"}, []string{"pattern"}},
	{"spec-version-2", []string{"/specVersion"}, []string{"const"}},
	{"id-129-chars", []string{"/id"}, []string{"maxLength"}},
	{"type-unknown", []string{"/type"}, []string{"enum"}},
	{"status-unknown", []string{"/order/status"}, []string{"enum"}},
	{"cancellation-reason-unknown", []string{"/cancellation/reason"}, []string{"enum"}},
	{"delivery-type-unknown", []string{"/shipment/deliveryType"}, []string{"enum"}},
	{"services-endpoint-not-uri", []string{"/order/servicesEndpoint"}, []string{"format"}},
	{"postal-code-with-hyphen", []string{"/order/shippingAddress/postalCode"}, []string{"pattern"}},
	{"state-lower-case", []string{"/order/shippingAddress/state"}, []string{"pattern"}},
	{"country-alpha-2", []string{"/order/shippingAddress/country"}, []string{"pattern"}},
	{"cpf-with-cnpj-length", []string{"/order/customer/document"}, []string{"pattern"}},
	{"invoice-xml-not-base64", []string{"/invoice/xml"}, []string{"contentEncoding"}},
	{"empty-sku", []string{"/items/0/sku"}, []string{"minLength"}},
	{"discount-without-value", []string{"/items/0/discounts/0"}, []string{"required"}},
}

func TestExamplesAreValid(t *testing.T) {
	files := jsonFiles(t, examplesDir)
	if len(files) == 0 {
		t.Fatalf("no example events under %s", examplesDir)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			event := readEvent(t, file)
			if err := validate(t, event); err != nil {
				t.Fatalf("got %s, want valid", describe(err))
			}
			checkExamplePath(t, file, event)
			checkInvoiceKey(t, event)
		})
	}
}

func TestTestdataValidEventsAreValid(t *testing.T) {
	files := jsonFiles(t, "testdata/valid")
	if len(files) == 0 {
		t.Fatal("no events under testdata/valid")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			event := readEvent(t, file)
			if err := validate(t, event); err != nil {
				t.Fatalf("got %s, want valid", describe(err))
			}
			checkInvoiceKey(t, event)
		})
	}
}

func TestInvalidEvents(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range invalidCases {
		listed[tc.file+".json"] = true
		t.Run(tc.file, func(t *testing.T) {
			event := readEvent(t, filepath.Join("testdata", "invalid", tc.file+".json"))
			leaves := leafErrors(t, validate(t, event))
			if got := pointers(leaves); !slices.Equal(got, tc.pointers) {
				t.Errorf("instance locations: got %q, want %q", got, tc.pointers)
			}
			if got := keywords(leaves); !slices.Equal(got, tc.keywords) {
				t.Errorf("keywords: got %q, want %q", got, tc.keywords)
			}
		})
	}
	for _, file := range jsonFiles(t, "testdata/invalid") {
		if !listed[filepath.Base(file)] {
			t.Errorf("%s has no expectation in invalidCases", file)
		}
	}
}

// TestOrderIDOptionalOnlyOnCreated checks both sides of the order.id rule on
// the same order: valid as order.created, invalid at /order as anything else.
func TestOrderIDOptionalOnlyOnCreated(t *testing.T) {
	event := readEvent(t, "testdata/valid/created-without-order-id.json")
	for _, typ := range []string{"order.created", "order.approved", "order.shipped"} {
		t.Run(typ, func(t *testing.T) {
			event["type"] = typ
			err := validate(t, event)
			if typ == "order.created" {
				if err != nil {
					t.Fatalf("got %s, want valid", describe(err))
				}
				return
			}
			if got := pointers(leafErrors(t, err)); !slices.Equal(got, []string{"/order"}) {
				t.Errorf("got %q, want [\"/order\"]", got)
			}
		})
	}
}

func TestNewCompilerRefusesForeignURLs(t *testing.T) {
	calls := forbidNetwork(t)
	ref := fstest.MapFS{"ref.schema.json": {Data: []byte(`{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id": "` + BaseURL + `ref.schema.json",
		"$ref": "https://example.com/x.json"
	}`)}}
	_, err := NewCompiler(ref).Compile(BaseURL + "ref.schema.json")
	if !errors.Is(err, errRefused) {
		t.Fatalf("got %v, want an error wrapping errRefused", err)
	}
	if !strings.Contains(err.Error(), "https://example.com/x.json") {
		t.Errorf("error %q does not name the URL", err)
	}
	if *calls != 0 {
		t.Errorf("%d network attempts, want 0", *calls)
	}
}

func TestLoadURL(t *testing.T) {
	calls := forbidNetwork(t)
	extra := fstest.MapFS{"user/x.json": {Data: []byte(`{}`)}}
	tests := []struct {
		url     string
		wantErr error // nil: loads
	}{
		{BaseURL + CanonicalEvent, nil},
		{BaseURL + "user/x.json", nil},
		{BaseURL + "missing.schema.json", fs.ErrNotExist},
		{BaseURL + Mapping, nil},
		{"https://example.com/x.json", errRefused},
		{"http://github.com/rotahq/rota/schemas/" + CanonicalEvent, errRefused},
		{"https://github.com/rotahq/rota/schemasx/" + CanonicalEvent, errRefused},
		{BaseURL + "../go.mod", errRefused},
		{BaseURL, errRefused},
		{"file:///etc/passwd", errRefused},
	}
	load := NewCompiler(extra).LoadURL
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			r, err := load(tc.url)
			if r != nil {
				r.Close()
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.url) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	if *calls != 0 {
		t.Errorf("%d network attempts, want 0", *calls)
	}
}

func TestExtraFS(t *testing.T) {
	t.Run("resolves bundled refs from a user schema", func(t *testing.T) {
		user := fstest.MapFS{"marketplaces/acme/invoice.request.schema.json": {Data: []byte(`{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"$id": "` + BaseURL + `marketplaces/acme/invoice.request.schema.json",
			"$ref": "../../canonical-event.schema.json#/$defs/invoice"
		}`)}}
		sch, err := NewCompiler(user).Compile(BaseURL + "marketplaces/acme/invoice.request.schema.json")
		if err != nil {
			t.Fatal(err)
		}
		err = sch.Validate(map[string]any{"key": "123"})
		if got := pointers(leafErrors(t, err)); !slices.Equal(got, []string{"/key"}) {
			t.Errorf("got %q, want [\"/key\"]", got)
		}
	})
	t.Run("cannot override a bundled schema", func(t *testing.T) {
		user := fstest.MapFS{CanonicalEvent: {Data: []byte(`false`)}}
		sch, err := NewCompiler(user).Compile(BaseURL + CanonicalEvent)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(readEvent(t, filepath.Join(examplesDir, "skyhub", "shipped.json"))); err != nil {
			t.Errorf("got %v, want the bundled schema to accept the example", err)
		}
	})
}

func TestCompileMissing(t *testing.T) {
	_, err := Compile("marketplaces/nowhere/x.request.schema.json")
	var se *jsonschema.SchemaError
	if !errors.As(err, &se) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a *jsonschema.SchemaError wrapping fs.ErrNotExist", err)
	}
}

// TestBundledSchemas compiles every bundled *.schema.json and checks its $id.
func TestBundledSchemas(t *testing.T) {
	var names []string
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(name, ".schema.json") {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, CanonicalEvent) {
		t.Fatalf("FS holds %q, want %s among them", names, CanonicalEvent)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if _, err := Compile(name); err != nil {
				t.Fatalf("%#v", err)
			}
			var doc struct {
				ID string `json:"$id"`
			}
			mustUnmarshal(t, mustRead(t, FS, name), &doc)
			if want := BaseURL + name; doc.ID != want {
				t.Errorf("$id: got %q, want %q", doc.ID, want)
			}
		})
	}
}

// TestCanonicalSchemaShape checks what editors and the contract rely on: every
// property and $defs entry has a title and a description, and every object is
// closed (additionalProperties: false) except order.attributes.
func TestCanonicalSchemaShape(t *testing.T) {
	var doc map[string]any
	mustUnmarshal(t, mustRead(t, FS, CanonicalEvent), &doc)
	for _, want := range []string{"order", "item", "invoice", "shipment", "delivery", "cancellation", "failure",
		"exception", "customer", "shippingAddress", "shipping", "totals", "discount"} {
		if _, ok := doc["$defs"].(map[string]any)[want]; !ok {
			t.Errorf("$defs/%s is missing", want)
		}
	}
	walkSchema(doc, "", func(ptr string, s map[string]any, documented bool) {
		if documented && (s["title"] == nil || s["description"] == nil) {
			t.Errorf("%s: want a title and a description", ptr)
		}
		if s["type"] == "object" && s["additionalProperties"] != false &&
			ptr != "/$defs/order/properties/attributes" {
			t.Errorf("%s: object without additionalProperties: false", ptr)
		}
	})
}

func TestCanonicalEventSchemaOnce(t *testing.T) {
	first, err := CanonicalEventSchema()
	if err != nil || first == nil {
		t.Fatalf("got %v, %v; want a schema", first, err)
	}
	event := readEvent(t, filepath.Join(examplesDir, "skyhub", "shipped.json"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, err := CanonicalEventSchema()
			if s != first || err != nil {
				t.Errorf("got %p, %v; want %p, nil", s, err, first)
				return
			}
			if err := s.Validate(event); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
	wg.Wait()
}

// forbidNetwork makes any load that bypasses the compiler's LoadURL (the
// package default of jsonschema) or any HTTP request through the default
// client count as a call, and returns the count.
func forbidNetwork(t *testing.T) *int {
	t.Helper()
	calls := 0
	oldLoad, oldTransport := jsonschema.LoadURL, http.DefaultTransport
	jsonschema.LoadURL = func(s string) (io.ReadCloser, error) {
		calls++
		return nil, errors.New("network load of " + s)
	}
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return nil, errors.New("network request to " + r.URL.String())
	})
	t.Cleanup(func() { jsonschema.LoadURL, http.DefaultTransport = oldLoad, oldTransport })
	return &calls
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// walkSchema calls f on every subschema of s. documented is true for property
// schemas and $defs entries outside the allOf conditions (which only restate
// constraints): those must carry a title and a description.
func walkSchema(s map[string]any, ptr string, f func(ptr string, s map[string]any, documented bool)) {
	walk(s, ptr, false, f)
}

func walk(s map[string]any, ptr string, inCondition bool, f func(string, map[string]any, bool)) {
	for _, kw := range []string{"properties", "$defs"} {
		m, _ := s[kw].(map[string]any)
		for name, sub := range m {
			if sub, ok := sub.(map[string]any); ok {
				f(ptr+"/"+kw+"/"+name, sub, !inCondition)
				walk(sub, ptr+"/"+kw+"/"+name, inCondition, f)
			}
		}
	}
	for _, kw := range []string{"items", "additionalProperties", "propertyNames", "if", "then", "else"} {
		if sub, ok := s[kw].(map[string]any); ok {
			f(ptr+"/"+kw, sub, false)
			walk(sub, ptr+"/"+kw, inCondition || kw == "if" || kw == "then" || kw == "else", f)
		}
	}
	all, _ := s["allOf"].([]any)
	for i, sub := range all {
		if sub, ok := sub.(map[string]any); ok {
			walk(sub, ptr+"/allOf/"+strconv.Itoa(i), inCondition, f)
		}
	}
}

// validate validates event against the canonical event schema.
func validate(t *testing.T, event any) error {
	t.Helper()
	s, err := CanonicalEventSchema()
	if err != nil {
		t.Fatalf("%#v", err)
	}
	return s.Validate(event)
}

// leafErrors returns the validation errors without causes under err, which
// must be a *jsonschema.ValidationError.
func leafErrors(t *testing.T, err error) []*jsonschema.ValidationError {
	t.Helper()
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *jsonschema.ValidationError", err)
	}
	return appendLeaves(nil, ve)
}

// appendLeaves appends the errors without causes under e, e included, to
// leaves.
func appendLeaves(leaves []*jsonschema.ValidationError, e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(leaves, e)
	}
	for _, c := range e.Causes {
		leaves = appendLeaves(leaves, c)
	}
	return leaves
}

// describe lists the leaf errors of a validation error as "pointer: message".
func describe(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var lines []string
	for _, e := range ve.BasicOutput().Errors {
		if e.Error != "" && !strings.HasPrefix(e.Error, "doesn't validate with") {
			lines = append(lines, fmt.Sprintf("%q: %s", e.InstanceLocation, e.Error))
		}
	}
	return strings.Join(lines, "; ")
}

// pointers returns the sorted, distinct instance locations of errs.
func pointers(errs []*jsonschema.ValidationError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.InstanceLocation)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keywords returns the sorted, distinct last segments of the keyword locations of errs.
func keywords(errs []*jsonschema.ValidationError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, path.Base(e.KeywordLocation))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkExamplePath checks that file is <marketplace>/<type without "order.">.json.
func checkExamplePath(t *testing.T, file string, event map[string]any) {
	t.Helper()
	rel, err := filepath.Rel(examplesDir, file)
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := event["type"].(string)
	want := filepath.Join(event["marketplace"].(string), strings.TrimPrefix(typ, "order.")+".json")
	if rel != want {
		t.Errorf("file %s holds a %s event for %v: want it at %s", rel, typ, event["marketplace"], want)
	}
}

// checkInvoiceKey checks the mod-11 check digit of invoice.key, which the
// schema cannot check: examples must be valid input.
func checkInvoiceKey(t *testing.T, event map[string]any) {
	t.Helper()
	invoice, _ := event["invoice"].(map[string]any)
	key, _ := invoice["key"].(string)
	if key != "" && nfeCheckDigit(key[:43]) != key[43] {
		t.Errorf("invoice.key %s: check digit %c, want %c", key, key[43], nfeCheckDigit(key[:43]))
	}
}

// nfeCheckDigit computes the NF-e access key check digit of the first 43
// characters: mod 11, weights 2..9 from the right, each character valued at
// its ASCII code minus 48 (so digits keep their value and A is 17, as for the
// alphanumeric CNPJ).
func nfeCheckDigit(first43 string) byte {
	sum, weight := 0, 2
	for i := len(first43) - 1; i >= 0; i-- {
		sum += int(first43[i]-'0') * weight
		if weight++; weight > 9 {
			weight = 2
		}
	}
	if r := sum % 11; r >= 2 {
		return byte('0' + 11 - r)
	}
	return '0'
}

func TestNFeCheckDigit(t *testing.T) {
	for _, key := range []string{
		"52060433009911002506550120000007800267301615",
		"43171207364617000135550000000120141000120146",
		"33150308370779000149550010001100931002410775",
		"35230942274696002561550060021990691319029098",
		"13181017921427000125650010000000309887251170",
	} {
		if got := nfeCheckDigit(key[:43]); got != key[43] {
			t.Errorf("%s: got %c, want %c", key, got, key[43])
		}
	}
	if got := nfeCheckDigit("3523094227469600256155006002199069131902909"); got != '8' {
		t.Errorf("Dafiti seed key: got %c, want 8", got)
	}
}

// jsonFiles returns the *.json files under dir, sorted.
func jsonFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readEvent decodes the JSON file at name as the validator wants it
// (numbers as json.Number).
func readEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]any
	mustUnmarshal(t, data, &event)
	return event
}

func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatal("trailing data after the JSON value")
	}
}
