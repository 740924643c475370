package sim

import (
	"encoding/json"
	"strings"
)

// Helpers reading the generic JSON values readJSON returns.

// object returns v as a JSON object.
func object(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// text returns m[key] when it is a string with something besides blanks.
func text(m map[string]any, key string) (string, bool) {
	s, ok := m[key].(string)
	return s, ok && strings.TrimSpace(s) != ""
}

// child returns m[key] when it is an object.
func child(m map[string]any, key string) (map[string]any, bool) {
	return object(m[key])
}

// list returns m[key] when it is a non-empty array.
func list(m map[string]any, key string) ([]any, bool) {
	a, ok := m[key].([]any)
	return a, ok && len(a) > 0
}

// positive returns v when it is a JSON integer above zero.
func positive(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil && i > 0
}

// flag returns m[key] when it is a boolean.
func flag(m map[string]any, key string) (bool, bool) {
	b, ok := m[key].(bool)
	return b, ok
}

// nonNegative reports whether v is a JSON integer of 0 or more.
func nonNegative(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	i, err := n.Int64()
	return err == nil && i >= 0
}
