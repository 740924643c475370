package conformance

import (
	"encoding/json"
	"strconv"
	"strings"

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
}

// parseYAML decodes src. A syntax error comes back as a positioned problem.
func parseYAML(file string, src []byte) (*yamlDoc, *Problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, &Problem{Pos: syntaxPos(file, err), Message: "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	d := &yamlDoc{file: file, values: map[string]diag.Pos{}, keys: map[string]diag.Pos{}}
	if len(root.Content) == 0 {
		return nil, &Problem{Pos: diag.Pos{File: file, Line: 1, Col: 1}.String(), Message: "the file is empty"}
	}
	d.value = d.convert(root.Content[0], "")
	return d, nil
}

// syntaxPos reads the line out of a yaml.v3 error ("yaml: line 7: ...").
func syntaxPos(file string, err error) string {
	line := 1
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+len("line "):]
		if j := strings.IndexByte(rest, ':'); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil {
				line = n
			}
		}
	}
	return diag.Pos{File: file, Line: line, Col: 1}.String()
}

func (d *yamlDoc) convert(n *yaml.Node, ptr string) any {
	d.values[ptr] = diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		return d.convert(n.Alias, ptr)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := ptr + "/" + escapePointer(k.Value)
			d.keys[p] = diag.Pos{File: d.file, Line: k.Line, Col: k.Column}
			m[k.Value] = d.convert(n.Content[i+1], p)
		}
		return m
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			a[i] = d.convert(c, ptr+"/"+strconv.Itoa(i))
		}
		return a
	}
	return scalarValue(n)
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
