package fiscal

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// checkErr fails unless err is nil or an *Error of the given kind with a known
// reason and a position inside s.
func checkErr(t *testing.T, kind, s string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	switch e.Reason {
	case ReasonLength, ReasonCharset, ReasonCheckDigit, ReasonRepeated:
	default:
		t.Fatalf("got reason %q, want a known reason", e.Reason)
	}
	if e.Kind != kind || e.Pos < 0 || e.Pos > utf8.RuneCountInString(s) || e.Error() == "" {
		t.Fatalf("got %+v for %q, want kind %s and a position within the input", *e, s, kind)
	}
}

// requireWrongLastDigit fails unless every other digit at the end of valid s
// is rejected with ReasonCheckDigit.
func requireWrongLastDigit(t *testing.T, s string, check func(string) error) {
	t.Helper()
	last := len(s) - 1
	for d := byte('0'); d <= '9'; d++ {
		if d == s[last] {
			continue
		}
		m := s[:last] + string(d)
		var e *Error
		if err := check(m); !errors.As(err, &e) || e.Reason != ReasonCheckDigit {
			t.Fatalf("check(%q): got %v, want check_digit error", m, err)
		}
	}
}

// fromBytes derives an n-character string from b where the 0-based indexes in
// [lo, hi) take digits or capital letters and all others digits.
func fromBytes(b string, n, lo, hi int) string {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, n)
	for i := range out {
		c := byte(i)
		if len(b) > 0 {
			c = b[i%len(b)] + byte(i/len(b))
		}
		if lo <= i && i < hi {
			out[i] = alnum[int(c)%len(alnum)]
		} else {
			out[i] = '0' + c%10
		}
	}
	return string(out)
}

func FuzzCheckNFeKey(f *testing.F) {
	for _, s := range []string{mocKey, alnumKey, dafitiKey, "43171207364617000135550000000120141000120146",
		"13181017921427000125650010000000309887251170", "33150308370779000149550010001100931002410775",
		"35230843708379010830550060005593291105593292", "534584573465764375664564657465746545457465745", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := CheckNFeKey(key)
		checkErr(t, "nfe_key", key, err)
		if valid := ValidNFeKey(key); valid != (err == nil) || valid != refValidNFeKey(key) {
			t.Fatalf("%q: Check=%v Valid=%v reference=%v disagree", key, err, valid, refValidNFeKey(key))
		}
		if err == nil {
			requireWrongLastDigit(t, key, CheckNFeKey)
			if k, perr := ParseNFeKey(key); perr != nil || k.UF+k.YearMonth+k.IssuerCNPJ+k.Model+k.Series+
				k.Number+k.EmissionType+k.Code+k.CheckDigit != key {
				t.Fatalf("ParseNFeKey(%q) = %+v, %v; fields do not rebuild the key", key, k, perr)
			}
		}
		prefixes := []string{fromBytes(key, 43, nfeAlnumLo, nfeAlnumHi)}
		if len(key) >= 43 {
			prefixes = append(prefixes, key[:43])
		}
		for _, p := range prefixes {
			dv, derr := NFeKeyCheckDigit(p)
			checkErr(t, "nfe_key", p, derr)
			if (derr == nil) != (refNFeDV(p) >= 0) {
				t.Fatalf("NFeKeyCheckDigit(%q): got %v, reference DV %d", p, derr, refNFeDV(p))
			}
			if derr == nil && !ValidNFeKey(p+string(dv)) {
				t.Fatalf("%q + NFeKeyCheckDigit = %q is not valid", p, p+string(dv))
			}
		}
	})
}

func FuzzCheckCPF(f *testing.F) {
	for _, s := range []string{"52998224725", "11144477735", "52998224724", "00000000000", "52x98224725", "529.982.247-25", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cpf string) {
		err := CheckCPF(cpf)
		checkErr(t, "cpf", cpf, err)
		if valid := ValidCPF(cpf); valid != (err == nil) || valid != refValidCPF(cpf) {
			t.Fatalf("%q: Check=%v Valid=%v reference=%v disagree", cpf, err, valid, refValidCPF(cpf))
		}
		if err == nil {
			requireWrongLastDigit(t, cpf, CheckCPF)
		}
		if v := Digits(cpf); ValidCPF(v) != refValidCPF(v) {
			t.Fatalf("Digits(%q) = %q: package and reference disagree", cpf, v)
		}
		if c := fromBytes(cpf, 11, 0, 0); ValidCPF(c) != refValidCPF(c) {
			t.Fatalf("%q: package and reference disagree", c)
		}
	})
}

func FuzzCheckCNPJ(f *testing.F) {
	for _, s := range []string{"11222333000181", alnumCNPJ, "11222333000180", "12ABC34501DE53", "00000000000000",
		"12abc34501DE35", "11.222.333/0001-81", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cnpj string) {
		err := CheckCNPJ(cnpj)
		checkErr(t, "cnpj", cnpj, err)
		if valid := ValidCNPJ(cnpj); valid != (err == nil) || valid != refValidCNPJ(cnpj) {
			t.Fatalf("%q: Check=%v Valid=%v reference=%v disagree", cnpj, err, valid, refValidCNPJ(cnpj))
		}
		if err == nil {
			requireWrongLastDigit(t, cnpj, CheckCNPJ)
		}
		if n := NormalizeCNPJ(cnpj); ValidCNPJ(n) != refValidCNPJ(n) {
			t.Fatalf("NormalizeCNPJ(%q) = %q: package and reference disagree", cnpj, n)
		}
		root := fromBytes(cnpj, 12, 0, 12)
		d1, d2 := refCNPJDVs(root)
		built := root + string(rune('0'+d1)) + string(rune('0'+d2))
		if ValidCNPJ(built) == allEqual(built) {
			t.Fatalf("%q (reference check digits): got Valid=%v", built, ValidCNPJ(built))
		}
	})
}
