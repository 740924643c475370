// Package schemaerr flattens jsonschema validation errors into leaf findings
// that point at the exact offending value: a missing property points at where
// the property should be, an unexpected one at the property itself.
package schemaerr

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Leaf is one reason a document failed its schema.
type Leaf struct {
	// Pointer is the JSON pointer of the offending value (for a missing or
	// unexpected property, of that property).
	Pointer string
	// Keyword is the schema keyword that failed: required, additionalProperties, type, format...
	Keyword string
	// Message is the validator's message.
	Message string
	// Property is the property a required or additionalProperties failure names.
	Property string
	// KeywordLocation is the absolute location of the failing keyword in
	// the schema (https://…/mapping.schema.json#/$defs/call/additionalProperties).
	KeywordLocation string
}

// Leaves returns the leaf failures of err, one per offending property, sorted
// by pointer then keyword. It returns nil when err is not a
// *jsonschema.ValidationError.
func Leaves(err error) []Leaf {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []Leaf
	collect(ve, &out)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pointer != out[j].Pointer {
			return out[i].Pointer < out[j].Pointer
		}
		return out[i].Keyword < out[j].Keyword
	})
	return dedupe(out)
}

func collect(ve *jsonschema.ValidationError, out *[]Leaf) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collect(c, out)
		}
		return
	}
	kw := keyword(ve.KeywordLocation)
	if ve.Message == "not allowed" {
		kw = "false" // a property the schema forbids outright
	}
	at := unescapePointer(ve.InstanceLocation)
	names := quotedNames(ve.Message)
	if (kw == "required" || kw == "additionalProperties") && len(names) > 0 {
		for _, n := range names {
			*out = append(*out, Leaf{Pointer: at + "/" + jsonptr.Escape(n), Keyword: kw, Message: ve.Message, Property: n, KeywordLocation: ve.AbsoluteKeywordLocation})
		}
		return
	}
	*out = append(*out, Leaf{Pointer: at, Keyword: kw, Message: ve.Message, KeywordLocation: ve.AbsoluteKeywordLocation})
}

// unescapePointer undoes the percent-encoding jsonschema applies to
// instance locations (a space arrives as %20).
func unescapePointer(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

func keyword(loc string) string {
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		return loc[i+1:]
	}
	return loc
}

// quotedNames extracts the names of messages such as
// "missing properties: 'a', 'b'". jsonschema quotes a name as Go's %q does,
// with ' escaped as \' and " left bare.
func quotedNames(msg string) []string {
	var names []string
	for {
		i := strings.IndexByte(msg, '\'')
		if i < 0 {
			return names
		}
		name, rest, ok := readQuoted(msg[i+1:])
		if !ok {
			return names
		}
		names = append(names, name)
		msg = rest
	}
}

// readQuoted reads up to the closing quote, honouring backslash escapes, and
// returns the unquoted name and what follows it.
func readQuoted(s string) (string, string, bool) {
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '\'':
			lit := strings.ReplaceAll(strings.ReplaceAll(s[:j], `\'`, `'`), `"`, `\"`)
			name, err := strconv.Unquote(`"` + lit + `"`)
			if err != nil {
				name = s[:j]
			}
			return name, s[j+1:], true
		}
	}
	return "", "", false
}

func dedupe(in []Leaf) []Leaf {
	out := in[:0]
	for i, l := range in {
		if i > 0 && sameFinding(l, in[i-1]) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// sameFinding reports whether two leaves say the same of the same value,
// whichever part of the schema found it.
func sameFinding(a, b Leaf) bool {
	return a.Pointer == b.Pointer && a.Keyword == b.Keyword && a.Message == b.Message && a.Property == b.Property
}
