package fiscal

// cnpjLen is the number of characters of a CNPJ; the first cnpjRootLen may be
// capital letters (alphanumeric CNPJ), the last two are numeric check digits.
const (
	cnpjLen     = 14
	cnpjRootLen = 12
)

// CheckCNPJ returns nil if cnpj is a valid CNPJ in canonical form: exactly 14
// characters, the first 12 digits or capital letters A-Z (alphanumeric CNPJ,
// IN RFB 2.229/2024) and the last 2 digits, not all equal, where the last two
// are the mod 11 check digits of the first 12 (weights 5,4,3,2,9,…,2) and
// first 13 (weights 6,5,4,3,2,9,…,2), each character counting as its ASCII
// code minus 48. Otherwise it returns an [*Error] with Kind "cnpj" and Reason
// [ReasonLength], [ReasonCharset], [ReasonRepeated] or [ReasonCheckDigit]
// (checked in that order). Use [NormalizeCNPJ] to canonicalise input first.
// It does not allocate for a valid CNPJ and is safe for concurrent use.
func CheckCNPJ(cnpj string) error {
	if err := checkShape(kindCNPJ, cnpj, cnpjLen, 0, cnpjRootLen); err != nil {
		return err
	}
	return checkTwoDigits(kindCNPJ, cnpj, 9)
}

// ValidCNPJ reports whether [CheckCNPJ] returns nil for cnpj. It never fails,
// does not allocate for a valid CNPJ and is safe for concurrent use.
func ValidCNPJ(cnpj string) bool {
	return CheckCNPJ(cnpj) == nil
}

// NormalizeCNPJ returns s with the punctuation of the printed form ('.', '/',
// '-') and ASCII spaces removed and ASCII lower-case letters turned into
// capitals, e.g. "12.abc.345/01de-35" becomes "12ABC34501DE35". Other
// characters are kept, so the result still needs [CheckCNPJ]. It returns s
// itself (no allocation) when nothing changes, never fails and is safe for
// concurrent use.
func NormalizeCNPJ(s string) string {
	return keep(s, func(c byte) (byte, bool) {
		switch {
		case c == '.' || c == '/' || c == '-' || c == ' ':
			return c, false
		case 'a' <= c && c <= 'z':
			return c - 'a' + 'A', true
		}
		return c, true
	})
}
