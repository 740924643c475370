package lang

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/tidwall/gjson"
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
		b.WriteString(jsonptr.Escape(s))
	}
	return b.String()
}

// located is an event path split into the event object it lies in and the
// gjson path inside that object, so a lookup scans a small object.
type located struct {
	obj  event.Object
	rest string
	// field is the struct field index path of a string field reached
	// through structs only (invoice.key, item.sku): it is read from the
	// decoded event, and counts as present when not empty.
	field []int
}

func locate(p Path) located {
	switch p.Root {
	case RootItem:
		return located{rest: p.GJSON(), field: stringField(itemType, p.Segs)}
	case RootEvent:
		obj, n := event.ObjectOf(p.Segs)
		return located{obj: obj, rest: Path{Segs: p.Segs[n:]}.GJSON(), field: stringField(eventType, p.Segs)}
	}
	return located{rest: p.GJSON()}
}

// stringField returns the index path of a string field reached through
// struct fields only, or nil.
func stringField(t reflect.Type, segs []string) []int {
	idx, _, kind, ok := fieldPath(t, segs)
	if !ok || kind != reflect.String {
		return nil
	}
	return idx
}

// fieldPath resolves segs through struct fields: the index path, and the
// kind at its end (string, int, or a map[string]string read at key).
func fieldPath(t reflect.Type, segs []string) (idx []int, key string, kind reflect.Kind, ok bool) {
	for i, s := range segs {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Map && i == len(segs)-1 && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String {
			return idx, s, reflect.Map, true
		}
		if t.Kind() != reflect.Struct {
			return nil, "", 0, false
		}
		f, found := fieldByTag(t, s)
		if !found {
			return nil, "", 0, false
		}
		idx = append(idx, f.Index...)
		t = f.Type
	}
	if len(segs) == 0 || (t.Kind() != reflect.String && t.Kind() != reflect.Int) {
		return nil, "", 0, false
	}
	return idx, "", t.Kind(), true
}

// lookup finds a located path in the event.
func (l located) lookup(e *event.Event) gjson.Result {
	if l.obj == event.ObjectNone && l.rest == "items" {
		return e.ItemsRaw()
	}
	return e.ObjectRaw(l.obj).Get(l.rest)
}

// text reads a located string field: its value and whether it is there.
func (l located) text(base reflect.Value) (string, bool) {
	s := base.FieldByIndex(l.field).String()
	return s, s != ""
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
