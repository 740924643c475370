package engine

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"go.yaml.in/yaml/v3"
)

type tmplKind int

const (
	tLiteral tmplKind = iota // fixed JSON
	tExpr                    // ${ expr } alone: the value keeps its type
	tInterp                  // text with ${ } parts: a string
	tObject
	tArray
	tEach // $each / $value
)

// tmpl is a compiled template node. It is immutable after compilation.
type tmpl struct {
	kind   tmplKind
	pos    diag.Pos
	lit    []byte        // tLiteral: the JSON
	text   string        // tLiteral from a string scalar: the text (for paths, headers)
	as     string        // tEach: the name each element is bound to ($as, item)
	prog   *lang.Program // tExpr, tEach (the list)
	parts  []part        // tInterp
	fields []field       // tObject
	elems  []*tmpl       // tArray
	value  *tmpl         // tEach: the element template
}

type part struct {
	text string
	prog *lang.Program
}

type field struct {
	name     string
	key      []byte // JSON-encoded "name":
	optional bool
	pos      diag.Pos
	value    *tmpl
}

// compiler turns YAML template nodes into tmpl trees, collecting findings.
type compiler struct {
	file    *mapping.File
	src     *mapping.Mapping
	opts    lang.Options
	configs *lang.Configs
	ds      diag.List
}

func (c *compiler) errorf(pos diag.Pos, code diag.Code, format string, args ...any) {
	c.ds = append(c.ds, c.file.Diag(pos, code, format, args...))
}

// template compiles any template node.
func (c *compiler) template(n *yaml.Node) *tmpl {
	switch n.Kind {
	case yaml.AliasNode:
		return c.template(n.Alias)
	case yaml.MappingNode:
		if hasKey(n, "$each") {
			return c.each(n)
		}
		return c.object(n)
	case yaml.SequenceNode:
		t := &tmpl{kind: tArray, pos: c.file.Pos(n)}
		for _, e := range n.Content {
			t.elems = append(t.elems, c.template(e))
		}
		return t
	}
	return c.scalar(n)
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (c *compiler) object(n *yaml.Node) *tmpl {
	t := &tmpl{kind: tObject, pos: c.file.Pos(n)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, optional := strings.CutSuffix(k.Value, "?")
		key, _ := marshalString(name)
		t.fields = append(t.fields, field{name: name, key: append(key, ':'), optional: optional, pos: c.file.Pos(k), value: c.template(v)})
	}
	return t
}

func (c *compiler) each(n *yaml.Node) *tmpl {
	t := &tmpl{kind: tEach, pos: c.file.Pos(n)}
	var list, value *yaml.Node
	t.as = "item"
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i], n.Content[i+1]; k.Value {
		case "$each":
			list = v
		case "$value":
			value = v
		case "$as":
			if c.opts.Dialect == lang.Outbound && v.Value != "item" {
				c.errorf(c.file.Pos(v), diag.BadTemplate, "$as must be item when iterating the event's items (the loop variable is always item)")
			}
			t.as = v.Value
		default:
			c.errorf(c.file.Pos(k), diag.BadTemplate, "unexpected key %q next to $each; a list template has $each, $value and optionally $as", k.Value)
		}
	}
	if value == nil {
		c.errorf(t.pos, diag.BadTemplate, "$each needs $value: the template for each element")
		return t
	}
	t.prog = c.expr(list, lang.Options{})
	if t.prog != nil && c.opts.Dialect == lang.Outbound && !isItemList(t.prog) {
		c.errorf(c.file.Pos(list), diag.BadTemplate, "$each must give the event's items (items, or filter(items, ...)); it gives %v", t.prog.Type())
	}
	inner := *c
	inner.opts.InLoop = true
	inner.opts.Names = append(append([]string(nil), c.opts.Names...), t.as)
	inner.ds = nil
	t.value = inner.template(value)
	c.ds = append(c.ds, inner.ds...)
	return t
}

