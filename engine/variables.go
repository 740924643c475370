package engine

import (
	"fmt"
	"maps"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/mapping"
)

// resolveVars merges given variables with declared defaults and checks that
// every given one is declared. A variable without default that is not given
// is reported when an expression reads it. The map it returns is only read:
// when given sets every variable that has a default, it is given itself.
func (mk *compiledMapping) resolveVars(given map[string]string) (map[string]string, error) {
	if len(given) == 0 {
		return mk.defaults, nil
	}
	for name := range given {
		if _, ok := mk.vars[name]; !ok {
			return nil, mk.undeclaredVar(given)
		}
	}
	if hasAllKeys(given, mk.defaults) {
		return given, nil
	}
	vars := make(map[string]string, len(mk.vars))
	maps.Copy(vars, mk.defaults)
	maps.Copy(vars, given)
	return vars, nil
}

func hasAllKeys(m, of map[string]string) bool {
	for k := range of {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// undeclaredVar is the error for given variables the mapping does not
// declare; it names the first in alphabetical order.
func (mk *compiledMapping) undeclaredVar(given map[string]string) *Error {
	var names []string
	for name := range given {
		if _, ok := mk.vars[name]; !ok {
			names = append(names, name)
		}
	}
	sortStrings(names)
	return &Error{Kind: KindConfiguration, Code: CodeUnknownVariable,
		Message: fmt.Sprintf("variable %q is not declared by the %s mapping (%s)", names[0], mk.id, declaredVars(mk))}
}

// missingVar is the error for a variable an expression reads and the run
// does not set. Variables are required where they are read, so a run that
// overrides the base URL needs no base URL variable.
func (mk *compiledMapping) missingVar(name string, source diag.Pos, cause error) *Error {
	v := mk.vars[name]
	return &Error{Kind: KindConfiguration, Code: CodeMissingVariable, Source: source, Err: cause,
		Message: fmt.Sprintf("variable %s is not set; pass --var %s=%s or set %s (%s)", name, name, varExample(v), VarEnvName(mk.id, name), v.Description)}
}

func declaredVars(mk *compiledMapping) string {
	if len(mk.vars) == 0 {
		return "it declares no variables"
	}
	return "it declares: " + strings.Join(sortedVarNames(mk), ", ")
}

func sortedVarNames(mk *compiledMapping) []string {
	out := make([]string, 0, len(mk.vars))
	for k := range mk.vars {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func varExample(v mapping.Variable) string {
	if v.Example != "" {
		return v.Example
	}
	return "VALUE"
}
