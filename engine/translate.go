package engine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"sync"
	"unsafe"

	"github.com/rotahq/rota/engine/event"
	"github.com/rotahq/rota/engine/lang"
	"github.com/rotahq/rota/engine/mapping"
)

// Outcome says what translation decided.
type Outcome string

// Outcomes of a translation: send has one or more calls; ignore has none
// and a reason (the rule's ignore, or its otherwise when every call was
// skipped by its when).
const (
	OutcomeSend   Outcome = "send"
	OutcomeIgnore Outcome = "ignore"
)

// TranslateOptions tune one translation. The zero value validates the event
// and targets the production environment.
type TranslateOptions struct {
	// Marketplace overrides the event's marketplace field.
	Marketplace string
	// Environment names the mapping environment (default production, or the
	// mapping's only environment).
	Environment string
	// Vars are the run-time variables the mapping declares.
	Vars map[string]string
	// BaseURL, when set, replaces the environment's base URL (to point calls
	// at a simulator). It is the operator's choice, so allowedHosts do not apply.
	BaseURL string
	// SkipValidation skips the canonical schema check for callers that have
	// validated the event already. Missing fields are still reported, and
	// the limits of docs/limits.md, the path, header and host checks apply
	// all the same.
	SkipValidation bool
}

// Result is what an event translates into. It holds nothing of the event
// passed in or of the engine's buffers: the caller may keep it, and change
// a call's body in place or append to it, without affecting anything else.
// Headers are read-only and may be shared between results.
type Result struct {
	Marketplace string  `json:"marketplace"`
	EventID     string  `json:"eventId"`
	EventType   string  `json:"eventType"`
	Outcome     Outcome `json:"outcome"`
	// Reason says why the outcome is ignore.
	Reason string `json:"reason,omitempty"`
	// Calls are the requests to make, in order.
	Calls []Call `json:"calls"`
}

// Call is one outbound request, without credentials: auth headers and
// signatures are added when it is sent.
type Call struct {
	Name    string  `json:"name"`
	Method  string  `json:"method"`
	URL     string  `json:"url"`
	Headers Headers `json:"headers"`
	// Body is the JSON body itself (absent for calls without one).
	Body json.RawMessage `json:"body,omitempty"`
	// MarketplaceStatus is the marketplace status a successful call leads to.
	MarketplaceStatus string `json:"marketplaceStatus,omitempty"`
	// ContentType, BodyText, BodyBase64, Parts and Encoded describe a
	// body that is not JSON (raw, form, multipart; Body is then nil):
	// its media type (also in Headers, unless the call's own header
	// overrides it), its bytes as text when they are valid UTF-8, else in
	// base64 (standard, padded), a multipart body's parts, and the exact
	// bytes sent (BodyBytes returns them). See bodies.go.
	ContentType string `json:"contentType,omitempty"`
	BodyText    string `json:"bodyText,omitempty"`
	BodyBase64  string `json:"bodyBase64,omitempty"`
	Parts       []Part `json:"parts,omitempty"`
	Encoded     []byte `json:"-"`

	plan    *callPlan
	market  *market
	confirm *Confirmation
	// The read-back query, rendered with the call (see Call.ReadBack).
	rbPlan    *readBackPlan
	rbURL     string
	rbBody    json.RawMessage
	rbHeaders Headers
}

// Translate turns one canonical event (JSON) into the calls its marketplace
// expects, or an *Error saying why not. It is safe for concurrent use.
func (e *Engine) Translate(raw []byte, o TranslateOptions) (*Result, error) {
	res, _, err := e.translate(raw, o, nil, nil)
	return res, err
}

// TranslateInto is Translate writing its result into res, for callers that
// translate many events one after another and send each result before the
// next: it reuses res and the array of res.Calls, when large enough, so a
// translation allocates only the text of the new calls. That text is always
// new, never written over: URLs, bodies and other strings taken from an
// earlier result, and copies of its Call values, stay as they were. What
// refers to res itself, the Calls slice or a pointer into it, sees the new
// result. When it returns an error, res holds what Translate would have
// returned with that error, or nothing. res must not be nil, and each
// goroutine needs its own.
func (e *Engine) TranslateInto(res *Result, raw []byte, o TranslateOptions) error {
	out, _, err := e.translate(raw, o, nil, res)
	if out == nil {
		reuseResult(res, 0)
	}
	return err
}

