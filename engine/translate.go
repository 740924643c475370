package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	"github.com/rotahq/rota/engine/internal/event"
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
	mapping *compiledMapping
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

// translate translates raw into into, when it is not nil, or into a new
// Result.
func (e *Engine) translate(raw []byte, o TranslateOptions, tr *tracer, into *Result) (*Result, *compiledMapping, error) {
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
	mk, err := e.compiled(id)
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

func (e *Engine) compiled(id string) (*compiledMapping, error) {
	mk, ok := e.mappings[id]
	if !ok {
		return nil, &Error{Kind: KindUnknownMarketplace, Code: CodeUnknownMarketplace,
			Message: fmt.Sprintf("no mapping for marketplace %q; loaded: %s", id, strings.Join(e.ids, ", "))}
	}
	return mk, nil
}

func (mk *compiledMapping) translate(t *translation, o TranslateOptions, tr *tracer, into *Result) (*Result, error) {
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
	if ru.ignoreWhen != nil {
		if out, done, err := mk.applyIgnoreWhen(r, ru, res, ev.ID); done {
			return out, err
		}
	}
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

func (mk *compiledMapping) rule(typ string, tr *tracer) (*rule, error) {
	ru, ok := mk.rules[typ]
	if !ok {
		return nil, &Error{Kind: KindUnsupported, Code: CodeNotMapped, Path: "/type", Source: mk.eventsPos,
			Message: fmt.Sprintf("the %s mapping does not answer %s; add it under events: with calls, ignore or unsupported", mk.id, typ)}
	}
	tr.rule(ru)
	if ru.unsupported != "" && ru.ignoreWhen == nil {
		return nil, unsupportedError(ru)
	}
	return ru, nil
}
