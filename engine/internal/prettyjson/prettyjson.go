// Package prettyjson writes the JSON documents people read: the CLI's
// output and the service's HTTP answers share this one format.
package prettyjson

import (
	"bytes"
	"encoding/json"
)

// Marshal returns v as JSON indented by two spaces, with a trailing
// newline and HTML characters (< > &) left as they are. Object keys come
// in encoding/json's order (struct fields as declared, map keys sorted);
// json.RawMessage values are indented with the rest. Its errors are
// encoding/json's.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
