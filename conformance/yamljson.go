package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"go.yaml.in/yaml/v3"
)

// yamlDoc is a YAML document turned into the value a JSON decoder would give
// (numbers as json.Number), with the position of every value and key by
// JSON pointer, so that problems found in the value point into the file.
type yamlDoc struct {
	file   string
	value  any
	values map[string]diag.Pos
	keys   map[string]diag.Pos
	budget int                 // values convert may still produce
	active map[*yaml.Node]bool // aliases being expanded (cycle check)
}

// maxCaseValues bounds how many values a case file may expand to, so that
// an alias that refers to itself, or aliases nested deep, cannot make
// loading loop or explode (the mapping loader has the same bound).
const maxCaseValues = 50_000

var errTooLarge = errors.New("too many values")

// parseYAML decodes src. A syntax error comes back as a positioned problem.
func parseYAML(file string, src []byte) (*yamlDoc, *Problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, syntaxProblem(file, src, err)
	}
	start := diag.Pos{File: file, Line: 1, Col: 1}.String()
	if len(root.Content) == 0 {
		return nil, &Problem{Pos: start, Message: "the file is empty"}
	}
	d := &yamlDoc{file: file, values: map[string]diag.Pos{}, keys: map[string]diag.Pos{}, budget: maxCaseValues, active: map[*yaml.Node]bool{}}
	v, err := d.convert(root.Content[0], "")
	if err != nil {
		return nil, &Problem{Pos: start, Message: fmt.Sprintf("the file expands to more than %d values (an alias that refers to itself, or aliases nested too deep); write the values out instead", maxCaseValues)}
	}
	d.value = v
	return d, nil
}

// syntaxProblem reports a YAML syntax error as the mapping loader does, the
// YAML being the same: at the line the parser means (it counts some errors
// from 0), with what to do about it.
func syntaxProblem(file string, src []byte, err error) *Problem {
	if _, _, ds := engine.LoadMapping(file, src); len(ds) > 0 && ds[0].Code == diag.YAMLSyntax {
		return &Problem{Pos: ds[0].Pos.String(), Message: "YAML syntax: " + ds[0].Message}
	}
	return &Problem{Pos: diag.Pos{File: file, Line: 1, Col: 1}.String(), Message: "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// convert turns n into the value a JSON decoder would give, recording the
// position of every value and key under its JSON pointer. It fails with
// errTooLarge on an alias cycle or past maxCaseValues values.
func (d *yamlDoc) convert(n *yaml.Node, ptr string) (any, error) {
	if d.budget--; d.budget < 0 {
		return nil, errTooLarge
	}
	d.values[ptr] = diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		if d.active[n.Alias] {
			return nil, errTooLarge
		}
		d.active[n.Alias] = true
		defer delete(d.active, n.Alias)
		return d.convert(n.Alias, ptr)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := ptr + "/" + escapePointer(k.Value)
			d.keys[p] = diag.Pos{File: d.file, Line: k.Line, Col: k.Column}
			v, err := d.convert(n.Content[i+1], p)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := d.convert(c, ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	return scalarValue(n), nil
}

// scalarValue gives a YAML scalar as JSON would hold it.
func scalarValue(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	switch x := v.(type) {
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

// pos returns the position of the value at ptr, or of the nearest enclosing
// value that has one.
func (d *yamlDoc) pos(ptr string) string {
	for {
		if p, ok := d.values[ptr]; ok {
			return p.String()
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return diag.Pos{File: d.file, Line: 1, Col: 1}.String()
		}
		ptr = ptr[:i]
	}
}

// keyPos returns the position of the key of the member at ptr, falling back
// to the value's position.
func (d *yamlDoc) keyPos(ptr string) string {
	if p, ok := d.keys[ptr]; ok {
		return p.String()
	}
	return d.pos(ptr)
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
