package engine

// InboundErrorResponse renders the route's error answer (the mapping's
// error: block) for err, as the marketplace understands it, so that a
// server can answer failures found outside Ingest (an auth refusal, a
// database that cannot commit) in the marketplace's own shape. It returns
// nil when the marketplace or route is unknown or the route declares no
// error answer. Secret values never reach it: the message is err's public
// message (see Ingest). Safe for concurrent use.
func (e *Engine) InboundErrorResponse(marketplace, route string, payload []byte, err *Error) *Response {
	mk, ok := e.mappings[marketplace]
	if !ok || err == nil {
		return nil
	}
	rt, ok := mk.routes[route]
	if !ok || rt.errResp == nil {
		return nil
	}
	doc, vars, _ := mk.readInbound(payload, nil)
	cp := *err
	cp.Response = nil
	if out, ok := mk.withErrorResponse(rt, doc, vars, &cp).(*Error); ok && out.Response != nil {
		return out.Response
	}
	return nil
}
