package engine

// appendPathEscape appends url.PathEscape(s) to b, and appendQueryEscape
// url.QueryEscape(s): the same bytes, written in place rather than in a new
// string. TestEscapeIsTheURLPackages checks every byte against net/url.
func appendPathEscape(b []byte, s string) []byte { return appendEscaped(b, s, false) }

func appendQueryEscape(b []byte, s string) []byte { return appendEscaped(b, s, true) }

const upperHex = "0123456789ABCDEF"

func appendEscaped(b []byte, s string, query bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case !shouldEscape(c, query):
			b = append(b, c)
		case c == ' ' && query:
			b = append(b, '+')
		default:
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

// shouldEscape reports whether c is escaped in a path segment (RFC 3986
// §3.3: the unreserved characters and the sub-delimiters other than / ; , ?
// stay) or in a query component (§3.4: only the unreserved ones stay).
func shouldEscape(c byte, query bool) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return false
	}
	switch c {
	case '-', '_', '.', '~':
		return false
	case '$', '&', '+', ',', '/', ':', ';', '=', '?', '@':
		return query || c == '/' || c == ';' || c == ',' || c == '?'
	}
	return true
}
