package engine

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/lang"
)

// maxRequestPath bounds the request path (query included) a caller gives.
const maxRequestPath = 8 << 10

// request is how the marketplace called: what IngestOptions say of it.
type request struct {
	method string
	path   string   // without the query
	segs   []string // path segments, unescaped; nil when no path was given
	query  map[string]any
	params map[string]any
}

// parseRequest reads o.Method and o.Path. The path is relative to the
// integration's prefix; the query string fills query (first value of each
// name).
func (mk *compiledMapping) parseRequest(o IngestOptions) (*request, error) {
	req := &request{method: strings.ToUpper(strings.TrimSpace(o.Method)), query: map[string]any{}, params: map[string]any{}}
	if o.Path == "" {
		return req, nil
	}
	bad := func(why string) error {
		return &Error{Kind: KindConfiguration, Code: CodeUnknownRoute,
			Message: fmt.Sprintf("request path %q %s; give the path relative to the integration's prefix, as the marketplace calls it (/api/fulfillment/pvt/orders?sc=1)", clip(o.Path), why)}
	}
	if len(o.Path) > maxRequestPath {
		return nil, bad(fmt.Sprintf("is longer than %d bytes", maxRequestPath))
	}
	raw := o.Path
	if strings.Contains(raw, "://") {
		return nil, bad("is a whole URL")
	}
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return nil, bad("is not a path")
	}
	req.path = u.Path
	req.segs = []string{}
	for _, s := range splitPath(u.EscapedPath()) {
		v, err := url.PathUnescape(s)
		if err != nil {
			return nil, bad("has a malformed %-escape")
		}
		req.segs = append(req.segs, v)
	}
	for name, vs := range u.Query() {
		req.query[name] = vs[0]
	}
	return req, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// calledAt reports whether the request's method and path call rt. A
// request without a path calls no route by path.
func (rt *route) calledAt(req *request) bool {
	if req.segs == nil || rt.segs == nil || len(req.segs) != len(rt.segs) {
		return false
	}
	if req.method != "" && !strings.EqualFold(req.method, rt.method) {
		return false
	}
	for i, s := range rt.segs {
		if _, ok := pathParam(s); ok {
			if req.segs[i] == "" {
				return false
			}
			continue
		}
		if s != req.segs[i] {
			return false
		}
	}
	return true
}

// params are the route's {name} parameters the request's path fills.
func (rt *route) params(req *request) map[string]any {
	out := map[string]any{}
	if !rt.calledAt(req) {
		return out
	}
	for i, s := range rt.segs {
		if name, ok := pathParam(s); ok {
			out[name] = req.segs[i]
		}
	}
	return out
}

// matches reports whether the payload meets the route's match condition.
// A condition that fails (it reads what the payload lacks) does not match.
func (mk *compiledMapping) matches(rt *route, doc any, vars map[string]string, req *request) bool {
	env := map[string]any{"payload": doc, "vars": vars, "params": rt.params(req), "query": req.query}
	v, err := rt.match.Run(env)
	b, _ := v.(bool)
	return err == nil && b
}

// selectRoute picks the route: by name when given (its path must then fit
// the request's, if one was given); otherwise the routes the request's
// method and path call, narrowed by their match conditions; without a path,
// the routes whose match the payload meets. A route with neither a path
// that fits nor a match is a candidate only when nothing better is.
func (mk *compiledMapping) selectRoute(name string, req *request, doc any, vars map[string]string, readErr error) (*route, error) {
	if name != "" || len(mk.routeNames) == 1 && req.segs == nil {
		rt, err := mk.route(name)
		if err != nil {
			return nil, err
		}
		if req.segs != nil && !rt.calledAt(req) {
			return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownRoute,
				Message: fmt.Sprintf("the %s route is called at %s, not at %s", rt.name, rt.calledHow(), req.describe())}
		}
		return rt, nil
	}
	var sure, unsure, refused []string
	for _, n := range mk.routeNames {
		rt := mk.routes[n]
		byPath := rt.calledAt(req)
		if req.segs != nil && !byPath {
			continue
		}
		switch {
		case rt.match != nil && readErr == nil:
			if mk.matches(rt, doc, vars, req) {
				sure = append(sure, n)
			} else if byPath {
				refused = append(refused, n)
			}
		case byPath && rt.match == nil:
			sure = append(sure, n)
		default:
			unsure = append(unsure, n)
		}
	}
	switch {
	case len(sure) == 1:
		return mk.routes[sure[0]], nil
	case len(sure) > 1:
		return nil, mk.ambiguous(sure, req)
	case len(unsure) == 1:
		return mk.routes[unsure[0]], nil
	case len(unsure) > 1:
		if readErr != nil {
			return nil, readErr
		}
		return nil, mk.ambiguous(unsure, req)
	}
	if readErr != nil && req.segs == nil {
		return nil, readErr
	}
	return nil, mk.noRoute(req, refused)
}