// translation is the per-call state of one translation, pooled so that a
// translation allocates little beyond its result.
//
// The event is decoded from in, a copy of the caller's bytes that the next
// translation overwrites, so the decoded strings point into it; the strings
// evaluation builds (dates, joined text) point into env's text buffer, which
// the next translation overwrites too (lang.Env.ResetText). Whatever a
// translation returns (results, errors and their causes) must hold its own
// copies, never those strings: URLs and bodies are copied out of the
// renderer's buffer (publish), and values taken whole from evaluation are
// cloned where they leave (Result.EventID, header values, guard messages,
// the values named in errors).
type translation struct {
	env lang.Env
	r   renderer
	in  []byte
}

var translations = sync.Pool{New: func() any { return new(translation) }}

// maxPooledInput is the largest input buffer a pooled translation keeps;
// a larger event's copy is left to the garbage collector.
const maxPooledInput = 64 << 10

// poisonInput, set by tests, overwrites each input copy, output buffer and
// the text that evaluation built when its translation ends, so that a
// result still pointing into any of them shows up as garbage.
var poisonInput bool

func (t *translation) release() {
	// The event is reset when the next translation decodes into it.
	t.env.Item, t.env.Vars, t.env.Current = nil, nil, ""
	t.env.ResetText(poisonInput)
	buf, texts := t.r.buf, t.r.texts[:0]
	if poisonInput {
		poison(t.in)
		poison(buf[:cap(buf)])
	}
	if cap(t.in) > maxPooledInput {
		t.in = nil
	}
	if cap(buf) > maxPooledInput {
		buf = nil
	}
	t.r = renderer{buf: buf[:0], texts: texts}
	translations.Put(t)
}

func poison(b []byte) {
	for i := range b {
		b[i] = '#'
	}
}

// input returns the event text to decode: a view of the translation's own
// copy of raw, or, when tracing (a trace keeps event values), a new string.
func (t *translation) input(raw []byte, tr *tracer) string {
	if tr != nil {
		return string(raw)
	}
	t.in = append(t.in[:0], raw...)
	return unsafe.String(unsafe.SliceData(t.in), len(t.in))
}

// translate translates raw into into, when it is not nil, or into a new
// Result.
func (e *Engine) translate(raw []byte, o TranslateOptions, tr *tracer, into *Result) (*Result, *market, error) {
	t := translations.Get().(*translation)
	defer t.release()
	t.env.OwnText(tr != nil) // a trace keeps evaluated values
	if err := e.decode(&t.env.Event, t.input(raw, tr), o.SkipValidation); err != nil {
		return nil, nil, err
	}
	ev := &t.env.Event
	id := ev.Marketplace
	if o.Marketplace != "" {
		id = o.Marketplace
	}
	mk, err := e.market(id)
	if err != nil {
		if o.Marketplace == "" {
			err.(*Error).Path = "/marketplace"
		}
		return nil, nil, err
	}
	res, err := mk.translate(t, o, tr, into)
	return res, mk, err
}

// decode checks the event's text (scanInput: syntax, limits, UTF-8,
// numbers, even when validation is skipped), validates it unless skip, and
// decodes it into ev.
func (e *Engine) decode(ev *event.Event, s string, skip bool) error {
	s, err := scanInput(s)
	if err != nil {
		return err
	}
	if !skip {
		doc, err := buildTree(s, false)
		if err != nil {
			return err
		}
		if err := validateDoc(doc); err != nil {
			return err
		}
	}
	if !event.DecodeInto(ev, s) {
		return &Error{Kind: KindInvalidEvent, Code: CodeWrongType, Message: "an event is a JSON object"}
	}
	return nil
}

func (e *Engine) market(id string) (*market, error) {
	mk, ok := e.markets[id]
	if !ok {
		return nil, &Error{Kind: KindUnknownMarketplace, Code: CodeUnknownMarketplace,
			Message: fmt.Sprintf("no mapping for marketplace %q; loaded: %s", id, strings.Join(e.ids, ", "))}
	}
	return mk, nil
}