// expr compiles a whole scalar as one expression (conditions, lists).
func (c *compiler) expr(n *yaml.Node, extra lang.Options) *lang.Program {
	o := c.opts
	o.Bool = extra.Bool
	text := n.Value
	off := 0
	if inner, start, ok := wholeExpr(text); ok {
		text, off = inner, start
	}
	return c.compileWith(n, off, text, o)
}

func (c *compiler) scalar(n *yaml.Node) *tmpl {
	t := &tmpl{pos: c.file.Pos(n)}
	if n.Tag != "!!str" || !strings.Contains(n.Value, "${") {
		t.kind, t.lit, t.text = tLiteral, literalJSON(n), n.Value
		t.text = strings.ReplaceAll(t.text, "$${", "${")
		return t
	}
	if inner, start, ok := wholeExpr(n.Value); ok {
		t.kind = tExpr
		t.prog = c.compileAt(n, start, inner)
		return t
	}
	t.kind = tInterp
	t.parts = c.interpolation(n)
	return t
}

func (c *compiler) compileAt(n *yaml.Node, off int, text string) *lang.Program {
	return c.compileWith(n, off, text, c.opts)
}

// compileWith compiles the expression text found at byte offset off of n's
// value, without its surrounding blanks so that positions point at it.
func (c *compiler) compileWith(n *yaml.Node, off int, text string, o lang.Options) *lang.Program {
	trimmed := strings.TrimLeft(text, " \t\n")
	off += len(text) - len(trimmed)
	prog, ds := lang.Compile(exprSource(c.file, n, off, strings.TrimRight(trimmed, " \t\n")), o)
	c.ds = append(c.ds, ds...)
	return prog
}

func (c *compiler) interpolation(n *yaml.Node) []part {
	var parts []part
	s := n.Value
	for i := 0; i < len(s); {
		start := strings.Index(s[i:], "${")
		if start < 0 {
			parts = append(parts, part{text: s[i:]})
			break
		}
		start += i
		if start > 0 && s[start-1] == '$' {
			parts = append(parts, part{text: s[i:start-1] + "${"})
			i = start + 2
			continue
		}
		end := closing(s, start+2)
		if end < 0 {
			c.errorf(c.file.Pos(n), diag.BadTemplate, "unclosed ${ in %q; close it with }", s)
			return nil
		}
		if start > i {
			parts = append(parts, part{text: s[i:start]})
		}
		parts = append(parts, part{prog: c.compileAt(n, start+2, s[start+2:end])})
		i = end + 1
	}
	return parts
}

// wholeExpr reports whether s is exactly one ${ expr } (surrounding blanks
// allowed) and returns the expression and its byte offset in s.
func wholeExpr(s string) (string, int, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "${") || !strings.HasSuffix(t, "}") {
		return s, 0, false
	}
	start := strings.Index(s, "${") + 2
	end := closing(s, start)
	if end != strings.LastIndexByte(s, '}') {
		return s, 0, false
	}
	return s[start:end], start, true
}

// closing finds the } that closes an expression starting at i, skipping
// nested braces and quoted strings.
func closing(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '"', '\'', '`':
			j := skipQuoted(s, i)
			if j < 0 {
				return -1
			}
			i = j
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// literalJSON encodes a YAML scalar as JSON, keeping its YAML type.
func literalJSON(n *yaml.Node) []byte {
	switch n.Tag {
	case "!!null":
		return []byte("null")
	case "!!bool":
		if v, err := strconv.ParseBool(n.Value); err == nil {
			return strconv.AppendBool(nil, v)
		}
	case "!!int", "!!float":
		var v any
		if n.Decode(&v) == nil {
			b, err := marshalValue(nil, v)
			if err == nil {
				return b
			}
		}
	}
	b, _ := marshalString(strings.ReplaceAll(n.Value, "$${", "${"))
	return b
}

func isItemList(p *lang.Program) bool {
	t := p.Type()
	if t == nil || t.Kind() != reflect.Slice {
		return false
	}
	e := t.Elem()
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e.Name() == "Item"
}
