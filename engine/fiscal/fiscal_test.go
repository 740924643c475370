package fiscal

import (
	"errors"
	"strings"
	"testing"
)

// Reference implementations, written independently of the package code
// (left-to-right explicit weights, a lookup table for character values and the
// "(11 - r) >= 10 ⇒ 0" / "(10·sum mod 11) mod 10" formulations) so that a
// mistake in the package code makes the tests fail.

// refValue returns the value of c (its offset in the table, which equals
// ASCII − 48) or -1 if c is neither a digit nor a capital letter.
func refValue(c byte) int {
	const table = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if c == ':' || c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' {
		return -1
	}
	return strings.IndexByte(table, c)
}

func refDV(sum int) int {
	dv := 11 - sum%11
	if dv >= 10 {
		dv = 0
	}
	return dv
}

// refNFeDV returns the check digit of a 43-character prefix, or -1.
func refNFeDV(p string) int {
	if len(p) != 43 {
		return -1
	}
	sum := 0
	for i := 0; i < 43; i++ {
		v := refValue(p[i])
		alnum := i >= 6 && i <= 17
		if v < 0 || (!alnum && v > 9) {
			return -1
		}
		sum += v * (2 + (42-i)%8)
	}
	return refDV(sum)
}

func refValidNFeKey(k string) bool {
	return len(k) == 44 && refNFeDV(k[:43]) >= 0 && int(k[43])-'0' == refNFeDV(k[:43])
}

