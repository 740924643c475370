package diag

// MaxMessageLength is how many characters of a marketplace's message (or
// of its answer's body, when the rules extract no message) a verdict or a
// delivery report keeps; a longer one is cut at a character boundary and
// ends with "…".
const MaxMessageLength = 300

// Truncate cuts s to at most n characters (runes), at a character
// boundary, ending it with "…" when it was cut. Invalid UTF-8 counts one
// character per byte.
func Truncate(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
