package lang

import (
	"regexp"
	"strings"
	"unicode"
)

// goType matches a Go type name as the expression checker writes it in a
// message: []*event.Item, *event.Totals, map[string]string, interface {},
// time.Time, string, int, float64, bool.
var goType = regexp.MustCompile(`(?:\[\])*\*?(?:map\[string\](?:\[\])*\*?)?(?:event\.[A-Z][A-Za-z]*|interface \{\}|time\.Time|time\.Duration|\bstring\b|\bu?int(?:8|16|32|64)?\b|\bfloat(?:32|64)\b|\bbool\b)`)

// TypeWords rewrites the Go type names in an expression checker's message
// in an analyst's words: []*event.Item is "list of items", string is
// "text", int and float64 are "number", bool is "true/false", time.Time is
// "date-time", *event.Totals is "totals (an object)".
func TypeWords(msg string) string {
	return goType.ReplaceAllStringFunc(msg, typeWords)
}

// typeWords names one Go type.
func typeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "list of " + plural(typeWords(t[2:]))
	case strings.HasPrefix(t, "*"):
		return typeWords(t[1:])
	case strings.HasPrefix(t, "map[string]"):
		return "table of " + plural(typeWords(t[len("map[string]"):]))
	case strings.HasPrefix(t, "event."):
		return objectWords(t[len("event."):])
	}
	switch t {
	case "string":
		return "text"
	case "bool":
		return "true/false"
	case "time.Time":
		return "date-time"
	case "time.Duration":
		return "duration"
	case "interface {}":
		return "any value"
	}
	return "number" // the integer and floating-point types
}

// objectWords names an event type: Item → item, Totals → totals (an
// object); an item keeps its plain name, as lists of items are common.
func objectWords(name string) string {
	words := splitCamel(name)
	if words == "item" || words == "event" {
		return words
	}
	return words + " (an object)"
}

// splitCamel turns ShipmentInfo into "shipment info".
func splitCamel(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plural makes the English plural of a type's words: item → items,
// delivery → deliveries, address → addresses; "totals (an object)" →
// "totals objects"; words that are already plural or uncountable stay.
func plural(w string) string {
	if name, ok := strings.CutSuffix(w, " (an object)"); ok {
		return name + " objects"
	}
	switch {
	case w == "any value":
		return "values"
	case w == "text" || w == "true/false" || strings.HasPrefix(w, "list of ") || strings.HasPrefix(w, "table of "):
		return w
	case strings.HasSuffix(w, "ss"):
		return w + "es"
	case strings.HasSuffix(w, "y"):
		return w[:len(w)-1] + "ies"
	case strings.HasSuffix(w, "s"):
		return w
	}
	return w + "s"
}

// withArticle puts "a" before words that need one: a number, a list of
// items; text and true/false stand alone.
func withArticle(w string) string {
	for _, p := range []string{"list of ", "table of ", "number", "date-time", "duration"} {
		if strings.HasPrefix(w, p) {
			return "a " + w
		}
	}
	return w
}
