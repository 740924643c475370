package engine

import (
	"net/url"
	"testing"
)

// TestEscapeIsTheURLPackages: escaping works byte by byte, so agreeing with
// net/url on each of the 256 bytes is agreeing on every string.
func TestEscapeIsTheURLPackages(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := string(appendPathEscape(nil, s)), url.PathEscape(s); got != want {
			t.Errorf("path: byte %#x escapes to %q, net/url gives %q", c, got, want)
		}
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("query: byte %#x escapes to %q, net/url gives %q", c, got, want)
		}
	}
	const s = "Lojas Americanas-1/2?a=b&c+d;ção"
	if got, want := string(appendPathEscape([]byte("x/"), s)), "x/"+url.PathEscape(s); got != want {
		t.Errorf("path: %q, want %q", got, want)
	}
	if got, want := string(appendQueryEscape([]byte("x="), s)), "x="+url.QueryEscape(s); got != want {
		t.Errorf("query: %q, want %q", got, want)
	}
}
