package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The published SellerCenter test vector (sellerapi.sellercenter.net
// "Signing requests", as quoted by bootic/dafiti spec/signature_spec.rb;
// shared/design/marketplaces.md section 1.5). The signature can be checked
// by hand:
//
//	printf '%s' 'Action=FeedList&Format=XML&Timestamp=2015-07-01T11%3A11%3A11%2B00%3A00&UserID=look%40me.com&Version=1.0' |
//	  openssl dgst -sha256 -hmac b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe
//	SHA2-256(stdin)= 3ceb8ed91049dfc718b0d2d176fb2ed0e5fd74f76c5971f34cdab48412476041
const (
	vectorKey       = "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe"
	vectorUser      = "look@me.com"
	vectorString    = "Action=FeedList&Format=XML&Timestamp=2015-07-01T11%3A11%3A11%2B00%3A00&UserID=look%40me.com&Version=1.0"
	vectorSignature = "3ceb8ed91049dfc718b0d2d176fb2ed0e5fd74f76c5971f34cdab48412476041"
)

func vectorParams() url.Values {
	return url.Values{"Version": {"1.0"}, "UserID": {vectorUser}, "Timestamp": {"2015-07-01T11:11:11+00:00"},
		"Format": {"XML"}, "Action": {"FeedList"}}
}

func TestSellerCenterSignaturePublishedVector(t *testing.T) {
	p := vectorParams()
	p.Set("Signature", "never signed")
	if got := sellerCenterSignedString(p); got != vectorString {
		t.Errorf("signed string:\n got %s\nwant %s", got, vectorString)
	}
	if got := sellerCenterSignature(p, vectorKey); got != vectorSignature {
		t.Errorf("signature = %s, want %s", got, vectorSignature)
	}
}

// The rules the vector does not exercise, each written out by hand.
func TestSellerCenterSignedString(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"byte order puts upper case first", url.Values{"b": {"1"}, "B": {"2"}, "a": {"3"}}, "B=2&a=3&b=1"},
		{"space is %20, plus is %2B", url.Values{"Status": {"ready to ship+1"}}, "Status=ready%20to%20ship%2B1"},
		{"unreserved kept", url.Values{"K": {"AZaz09-._~"}}, "K=AZaz09-._~"},
		{"sub-delims encoded", url.Values{"K": {"*'()!$,;=&:/?#[]@%"}}, "K=%2A%27%28%29%21%24%2C%3B%3D%26%3A%2F%3F%23%5B%5D%40%25"},
		{"UTF-8 bytes, upper-case hex", url.Values{"Reason": {"Sem estoque é"}}, "Reason=Sem%20estoque%20%C3%A9"},
		{"names encoded too", url.Values{"a b": {"x"}}, "a%20b=x"},
		{"several values in order given", url.Values{"Id": {"2", "1"}}, "Id=2&Id=1"},
		{"empty value", url.Values{"E": {""}, "F": {"1"}}, "E=&F=1"},
		{"Signature left out", url.Values{"Signature": {"x"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sellerCenterSignedString(tt.params); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A request carrying exactly the published vector is accepted; the same
// request with any part changed is refused.
func TestDafitiAcceptsPublishedVector(t *testing.T) {
	at := time.Date(2015, 7, 1, 11, 11, 11, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return at }, Secrets: map[string]string{
		"ROTA_SECRET_DAFITI_USERID": vectorUser, "ROTA_SECRET_DAFITI_APIKEY": vectorKey}})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tests := []struct {
		name       string
		query      string
		wantStatus int
	}{
		{"published vector", vectorString + "&Signature=" + vectorSignature, http.StatusOK},
		{"upper-case hex accepted", vectorString + "&Signature=" + strings.ToUpper(vectorSignature), http.StatusOK},
		{"one hex digit changed", vectorString + "&Signature=" + vectorSignature[:63] + "0", http.StatusUnauthorized},
		{"a parameter changed", strings.Replace(vectorString, "FeedList", "FeedLisT", 1) + "&Signature=" + vectorSignature, http.StatusUnauthorized},
		{"a parameter added", vectorString + "&Extra=1&Signature=" + vectorSignature, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + "/dafiti/v2/orders-failure-reasons?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("got %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
		})
	}
}

func TestSecretVar(t *testing.T) {
	tests := []struct{ mk, name, want string }{
		{"dafiti", "apiKey", "ROTA_SECRET_DAFITI_APIKEY"},
		{"fastshop", "appToken", "ROTA_SECRET_FASTSHOP_APPTOKEN"},
		{"my-shop", "client-secret", "ROTA_SECRET_MY_SHOP_CLIENT_SECRET"},
	}
	for _, tt := range tests {
		if got := secretVar(tt.mk, tt.name); got != tt.want {
			t.Errorf("secretVar(%q, %q) = %q, want %q", tt.mk, tt.name, got, tt.want)
		}
	}
}
