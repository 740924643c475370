package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/tidwall/gjson"
)

// renderer executes templates for one translation. It is per-call state:
// never shared between goroutines.
type renderer struct {
	mk        *compiledMapping
	env       any       // *lang.Env (outbound) or map[string]any (inbound)
	oenv      *lang.Env // set when outbound
	as        string    // inbound input name
	eachBase  []string  // inbound: where inputs sit in the payload (each: payload.x.y)
	index     int       // inbound: the input being rendered
	route     *route    // inbound: the route
	inOrderID bool      // inbound: rendering the route's orderId
	buf       []byte
	texts     []callText // outbound: the calls' text in buf, until published
	trace     *tracer
	where     []string // output location, kept only while tracing
}

// renderJSON renders a template to JSON bytes.
func (r *renderer) renderJSON(t *tmpl) ([]byte, error) {
	r.buf = r.buf[:0]
	if err := r.render(t); err != nil {
		return nil, err
	}
	return append([]byte(nil), r.buf...), nil
}

func (r *renderer) render(t *tmpl) error {
	switch t.kind {
	case tLiteral:
		r.buf = append(r.buf, t.lit...)
		r.traceValue(t, json.RawMessage(t.lit))
	case tExpr:
		return r.renderExpr(t)
	case tInterp:
		s, err := r.interpolate(t)
		if err != nil {
			return err
		}
		r.buf = appendString(r.buf, s)
		r.traceValue(t, s)
	case tObject:
		return r.renderObject(t)
	case tArray:
		return r.renderArray(t)
	case tEach:
		return r.renderEach(t)
	}
	return nil
}

func (r *renderer) renderExpr(t *tmpl) error {
	start := len(r.buf)
	if ok, err := r.rawChain(t.prog); ok || err != nil {
		if err == nil && r.trace != nil {
			r.traceValue(t, json.RawMessage(append([]byte(nil), r.buf[start:]...)))
		}
		return err
	}
	v, err := r.eval(t.prog)
	if err != nil {
		return err
	}
	if r.buf, err = appendValue(r.buf, v); err != nil {
		return r.fail(t.prog, CodeBadOutput, fmt.Sprintf("the expression's value cannot be written as JSON: %v", err), err)
	}
	if r.trace != nil {
		r.traceValue(t, json.RawMessage(append([]byte(nil), r.buf[start:]...)))
	}
	return nil
}

// rawChain writes a plain field read (invoice.key) without evaluating an
// expression: a string field from the decoded event, anything else as its
// JSON text. It reports false when the program is not such a read.
func (r *renderer) rawChain(p *lang.Program) (bool, error) {
	path, ok := p.Chain()
	if !ok || r.oenv == nil || (path.Root != lang.RootEvent && path.Root != lang.RootItem) {
		return false, nil
	}
	if s, present, isText := p.ChainText(r.oenv); isText {
		if !present {
			return false, r.convert(p, &lang.MissingError{Path: path, Pointer: path.Pointer(r.oenv.ItemIndex())})
		}
		r.buf = appendString(r.buf, s)
		return true, nil
	}
	v := p.ChainValue(r.oenv)
	if !v.Exists() || v.Type == gjson.Null {
		return false, r.convert(p, &lang.MissingError{Path: path, Pointer: path.Pointer(r.oenv.ItemIndex())})
	}
	r.buf = append(r.buf, v.Raw...)
	return true, nil
}

func (r *renderer) renderObject(t *tmpl) error {
	r.buf = append(r.buf, '{')
	first := true
	for i := range t.fields {
		f := &t.fields[i]
		if f.optional && r.absent(f.value) {
			r.traceOmitted(f)
			continue
		}
		mark := len(r.buf)
		if !first {
			r.buf = append(r.buf, ',')
		}
		r.buf = append(r.buf, f.key...)
		valueAt := len(r.buf)
		r.push(f.name)
		err := r.render(f.value)
		r.pop()
		if err != nil && !(f.optional && isMissing(err)) {
			return err
		}
		if f.optional && (err != nil || string(r.buf[valueAt:]) == "null") {
			r.buf = r.buf[:mark]
			r.traceOmitted(f)
			continue
		}
		first = false
	}
	r.buf = append(r.buf, '}')
	return nil
}

// absent reports whether an expression template reads an event field the
// event lacks, which omits an optional key without building an error.
func (r *renderer) absent(t *tmpl) bool {
	return t.kind == tExpr && r.oenv != nil && !t.prog.Complete(r.oenv)
}

