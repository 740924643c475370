package fiscal_test

import (
	"fmt"

	"github.com/rotahq/rota/engine/fiscal"
)

func ExampleCheckNFeKey() {
	fmt.Println(fiscal.CheckNFeKey("52060433009911002506550120000007800267301615"))
	// The access key from the Dafiti seed data has a wrong check digit.
	err := fiscal.CheckNFeKey("35230942274696002561550060021990691319029090")
	fmt.Println(err)
	if e, ok := err.(*fiscal.Error); ok {
		fmt.Println(e.Reason, e.Pos)
	}
	// Output:
	// <nil>
	// nfe_key: check digit is 0, expected 8
	// check_digit 44
}

func ExampleValidCPF() {
	fmt.Println(fiscal.ValidCPF("52998224725"))
	fmt.Println(fiscal.ValidCPF(fiscal.Digits("529.982.247-25")))
	fmt.Println(fiscal.ValidCPF("00000000000"))
	// Output:
	// true
	// true
	// false
}

func ExampleValidCNPJ() {
	fmt.Println(fiscal.ValidCNPJ("11222333000181"))
	// Alphanumeric CNPJ (from July 2026).
	fmt.Println(fiscal.ValidCNPJ(fiscal.NormalizeCNPJ("12.abc.345/01de-35")))
	fmt.Println(fiscal.CheckCNPJ("12ABC34501DE53"))
	// Output:
	// true
	// true
	// cnpj: check digits are 53, expected 35
}

func ExampleDigits() {
	fmt.Println(fiscal.Digits("11.222.333/0001-81"))
	// Output: 11222333000181
}

func ExampleNFeKeyCheckDigit() {
	dv, err := fiscal.NFeKeyCheckDigit("5206043300991100250655012000000780026730161")
	fmt.Printf("%c %v\n", dv, err)
	// Output: 5 <nil>
}

func ExampleParseNFeKey() {
	k, err := fiscal.ParseNFeKey("35260712ABC34501DE35550010000001231123456787")
	fmt.Println(k.UF, k.YearMonth, k.IssuerCNPJ, k.Model, k.Series, k.Number, k.EmissionType, k.Code, k.CheckDigit, err)
	// Output: 35 2607 12ABC34501DE35 55 001 000000123 1 12345678 7 <nil>
}