func (mk *market) translate(t *translation, o TranslateOptions, tr *tracer, into *Result) (*Result, error) {
	ev := &t.env.Event
	ru, err := mk.rule(ev.Type, tr)
	res := into
	if res == nil {
		res = newResult(ru)
	} else {
		reuseResult(res, ru.callCount())
	}
	res.Marketplace = mk.id
	if err != nil || ru.ignore != "" {
		res.EventID, res.EventType = cloneTwo(ev.ID, ev.Type)
		if ru != nil {
			res.Outcome, res.Reason = OutcomeIgnore, ru.ignore
		}
		return res, err
	}
	res.EventType = ru.eventType
	vars, err := mk.resolveVars(o.Vars)
	if err != nil {
		return nil, err
	}
	r := &t.r
	r.mk, r.trace = mk, tr
	t.env.Vars = vars
	r.oenv, r.env = &t.env, &t.env
	t.env.Current = mk.currentStatus(&t.env)
	if err := mk.checkGuards(r, ru.guards); err != nil {
		return nil, err
	}
	base, err := mk.baseURL(r, o)
	if err != nil {
		return nil, err
	}
	res.Outcome = OutcomeSend
	r.buf = append(r.buf[:0], ev.ID...)
	res.Calls, err = mk.buildCalls(r, ru, base, res.Calls)
	if err != nil {
		return nil, err
	}
	if len(res.Calls) == 0 {
		// Every call was skipped by its when: the mapping's otherwise says
		// why (loading refuses a rule that can end here without one).
		res.Outcome, res.Reason = OutcomeIgnore, ru.otherwise
	}
	r.publish(res, len(ev.ID))
	return res, nil
}

// callCount is the number of calls the rule makes (none for a nil rule).
func (ru *rule) callCount() int {
	if ru == nil {
		return 0
	}
	return len(ru.calls)
}

// reuseResult empties res for a result of n calls, keeping the array of
// res.Calls when it has room for them. The calls it held are cleared, so
// that res keeps nothing of them alive.
func reuseResult(res *Result, n int) {
	calls := res.Calls[:cap(res.Calls)]
	clear(calls)
	if cap(calls) < n || calls == nil {
		calls = make([]Call, 0, n)
	}
	*res = Result{Calls: calls[:0]}
}

// newResult returns an empty result with room for the rule's calls; a
// result of one or two calls comes in one allocation with its calls.
func newResult(ru *rule) *Result {
	n := ru.callCount()
	switch n {
	case 1:
		one := new(struct {
			res  Result
			call [1]Call
		})
		one.res.Calls = one.call[:0:1]
		return &one.res
	case 2:
		two := new(struct {
			res   Result
			calls [2]Call
		})
		two.res.Calls = two.calls[:0:2]
		return &two.res
	}
	return &Result{Calls: make([]Call, 0, n)}
}

// cloneTwo copies a and b into one new allocation.
func cloneTwo(a, b string) (string, string) {
	buf := make([]byte, len(a)+len(b))
	copy(buf[copy(buf, a):], b)
	s := unsafe.String(unsafe.SliceData(buf), len(buf))
	return s[:len(a)], s[len(a):]
}

func (mk *market) rule(typ string, tr *tracer) (*rule, error) {
	ru, ok := mk.rules[typ]
	if !ok {
		return nil, &Error{Kind: KindUnsupported, Code: CodeNotMapped, Path: "/type", Source: mk.eventsPos.String(),
			Message: fmt.Sprintf("the %s mapping does not answer %s; add it under events: with calls, ignore or unsupported", mk.id, typ)}
	}
	tr.rule(ru)
	if ru.unsupported != "" {
		return nil, &Error{Kind: KindUnsupported, Code: CodeUnsupported, Path: "/type", Source: ru.pos.String(), Message: ru.unsupported}
	}
	return ru, nil
}

