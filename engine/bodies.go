package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	hexenc "encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"go.yaml.in/yaml/v3"
)

// Bodies that are not JSON: a call's raw, form or multipart body
// (docs/mapping-format.md, "Bodies that are not JSON"). A call has at most
// one of body, raw, form and multipart; the three here are rendered into
// bytes of their own (Call.Encoded), never into the renderer's buffer.

// MaxBodyBytes is the largest body that is not JSON a call may send, in
// bytes as sent (after base64 decoding, form encoding or multipart
// framing): the same 1 MiB as MaxInputBytes. A larger body is refused with
// CodeCallBodyTooLarge before it is built.
const MaxBodyBytes = MaxInputBytes

// Content types of the encodings.
const (
	formContentType      = "application/x-www-form-urlencoded"
	multipartContentType = "multipart/form-data"
	valuePartType        = "text/plain; charset=utf-8"
	filePartType         = "application/octet-stream"
	jsonPartType         = "application/json"
)

// bodyKind says how a body that is not JSON is encoded.
type bodyKind int

const (
	bodyRaw bodyKind = iota + 1
	bodyForm
	bodyMultipart
)

// bodyPlan is a compiled body that is not JSON. It is immutable after
// compilation.
type bodyPlan struct {
	kind bodyKind
	// contentType is the raw body's media type, or the form's.
	contentType string
	// ownType is true when the call's own headers name Content-Type:
	// the call's header is sent, not the encoding's.
	ownType bool
	raw     *textPlan
	form    []formField
	parts   []*partPlan
	// pos is the position of the body's key (raw, form, multipart).
	pos diag.Pos
}

// textPlan is a text template whose bytes are sent, decoded from base64
// when base64 is set.
type textPlan struct {
	value  *tmpl
	base64 bool
}

// formField is one field of a form body; a nil value is written null and
// always left out.
type formField struct {
	name     string
	optional bool
	value    *tmpl
	pos      diag.Pos
}

// partPlan is one part of a multipart body.
type partPlan struct {
	name        string
	when        *lang.Program
	filename    *tmpl
	contentType string
	content     *textPlan
	json        *tmpl
	pos         diag.Pos
}

// Part is one part of a multipart body as sent, for people and tests:
// its form field name, file name, media type and content. It encodes in
// JSON as {"name", "filename", "contentType"} and exactly one of "json" (a
// JSON part), "text" (bytes that are valid UTF-8) or "base64" (other bytes,
// standard encoding with padding).
type Part struct {
	Name        string
	Filename    string
	ContentType string
	// Content is the part's bytes as sent.
	Content []byte
	// JSON is true for a part written from a JSON template.
	JSON bool
}

// MarshalJSON encodes the part as described on Part.
func (p Part) MarshalJSON() ([]byte, error) {
	b := append(appendString([]byte(`{"name":`), p.Name), ',')
	if p.Filename != "" {
		b = append(appendString(append(b, `"filename":`...), p.Filename), ',')
	}
	b = append(appendString(append(b, `"contentType":`...), p.ContentType), ',')
	switch {
	case p.JSON && json.Valid(p.Content):
		b = append(append(b, `"json":`...), p.Content...)
	case utf8.Valid(p.Content):
		b = appendString(append(b, `"text":`...), string(p.Content))
	default:
		b = appendString(append(b, `"base64":`...), base64.StdEncoding.EncodeToString(p.Content))
	}
	return append(b, '}'), nil
}

// BodyBytes returns the bytes the call sends as its body: Body for a JSON
// body, Encoded for a raw, form or multipart one, nil for none.
func (c *Call) BodyBytes() []byte {
	if c.Encoded != nil {
		return c.Encoded
	}
	return c.Body
}

