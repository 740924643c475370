package lang

import (
	"time"
	"unsafe"

	"github.com/rotahq/rota/engine/internal/event"
)

// ItemIndex is the position of the current item, or 0 outside a $each.
func (e *Env) ItemIndex() int {
	if e.Item == nil {
		return 0
	}
	return e.Item.Index()
}

// Env is what outbound expressions (guards, conditions, templates) see: the
// canonical event's fields at the top level (order, items, invoice...), the
// current item inside a $each over items, and the run-time variables.
type Env struct {
	event.Event
	Item *event.Item       `expr:"item"`
	Vars map[string]string `expr:"vars"`
	// Current is the order's native status before the event, as the engine
	// resolves it: order.marketplaceStatus, or the one native status whose
	// canonical status is order.status; "" when neither tells.
	Current string `expr:"current"`

	// text holds the strings that native evaluation builds (formatted
	// dates, joined text), one after another, so that they need no memory
	// of their own; see ResetText.
	text []byte
	// ownText gives each built string memory of its own instead.
	ownText bool
}

// OwnText says whether the strings evaluation builds get memory of their
// own (own) or share e's text buffer, reused after ResetText. A caller that
// keeps evaluated values past ResetText, such as a trace, sets it.
func (e *Env) OwnText(own bool) { e.ownText = own }

// ResetText ends the strings that evaluation built in e's text buffer:
// their memory is reused by the evaluations that follow, so none may be in
// use any more. The strings an Env builds are valid until then; an Env that
// is never reset keeps them valid for as long as they are used. Tests set
// overwrite to fill the old text with '#', so that a string used past the
// reset shows up as garbage.
func (e *Env) ResetText(overwrite bool) {
	if overwrite {
		for i := range e.text {
			e.text[i] = '#'
		}
	}
	if cap(e.text) > maxText {
		e.text = nil
	}
	e.text = e.text[:0]
}

// maxText is the largest text buffer an Env keeps across ResetText.
const maxText = 16 << 10

// AppendTime returns t formatted with layout, in e's text buffer (see
// ResetText for how long it keeps its value).
func (e *Env) AppendTime(t time.Time, layout string) string {
	if e.ownText {
		return t.Format(layout)
	}
	start := len(e.text)
	e.text = t.AppendFormat(e.text, layout)
	return e.built(start)
}

// Concat returns a+b, in e's text buffer (see ResetText for how long it
// keeps its value).
func (e *Env) Concat(a, b string) string {
	if e.ownText || a == "" || b == "" {
		return a + b
	}
	start := len(e.text)
	e.text = append(append(e.text, a...), b...)
	return e.built(start)
}

// built returns the text buffer from start as a string. Only appends follow
// and the buffer is never written over before ResetText, so the string
// keeps its value: when an append moves the buffer, the old array stays as
// it was for the strings that point into it.
func (e *Env) built(start int) string {
	if start == len(e.text) {
		return ""
	}
	return unsafe.String(&e.text[start], len(e.text)-start)
}

// Response is what response rules see: the marketplace's HTTP answer.
type Response struct {
	Status  int               `expr:"status"`
	Headers map[string]string `expr:"headers"`
	// Body is the decoded JSON body, or the body text when it is not JSON.
	Body any `expr:"body"`
	// LeadsTo is the marketplace status the call leads to ("" when none).
	LeadsTo string `expr:"leadsTo"`
	// Request is the call the answer is about.
	Request Request `expr:"request"`
}

// Request is the call a response rule reads an answer to: its method, URL
// (without credentials) and decoded JSON body (nil without one).
type Request struct {
	Method string `expr:"method"`
	URL    string `expr:"url"`
	Body   any    `expr:"body"`
}

// AuthEnv is what auth templates (token requests) see. Secrets are filled in
// only when a call is sent, never when it is translated.
type AuthEnv struct {
	Secrets map[string]string `expr:"secrets"`
	Vars    map[string]string `expr:"vars"`
}
