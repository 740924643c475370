// Package lang is the expression language of mapping files: expr-lang/expr
// with a fixed environment (the canonical event), an allow-list of builtins,
// limits, and a small domain library (NF-e keys, CPF/CNPJ, dates in a time
// zone, value tables).
//
// Expressions are compiled once, when a mapping loads, and type-checked
// against the canonical event: reading invoice.kee is a load error with a
// file:line:col inside the YAML file. At load time the package also works out
// which event fields an expression reads, so that at run time a missing field
// is reported by name instead of evaluating to an empty value.
//
// A compiled *Program is immutable and safe for concurrent use.
package lang
