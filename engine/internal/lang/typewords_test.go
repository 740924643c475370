package lang

import "testing"

// TestTypeWords: Go type names in checker messages read in an analyst's
// words; other text is left alone.
func TestTypeWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"[]*event.Item", "list of items"},
		{"*event.Totals", "totals (an object)"},
		{"[]*event.Discount", "list of discount objects"},
		{"[]*event.Address", "list of address objects"},
		{"string", "text"},
		{"int", "number"},
		{"float64", "number"},
		{"bool", "true/false"},
		{"time.Time", "date-time"},
		{"[]string", "list of text"},
		{"[]int", "list of numbers"},
		{"map[string]string", "table of text"},
		{"interface {}", "any value"},
		{"[]interface {}", "list of values"},
		{"map[string]interface {}", "table of values"},
		{"invalid operation: == (mismatched types []*event.Item and string)", "invalid operation: == (mismatched types list of items and text)"},
		{"cannot use int as argument (type string) to call upper", "cannot use number as argument (type text) to call upper"},
		{"invalid argument for len (type int)", "invalid argument for len (type number)"},
		{"unknown name strings in interval", "unknown name strings in interval"},
	} {
		if got := TypeWords(tt.in); got != tt.want {
			t.Errorf("TypeWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
