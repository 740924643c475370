package engine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"unsafe"
)

func (mk *compiledMapping) buildCalls(r *renderer, ru *rule, base string, calls []Call) ([]Call, error) {
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

// buildCall makes the call cp. Its URL and body are written in the
// renderer's buffer, after what is there. When deferred, they stay there,
// recorded in r.texts, until publish copies them out with the rest of the
// result; otherwise the call gets its own copy of them at once and the
// buffer is left as it was.
func (mk *compiledMapping) buildCall(r *renderer, cp *callPlan, base string, deferred bool) (Call, error) {
	call := Call{Name: cp.name, Method: cp.method, MarketplaceStatus: cp.leadsTo, plan: cp, mapping: mk}
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
func (mk *compiledMapping) renderReadBack(r *renderer, call *Call, rp *readBackPlan, base string, deferred bool) error {
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