// compileBodies checks that a call has at most one body, compiles a body
// that is not JSON and gives the call's headers the encoding's
// Content-Type in place of the mapping's. It returns nil for a JSON body
// or none.
func (c *compiler) compileBodies(call *mapping.Call, ptr string, headers *[]namedValue) *bodyPlan {
	present := []string{}
	for _, b := range []struct {
		key string
		has bool
	}{{"body", call.Body.Kind != 0}, {"raw", call.Raw != nil}, {"form", call.Form.Values != nil}, {"multipart", call.Multipart != nil}} {
		if b.has {
			present = append(present, b.key)
		}
	}
	if len(present) > 1 {
		for _, key := range present[1:] {
			pos, _ := c.file.KeyPos(ptr + "/" + key)
			c.errorf(pos, diag.SchemaViolation, "a call has at most one of body, raw, form and multipart; this one has %s: keep one", strings.Join(present, " and "))
		}
		return nil
	}
	if len(present) == 0 || present[0] == "body" {
		return nil
	}
	if strings.HasPrefix(ptr, "/queries/") {
		pos, _ := c.file.KeyPos(ptr + "/" + present[0])
		c.errorf(pos, diag.SchemaViolation, "a query sends a JSON body or none; %s is for calls of events", present[0])
		return nil
	}
	bp := &bodyPlan{ownType: ownsContentType(call.Headers)}
	bp.pos, _ = c.file.KeyPos(ptr + "/" + present[0])
	switch present[0] {
	case "raw":
		bp.kind, bp.contentType = bodyRaw, call.Raw.ContentType
		c.checkMediaType(bp.contentType, ptr+"/raw/contentType")
		bp.raw = c.textPlan(&call.Raw.Content, call.Raw.Decode)
	case "form":
		bp.kind, bp.contentType = bodyForm, formContentType
		bp.form = c.formFields(call.Form, ptr+"/form")
	case "multipart":
		bp.kind = bodyMultipart
		for i := range call.Multipart {
			bp.parts = append(bp.parts, c.part(&call.Multipart[i], fmt.Sprintf("%s/multipart/%d", ptr, i)))
		}
		c.checkPartNames(call.Multipart, ptr+"/multipart")
	}
	if !bp.ownType {
		*headers = withoutContentType(*headers)
		if bp.kind != bodyMultipart { // multipart's carries the boundary: added when built
			ct := literalText(bp.contentType)
			ct.pos = c.file.PosOf(ptr + "/raw/contentType")
			if bp.kind == bodyForm {
				ct.pos, _ = c.file.KeyPos(ptr + "/form")
			}
			*headers = withHeader(*headers, namedValue{name: "Content-Type", value: ct})
		}
	}
	return bp
}

// ownsContentType reports whether a call's own headers name Content-Type
// (with a value, or null to send none).
func ownsContentType(hs mapping.Map[yaml.Node]) bool {
	for _, k := range hs.Keys {
		if name, _ := strings.CutSuffix(k, "?"); strings.EqualFold(name, "Content-Type") {
			return true
		}
	}
	return false
}

func withoutContentType(hs []namedValue) []namedValue {
	return slices.DeleteFunc(slices.Clone(hs), func(h namedValue) bool { return strings.EqualFold(h.name, "Content-Type") })
}

// withHeader adds h to a list sorted by name, keeping it sorted.
func withHeader(hs []namedValue, h namedValue) []namedValue {
	i, _ := slices.BinarySearchFunc(hs, h.name, func(x namedValue, name string) int { return strings.Compare(x.name, name) })
	return slices.Insert(slices.Clone(hs), i, h)
}

func literalText(s string) *tmpl {
	lit, _ := marshalString(s)
	return &tmpl{kind: tLiteral, lit: lit, text: s}
}

