package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// The SellerCenter signature, written here from the published algorithm
// (Falabella/SellerCenter "Signing requests"; shared/design/marketplaces.md
// section 1.5) and not taken from the sender (engine/deliver), so that a
// mistake in the sender's signing is refused here instead of passing as a
// shared mistake:
//
//  1. take every request parameter except Signature;
//  2. sort them by name, comparing bytes;
//  3. percent-encode each name and value as RFC 3986 says: every byte but
//     the unreserved A-Z a-z 0-9 - . _ ~ becomes %XX with upper-case hex
//     (PHP's rawurlencode);
//  4. join name=value pairs with &;
//  5. the signature is the lower-case hex HMAC-SHA256 of that string, keyed
//     with the API key taken as a string.
//
// The published test vector is in signature_test.go.

// sellerCenterSignature returns the lower-case hex signature of params
// under apiKey.
func sellerCenterSignature(params url.Values, apiKey string) string {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write([]byte(sellerCenterSignedString(params)))
	return hex.EncodeToString(mac.Sum(nil))
}

// sellerCenterSignedString is the string signed (steps 1 to 4). A name
// given several values yields one pair per value, in the order received.
func sellerCenterSignedString(params url.Values) string {
	var pairs []string
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if name == "Signature" {
			continue
		}
		for _, value := range params[name] {
			pairs = append(pairs, percentEncode(name)+"="+percentEncode(value))
		}
	}
	return strings.Join(pairs, "&")
}

// percentEncode is RFC 3986 section 2.1 percent-encoding of every byte
// outside the unreserved set of section 2.3.
func percentEncode(s string) string {
	const upperHex = "0123456789ABCDEF"
	out := make([]byte, 0, 3*len(s))
	for _, c := range []byte(s) {
		if strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c) >= 0 {
			out = append(out, c)
		} else {
			out = append(out, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(out)
}
