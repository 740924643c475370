package mapping

import (
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/schemaerr"
	"github.com/rotahq/rota/engine/internal/yamldoc"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"
)

// maxSalvageRounds bounds how many times Salvage removes what the schema
// refuses and checks again; each round costs one validation of the file.
const maxSalvageRounds = 8

// Salvage keeps what is well-formed of a file the schema refuses, so that
// lint can check the rest in the same run: it removes from a fresh copy of
// the document each value the schema refuses (an unknown key, a value of
// the wrong type, an object that lacks a required key), checks again, and
// decodes what is left. It returns that File, whose positions are those of
// the original source, and the JSON pointers of the values removed; or nil
// when the document does not parse, its top level is what is refused, or
// it is still refused after maxSalvageRounds rounds. Findings of the
// returned File's content say nothing of the removed values: the caller
// reports the schema's findings for those.
func Salvage(path string, src []byte, schema *jsonschema.Schema) (*File, []string) {
	var doc yaml.Node
	if schema == nil || yaml.Unmarshal(src, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	f := &File{Path: path, Src: src, Lines: diag.SplitLines(src), Root: doc.Content[0]}
	var removed []string
	for range maxSalvageRounds {
		d, err := yamldoc.Convert(path, f.Lines, f.Root)
		if err != nil {
			return nil, nil
		}
		f.doc = d
		leaves := schemaerr.Leaves(schema.Validate(d.Value))
		if len(leaves) == 0 {
			var m Mapping
			if f.Root.Decode(&m) != nil {
				return nil, nil
			}
			f.Mapping = &m
			return f, removed
		}
		ptrs, ok := f.removeRefused(leaves)
		if !ok {
			return nil, nil
		}
		removed = append(removed, ptrs...)
	}
	return nil, nil
}

// removeRefused removes the value each leaf refuses; it reports false when
// one cannot be removed (the document itself is refused).
func (f *File) removeRefused(leaves []schemaerr.Leaf) ([]string, bool) {
	var ptrs []string
	for _, l := range leaves {
		ptr := l.Pointer
		if l.Keyword == "required" {
			ptr = jsonptr.Parent(ptr) // the object that lacks the key
		}
		if ptr == "" || coveredBy(ptr, ptrs) {
			continue
		}
		ptrs = append(ptrs, ptr)
	}
	if len(ptrs) == 0 {
		return nil, false
	}
	// Look every node up before removing any: removing list items shifts
	// the indexes of the pointers that follow.
	// A value repeated by aliases is one node under several pointers: it
	// is removed once.
	type target struct{ container, child *yaml.Node }
	targets := make([]target, 0, len(ptrs))
	seen := map[*yaml.Node]bool{}
	for _, p := range ptrs {
		c, v := f.node(jsonptr.Parent(p)), f.node(p)
		if c == nil || v == nil {
			return nil, false
		}
		if !seen[v] {
			seen[v] = true
			targets = append(targets, target{c, v})
		}
	}
	for _, t := range targets {
		if !removeChild(t.container, t.child) {
			return nil, false
		}
	}
	return ptrs, true
}

// coveredBy reports whether ptr is one of ptrs or inside one of them.
func coveredBy(ptr string, ptrs []string) bool {
	for _, p := range ptrs {
		if ptr == p || strings.HasPrefix(ptr, p+"/") {
			return true
		}
	}
	return false
}

// removeChild removes child (or an alias of it) from a mapping, with its
// key, or from a sequence.
func removeChild(container, child *yaml.Node) bool {
	is := func(n *yaml.Node) bool { return n == child || (n.Kind == yaml.AliasNode && n.Alias == child) }
	switch container.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(container.Content); i += 2 {
			if is(container.Content[i+1]) {
				container.Content = append(container.Content[:i], container.Content[i+2:]...)
				return true
			}
		}
	case yaml.SequenceNode:
		for i, n := range container.Content {
			if is(n) {
				container.Content = append(container.Content[:i], container.Content[i+1:]...)
				return true
			}
		}
	case yaml.AliasNode:
		return removeChild(container.Alias, child)
	}
	return false
}
