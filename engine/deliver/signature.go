package deliver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
	"time"
)

// SellerCenterStringToSign is the string the SellerCenter signature signs:
// every parameter except Signature, sorted by name in byte order, names and
// values percent-encoded as RFC 3986 says (only A-Z a-z 0-9 - . _ ~ left as
// they are), each written name=value and joined with &. A name with several
// values gives one pair per value, in the order given. Safe for concurrent use.
func SellerCenterStringToSign(params url.Values) string {
	names := make([]string, 0, len(params))
	for name := range params {
		if name != "Signature" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		for _, v := range params[name] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(rfc3986Escape(name))
			b.WriteByte('=')
			b.WriteString(rfc3986Escape(v))
		}
	}
	return b.String()
}

// SellerCenterSignature is the SellerCenter signature of params: the
// lower-case hex HMAC-SHA256 of SellerCenterStringToSign(params), keyed with
// the API key taken as a string. Safe for concurrent use.
func SellerCenterSignature(params url.Values, apiKey string) string {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write([]byte(SellerCenterStringToSign(params)))
	return hex.EncodeToString(mac.Sum(nil))
}

// SellerCenterTimestamp formats t as the signature's Timestamp: ISO 8601 in
// UTC with an explicit +00:00 offset, e.g. 2015-07-01T11:11:11+00:00.
func SellerCenterTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05") + "+00:00"
}

// rfc3986Escape percent-encodes every byte of s except the RFC 3986
// unreserved characters ALPHA / DIGIT / "-" / "." / "_" / "~", with
// upper-case hex digits (PHP's rawurlencode). url.QueryEscape writes a
// space as + and url.PathEscape keeps sub-delims such as + : @ =, so neither fits.
func rfc3986Escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