// checkMediaType refuses a content type that does not parse as a media
// type (type/subtype; parameters), or holds a control character.
func (c *compiler) checkMediaType(ct, ptr string) {
	if ct == "" {
		return // the schema requires it where it is required
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil || strings.ContainsFunc(ct, isControl) || !strings.Contains(ct, "/") {
		c.errorf(c.file.PosOf(ptr), diag.BadTemplate, "content type %q is not a media type such as application/xml or text/plain; charset=utf-8", ct)
	}
}

func (c *compiler) textPlan(n *yaml.Node, decode string) *textPlan {
	return &textPlan{value: c.template(n), base64: decode == "base64"}
}

func (c *compiler) formFields(m mapping.Map[yaml.Node], ptr string) []formField {
	var out []formField
	for _, key := range m.Keys {
		n := m.Values[key]
		name, optional := strings.CutSuffix(key, "?")
		f := formField{name: name, optional: optional}
		f.pos, _ = c.file.KeyPos(ptr + "/" + jsonptr.Escape(key))
		if !isNull(&n) {
			f.value = c.template(&n)
			if f.value.kind != tLiteral && f.value.kind != tExpr && f.value.kind != tInterp {
				c.errorf(f.pos, diag.SchemaViolation, "form field %q must be text (a text template), not a list or object", name)
			}
		}
		out = append(out, f)
	}
	return out
}

func (c *compiler) part(p *mapping.Part, ptr string) *partPlan {
	out := &partPlan{name: p.Name, contentType: p.ContentType, pos: c.file.PosOf(ptr)}
	if p.When != nil {
		out.when = c.expr(p.When.Node, lang.Options{Bool: true})
	}
	if p.Filename.Kind != 0 {
		out.filename = c.template(&p.Filename)
	}
	c.checkMediaType(p.ContentType, ptr+"/contentType")
	switch hasContent, hasJSON := p.Content.Kind != 0, p.JSON.Kind != 0; {
	case hasContent == hasJSON:
		c.errorf(out.pos, diag.SchemaViolation, "part %q must have exactly one of content (text) and json (a JSON template)", p.Name)
	case hasJSON && p.Decode != "":
		pos, _ := c.file.KeyPos(ptr + "/decode")
		c.errorf(pos, diag.SchemaViolation, "part %q: decode applies to content, not to json", p.Name)
	case hasJSON:
		out.json = c.template(&p.JSON)
	default:
		out.content = c.textPlan(&p.Content, p.Decode)
	}
	if out.contentType == "" {
		switch {
		case out.json != nil:
			out.contentType = jsonPartType
		case out.filename != nil:
			out.contentType = filePartType
		default:
			out.contentType = valuePartType
		}
	}
	return out
}

// checkPartNames refuses a part name with a control character, which
// would corrupt the part's header.
func (c *compiler) checkPartNames(parts []mapping.Part, ptr string) {
	for i, p := range parts {
		if strings.ContainsFunc(p.Name, isControl) {
			c.errorf(c.file.PosOf(fmt.Sprintf("%s/%d/name", ptr, i)), diag.BadTemplate, "part name %q holds a control character", p.Name)
		}
	}
}

// renderBody renders a body that is not JSON into call: its bytes
// (Encoded), content type, text or base64 and, for multipart, its parts and
// the Content-Type header with the boundary.
func (r *renderer) renderBody(bp *bodyPlan, call *Call) error {
	var body []byte
	var err error
	ct := bp.contentType
	switch bp.kind {
	case bodyRaw:
		r.at("raw", "content")
		body, err = r.renderText(bp.raw, 0)
	case bodyForm:
		body, err = r.renderForm(bp.form)
	case bodyMultipart:
		var parts []Part
		if parts, err = r.renderParts(bp.parts); err == nil {
			body, ct, err = r.assembleMultipart(bp, parts)
			call.Parts = parts
		}
	}
	if err != nil {
		return err
	}
	if body == nil {
		body = []byte{}
	}
	call.Encoded, call.ContentType = body, ct
	if utf8.Valid(body) {
		call.BodyText = string(body)
	} else {
		call.BodyBase64 = base64.StdEncoding.EncodeToString(body)
	}
	if bp.kind == bodyMultipart && !bp.ownType {
		call.Headers = call.Headers.with("Content-Type", ct)
		if r.trace != nil {
			r.at("headers", "Content-Type")
			t := literalText(ct)
			t.pos = bp.pos
			r.traceValue(t, ct)
		}
	}
	return nil
}

// with returns new headers holding h's and name: value, which replaces a
// header of that name in any case.
func (h Headers) with(name, value string) Headers {
	list := slices.DeleteFunc(slices.Clone(h.list), func(x headerValue) bool { return strings.EqualFold(x.name, name) })
	i, _ := slices.BinarySearchFunc(list, name, func(x headerValue, n string) int { return strings.Compare(x.name, n) })
	return Headers{list: slices.Insert(list, i, headerValue{name, value})}
}

// renderText renders a text template into new bytes, decoded from base64
// when the plan says so; used is how many bytes the body holds already.
func (r *renderer) renderText(tp *textPlan, used int) ([]byte, error) {
	s, err := r.renderString(tp.value)
	if err != nil {
		return nil, err
	}
	r.traceValue(tp.value, s)
	if !tp.base64 {
		if used+len(s) > MaxBodyBytes {
			return nil, r.tooLarge(tp.value, used+len(s))
		}
		return []byte(s), nil
	}
	return r.decodeBase64(tp.value, s, used)
}

// decodeBase64 decodes standard base64, padding optional, line breaks
// ignored; the decoded size is checked before anything is allocated.
func (r *renderer) decodeBase64(t *tmpl, s string, used int) ([]byte, error) {
	trimmed := strings.TrimRight(s, "\r\n")
	trimmed = strings.TrimRight(trimmed, "=")
	if n := base64.RawStdEncoding.DecodedLen(len(trimmed) - strings.Count(trimmed, "\n") - strings.Count(trimmed, "\r")); used+n > MaxBodyBytes {
		return nil, r.tooLarge(t, used+n)
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(trimmed)))
	n, err := base64.RawStdEncoding.Decode(out, []byte(trimmed))
	if err != nil {
		var ce base64.CorruptInputError
		at := int64(-1)
		if errors.As(err, &ce) {
			at = int64(ce)
		}
		return nil, r.badBase64(t, at)
	}
	return out[:n], nil
}

