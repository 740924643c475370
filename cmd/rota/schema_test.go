package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestSchemaCommand: rota schema prints each built-in schema as it is
// embedded, and the printed schema works on its own: it compiles with
// every URL load refused, and all its references are internal.
func TestSchemaCommand(t *testing.T) {
	for name, file := range map[string]string{"mapping": "mapping.schema.json", "case": "case.schema.json", "event": "canonical-event.schema.json"} {
		t.Run(name, func(t *testing.T) {
			o := rota(t, "", "schema", name)
			o.wantCode(t, exitOK)
			want, err := schemas.FS.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if o.stdout != string(want) {
				t.Errorf("stdout is not %s as embedded", file)
			}
			var doc any
			if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			for _, ref := range refs(doc, nil) {
				if !strings.HasPrefix(ref, "#") {
					t.Errorf("$ref %q resolves only where %s is published; a saved copy needs internal references", ref, file)
				}
			}
			c := jsonschema.NewCompiler()
			c.Draft = jsonschema.Draft2020
			c.LoadURL = func(url string) (io.ReadCloser, error) { return nil, errors.New("no loading: " + url) }
			if err := c.AddResource("file:///elsewhere/"+file, bytes.NewReader([]byte(o.stdout))); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Compile("file:///elsewhere/" + file); err != nil {
				t.Errorf("a saved copy does not compile on its own: %v", err)
			}
		})
	}
}

func TestSchemaCommandUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown schema": {"schema", "mappings"},
		"no schema":      {"schema"},
		"two schemas":    {"schema", "case", "event"},
	} {
		t.Run(name, func(t *testing.T) {
			o := rota(t, "", args...)
			o.wantCode(t, exitUsage)
			if o.stdout != "" {
				t.Errorf("stdout %q, want nothing", o.stdout)
			}
		})
	}
}

// refs collects the values of every $ref in a decoded JSON document.
func refs(v any, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
				continue
			}
			out = refs(e, out)
		}
	case []any:
		for _, e := range x {
			out = refs(e, out)
		}
	}
	return out
}
