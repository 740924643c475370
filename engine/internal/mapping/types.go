package mapping

import (
	"fmt"

	"github.com/rotahq/rota/engine/diag"
	"go.yaml.in/yaml/v3"
)

// Expr is an expression written as a YAML scalar, with its node kept for
// positions.
type Expr struct {
	Text string
	Node *yaml.Node
}

// UnmarshalYAML keeps the scalar and its node.
func (e *Expr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: an expression must be a single value", n.Line)
	}
	e.Text, e.Node = n.Value, n
	return nil
}

// Map is a YAML mapping that keeps its keys in file order and the position
// of each key.
type Map[T any] struct {
	Keys   []string
	Values map[string]T
	KeyPos map[string]diag.Pos
}

// UnmarshalYAML decodes a mapping node, keeping key order and positions.
func (m *Map[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	m.Values = make(map[string]T, len(n.Content)/2)
	m.KeyPos = make(map[string]diag.Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var val T
		if err := v.Decode(&val); err != nil {
			return err
		}
		m.Keys = append(m.Keys, k.Value)
		m.Values[k.Value] = val
		m.KeyPos[k.Value] = diag.Pos{Line: k.Line, Col: k.Column}
	}
	return nil
}

// Len is the number of entries.
func (m Map[T]) Len() int { return len(m.Keys) }

// Get returns the value for key.
func (m Map[T]) Get(key string) (T, bool) {
	v, ok := m.Values[key]
	return v, ok
}