// isMissing reports whether err is an absent event field or an unset
// optional variable: what makes an optional key be omitted.
func isMissing(err error) bool {
	var m *lang.MissingError
	return errors.As(err, &m)
}

func (r *renderer) renderArray(t *tmpl) error {
	r.buf = append(r.buf, '[')
	for i, e := range t.elems {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.push(strconv.Itoa(i))
		err := r.render(e)
		r.pop()
		if err != nil {
			return err
		}
	}
	r.buf = append(r.buf, ']')
	return nil
}

func (r *renderer) renderEach(t *tmpl) error {
	var items []*event.Item
	var list any
	var err error
	if r.isItems(t.prog) {
		if m := t.prog.Missing(r.oenv); m != nil {
			return r.convert(t.prog, m)
		}
		items = r.oenv.Items
	} else if list, err = r.run(t.prog); err != nil {
		return err
	}
	r.buf = append(r.buf, '[')
	if r.oenv != nil {
		if items == nil {
			items, _ = list.([]*event.Item)
		}
		err = r.eachItem(t, items)
	} else {
		err = r.eachValue(t, list)
	}
	r.buf = append(r.buf, ']')
	return err
}

// isItems reports whether a $each list is the event's items, which are read
// directly rather than evaluated.
func (r *renderer) isItems(p *lang.Program) bool {
	path, ok := p.Chain()
	return ok && r.oenv != nil && path.Root == lang.RootEvent && len(path.Segs) == 1 && path.Segs[0] == "items"
}

