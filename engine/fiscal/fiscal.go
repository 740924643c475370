package fiscal

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Reason is a stable, machine-readable code for why an identifier is invalid.
// Reason values are plain strings, immutable and safe for concurrent use.
type Reason string

// The reasons reported in [Error.Reason].
const (
	ReasonLength     Reason = "length"      // wrong number of characters
	ReasonCharset    Reason = "charset"     // a character not allowed at that position
	ReasonCheckDigit Reason = "check_digit" // check digit does not match
	ReasonRepeated   Reason = "repeated"    // all characters equal (a placeholder: CPF 00000000000, the NF-e key of 44 zeros)
)

// Kinds of identifier reported in [Error.Kind].
const (
	kindNFeKey = "nfe_key"
	kindCPF    = "cpf"
	kindCNPJ   = "cnpj"
)

// Character classes reported in [Error.Want] for [ReasonCharset].
const (
	classDigit = "digit"
	classAlnum = "digit or capital letter"
)

// Error describes an invalid identifier. Kind is "nfe_key", "cpf" or "cnpj".
//
// Pos is the 1-based position (in characters) of the offending character:
// the first invalid character for [ReasonCharset], the first wrong check digit
// for [ReasonCheckDigit], and 0 for [ReasonLength] and [ReasonRepeated].
//
// Got and Want hold what was found and what was expected:
//   - [ReasonCheckDigit]: the check digit(s) given and the correct one(s)
//     (one digit for an NF-e key, two for CPF and CNPJ);
//   - [ReasonLength]: the character count found and the one required, in decimal;
//   - [ReasonCharset]: the offending character and the allowed class
//     ("digit" or "digit or capital letter");
//   - [ReasonRepeated]: the repeated character; Want is empty.
//
// An *Error is never modified after it is returned, so it is safe for
// concurrent use.
type Error struct {
	Kind   string
	Reason Reason
	Pos    int
	Got    string
	Want   string
}

// Error returns a one-line, human-readable description such as
// `nfe_key: check digit is 0, expected 8`,
// `cpf: character 3 ("x") is not a digit` or
// `nfe_key: has 45 characters, want 44`. It never fails and is safe for
// concurrent use.
func (e *Error) Error() string {
	switch e.Reason {
	case ReasonLength:
		return fmt.Sprintf("%s: has %s characters, want %s", e.Kind, e.Got, e.Want)
	case ReasonCharset:
		return fmt.Sprintf("%s: character %d (%q) is not a %s", e.Kind, e.Pos, e.Got, e.Want)
	case ReasonRepeated:
		return fmt.Sprintf("%s: all characters are %q", e.Kind, e.Got)
	case ReasonCheckDigit:
		if len(e.Want) == 1 {
			return fmt.Sprintf("%s: check digit is %s, expected %s", e.Kind, e.Got, e.Want)
		}
		return fmt.Sprintf("%s: check digits are %s, expected %s", e.Kind, e.Got, e.Want)
	}
	return fmt.Sprintf("%s: invalid (%s)", e.Kind, e.Reason)
}

// Digits returns s with every character other than the ASCII digits '0'-'9'
// removed, e.g. "529.982.247-25" becomes "52998224725". It returns s itself
// (no allocation) when s holds only digits. It never fails and is safe for
// concurrent use.
func Digits(s string) string {
	return keep(s, func(c byte) (byte, bool) { return c, isDigit(c) })
}

// keep returns s with each byte mapped by f, dropping bytes for which f
// reports false. It returns s unchanged, without allocating, when f keeps
// every byte as it is.
func keep(s string, f func(byte) (byte, bool)) string {
	i := 0
	for ; i < len(s); i++ {
		if c, ok := f(s[i]); !ok || c != s[i] {
			break
		}
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, i, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		if c, ok := f(s[i]); ok {
			b = append(b, c)
		}
	}
	return string(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// checkShape reports whether s has exactly n characters, each a digit, or,
// at 0-based indexes alnumLo <= i < alnumHi, a digit or a capital letter.
// It does not allocate when s is well formed.
func checkShape(kind, s string, n, alnumLo, alnumHi int) *Error {
	if len(s) == n {
		for i := 0; i < n; i++ {
			if !allowed(s[i], i, alnumLo, alnumHi) {
				return shapeError(kind, s, n, alnumLo, alnumHi)
			}
		}
		return nil
	}
	return shapeError(kind, s, n, alnumLo, alnumHi)
}

func allowed(c byte, i, alnumLo, alnumHi int) bool {
	return isDigit(c) || (alnumLo <= i && i < alnumHi && isUpper(c))
}

// shapeError builds the error for a malformed s, counting characters (runes)
// rather than bytes so that positions match what a person sees.
func shapeError(kind, s string, n, alnumLo, alnumHi int) *Error {
	if count := utf8.RuneCountInString(s); count != n {
		return &Error{Kind: kind, Reason: ReasonLength, Got: strconv.Itoa(count), Want: strconv.Itoa(n)}
	}
	i := 0
	for _, r := range s {
		if r >= utf8.RuneSelf || !allowed(byte(r), i, alnumLo, alnumHi) {
			want := classDigit
			if alnumLo <= i && i < alnumHi {
				want = classAlnum
			}
			return &Error{Kind: kind, Reason: ReasonCharset, Pos: i + 1, Got: string(r), Want: want}
		}
		i++
	}
	return nil
}

// weightedSum returns the sum of the values (ASCII code − 48) of the
// characters of s, weighted from the rightmost character with first,
// first+1, … maxWeight and then starting over at 2.
func weightedSum(s string, first, maxWeight int) int {
	sum, w := 0, first
	for i := len(s) - 1; i >= 0; i-- {
		sum += (int(s[i]) - '0') * w
		if w++; w > maxWeight {
			w = 2
		}
	}
	return sum
}

// mod11Digit returns the ASCII check digit for a weighted sum:
// '0' if sum mod 11 is 0 or 1, else 11 − (sum mod 11).
func mod11Digit(sum int) byte {
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// allEqual reports whether every byte of s equals the first one.
func allEqual(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// checkTwoDigits validates a well-formed CPF or CNPJ of n characters whose last
// two characters are mod 11 check digits, with weights wrapping after
// maxWeight.
func checkTwoDigits(kind, s string, maxWeight int) error {
	n := len(s)
	if allEqual(s) {
		return &Error{Kind: kind, Reason: ReasonRepeated, Got: s[:1]}
	}
	base := s[:n-2]
	d1 := mod11Digit(weightedSum(base, 2, maxWeight))
	d2 := mod11Digit(weightedSum(base, 3, maxWeight) + int(d1-'0')*2)
	if s[n-2] == d1 && s[n-1] == d2 {
		return nil
	}
	pos := n
	if s[n-2] != d1 {
		pos = n - 1
	}
	return &Error{Kind: kind, Reason: ReasonCheckDigit, Pos: pos, Got: s[n-2:], Want: string([]byte{d1, d2})}
}
