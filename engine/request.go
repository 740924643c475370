package engine

import (
	"fmt"
	"net/url"
	"strings"
	"unsafe"

	"github.com/rotahq/rota/engine/internal/lang"
)

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
	return &Error{Kind: KindInvalidEvent, Code: CodeDotSegment, Path: r.firstPointer(seg.prog), Source: seg.prog.Source().Pos,
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
func (r *renderer) checkHeaderValue(h namedValue, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return &Error{Kind: KindInvalidEvent, Code: CodeControlCharacter, Path: r.pointerOf(h.value), Source: h.value.pos,
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
func (r *renderer) appendQuery(b []byte, params []namedValue) ([]byte, error) {
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
func (r *renderer) buildHeaders(hs []namedValue) (Headers, error) {
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
func (r *renderer) renderParam(where string, h namedValue) (v string, ok bool, err error) {
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
