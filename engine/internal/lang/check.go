package lang

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/event"
)

var (
	eventType = reflect.TypeOf(event.Event{})
	itemType  = reflect.TypeOf(event.Item{})
)

// envInfo describes the names an expression may use.
type envInfo struct {
	dialect Dialect
	inLoop  bool
	vars    map[string]bool
	names   []string // Inbound: the names in scope
}

func (e envInfo) rootPath(name string, segs []string) (Path, bool) {
	if e.dialect == Inbound && slices.Contains(e.names, name) {
		return Path{Root: RootInbound, Segs: append([]string{name}, segs...)}, true
	}
	if e.dialect != Outbound {
		return Path{}, false
	}
	switch name {
	case "item":
		return Path{Root: RootItem, Segs: segs}, true
	case "vars":
		return Path{Root: RootVars, Segs: segs}, true
	case "current":
		return Path{Root: RootCurrent, Segs: segs}, true
	}
	if _, ok := fieldByTag(eventType, name); ok {
		return Path{Root: RootEvent, Segs: append([]string{name}, segs...)}, true
	}
	return Path{}, false
}

// checkPath verifies that p names a field of the canonical event (or a
// declared variable) and returns a message for a person when it does not.
func (e envInfo) checkPath(p Path) (string, bool) {
	switch p.Root {
	case RootInbound:
		return "", true
	case RootItem:
		if !e.inLoop {
			return "item is defined only inside a $each over items", false
		}
		return walkType(itemType, "item", p.Segs)
	case RootCurrent:
		if len(p.Segs) > 0 {
			return "current is the order's status code (a string); it has no fields", false
		}
		return "", true
	case RootVars:
		if len(p.Segs) == 0 {
			return "", true
		}
		if !e.vars[p.Segs[0]] {
			return fmt.Sprintf("unknown variable vars.%s%s; declare it under variables:", p.Segs[0], suggest(p.Segs[0], keysOf(e.vars), "vars.")), false
		}
		return "", true
	}
	return walkType(eventType, "", p.Segs)
}

func walkType(t reflect.Type, prefix string, segs []string) (string, bool) {
	at := prefix
	for _, s := range segs {
		next, msg := step(t, at, s)
		if msg != "" {
			return msg, false
		}
		t = next
		at = join(at, s)
	}
	return "", true
}

func step(t reflect.Type, at, seg string) (reflect.Type, string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		f, ok := fieldByTag(t, seg)
		if !ok {
			return nil, fmt.Sprintf("unknown field %s in the canonical event%s", join(at, seg), suggest(seg, fieldNames(t), prefixOf(at)))
		}
		return f.Type, ""
	case reflect.Map:
		return t.Elem(), ""
	case reflect.Slice:
		if _, err := strconv.Atoi(seg); err != nil {
			return nil, fmt.Sprintf("%s is a list; index it with a number (%s[0]) or use $each", at, at)
		}
		return t.Elem(), ""
	}
	return nil, fmt.Sprintf("%s is %s and has no field %s", at, withArticle(typeWords(t.String())), seg)
}

func join(at, seg string) string {
	if at == "" {
		return seg
	}
	return at + "." + seg
}

func prefixOf(at string) string {
	if at == "" {
		return ""
	}
	return at + "."
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns ` (did you mean 'x'?)` for the closest candidate within a
// small edit distance, or "".
func suggest(got string, candidates []string, prefix string) string {
	best := diag.Closest(got, candidates)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean '%s%s'?)", prefix, best)
}