// bodyError makes the error of a body value: invalid_event when it comes
// from the event (path is its pointer), configuration when from a
// variable, mapping_error when the mapping wrote it.
func (r *renderer) bodyError(t *tmpl, code, msg string) *Error {
	e := &Error{Kind: KindMapping, Code: code, Message: msg, Source: t.pos, Path: r.pointerOf(t)}
	if ps := progsOf(t); len(ps) > 0 {
		e.Source = ps[0].Source().Pos
	}
	switch {
	case e.Path != "":
		e.Kind = KindInvalidEvent
	case readsVars(t):
		e.Kind = KindConfiguration
	}
	return e
}

func readsVars(t *tmpl) bool {
	for _, p := range progsOf(t) {
		for _, rd := range p.Reads() {
			if rd.Root == lang.RootVars {
				return true
			}
		}
	}
	return false
}

func (r *renderer) badBase64(t *tmpl, at int64) error {
	where := ""
	if at >= 0 {
		where = fmt.Sprintf(" (the first bad byte is at offset %d)", at)
	}
	return r.bodyError(t, CodeBadBase64, fmt.Sprintf("%s is not valid base64%s: the %s mapping sends its decoded bytes and expects the standard alphabet (A-Z a-z 0-9 + /), padding optional, line breaks allowed; fix the value (URL-safe base64 uses - and _ instead of + and /)",
		valueName(t), where, r.mk.id))
}

func (r *renderer) tooLarge(t *tmpl, n int) error {
	return r.bodyError(t, CodeCallBodyTooLarge, fmt.Sprintf("the body built from %s would be %d bytes, more than the %d bytes a call may send (docs/limits.md); send a smaller document", valueName(t), n, MaxBodyBytes))
}

// valueName names a template's value for a message: the expression it
// reads, else "the mapping's text".
func valueName(t *tmpl) string {
	switch t.kind {
	case tExpr:
		return strings.TrimSpace(t.prog.Source().Text)
	case tInterp:
		return fmt.Sprintf("%q", interpText(t))
	}
	return "the mapping's text"
}