func refValidCPF(s string) bool {
	if len(s) != 11 || strings.Count(s, s[:1]) == 11 {
		return false
	}
	d := make([]int, 11)
	for i := range s {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	for _, n := range []int{9, 10} {
		sum := 0
		for i := 0; i < n; i++ {
			sum += d[i] * (n + 1 - i)
		}
		if (sum*10)%11%10 != d[n] {
			return false
		}
	}
	return true
}

// refCNPJDVs returns the two check digits for a 12-character CNPJ root.
func refCNPJDVs(root string) (int, int) {
	w1 := []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	w2 := []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	s1, s2 := 0, 0
	for i := 0; i < 12; i++ {
		s1 += refValue(root[i]) * w1[i]
		s2 += refValue(root[i]) * w2[i]
	}
	d1 := refDV(s1)
	return d1, refDV(s2 + d1*w2[12])
}

func refValidCNPJ(s string) bool {
	if len(s) != 14 || strings.Count(s, s[:1]) == 14 {
		return false
	}
	for i := 0; i < 14; i++ {
		v := refValue(s[i])
		if v < 0 || (i >= 12 && v > 9) {
			return false
		}
	}
	d1, d2 := refCNPJDVs(s[:12])
	return int(s[12]-'0') == d1 && int(s[13]-'0') == d2
}

// alnumCNPJ is the Receita Federal example root 12ABC34501DE with its check
// digits, computed by hand (value = ASCII − 48: A=17, B=18, C=19, D=20, E=21):
//
//	d1, weights 5,4,3,2,9,8,7,6,5,4,3,2 over 1 2 A B C 3 4 5 0 1 D E:
//	  5+8+51+36+171+24+28+30+0+4+60+42 = 459; 459 mod 11 = 8 → d1 = 11−8 = 3
//	d2, weights 6,5,4,3,2,9,8,7,6,5,4,3,2 over 1 2 A B C 3 4 5 0 1 D E 3:
//	  6+10+68+54+38+27+32+35+0+5+80+63+6 = 424; 424 mod 11 = 6 → d2 = 11−6 = 5
//
// so the CNPJ is 12.ABC.345/01DE-35 (matching the Receita Federal's example).
const alnumCNPJ = "12ABC34501DE35"

// alnumKey is an NF-e key issued by alnumCNPJ (35 SP, 2607, model 55, series
// 001, number 000000123, tpEmis 1, cNF 12345678); its check digit 7 is
// cross-checked against refNFeDV in TestReferenceAgreesOnExamples.
const alnumKey = "35260712ABC34501DE35550010000001231123456787"

const (
	mocKey    = "52060433009911002506550120000007800267301615"
	dafitiKey = "35230942274696002561550060021990691319029090"
)

func TestReferenceAgreesOnExamples(t *testing.T) {
	for _, k := range []string{mocKey, alnumKey, "43171207364617000135550000000120141000120146",
		"13181017921427000125650010000000309887251170", "33150308370779000149550010001100931002410775",
		"35230942274696002561550060021990691319029098"} {
		if !refValidNFeKey(k) {
			t.Errorf("refValidNFeKey(%q) = false, want true", k)
		}
	}
	if d1, d2 := refCNPJDVs("12ABC34501DE"); d1 != 3 || d2 != 5 {
		t.Errorf("refCNPJDVs(12ABC34501DE) = %d%d, want 35", d1, d2)
	}
	if !refValidCPF("52998224725") || refValidCPF("00000000000") {
		t.Error("refValidCPF disagrees with the known CPF examples")
	}
}

func TestMOCWorkedExample(t *testing.T) {
	first43 := mocKey[:43]
	if got, want := weightedSum(first43, 2, 9), 644; got != want {
		t.Errorf("weighted sum of %s: got %d, want %d", first43, got, want)
	}
	dv, err := NFeKeyCheckDigit(first43)
	if err != nil || dv != '5' {
		t.Errorf("NFeKeyCheckDigit(%s): got %q, %v, want '5', nil", first43, dv, err)
	}
}

// errCase is an expected outcome: zero Reason means valid.
type errCase struct {
	name   string
	in     string
	reason Reason
	pos    int
	got    string
	want   string
	msg    string // expected Error() text, if non-empty
}

func checkCase(t *testing.T, kind string, tc errCase, check func(string) error, valid func(string) bool) {
	t.Helper()
	err := check(tc.in)
	if v := valid(tc.in); v != (tc.reason == "") {
		t.Errorf("Valid(%q): got %v, want %v", tc.in, v, tc.reason == "")
	}
	if tc.reason == "" {
		if err != nil {
			t.Fatalf("Check(%q): got %v, want nil", tc.in, err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Check(%q): got %T %v, want *Error", tc.in, err, err)
	}
	want := Error{Kind: kind, Reason: tc.reason, Pos: tc.pos, Got: tc.got, Want: tc.want}
	if *e != want {
		t.Errorf("Check(%q): got %+v, want %+v", tc.in, *e, want)
	}
	if tc.msg != "" && e.Error() != tc.msg {
		t.Errorf("Error(): got %q, want %q", e.Error(), tc.msg)
	}
}

func TestCheckNFeKey(t *testing.T) {
	tests := []errCase{
		{name: "MOC example", in: mocKey},
		{name: "nstecnologia", in: "43171207364617000135550000000120141000120146"},
		{name: "invoisys remainder 0", in: "13181017921427000125650010000000309887251170"},
		{name: "maino", in: "33150308370779000149550010001100931002410775"},
		{name: "Dafiti seed corrected", in: "35230942274696002561550060021990691319029098"},
		{name: "alphanumeric issuer", in: alnumKey},
		{name: "Dafiti seed", in: dafitiKey, reason: ReasonCheckDigit, pos: 44, got: "0", want: "8",
			msg: "nfe_key: check digit is 0, expected 8"},
		{name: "Fast Shop example", in: "35230843708379010830550060005593291105593292",
			reason: ReasonCheckDigit, pos: 44, got: "2", want: "1"},
		{name: "Fast Shop consulta 45 chars", in: "534584573465764375664564657465746545457465745",
			reason: ReasonLength, got: "45", want: "44", msg: "nfe_key: has 45 characters, want 44"},
		{name: "43 chars", in: mocKey[:43], reason: ReasonLength, got: "43", want: "44"},
		{name: "empty", in: "", reason: ReasonLength, got: "0", want: "44"},
		{name: "spaces", in: "5206 0433 0099 1100 2506 5501 2000 0007 8002 6730 1615",
			reason: ReasonLength, got: "54", want: "44"},
		{name: "letter in cUF", in: "X" + mocKey[1:], reason: ReasonCharset, pos: 1, got: "X", want: "digit",
			msg: `nfe_key: character 1 ("X") is not a digit`},
		{name: "lower-case in CNPJ", in: alnumKey[:8] + "a" + alnumKey[9:], reason: ReasonCharset, pos: 9,
			got: "a", want: "digit or capital letter",
			msg: `nfe_key: character 9 ("a") is not a digit or capital letter`},
		{name: "letter in CNPJ check digits", in: mocKey[:18] + "A" + mocKey[19:], reason: ReasonCharset,
			pos: 19, got: "A", want: "digit"},
		{name: "letter in model", in: mocKey[:20] + "A" + mocKey[21:], reason: ReasonCharset, pos: 21, got: "A", want: "digit"},
		{name: "letter as check digit", in: mocKey[:43] + "A", reason: ReasonCharset, pos: 44, got: "A", want: "digit"},
		{name: "multi-byte character", in: mocKey[:9] + "é" + mocKey[10:], reason: ReasonCharset, pos: 10,
			got: "é", want: "digit or capital letter"},
		{name: "first bad char wins", in: "x" + mocKey[1:43] + "y", reason: ReasonCharset, pos: 1, got: "x", want: "digit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkCase(t, "nfe_key", tc, CheckNFeKey, ValidNFeKey)
			if tc.reason == "" && !refValidNFeKey(tc.in) {
				t.Errorf("reference: got invalid, want valid for %q", tc.in)
			}
		})
	}
}

func TestNFeKeyCheckDigit(t *testing.T) {
	tests := []struct {
		name, first43 string
		want          byte
		reason        Reason
	}{
		{name: "MOC", first43: mocKey[:43], want: '5'},
		{name: "Dafiti seed", first43: dafitiKey[:43], want: '8'},
		{name: "remainder 0", first43: "1318101792142700012565001000000030988725117", want: '0'},
		{name: "alphanumeric", first43: alnumKey[:43], want: '7'},
		{name: "too long", first43: mocKey, reason: ReasonLength},
		{name: "bad charset", first43: "a" + mocKey[1:43], reason: ReasonCharset},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NFeKeyCheckDigit(tc.first43)
			if tc.reason != "" {
				var e *Error
				if !errors.As(err, &e) || e.Reason != tc.reason || got != 0 {
					t.Fatalf("got %q, %v, want 0 and reason %s", got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v, want %q, nil", got, err, tc.want)
			}
		})
	}
}

func TestParseNFeKey(t *testing.T) {
	got, err := ParseNFeKey(alnumKey)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	want := NFeKey{UF: "35", YearMonth: "2607", IssuerCNPJ: alnumCNPJ, Model: "55", Series: "001",
		Number: "000000123", EmissionType: "1", Code: "12345678", CheckDigit: "7"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got, err = ParseNFeKey(dafitiKey)
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonCheckDigit || got != (NFeKey{}) {
		t.Errorf("Dafiti seed: got %+v, %v, want zero NFeKey and check_digit error", got, err)
	}
}

func TestCheckCPF(t *testing.T) {
	tests := []errCase{
		{name: "valid", in: "52998224725"},
		{name: "valid 2", in: "11144477735"},
		{name: "second digit wrong", in: "52998224724", reason: ReasonCheckDigit, pos: 11, got: "24", want: "25",
			msg: "cpf: check digits are 24, expected 25"},
		{name: "first digit wrong", in: "52998224735", reason: ReasonCheckDigit, pos: 10, got: "35", want: "25"},
		{name: "all zeros", in: "00000000000", reason: ReasonRepeated, got: "0", msg: `cpf: all characters are "0"`},
		{name: "all ones", in: "11111111111", reason: ReasonRepeated, got: "1"},
		{name: "short", in: "5299822472", reason: ReasonLength, got: "10", want: "11"},
		{name: "long", in: "529982247250", reason: ReasonLength, got: "12", want: "11"},
		{name: "punctuated", in: "529.982.247-25", reason: ReasonLength, got: "14", want: "11"},
		{name: "letter", in: "52x98224725", reason: ReasonCharset, pos: 3, got: "x", want: "digit",
			msg: `cpf: character 3 ("x") is not a digit`},
		{name: "letter where CNPJ allows", in: "A2998224725", reason: ReasonCharset, pos: 1, got: "A", want: "digit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkCase(t, "cpf", tc, CheckCPF, ValidCPF)
			if got := refValidCPF(tc.in); got != (tc.reason == "") {
				t.Errorf("reference: got %v, want %v", got, tc.reason == "")
			}
		})
	}
}

func TestCheckCNPJ(t *testing.T) {
	tests := []errCase{
		{name: "numeric", in: "11222333000181"},
		{name: "alphanumeric", in: alnumCNPJ},
		{name: "second digit wrong", in: "11222333000180", reason: ReasonCheckDigit, pos: 14, got: "80", want: "81",
			msg: "cnpj: check digits are 80, expected 81"},
		{name: "first digit wrong", in: "11222333000191", reason: ReasonCheckDigit, pos: 13, got: "91", want: "81"},
		{name: "alphanumeric wrong digits", in: "12ABC34501DE53", reason: ReasonCheckDigit, pos: 13, got: "53", want: "35"},
		{name: "all zeros", in: "00000000000000", reason: ReasonRepeated, got: "0"},
		{name: "lower-case", in: "12abc34501DE35", reason: ReasonCharset, pos: 3, got: "a", want: "digit or capital letter",
			msg: `cnpj: character 3 ("a") is not a digit or capital letter`},
		{name: "letter check digit", in: "12ABC34501DEA5", reason: ReasonCharset, pos: 13, got: "A", want: "digit"},
		{name: "all letters", in: "AAAAAAAAAAAAAA", reason: ReasonCharset, pos: 13, got: "A", want: "digit"},
		{name: "short", in: "1122233300018", reason: ReasonLength, got: "13", want: "14"},
		{name: "punctuated", in: "11.222.333/0001-81", reason: ReasonLength, got: "18", want: "14",
			msg: "cnpj: has 18 characters, want 14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkCase(t, "cnpj", tc, CheckCNPJ, ValidCNPJ)
			if got := refValidCNPJ(tc.in); got != (tc.reason == "") {
				t.Errorf("reference: got %v, want %v", got, tc.reason == "")
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		f              func(string) string
	}{
		{"Digits CNPJ", "11.222.333/0001-81", "11222333000181", Digits},
		{"Digits CPF", " 529.982.247-25\n", "52998224725", Digits},
		{"Digits drops letters", "12.ABC.345/01DE-35", "1234501" + "35", Digits},
		{"Digits unchanged", "123", "123", Digits},
		{"Digits empty", "", "", Digits},
		{"NormalizeCNPJ", "12.abc.345/01de-35", alnumCNPJ, NormalizeCNPJ},
		{"NormalizeCNPJ spaces", " 11 222 333 / 0001 - 81 ", "11222333000181", NormalizeCNPJ},
		{"NormalizeCNPJ keeps others", "11_222", "11_222", NormalizeCNPJ},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"unknown reason", Error{Kind: "cpf", Reason: "other"}, "cpf: invalid (other)"},
		{"repeated cnpj", Error{Kind: "cnpj", Reason: ReasonRepeated, Got: "9"}, `cnpj: all characters are "9"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidPathDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		in    string
	}{
		{"CheckNFeKey", CheckNFeKey, mocKey},
		{"CheckNFeKey alphanumeric", CheckNFeKey, alnumKey},
		{"CheckCPF", CheckCPF, "52998224725"},
		{"CheckCNPJ", CheckCNPJ, alnumCNPJ},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			allocs := testing.AllocsPerRun(100, func() { err = tc.check(tc.in) })
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if allocs != 0 {
				t.Errorf("got %v allocs per run, want 0", allocs)
			}
		})
	}
}

// TestNFeKeyOfOneRepeatedCharacter: 44 equal digits are a placeholder; the
// key of zeros has a matching check digit (0) and is refused all the same.
func TestNFeKeyOfOneRepeatedCharacter(t *testing.T) {
	for _, c := range "0123456789" {
		key := strings.Repeat(string(c), 44)
		err := CheckNFeKey(key)
		var fe *Error
		if !errors.As(err, &fe) || fe.Reason != ReasonRepeated || fe.Got != string(c) {
			t.Errorf("%s: got %v, want reason %s", key, err, ReasonRepeated)
		}
	}
}
