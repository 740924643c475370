package fastschema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// jsonschema v5 checks "type": "integer" and "minimum" by printing the
// number and parsing it into a big.Rat, for every value (a noticeable part
// of validating an event: docs/performance.md). Money and quantities are
// integers in the canonical event, so the runtime schema replaces each
// plain integer subschema ({"type": "integer"} with at most a minimum) by the keyword
// below, which gives the same findings, with the same messages, from a
// strconv parse; only numbers written with a fraction or an exponent, or
// too large for int64, take the big.Rat path. The engine's
// TestFastValidatorAgrees holds the result to the schema's own.

// intKeyword is the runtime schema's keyword for a plain integer subschema.
const intKeyword = "rotaInteger"

// integerLeaves rewrites, in place, every subschema under v that is only an
// integer type with an optional minimum (annotations aside) into the
// intKeyword form.
func integerLeaves(v any) {
	switch x := v.(type) {
	case map[string]any:
		if isIntegerLeaf(x) {
			spec := map[string]any{}
			if m, ok := x["minimum"]; ok {
				spec["minimum"] = m
			}
			delete(x, "type")
			delete(x, "minimum")
			x[intKeyword] = spec
			return
		}
		for _, sub := range x {
			integerLeaves(sub)
		}
	case []any:
		for _, sub := range x {
			integerLeaves(sub)
		}
	}
}

func isIntegerLeaf(m map[string]any) bool {
	if m["type"] != "integer" {
		return false
	}
	for k, v := range m {
		switch k {
		case "type", "description", "title", "$comment", "examples":
		case "minimum":
			if _, ok := v.(float64); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// intCompiler compiles intKeyword.
type intCompiler struct{}

// Compile implements jsonschema.ExtCompiler.
func (intCompiler) Compile(_ jsonschema.CompilerContext, m map[string]any) (jsonschema.ExtSchema, error) {
	spec, ok := m[intKeyword].(map[string]any)
	if !ok {
		return nil, nil
	}
	out := intSchema{}
	if n, ok := spec["minimum"].(json.Number); ok {
		r, ok := new(big.Rat).SetString(string(n))
		if !ok {
			return nil, fmt.Errorf("%s: minimum %s is not a number", intKeyword, n)
		}
		out.min = r
		out.minFloat, _ = r.Float64()
		if r.IsInt() && r.Num().IsInt64() {
			out.minInt, out.minIsInt = r.Num().Int64(), true
		}
	}
	return out, nil
}

// intSchema is a compiled intKeyword: the value must be an integer, at
// least min when min is set.
type intSchema struct {
	min      *big.Rat
	minFloat float64
	minInt   int64
	minIsInt bool
}

// Validate implements jsonschema.ExtSchema, with jsonschema's own messages.
func (s intSchema) Validate(ctx jsonschema.ValidationContext, v any) error {
	isInt, below, ok := s.check(v)
	switch {
	case !ok:
		return ctx.Error("type", "expected integer, but got %s", jsonKind(v))
	case !isInt:
		return ctx.Error("type", "expected integer, but got number")
	case below:
		return ctx.Error("minimum", "must be >= %v but found %v", s.minFloat, v)
	}
	return nil
}

// check reports whether v is an integer and whether it is below the
// minimum; ok is false when v is not a number at all.
func (s intSchema) check(v any) (isInt, below, ok bool) {
	n, isNumber := v.(json.Number)
	if !isNumber {
		if jsonKind(v) != "number" {
			return false, false, false
		}
		n = json.Number(fmt.Sprint(v))
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return true, s.min != nil && (s.minIsInt && i < s.minInt || !s.minIsInt && new(big.Rat).SetInt64(i).Cmp(s.min) < 0), true
	}
	r, parsed := new(big.Rat).SetString(string(n))
	if !parsed || !r.IsInt() {
		return false, false, true
	}
	return true, s.min != nil && r.Cmp(s.min) < 0, true
}

// jsonKind names the JSON type of a decoded value, as jsonschema does.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float32, float64, int, int8, int32, int64, uint, uint8, uint32, uint64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