func (r *renderer) eachItem(t *tmpl, items []*event.Item) error {
	saved := r.oenv.Item
	defer func() { r.oenv.Item = saved }()
	for i := range items {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.oenv.Item = items[i]
		r.push(strconv.Itoa(i))
		err := r.render(t.value)
		r.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) eachValue(t *tmpl, v any) error {
	list, ok := v.([]any)
	if !ok && v != nil {
		return r.fail(t.prog, CodeBadOutput, "$each must give a list, got "+lang.TypeWords(fmt.Sprintf("%T", v)), nil)
	}
	m := r.env.(map[string]any)
	saved, had := m[t.as]
	defer func() {
		if had {
			m[t.as] = saved
		} else {
			delete(m, t.as)
		}
	}()
	for i, e := range list {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		m[t.as] = e
		r.push(strconv.Itoa(i))
		err := r.render(t.value)
		r.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

// renderString renders a template that must give text: a path, a header,
// a message. Literal scalars of any YAML type read as their text.
func (r *renderer) renderString(t *tmpl) (string, error) {
	switch t.kind {
	case tLiteral:
		return t.text, nil
	case tInterp:
		return r.interpolate(t)
	case tExpr:
		v, err := r.eval(t.prog)
		if err != nil {
			return "", err
		}
		return r.text(t.prog, v)
	}
	return "", fmt.Errorf("%s: expected text", t.pos)
}

func (r *renderer) interpolate(t *tmpl) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := r.eval(p.prog)
		if err != nil {
			return "", err
		}
		s, err := r.text(p.prog, v)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func (r *renderer) text(p *lang.Program, val lang.Value) (string, error) {
	if s, ok := val.Str(); ok {
		return s, nil
	}
	if n, ok := val.Int(); ok {
		return strconv.Itoa(n), nil
	}
	switch x := val.Interface().(type) {
	case string:
		return x, nil
	case int, int64, bool:
		return fmt.Sprint(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", r.fail(p, CodeBadOutput, "the expression gave no value (nil) where text is needed", nil)
	}
	return "", r.fail(p, CodeBadOutput, "the expression gave "+lang.TypeWords(fmt.Sprintf("%T", val.Interface()))+" where text is needed", nil)
}

// run evaluates a program and converts its failure into an *Error that
// names the event field and the mapping position.
func (r *renderer) run(p *lang.Program) (any, error) {
	v, err := p.Run(r.env)
	if err != nil {
		return nil, r.convert(p, err)
	}
	return v, nil
}

// eval is run without boxing the value, for outbound programs.
func (r *renderer) eval(p *lang.Program) (lang.Value, error) {
	if r.oenv == nil {
		v, err := r.run(p)
		return lang.ValueOf(v), err
	}
	v, err := p.Eval(r.oenv)
	if err != nil {
		return lang.Value{}, r.convert(p, err)
	}
	return v, nil
}

func (r *renderer) runBool(p *lang.Program) (bool, error) {
	v, err := r.eval(p)
	if err != nil {
		return false, err
	}
	b, _ := v.Bool()
	return b, nil
}

func (r *renderer) convert(p *lang.Program, err error) error {
	src := p.Source().Pos
	var miss *lang.MissingError
	var table *lang.TableMissError
	var conv *lang.ConvertError
	switch {
	case errors.As(err, &miss) && miss.Path.Root == lang.RootVars:
		return r.mk.missingVar(miss.Path.Segs[0], src, err)
	case errors.As(err, &miss) && miss.Path.Root == lang.RootInbound && miss.Path.Segs[0] == "vars" && len(miss.Path.Segs) > 1:
		return r.mk.missingVar(miss.Path.Segs[1], src, err)
	case errors.As(err, &miss) && miss.Path.Root == lang.RootInbound:
		return r.inboundMissing(miss.Path, src, err)
	case errors.As(err, &miss) && miss.Path.Root == lang.RootCurrent:
		return &Error{Kind: KindInvalidEvent, Code: CodeMissingField, Path: miss.Pointer, Source: src, Err: err,
			Message: fmt.Sprintf("the %s mapping needs the order's current status: %s", r.mk.id, miss)}
	case errors.As(err, &miss):
		return &Error{Kind: KindInvalidEvent, Code: CodeMissingField, Path: miss.Pointer, Source: src, Err: err,
			Message: fmt.Sprintf("the %s mapping needs %s, which the event lacks", r.mk.id, miss.Path)}
	case errors.As(err, &table):
		table.Key = strings.Clone(table.Key) // the error outlives the event
		return &Error{Kind: KindRejected, Code: CodeNoTableEntry, Path: r.firstPointer(p), Source: src, Err: err,
			Message: fmt.Sprintf("%s does not accept %q: value table %s has no entry for it (it has: %s)", r.mk.name, table.Key, table.Table, strings.Join(sortedKeys(r.mk.lib.Tables[table.Table]), ", "))}
	case errors.As(err, &conv):
		if s, ok := conv.Value.(string); ok {
			conv.Value = strings.Clone(s) // the error outlives the event
		}
		return &Error{Kind: KindInvalidEvent, Code: CodeBadValue, Path: r.firstPointer(p), Source: src, Err: err, Message: conv.Error()}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindMapping, Code: CodeExpressionFailed, Source: src, Err: err,
		Message: fmt.Sprintf("expression %q failed: %s", p.Source().Text, firstLine(err.Error()))}
}

// inboundPointer turns a path read from an inbound name into a JSON pointer
// into the payload: payload.a → /a; input.b → /<each path>/<index>/b when
// the inputs come from a plain each: payload.list.
func (r *renderer) inboundPointer(p lang.Path) string {
	if len(p.Segs) == 0 {
		return ""
	}
	segs := p.Segs[1:]
	switch {
	case p.Segs[0] == "payload":
	case p.Segs[0] == r.as && r.eachBase != nil:
		segs = append(append(append([]string(nil), r.eachBase...), strconv.Itoa(r.index)), segs...)
	default:
		return ""
	}
	return lang.Path{Segs: segs}.Pointer(0)
}

func (r *renderer) fail(p *lang.Program, code, msg string, cause error) error {
	return &Error{Kind: KindMapping, Code: code, Message: msg, Source: p.Source().Pos, Err: cause}
}

func (r *renderer) firstPointer(p *lang.Program) string {
	idx := 0
	if r.oenv != nil {
		idx = r.oenv.ItemIndex()
	}
	for _, rd := range p.Reads() {
		switch rd.Root {
		case lang.RootVars:
		case lang.RootInbound: // a name of the route: only payload reads have a pointer
			if ptr := r.inboundPointer(rd); ptr != "" {
				return ptr
			}
		default:
			return rd.Pointer(idx)
		}
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// at sets the output location, kept only while tracing.
func (r *renderer) at(where ...string) {
	if r.trace != nil {
		r.where = append(r.where[:0], where...)
	}
}

func (r *renderer) push(s string) {
	if r.trace != nil {
		r.where = append(r.where, s)
	}
}

func (r *renderer) pop() {
	if r.trace != nil {
		r.where = r.where[:len(r.where)-1]
	}
}

func (r *renderer) traceValue(t *tmpl, v any) {
	if r.trace == nil {
		return
	}
	r.trace.field(r.where, t, v)
}

func (r *renderer) traceOmitted(f *field) {
	if r.trace == nil {
		return
	}
	r.trace.omitted(append(r.where, f.name), f.pos)
}

// envName is how rota names a marketplace's setting in the environment:
// PREFIX<MARKETPLACE>_<NAME>, upper case, - as _.
func envName(prefix, market, name string) string {
	up := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
	return prefix + up(market) + "_" + up(name)
}
