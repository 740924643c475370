package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
)

// headerValue is one header: its name, as the mapping spells it, and value.
type headerValue struct{ name, value string }

// Headers are the request headers of a call, sorted by name, with at most
// one value per name (names compare without regard to case, as in HTTP).
//
// Headers are read-only: calls whose headers are all literal in the mapping
// share one list. Read them with Get, All or Map; they encode in JSON as an
// object, keys sorted. The zero value has no headers.
type Headers struct {
	list []headerValue
}

// makeHeaders returns headers holding a copy of m, sorted by name. Names
// that differ only in case keep the value of the greatest name.
func makeHeaders(m map[string]string) Headers {
	list := make([]headerValue, 0, len(m))
	for name, v := range m {
		list = append(list, headerValue{name, v})
	}
	slices.SortFunc(list, func(a, b headerValue) int { return strings.Compare(a.name, b.name) })
	return Headers{list: dedupFold(list)}
}

// dedupFold drops, from a list sorted by name, each header that a later one
// repeats without regard to case.
func dedupFold(list []headerValue) []headerValue {
	out := list[:0]
	for i, h := range list {
		if !repeatedLater(list[i+1:], h.name) {
			out = append(out, h)
		}
	}
	return out
}

func repeatedLater(rest []headerValue, name string) bool {
	for _, h := range rest {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// Len returns the number of headers.
func (h Headers) Len() int { return len(h.list) }

// Get returns the value of the named header (any case), or "".
func (h Headers) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup returns the value of the named header (any case) and whether the
// call has it.
func (h Headers) Lookup(name string) (string, bool) {
	for _, x := range h.list {
		if strings.EqualFold(x.name, name) {
			return x.value, true
		}
	}
	return "", false
}

// All yields each header's name, as the mapping spells it, and value, in
// name order.
func (h Headers) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, x := range h.list {
			if !yield(x.name, x.value) {
				return
			}
		}
	}
}

// Map returns the headers as a new map.
func (h Headers) Map() map[string]string {
	m := make(map[string]string, len(h.list))
	for _, x := range h.list {
		m[x.name] = x.value
	}
	return m
}

// String returns the headers as name: value pairs, for logs and test
// failures. Values are the call's own: calls carry no credentials.
func (h Headers) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range h.list {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %q", x.name, x.value)
	}
	b.WriteByte('}')
	return b.String()
}

// MarshalJSON encodes the headers as an object of name to value, in name
// order.
func (h Headers) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16+32*len(h.list))
	b = append(b, '{')
	for i, x := range h.list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, x.name), ':')
		b = appendString(b, x.value)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes an object of header name to value.
func (h *Headers) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*h = Headers{}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*h = makeHeaders(m)
	return nil
}
