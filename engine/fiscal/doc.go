// Package fiscal validates Brazilian fiscal identifiers used by the order
// integration engine: NF-e access keys (chave de acesso, also used by NFC-e,
// CT-e and MDF-e), CPF and CNPJ numbers, including the alphanumeric CNPJ
// introduced by IN RFB 2.229/2024 (in use from July 2026).
//
// All checks expect the canonical form: no punctuation, no spaces and capital
// letters only. Callers normalise user input first with [Digits] (CPF, NF-e
// keys) or [NormalizeCNPJ] (CNPJ). Invalid identifiers are reported as
// [*Error] values whose [Reason] is a stable, machine-readable code.
//
// Check digits are mod 11: each character counts as its ASCII code minus 48
// (so '0'..'9' are 0..9 and 'A' is 17, 'B' 18, …), the weighted sum is taken
// modulo 11 and the digit is 0 when the remainder is 0 or 1, else 11 minus
// the remainder.
//
// The package keeps no state: every function is safe for concurrent use, and
// the Check functions do not allocate when the identifier is valid.
package fiscal
