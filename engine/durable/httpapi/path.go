package httpapi

import "net/url"

// pathEscape escapes one path segment (an event id may hold '/' or spaces).
func pathEscape(s string) string { return url.PathEscape(s) }
