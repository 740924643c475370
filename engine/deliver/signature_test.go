package deliver

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// The published SellerCenter test vector (shared/design/marketplaces.md 1.5).
func TestSellerCenterTestVector(t *testing.T) {
	params := url.Values{
		"Action":    {"FeedList"},
		"Format":    {"XML"},
		"Timestamp": {"2015-07-01T11:11:11+00:00"},
		"UserID":    {"look@me.com"},
		"Version":   {"1.0"},
		"Signature": {"ignored: the signature never signs itself"},
	}
	const wantString = "Action=FeedList&Format=XML&Timestamp=2015-07-01T11%3A11%3A11%2B00%3A00&UserID=look%40me.com&Version=1.0"
	if got := SellerCenterStringToSign(params); got != wantString {
		t.Errorf("string to sign:\n got %s\nwant %s", got, wantString)
	}
	const want = "3ceb8ed91049dfc718b0d2d176fb2ed0e5fd74f76c5971f34cdab48412476041"
	if got := SellerCenterSignature(params, "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe"); got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
	if got := SellerCenterTimestamp(time.Date(2015, 7, 1, 8, 11, 11, 0, time.FixedZone("BRT", -3*3600))); got != "2015-07-01T11:11:11+00:00" {
		t.Errorf("timestamp = %s", got)
	}
}

func TestRFC3986Escape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AZaz09-._~", "AZaz09-._~"},
		{" ", "%20"}, // QueryEscape would write +
		{"+", "%2B"},
		{"@", "%40"},
		{":", "%3A"},
		{"/", "%2F"},
		{"=&?#", "%3D%26%3F%23"},
		{"*'()!$,;", "%2A%27%28%29%21%24%2C%3B"}, // sub-delims PathEscape keeps
		{"é", "%C3%A9"},
		{"%", "%25"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := rfc3986Escape(tt.in); got != tt.want {
			t.Errorf("rfc3986Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Sorting is by byte order: upper case before lower case.
	got := SellerCenterStringToSign(url.Values{"b": {"1"}, "B": {"2"}, "a b": {"x y"}})
	if want := "B=2&a%20b=x%20y&b=1"; got != want {
		t.Errorf("sorted = %q, want %q", got, want)
	}
}

// Placement query: the URL's own parameters are signed with the scheme's,
// and the Signature verifies.
func TestHMACQueryPlacement(t *testing.T) {
	c := newClock()
	h := &hmacAuth{userID: "look@me.com", apiKey: "k3y", placement: "query", now: c.Now}
	req, _ := http.NewRequest("GET", "https://api.example/?Action=GetOrders&Status=ready%20to%20ship", nil)
	if err := h.authorize(context.Background(), req, false); err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	for name, want := range map[string]string{"Action": "GetOrders", "Status": "ready to ship", "UserID": "look@me.com",
		"Version": "1.0", "Format": "JSON", "Timestamp": "2015-07-01T11:11:11+00:00"} {
		if q.Get(name) != want {
			t.Errorf("%s = %q, want %q (query %s)", name, q.Get(name), want, req.URL.RawQuery)
		}
	}
	if sig := q.Get("Signature"); sig == "" || sig != SellerCenterSignature(q, "k3y") {
		t.Errorf("Signature %q does not verify over %s", sig, req.URL.RawQuery)
	}
}