func (mk *compiledMapping) ambiguous(names []string, req *request) error {
	return &Error{Kind: KindConfiguration, Code: CodeAmbiguousRoute,
		Message: fmt.Sprintf("%d inbound routes of %s fit %s: %s; give the request's method and path (rota ingest --method M --path P), or the route (--route NAME), or tell them apart with match: in the mapping",
			len(names), mk.id, req.describe(), mk.describeRoutes(names))}
}

func (mk *compiledMapping) noRoute(req *request, refused []string) error {
	if len(mk.routeNames) == 0 {
		return &Error{Kind: KindConfiguration, Code: CodeUnknownRoute,
			Message: fmt.Sprintf("the %s mapping has no inbound routes: %s does not call the seller", mk.id, mk.name)}
	}
	why := ""
	if len(refused) > 0 {
		why = fmt.Sprintf(" (%s is called there, but the payload does not meet its match)", strings.Join(refused, ", "))
	}
	return &Error{Kind: KindConfiguration, Code: CodeUnknownRoute,
		Message: fmt.Sprintf("no inbound route of %s fits %s%s; its routes: %s", mk.id, req.describe(), why, mk.describeRoutes(mk.routeNames))}
}

// describe says what is known of the request, for messages.
func (req *request) describe() string {
	switch {
	case req.segs == nil:
		return "this payload (no request path given)"
	case req.method == "":
		return "path " + req.path
	}
	return req.method + " " + req.path
}

// calledHow says how a route is called, for messages.
func (rt *route) calledHow() string {
	var parts []string
	if rt.path != "" {
		parts = append(parts, rt.method+" "+rt.path)
	}
	if rt.match != nil {
		parts = append(parts, "match: "+rt.match.Source().Text)
	}
	return strings.Join(parts, ", ")
}

func (mk *compiledMapping) describeRoutes(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%s (%s)", n, mk.routes[n].calledHow())
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// inboundMissing is the error for a name an inbound template reads and the
// run does not have. It blames what must change: the route's configuration
// (no orderId, no sequence, no request path) or the payload.
func (r *renderer) inboundMissing(p lang.Path, src diag.Pos, cause error) *Error {
	rt, mk := r.route, r.mk
	if rt == nil {
		return &Error{Kind: KindInvalidEvent, Code: CodeMissingField, Path: r.inboundPointer(p), Source: src, Err: cause,
			Message: fmt.Sprintf("the %s mapping needs %s, which the payload lacks", mk.id, p)}
	}
	switch p.Segs[0] {
	case "orderId":
		if rt.orderID != nil {
			return &Error{Kind: KindMapping, Code: CodeMissingOrderID, Source: src, Err: cause,
				Message: fmt.Sprintf("the %s %s route reads orderId in a guard, but the seller's order id is made for each input after the guards: read it in event or response", mk.id, rt.name)}
		}
		return &Error{Kind: KindConfiguration, Code: CodeMissingOrderID, Source: rt.pos, Err: cause,
			Message: fmt.Sprintf("the %s %s route needs the seller's order id (read at %s), but says nowhere how to make it: add orderId: to the route, e.g. orderId: ORD-${ sequence } or a value from the payload or the path (or give one: rota ingest --order-id ID)", mk.id, rt.name, src)}
	case "sequence":
		return &Error{Kind: KindConfiguration, Code: CodeMissingOrderID, Source: src, Err: cause,
			Message: fmt.Sprintf("the %s %s route makes the seller's order id from a sequence number, and none was given: rota serve keeps one per marketplace; rota ingest takes --sequence N (or --order-id ID)", mk.id, rt.name)}
	case "params":
		code := CodeMissingPath
		if r.inOrderID {
			code = CodeMissingOrderID
		}
		return &Error{Kind: KindConfiguration, Code: code, Source: src, Err: cause,
			Message: fmt.Sprintf("the %s %s route reads %s from the request's path (%s %s), and no such path was given (rota ingest --path)", mk.id, rt.name, p, rt.method, rt.path)}
	case "query":
		return &Error{Kind: KindInvalidEvent, Code: CodeMissingField, Source: src, Err: cause,
			Message: fmt.Sprintf("the %s %s route needs the query parameter %s, which the request lacks", mk.id, rt.name, strings.Join(p.Segs[1:], "."))}
	}
	msg := fmt.Sprintf("the %s mapping needs %s, which the payload lacks", mk.id, p)
	if r.inOrderID {
		msg = fmt.Sprintf("the %s %s route makes the seller's order id from %s, which the payload lacks", mk.id, rt.name, p)
	}
	return &Error{Kind: KindInvalidEvent, Code: CodeMissingField, Path: r.inboundPointer(p), Source: src, Err: cause, Message: msg}
}