// resolveVars merges given variables with declared defaults and checks that
// every given one is declared. A variable without default that is not given
// is reported when an expression reads it. The map it returns is only read:
// when given sets every variable that has a default, it is given itself.
func (mk *market) resolveVars(given map[string]string) (map[string]string, error) {
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
func (mk *market) undeclaredVar(given map[string]string) *Error {
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
func (mk *market) missingVar(name, source string, cause error) *Error {
	v := mk.vars[name]
	return &Error{Kind: KindConfiguration, Code: CodeMissingVariable, Source: source, Err: cause,
		Message: fmt.Sprintf("variable %s is not set; pass --var %s=%s or set %s (%s)", name, name, varExample(v), VarEnvName(mk.id, name), v.Description)}
}

func declaredVars(mk *market) string {
	if len(mk.vars) == 0 {
		return "it declares no variables"
	}
	return "it declares: " + strings.Join(sortedVarNames(mk), ", ")
}

func sortedVarNames(mk *market) []string {
	out := make([]string, 0, len(mk.vars))
	for k := range mk.vars {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// checkGuards runs guards in order, skipping those whose when does not
// hold, and refuses with the first that fails.
func (mk *market) checkGuards(r *renderer, guards []*guard) error {
	for _, g := range guards {
		if g.when != nil {
			applies, err := r.runBool(g.when)
			if err != nil {
				r.trace.guardWhen(g, false, err)
				return err
			}
			if !applies {
				r.trace.guardWhen(g, false, nil)
				continue
			}
		}
		ok, err := r.runBool(g.prog)
		r.trace.guard(g, ok, err)
		if err != nil {
			return err
		}
		if !ok {
			return mk.refuse(r, g)
		}
	}
	return nil
}

func (mk *market) refuse(r *renderer, g *guard) error {
	msg := g.code
	if g.message != nil {
		if m, err := r.renderString(g.message); err == nil {
			msg = strings.Clone(m)
		}
	}
	return &Error{Kind: KindRejected, Code: g.code, Message: msg, MarketplaceCode: g.marketplaceCode, Path: g.path, Source: g.pos.String()}
}

func (mk *market) environment(name string) (*envPlan, error) {
	if name == "" {
		if ep, ok := mk.envs["production"]; ok || len(mk.envOrder) != 1 {
			if !ok {
				return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownEnvironment, Message: fmt.Sprintf("the %s mapping has no production environment; choose one with --env (%s)", mk.id, strings.Join(mk.envOrder, ", "))}
			}
			return ep, nil
		}
		return mk.envs[mk.envOrder[0]], nil
	}
	ep, ok := mk.envs[name]
	if !ok {
		return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownEnvironment,
			Message: fmt.Sprintf("the %s mapping has no environment %q (it has: %s)", mk.id, name, strings.Join(mk.envOrder, ", "))}
	}
	return ep, nil
}

func (mk *market) baseURL(r *renderer, o TranslateOptions) (string, error) {
	if o.BaseURL != "" {
		u, err := parseBaseURL(o.BaseURL)
		if err != nil {
			return "", &Error{Kind: KindConfiguration, Code: CodeBadBaseURL, Message: err.Error()}
		}
		return strings.TrimSuffix(u.String(), "/"), nil
	}
	ep, err := mk.environment(o.Environment)
	if err != nil {
		return "", err
	}
	if ep.literal != "" {
		return ep.literal, nil
	}
	s, err := r.renderString(ep.base)
	if err != nil {
		return "", err
	}
	return mk.checkBase(ep, s)
}

func (mk *market) checkBase(ep *envPlan, s string) (string, error) {
	if c := ep.checked.Load(); c != nil && c.in == s {
		return c.out, nil
	}
	out, err := mk.checkNewBase(ep, s)
	if err == nil {
		ep.checked.Store(&checkedBase{in: strings.Clone(s), out: out})
	}
	return out, err
}

func (mk *market) checkNewBase(ep *envPlan, s string) (string, error) {
	u, err := parseBaseURL(s)
	if err != nil {
		e := &Error{Kind: KindConfiguration, Code: CodeBadBaseURL, Message: err.Error(), Source: ep.base.pos.String()}
		if ep.fromEvent {
			e.Kind, e.Path = KindInvalidEvent, pointerOfBase(ep)
		}
		return "", e
	}
	if !ep.fromEvent {
		return strings.TrimSuffix(u.String(), "/"), nil
	}
	if why := eventURLProblem(u, ep.hosts); why != "" {
		return "", &Error{Kind: KindRejected, Code: CodeHostNotAllowed, Path: pointerOfBase(ep), Source: ep.base.pos.String(),
			Message: fmt.Sprintf("the base URL %q comes from the event and %s; the %s mapping allows %s; no call was built", u.Redacted(), why, mk.id, strings.Join(ep.allowed, ", "))}
	}
	if hasDotSegment(u.EscapedPath()) {
		return "", &Error{Kind: KindInvalidEvent, Code: CodeDotSegment, Path: pointerOfBase(ep), Source: ep.base.pos.String(),
			Message: fmt.Sprintf("the base URL %q comes from the event and its path has a . or .. segment, which would change the endpoint; no call was built", s)}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func pointerOfBase(ep *envPlan) string {
	for _, p := range progsOf(ep.base) {
		for _, rd := range p.Reads() {
			if rd.Root == lang.RootEvent {
				return rd.Pointer(0)
			}
		}
	}
	return ""
}

func (mk *market) buildCalls(r *renderer, ru *rule, base string, calls []Call) ([]Call, error) {
	current := r.oenv.Current
	for _, cp := range ru.calls {
		if cp.when != nil {
			ok, err := r.runBool(cp.when)
			r.trace.when(cp, ok, err)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if err := mk.checkTransition(r, cp, current); err != nil {
			return nil, err
		}
		if cp.leadsTo != "" {
			current = cp.leadsTo
		}
		call, err := mk.buildCall(r, cp, base, r.trace == nil)
		if err != nil {
			return nil, err
		}
		if rb := cmp.Or(cp.readBack, mk.readBack); rb != nil {
			if err := mk.renderReadBack(r, &call, rb, base, r.trace == nil); err != nil {
				return nil, err
			}
		}
		calls = append(calls, call)
	}
	return calls, nil
}

// currentStatus is the order's native status before the event: the event's
// marketplaceStatus, or the only native status whose canonical status is
// the event's order.status; "" when unknown.
func (mk *market) currentStatus(env *lang.Env) string {
	if s := env.Order.MarketplaceStatus; s != "" {
		return s
	}
	if env.Order.Status == "" {
		return ""
	}
	found := ""
	for _, code := range mk.statusOrder {
		if mk.statuses[code].Canonical == env.Order.Status {
			if found != "" {
				return ""
			}
			found = code
		}
	}
	return found
}

func (mk *market) checkTransition(r *renderer, cp *callPlan, from string) error {
	if cp.leadsTo == "" || from == "" || mk.transitions == nil {
		return nil
	}
	allowed := mk.transitions[from][cp.leadsTo]
	r.trace.transition(cp, from, allowed)
	if allowed {
		return nil
	}
	code, why := CodeTransitionNotAllowed, "its status table does not allow that move"
	if st, ok := mk.statuses[from]; ok && st.Final {
		code, why = CodeFinalStatus, fmt.Sprintf("%s is a final status", from)
	} else if !ok {
		why = fmt.Sprintf("%s is not a status %s has", from, mk.name)
	}
	return &Error{Kind: KindRejected, Code: code, Path: statusPointer(r.oenv), Source: cp.leadsPos.String(),
		Message: fmt.Sprintf("%s cannot move an order from %s to %s: %s", mk.name, from, cp.leadsTo, why)}
}

func statusPointer(env *lang.Env) string {
	if env.Order.MarketplaceStatus != "" {
		return "/order/marketplaceStatus"
	}
	return "/order/status"
}

// buildCall makes the call cp. Its URL and body are written in the
// renderer's buffer, after what is there. When deferred, they stay there,
// recorded in r.texts, until publish copies them out with the rest of the
// result; otherwise the call gets its own copy of them at once and the
// buffer is left as it was.
func (mk *market) buildCall(r *renderer, cp *callPlan, base string, deferred bool) (Call, error) {
	call := Call{Name: cp.name, Method: cp.method, MarketplaceStatus: cp.leadsTo, plan: cp, market: mk}
	r.trace.startCall(cp)
	start := len(r.buf)
	var err error
	if r.buf, err = r.appendURL(r.buf, cp, base); err != nil {
		return call, err
	}
	text := callText{url: start, body: len(r.buf)}
	if cp.literal && r.trace == nil {
		call.Headers = cp.fixed
	} else if call.Headers, err = r.buildHeaders(cp.headers); err != nil {
		return call, err
	}
	if cp.body != nil {
		r.at("body")
		if err = r.render(cp.body); err != nil {
			return call, err
		}
		text.hasBody = true
	} else if cp.encoded != nil {
		if err = r.renderBody(cp.encoded, &call); err != nil {
			return call, err
		}
	}
	text.end = len(r.buf)
	if deferred {
		r.texts = append(r.texts, text)
	} else {
		call.URL, call.Body = text.copyOut(r.buf)
		r.buf = r.buf[:start]
	}
	r.trace.endCall(call)
	if cp.confirm != nil {
		if call.confirm, err = mk.buildConfirmation(r, cp.confirm, base); err != nil {
			return call, err
		}
	}
	return call, nil
}

// callText is where a call's URL (url to body) and body (body to end) are
// in the renderer's buffer, and, when it has one, its read-back query's.
type callText struct {
	url, body, end int
	hasBody        bool
	// rb is the read-back query's text, when hasRB.
	rb    readBackText
	hasRB bool
}

// readBackText is where a read-back query's URL and body are.
type readBackText struct {
	url, body, end int
	hasBody        bool
}

func (t readBackText) callText() callText {
	return callText{url: t.url, body: t.body, end: t.end, hasBody: t.hasBody}
}

// renderReadBack renders the read-back query rp of call after the call's
// text. When deferred, the text stays in the buffer until publish copies
// it out with the call's; otherwise the call gets its own copy at once.
func (mk *market) renderReadBack(r *renderer, call *Call, rp *readBackPlan, base string, deferred bool) error {
	q := mk.queries[rp.query]
	saved := r.trace
	r.trace = nil
	defer func() { r.trace = saved }()
	start := len(r.buf)
	var err error
	if r.buf, err = r.appendURL(r.buf, q, base); err != nil {
		return err
	}
	text := readBackText{url: start, body: len(r.buf)}
	if q.literal {
		call.rbHeaders = q.fixed
	} else if call.rbHeaders, err = r.buildHeaders(q.headers); err != nil {
		return err
	}
	if q.body != nil {
		r.at("body")
		if err = r.render(q.body); err != nil {
			return err
		}
		text.hasBody = true
	}
	text.end = len(r.buf)
	call.rbPlan = rp
	if deferred {
		r.texts[len(r.texts)-1].rb = text
		r.texts[len(r.texts)-1].hasRB = true
	} else {
		call.rbURL, call.rbBody = text.callText().copyOut(r.buf)
		r.buf = r.buf[:start]
	}
	return nil
}

// urlAndBody returns the call's URL and body as views of text, which holds
// what the renderer's buffer held. The body's capacity ends where it does,
// so that appending to it cannot write over the text after it.
func (c callText) urlAndBody(text []byte) (string, json.RawMessage) {
	s := unsafe.String(unsafe.SliceData(text), len(text))
	var body json.RawMessage
	if c.hasBody {
		body = text[c.body:c.end:c.end]
	}
	return s[c.url:c.body], body
}

// copyOut returns a copy of the call's URL and body, in one allocation.
func (c callText) copyOut(buf []byte) (string, json.RawMessage) {
	text := bytes.Clone(buf[c.url:c.end])
	c.body, c.end, c.url = c.body-c.url, c.end-c.url, 0
	return c.urlAndBody(text)
}

// publish gives res its text: the event id (the first idLen bytes of the
// renderer's buffer) and the URL and body of each deferred call, copied out
// of the buffer in one allocation, which nothing else refers to. Nothing
// writes to it after: the strings point into it, and each body's capacity
// ends with the body.
func (r *renderer) publish(res *Result, idLen int) {
	text := bytes.Clone(r.buf)
	res.EventID = unsafe.String(unsafe.SliceData(text), idLen)
	for i, c := range r.texts {
		res.Calls[i].URL, res.Calls[i].Body = c.urlAndBody(text)
		if c.hasRB {
			res.Calls[i].rbURL, res.Calls[i].rbBody = c.rb.callText().urlAndBody(text)
		}
	}
}

func (r *renderer) appendURL(b []byte, cp *callPlan, base string) ([]byte, error) {
	b = append(b, base...)
	seg := segment{start: len(b)}
	for _, p := range cp.path {
		if p.prog == nil {
			b = append(b, p.text...)
			if i := strings.IndexByte(p.text, '/'); i >= 0 {
				at := len(b) - len(p.text)
				if err := r.checkSegment(b, seg, at+i); err != nil {
					return b, err
				}
				seg = segment{start: at + strings.LastIndexByte(p.text, '/') + 1}
			}
			continue
		}
		v, err := r.eval(p.prog)
		if err != nil {
			return b, err
		}
		s, err := r.text(p.prog, v)
		if err != nil {
			return b, err
		}
		r.trace.pathValue(p.prog, s)
		b = appendPathEscape(b, s)
		if seg.prog == nil {
			seg.prog = p.prog
		}
	}
	if err := r.checkSegment(b, seg, len(b)); err != nil {
		return b, err
	}
	return r.appendQuery(b, cp.query)
}

// segment is the URL path segment being written: where it starts, and the
// first program whose value is in it (nil while it is all literal).
type segment struct {
	start int
	prog  *lang.Program
}

// checkSegment refuses a segment, b[seg.start:end], with a value from data
// that a server or a normalising proxy would take for . or .. (RFC 3986
// §5.2.4), which would send the call, and its credentials, to another
// endpoint.
func (r *renderer) checkSegment(b []byte, seg segment, end int) error {
	if seg.prog == nil || !isDotSegment(b[seg.start:end]) {
		return nil
	}
	return &Error{Kind: KindInvalidEvent, Code: CodeDotSegment, Path: r.firstPointer(seg.prog), Source: seg.prog.Source().Pos.String(),
		Message: fmt.Sprintf("the URL path segment %q built from %s would be resolved as a relative path (. or ..) and change the endpoint; no call was built", b[seg.start:end], seg.prog.Source().Text)}
}

// isDotSegment reports whether a path segment is . or .., also once its
// percent-escapes are decoded, as many times as they decode (%2e, %252e).
func isDotSegment(seg []byte) bool {
	if len(seg) == 0 || strings.Trim(unsafe.String(unsafe.SliceData(seg), len(seg)), ".%25eE") != "" {
		return false // only those characters can decode to dots
	}
	s := string(seg)
	for range 4 {
		if s == "." || s == ".." {
			return true
		}
		if !strings.Contains(s, "%") {
			return false
		}
		u, err := url.PathUnescape(s)
		if err != nil || u == s {
			return false
		}
		s = u
	}
	return false
}

// checkHeaderValue refuses a header value built from data that holds a
// control character: CR or LF would split the request, others corrupt it,
// and Go's client would only fail at send.
func (r *renderer) checkHeaderValue(h header, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return &Error{Kind: KindInvalidEvent, Code: CodeControlCharacter, Path: r.pointerOf(h.value), Source: h.value.pos.String(),
				Message: fmt.Sprintf("the value of header %s holds the control character 0x%02X at byte %d; remove it from the event", h.name, c, i)}
		}
	}
	return nil
}

// pointerOf is the JSON pointer of the first event value a template reads.
func (r *renderer) pointerOf(t *tmpl) string {
	for _, p := range progsOf(t) {
		if ptr := r.firstPointer(p); ptr != "" {
			return ptr
		}
	}
	return ""
}

// appendQuery appends ?name=value&... for the parameters that have a value.
func (r *renderer) appendQuery(b []byte, params []header) ([]byte, error) {
	sep := byte('?')
	for _, h := range params {
		v, ok, err := r.renderParam("query", h)
		if err != nil {
			return b, err
		}
		if ok {
			b = appendQueryEscape(append(appendQueryEscape(append(b, sep), h.name), '='), v)
			sep = '&'
		}
	}
	return b, nil
}

// buildHeaders renders a call's headers, leaving out the optional ones whose
// value the event lacks.
func (r *renderer) buildHeaders(hs []header) (Headers, error) {
	list := make([]headerValue, 0, len(hs))
	for _, h := range hs {
		v, ok, err := r.renderParam("headers", h)
		if err != nil {
			return Headers{}, err
		}
		if !ok {
			continue
		}
		if h.value.kind != tLiteral {
			if err := r.checkHeaderValue(h, v); err != nil {
				return Headers{}, err
			}
		}
		if h.value.kind == tExpr {
			v = strings.Clone(v) // may point into the input copy
		}
		list = append(list, headerValue{h.name, v})
	}
	return Headers{list: list}, nil
}

// renderParam renders a query parameter or header (where names which); ok
// is false for an optional one whose value the event lacks.
func (r *renderer) renderParam(where string, h header) (v string, ok bool, err error) {
	r.at(where, h.name)
	v, err = r.renderString(h.value)
	if err != nil {
		if h.optional && isMissing(err) {
			return "", false, nil
		}
		return "", false, err
	}
	r.traceValue(h.value, v)
	return v, true, nil
}

func varExample(v mapping.Variable) string {
	if v.Example != "" {
		return v.Example
	}
	return "VALUE"
}
