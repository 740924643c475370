package fiscal

// cpfLen is the number of digits of a CPF.
const cpfLen = 11

// CheckCPF returns nil if cpf is a valid CPF in canonical form: exactly 11
// ASCII digits, not all equal, whose last two digits are the mod 11 check
// digits of the first 9 (weights 10..2) and first 10 (weights 11..2).
// Otherwise it returns an [*Error] with Kind "cpf" and Reason [ReasonLength],
// [ReasonCharset], [ReasonRepeated] or [ReasonCheckDigit] (checked in that
// order). Use [Digits] to strip punctuation first. It does not allocate for a
// valid CPF and is safe for concurrent use.
func CheckCPF(cpf string) error {
	if err := checkShape(kindCPF, cpf, cpfLen, 0, 0); err != nil {
		return err
	}
	return checkTwoDigits(kindCPF, cpf, cpfLen)
}

// ValidCPF reports whether [CheckCPF] returns nil for cpf. It never fails,
// does not allocate for a valid CPF and is safe for concurrent use.
func ValidCPF(cpf string) bool {
	return CheckCPF(cpf) == nil
}
