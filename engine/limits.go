package engine

import "math"

// The bounded-work contract (docs/limits.md): every event and inbound
// payload is checked against these limits in one linear pass before any
// other work, and refused past them with the code beside each, a JSON
// pointer to the offending value where there is one. They are constants so
// that a deployment cannot widen them by accident; each has a test at the
// limit and just past it.
const (
	// MaxInputBytes is the largest event or inbound payload, in bytes
	// (CodeTooLarge).
	MaxInputBytes = 1 << 20
	// MaxDepth is the deepest nesting of objects and arrays: the top-level
	// value is at depth 1 (CodeTooDeep).
	MaxDepth = 64
	// MaxStringBytes is the longest string or object key, in bytes as
	// written in the JSON text, escapes included (CodeStringTooLong).
	MaxStringBytes = 64 << 10
	// MaxArrayLen is the most elements one array may hold (CodeArrayTooLong).
	MaxArrayLen = 10_000
	// MinInteger and MaxInteger bound integers: a number without fraction
	// (1, 1.0, 1e2) outside them is refused (CodeNumberOutOfRange); one
	// inside is written canonically (1, 100). Other numbers must be
	// finite as float64.
	MinInteger = math.MinInt64
	MaxInteger = math.MaxInt64
	// maxExponent bounds the exponent of a number as written, so that
	// reading it exactly never builds a huge value.
	maxExponent = 400
)
