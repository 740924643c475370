package lang

import (
	"strconv"
	"strings"
)

// Root says what a Path starts from.
type Root int

// Roots of a path.
const (
	RootEvent   Root = iota // the canonical event: order.id, invoice.key
	RootItem                // the current item inside $each: item.sku
	RootVars                // a run-time variable: vars.baseUrl
	RootCurrent             // the order's resolved native status: current
	RootInbound             // a name of an inbound payload: input.items, payload.x
)

// Path is a chain of field names an expression reads, such as
// order.marketplaceOrderId or item.marketplaceItemId.
type Path struct {
	Root Root
	// Segs are the field names (or array indexes) below the root, in JSON
	// naming; for RootItem and RootVars the root name itself is not included.
	Segs []string
}

// String renders the path as written in a mapping (invoice.key, item.sku).
func (p Path) String() string {
	switch p.Root {
	case RootItem:
		return "item." + strings.Join(p.Segs, ".")
	case RootVars:
		return "vars." + strings.Join(p.Segs, ".")
	case RootCurrent:
		return "current"
	}
	return strings.Join(p.Segs, ".")
}

// GJSON is the path in gjson syntax, relative to its root's JSON.
func (p Path) GJSON() string {
	var b strings.Builder
	for i, s := range p.Segs {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(escapeGJSON(s))
	}
	return b.String()
}

// Pointer is the JSON pointer of the path in the event; itemIndex is used for
// RootItem paths.
func (p Path) Pointer(itemIndex int) string {
	var b strings.Builder
	if p.Root == RootCurrent {
		return "/order/marketplaceStatus"
	}
	if p.Root == RootItem {
		b.WriteString("/items/")
		b.WriteString(strconv.Itoa(itemIndex))
	}
	for _, s := range p.Segs {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func escapeGJSON(s string) string {
	if !strings.ContainsAny(s, ".*?|#@\\!=<>%") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(".*?|#@\\!=<>%", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (p Path) equal(q Path) bool {
	if p.Root != q.Root || len(p.Segs) != len(q.Segs) {
		return false
	}
	for i := range p.Segs {
		if p.Segs[i] != q.Segs[i] {
			return false
		}
	}
	return true
}

// covers reports whether p is q or a prefix of q (invoice covers invoice.key).
func (p Path) covers(q Path) bool {
	if p.Root != q.Root || len(p.Segs) > len(q.Segs) {
		return false
	}
	for i := range p.Segs {
		if p.Segs[i] != q.Segs[i] {
			return false
		}
	}
	return true
}
