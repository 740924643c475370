package fiscal

import "strings"

// Layout of an NF-e access key (0-based indexes).
const (
	nfeKeyLen  = 44
	nfeBodyLen = 43 // characters covered by the check digit
	// The issuer CNPJ occupies indexes 6..19; its first 12 places
	// (indexes 6..17) may be capital letters (alphanumeric CNPJ).
	nfeAlnumLo = 6
	nfeAlnumHi = 18
)

// NFeKey is a parsed NF-e access key (chave de acesso). Every field is the
// corresponding substring of the key.
type NFeKey struct {
	UF           string // positions 1-2: cUF, IBGE code of the state (35 = SP)
	YearMonth    string // positions 3-6: AAMM, year and month of issue
	IssuerCNPJ   string // positions 7-20: issuer CNPJ (may be alphanumeric)
	Model        string // positions 21-22: mod (55 NF-e, 65 NFC-e)
	Series       string // positions 23-25: série
	Number       string // positions 26-34: nNF
	EmissionType string // position 35: tpEmis (1 = normal)
	Code         string // positions 36-43: cNF, numeric code
	CheckDigit   string // position 44: cDV
}

// CheckNFeKey returns nil if key is a valid NF-e access key in canonical form:
// exactly 44 characters, all ASCII digits except positions 7-18 (the first 12
// places of the issuer CNPJ), which may also be capital letters A-Z, with a
// correct mod 11 check digit at position 44 (see [NFeKeyCheckDigit]).
// Otherwise it returns an [*Error] with Kind "nfe_key" and Reason
// [ReasonLength], [ReasonCharset], [ReasonRepeated] (all 44 characters
// equal, a placeholder such as the key of all zeros, whose check digit
// happens to match) or [ReasonCheckDigit] (checked in that order). The embedded issuer CNPJ is not itself validated. It does not
// allocate for a valid key and is safe for concurrent use.
func CheckNFeKey(key string) error {
	if err := checkShape(kindNFeKey, key, nfeKeyLen, nfeAlnumLo, nfeAlnumHi); err != nil {
		return err
	}
	if strings.Count(key, key[:1]) == nfeKeyLen {
		return &Error{Kind: kindNFeKey, Reason: ReasonRepeated, Got: key[:1]}
	}
	want := mod11Digit(weightedSum(key[:nfeBodyLen], 2, 9))
	if key[nfeBodyLen] != want {
		return &Error{
			Kind: kindNFeKey, Reason: ReasonCheckDigit, Pos: nfeKeyLen,
			Got: key[nfeBodyLen:], Want: digitString(want),
		}
	}
	return nil
}

// ValidNFeKey reports whether [CheckNFeKey] returns nil for key. It never
// fails, does not allocate and is safe for concurrent use.
func ValidNFeKey(key string) bool {
	return CheckNFeKey(key) == nil
}

// NFeKeyCheckDigit returns the ASCII check digit ('0'-'9') that completes
// first43, the first 43 characters of an NF-e access key: the mod 11 sum with
// weights 2..9 repeating from the rightmost character, each character counting
// as its ASCII code minus 48; the digit is 0 if the remainder is 0 or 1, else
// 11 minus the remainder. If first43 is not 43 characters of the charset
// accepted by [CheckNFeKey] it returns 0 and an [*Error] with Kind "nfe_key"
// and Reason [ReasonLength] or [ReasonCharset]. It is safe for concurrent use.
func NFeKeyCheckDigit(first43 string) (byte, error) {
	if err := checkShape(kindNFeKey, first43, nfeBodyLen, nfeAlnumLo, nfeAlnumHi); err != nil {
		return 0, err
	}
	return mod11Digit(weightedSum(first43, 2, 9)), nil
}

// ParseNFeKey validates key with [CheckNFeKey] and returns its fields. On
// failure it returns the zero NFeKey and the [*Error] from [CheckNFeKey]. It
// is safe for concurrent use.
func ParseNFeKey(key string) (NFeKey, error) {
	if err := CheckNFeKey(key); err != nil {
		return NFeKey{}, err
	}
	return NFeKey{
		UF:           key[0:2],
		YearMonth:    key[2:6],
		IssuerCNPJ:   key[6:20],
		Model:        key[20:22],
		Series:       key[22:25],
		Number:       key[25:34],
		EmissionType: key[34:35],
		Code:         key[35:43],
		CheckDigit:   key[43:44],
	}, nil
}

// digitString returns the one-character string for ASCII digit d without
// allocating.
func digitString(d byte) string {
	const digits = "0123456789"
	i := int(d - '0')
	return digits[i : i+1]
}