// renderForm writes application/x-www-form-urlencoded fields in the order
// written, leaving out null ones and optional ones the event lacks.
func (r *renderer) renderForm(fields []formField) ([]byte, error) {
	var b []byte
	for i := range fields {
		f := &fields[i]
		v, ok, err := r.formValue(f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = appendQueryEscape(append(appendQueryEscape(b, f.name), '='), v)
		if len(b) > MaxBodyBytes {
			return nil, r.tooLarge(f.value, len(b))
		}
	}
	return b, nil
}

// formValue renders one form field; ok is false for a field left out.
func (r *renderer) formValue(f *formField) (string, bool, error) {
	r.at("form", f.name)
	if f.value == nil || f.optional && r.absent(f.value) {
		r.traceOmittedAt(f.pos)
		return "", false, nil
	}
	if f.optional && f.value.kind == tExpr {
		v, err := r.eval(f.value.prog)
		if err == nil && v.Interface() == nil {
			r.traceOmittedAt(f.pos)
			return "", false, nil
		}
	}
	s, err := r.renderString(f.value)
	if err != nil {
		if f.optional && isMissing(err) {
			r.traceOmittedAt(f.pos)
			return "", false, nil
		}
		return "", false, err
	}
	r.traceValue(f.value, s)
	return s, true, nil
}

// traceOmittedAt records that the value at the current location was left
// out.
func (r *renderer) traceOmittedAt(pos diag.Pos) {
	if r.trace == nil || len(r.where) == 0 {
		return
	}
	r.trace.omitted(r.where, pos)
}

// renderParts renders the parts of a multipart body whose when holds.
func (r *renderer) renderParts(plans []*partPlan) ([]Part, error) {
	parts := make([]Part, 0, len(plans))
	used := 0
	for _, pp := range plans {
		r.at("multipart", pp.name)
		if pp.when != nil {
			ok, err := r.runBool(pp.when)
			if err != nil {
				return nil, err
			}
			if !ok {
				r.traceOmittedAt(pp.pos)
				continue
			}
		}
		p, err := r.renderPart(pp, used)
		if err != nil {
			return nil, err
		}
		used += len(p.Content) + len(p.Name) + len(p.Filename) + len(p.ContentType)
		parts = append(parts, p)
	}
	return parts, nil
}

func (r *renderer) renderPart(pp *partPlan, used int) (Part, error) {
	p := Part{Name: pp.name, ContentType: pp.contentType}
	if pp.filename != nil {
		r.at("multipart", pp.name, "filename")
		s, err := r.renderString(pp.filename)
		if err != nil {
			return p, err
		}
		r.traceValue(pp.filename, s)
		if i := strings.IndexFunc(s, isControl); i >= 0 {
			return p, r.bodyError(pp.filename, CodeControlCharacter, fmt.Sprintf("the file name of part %s holds the control character 0x%02X at byte %d, which would corrupt the part's header; remove it from the event", pp.name, s[i], i))
		}
		p.Filename = strings.Clone(s)
	}
	if pp.json != nil {
		r.at("multipart", pp.name, "json")
		mark := len(r.buf)
		err := r.render(pp.json)
		p.Content, p.JSON = bytes.Clone(r.buf[mark:]), true
		r.buf = r.buf[:mark]
		if err == nil && used+len(p.Content) > MaxBodyBytes {
			err = r.tooLarge(pp.json, used+len(p.Content))
		}
		return p, err
	}
	r.at("multipart", pp.name, "content")
	var err error
	p.Content, err = r.renderText(pp.content, used)
	return p, err
}

// maxBoundaryTries is how many boundaries are derived before giving up on
// one that no part holds (each is a 160-bit hash: one try is enough unless
// a part was made to hold it).
const maxBoundaryTries = 8

// assembleMultipart writes the parts with a boundary derived from their
// content, so that the same call gives the same bytes, and that occurs in
// no part.
func (r *renderer) assembleMultipart(bp *bodyPlan, parts []Part) ([]byte, string, error) {
	boundary, ok := pickBoundary(partsDigest(parts), parts)
	if !ok {
		return nil, "", &Error{Kind: KindMapping, Code: CodeBadOutput, Source: bp.parts[0].pos,
			Message: fmt.Sprintf("no multipart boundary could be found that the parts do not hold (%d tried)", maxBoundaryTries)}
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(boundary); err != nil {
		return nil, "", &Error{Kind: KindMapping, Code: CodeBadOutput, Message: err.Error()}
	}
	for _, p := range parts {
		pw, err := w.CreatePart(partHeader(p))
		if err == nil {
			_, err = pw.Write(p.Content)
		}
		if err != nil {
			return nil, "", &Error{Kind: KindMapping, Code: CodeBadOutput, Message: err.Error()}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", &Error{Kind: KindMapping, Code: CodeBadOutput, Message: err.Error()}
	}
	if buf.Len() > MaxBodyBytes {
		last := bp.parts[len(bp.parts)-1]
		t := last.json
		if last.content != nil {
			t = last.content.value
		}
		return nil, "", r.tooLarge(t, buf.Len())
	}
	return buf.Bytes(), multipartContentType + "; boundary=" + boundary, nil
}

// partHeader is a part's MIME header: Content-Disposition form-data with
// its name (and file name), and Content-Type.
func partHeader(p Part) textproto.MIMEHeader {
	disp := `form-data; name="` + quoteEscaper.Replace(p.Name) + `"`
	if p.Filename != "" {
		disp += `; filename="` + quoteEscaper.Replace(p.Filename) + `"`
	}
	return textproto.MIMEHeader{"Content-Disposition": {disp}, "Content-Type": {p.ContentType}}
}

// quoteEscaper escapes a quoted parameter as mime/multipart's
// CreateFormFile does.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// partsDigest hashes what the parts send: each one's name, file name,
// content type and bytes, length-prefixed.
func partsDigest(parts []Part) [sha256.Size]byte {
	h := sha256.New()
	for _, p := range parts {
		for _, s := range []string{p.Name, p.Filename, p.ContentType} {
			fmt.Fprintf(h, "%d:%s", len(s), s)
		}
		fmt.Fprintf(h, "%d:", len(p.Content))
		h.Write(p.Content)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// boundaryCandidate is the try-th boundary derived from a digest.
func boundaryCandidate(digest [sha256.Size]byte, try int) string {
	sum := sha256.Sum256(append(digest[:], byte(try)))
	return "rota-" + hexenc.EncodeToString(sum[:20])
}

// pickBoundary returns the first boundary derived from digest that no
// part's bytes, name or file name hold.
func pickBoundary(digest [sha256.Size]byte, parts []Part) (string, bool) {
	for try := range maxBoundaryTries {
		b := boundaryCandidate(digest, try)
		if !slices.ContainsFunc(parts, func(p Part) bool { return partHolds(p, b) }) {
			return b, true
		}
	}
	return "", false
}

func partHolds(p Part, b string) bool {
	return bytes.Contains(p.Content, []byte(b)) || strings.Contains(p.Name, b) || strings.Contains(p.Filename, b)
}
