package lang

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/expr-lang/expr"
	"github.com/rotahq/rota/engine/fiscal"
)

// Builtins is the allow-list of expr builtins mapping expressions may call.
// Builtins that read the clock (now) or the environment are left out so that
// translating the same event always gives the same result.
var Builtins = []string{
	"len", "all", "any", "none", "one", "filter", "map", "count", "find", "findIndex",
	"first", "last", "sum", "min", "max", "abs", "ceil", "floor", "round",
	"int", "float", "string", "type", "trim", "trimPrefix", "trimSuffix",
	"upper", "lower", "split", "join", "replace", "repeat", "indexOf", "hasPrefix", "hasSuffix",
	"keys", "values", "toJSON", "fromJSON", "sort", "reverse", "uniq", "concat", "flatten",
}

// TableMissError is returned when lookup() finds no entry for a key. A value
// table never yields an empty string for a key it does not have.
type TableMissError struct {
	Table string
	Key   string
}

func (e *TableMissError) Error() string {
	return fmt.Sprintf("value table %q has no entry for %q", e.Table, e.Key)
}

// ConvertError is returned when a value cannot be converted as asked.
type ConvertError struct {
	Func  string
	Value any
	Why   string
}

func (e *ConvertError) Error() string {
	return fmt.Sprintf("%s(%#v): %s", e.Func, e.Value, e.Why)
}

// Library binds the domain functions to one mapping: its time zone and its
// value tables. The zero Library renders dates in UTC and has no tables.
type Library struct {
	Location *time.Location
	Tables   map[string]map[string]string
	// Configs is the configuration expressions are compiled with, shared
	// by the libraries of one engine (see Configs); nil gives each compile
	// a configuration of its own, and no native forms.
	Configs *Configs
}

// configs returns the configurations l's expressions are compiled with.
func (l *Library) configs() *Configs {
	if l == nil || l.Configs == nil {
		return NewConfigs(nil)
	}
	return l.Configs
}

func (l *Library) options() []expr.Option {
	return []expr.Option{
		expr.Function("date", l.date, new(func(string, string) string), new(func(string, string, string) string)),
		expr.Function("lookup", l.lookup, new(func(string, string) string), new(func(string, string, string) string)),
		expr.Function(inTableFunc, l.inTable, new(func(string, string) bool)),
		expr.Function(listEqualFunc, listEqual, new(func(any, any) bool)),
		expr.Function("validNFeKey", validNFeKey, new(func(string) bool)),
		expr.Function("validCPF", validCPF, new(func(string) bool)),
		expr.Function("validCNPJ", validCNPJ, new(func(string) bool)),
		expr.Function("digits", digits, new(func(string) string)),
		expr.Function("toInt", toInt, new(func(any) int)),
		expr.Function(presentFunc, present, new(func(any, string, int) bool)),
		expr.Function(needFunc, need, new(func(any, string, int, any) any)),
	}
}

// date(value, layout[, zone]) parses an RFC 3339 date-time and formats it
// with a Go layout in the mapping's time zone, or in zone when given.
func (l *Library) date(params ...any) (any, error) {
	value, layout := params[0].(string), params[1].(string)
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return nil, &ConvertError{Func: "date", Value: value, Why: "not an RFC 3339 date-time with offset (e.g. 2023-03-10T12:30:00-03:00)"}
	}
	loc := l.Location
	if len(params) == 3 {
		if loc, err = LoadLocation(params[2].(string)); err != nil {
			return nil, &ConvertError{Func: "date", Value: params[2], Why: "unknown time zone"}
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layout), nil
}

// lookup(table, key[, default]) is the table's entry for key; without an
// entry it is default when given, else a *TableMissError.
func (l *Library) lookup(params ...any) (any, error) {
	table, key := params[0].(string), params[1].(string)
	if v, ok := l.Tables[table][key]; ok {
		return v, nil
	}
	if len(params) == 3 {
		return params[2], nil
	}
	return nil, &TableMissError{Table: table, Key: key}
}

func validNFeKey(params ...any) (any, error) { return fiscal.ValidNFeKey(params[0].(string)), nil }
func validCPF(params ...any) (any, error)    { return fiscal.ValidCPF(params[0].(string)), nil }
func validCNPJ(params ...any) (any, error)   { return fiscal.ValidCNPJ(params[0].(string)), nil }
func digits(params ...any) (any, error)      { return fiscal.Digits(params[0].(string)), nil }

// toInt converts a decimal string ("9172", "-3") or an integral number to
// an int; anything else (letters, blanks, fractions, overflow) is an error.
func toInt(params ...any) (any, error) {
	switch v := params[0].(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &ConvertError{Func: "toInt", Value: v, Why: "not a decimal integer"}
		}
		return int(n), nil
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case float64:
		if v != math.Trunc(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<53 {
			return nil, &ConvertError{Func: "toInt", Value: v, Why: "not an integral number"}
		}
		return int(v), nil
	}
	return nil, &ConvertError{Func: "toInt", Value: params[0], Why: "not a string or number"}
}

// LoadLocation loads an IANA time zone; the tz database is embedded in the
// binary (time/tzdata) so it works on machines without one.
// "Local", the zone of the machine, is refused: output must not depend on
// where rota runs.
func LoadLocation(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, fmt.Errorf("time zone Local depends on the machine; name an IANA zone")
	}
	return time.LoadLocation(name)
}
