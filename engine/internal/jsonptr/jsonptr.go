// Package jsonptr builds and takes apart JSON pointers (RFC 6901), the
// addresses every finding, position table and schema failure of the engine
// uses.
package jsonptr

import "strings"

var (
	escaper   = strings.NewReplacer("~", "~0", "/", "~1")
	unescaper = strings.NewReplacer("~1", "/", "~0", "~")
)

// Escape encodes an object key or array index as one token of a pointer.
func Escape(token string) string { return escaper.Replace(token) }

// Unescape is the key or index one token of a pointer names.
func Unescape(token string) string { return unescaper.Replace(token) }

// Join builds the pointer of a path of keys and indexes.
func Join(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(Escape(t))
	}
	return b.String()
}

// Parent is the pointer of the value holding the one at ptr ("" for the
// document itself).
func Parent(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}
