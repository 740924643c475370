package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// IngestOptions tune the translation of an inbound payload.
type IngestOptions struct {
	// Route names the mapping's inbound route. Left empty, the route is the
	// one the request's Method and Path call, or whose match condition the
	// payload meets.
	Route string
	// Method and Path are how the marketplace called: the HTTP method and
	// the path relative to the integration's prefix, query string included
	// (POST, /api/fulfillment/pvt/orders?sc=1&affiliateId=FSH). Both may be
	// left empty; a path fills the route's {name} parameters (params) and
	// query.
	Method string
	Path   string
	// OrderID is the seller's order id. It overrides the route's orderId
	// template; without either, a route that answers with the seller's
	// order id is refused (missing_order_id, configuration).
	OrderID string
	// Sequence is this request's number in a sequence the caller keeps per
	// marketplace (rota serve stores it; rota ingest takes --sequence); 0
	// means none. A route whose orderId template reads sequence needs it.
	Sequence int64
	// Vars are the run-time variables the mapping declares.
	Vars map[string]string
	// Now is when the payload was received (default: the current time). It
	// fills occurredAt where the marketplace sends no time of its own.
	Now time.Time
}

// IngestResult is what an inbound payload translates into: canonical events
// and the response the marketplace expects.
type IngestResult struct {
	Marketplace string            `json:"marketplace"`
	Route       string            `json:"route"`
	Events      []json.RawMessage `json:"events"`
	Response    Response          `json:"response"`
}

// Response is an HTTP answer to the marketplace.
type Response struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// RouteInfo describes an inbound route, for a server that mounts it or a
// person choosing one.
type RouteInfo struct {
	// Name is the route's key in the mapping.
	Name string `json:"name"`
	// Method and Path are how the marketplace calls it (empty for a route
	// known only by its match condition); a {name} segment is a parameter.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Match is the text of the route's payload condition, if any.
	Match string `json:"match,omitempty"`
	// Sequenced is true when the route's orderId reads sequence, so that
	// the caller must give IngestOptions.Sequence.
	Sequenced bool `json:"sequenced,omitempty"`
	// AskOrderID is true when the route's orderIdMode is ask: a server
	// asks the seller's ERP for the seller's order id, within
	// OrderIDTimeout, and gives it as IngestOptions.OrderID.
	AskOrderID     bool          `json:"askOrderId,omitempty"`
	OrderIDTimeout time.Duration `json:"-"`
}

// Routes lists a marketplace's inbound routes in file order, or nil for an
// unknown marketplace. Safe for concurrent use.
func (e *Engine) Routes(marketplace string) []RouteInfo {
	mk, ok := e.mappings[marketplace]
	if !ok {
		return nil
	}
	out := make([]RouteInfo, 0, len(mk.routeNames))
	for _, name := range mk.routeNames {
		rt := mk.routes[name]
		ri := RouteInfo{Name: name, Method: rt.method, Path: rt.path, Sequenced: rt.sequenced, AskOrderID: rt.askOrderID, OrderIDTimeout: rt.askTimeout}
		if rt.match != nil {
			ri.Match = rt.match.Source().Text
		}
		out = append(out, ri)
	}
	return out
}

// Ingest translates a payload the marketplace sent (such as Fast Shop's order
// placement) into canonical events, each valid against the canonical schema,
// and renders the response the marketplace expects. The route is
// o.Route, or the one o.Method and o.Path call, or the one whose match the
// payload meets (see SelectRoute). On failure the *Error's Response field
// holds the error answer the marketplace understands, when the route
// declares one. The payload is read as strictly as an event
// (docs/limits.md; a key twice in one object is refused), with integers
// exact. Safe for concurrent use.
func (e *Engine) Ingest(marketplace string, payload []byte, o IngestOptions) (*IngestResult, error) {
	mk, err := e.compiled(marketplace)
	if err != nil {
		return nil, err
	}
	req, err := mk.parseRequest(o)
	if err != nil {
		return nil, err
	}
	doc, vars, rerr := mk.readInbound(payload, o.Vars)
	rt, err := mk.selectRoute(o.Route, req, doc, vars, rerr)
	if err != nil {
		return nil, err
	}
	req.params = rt.params(req)
	var res *IngestResult
	err = rerr
	if err == nil {
		res, err = mk.ingest(rt, doc, vars, req, o)
	}
	if err != nil {
		return nil, mk.withErrorResponse(rt, doc, vars, err)
	}
	return res, nil
}

// SelectRoute names the inbound route Ingest would use for this payload and
// options (o.Route, o.Method, o.Path; see Ingest), so that a caller can check
// the route's auth first. It returns an *Error: unknown_route when no route
// fits, naming every route and how it is called; ambiguous_route when
// several do, naming them; malformed_json when only the payload could tell
// and it is not JSON. Safe for concurrent use.
func (e *Engine) SelectRoute(marketplace string, payload []byte, o IngestOptions) (string, error) {
	mk, err := e.compiled(marketplace)
	if err != nil {
		return "", err
	}
	req, err := mk.parseRequest(o)
	if err != nil {
		return "", err
	}
	doc, vars, rerr := mk.readInbound(payload, o.Vars)
	rt, err := mk.selectRoute(o.Route, req, doc, vars, rerr)
	if err != nil {
		return "", err
	}
	return rt.name, nil
}

// readInbound decodes a payload and resolves the run's variables. What it
// could read comes back even on failure, for the route's error answer.
func (mk *compiledMapping) readInbound(payload []byte, given map[string]string) (any, map[string]string, error) {
	doc, derr := decodeLoose(payload)
	vars, verr := mk.resolveVars(given)
	if derr != nil {
		return doc, vars, derr
	}
	return doc, vars, verr
}

func (mk *compiledMapping) route(name string) (*route, error) {
	if name == "" && len(mk.routeNames) == 1 {
		name = mk.routeNames[0]
	}
	rt, ok := mk.routes[name]
	if !ok {
		return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownRoute,
			Message: fmt.Sprintf("the %s mapping has no inbound route %q; its routes: %s", mk.id, name, mk.describeRoutes(mk.routeNames))}
	}
	return rt, nil
}

func (mk *compiledMapping) ingest(rt *route, doc any, vars map[string]string, req *request, o IngestOptions) (*IngestResult, error) {
	env := mk.inboundEnv(doc, vars, req, o)
	r := &renderer{mk: mk, env: env, as: rt.as, eachBase: rt.eachBase, route: rt}
	if err := mk.checkGuards(r, rt.guards); err != nil {
		return nil, err
	}
	inputs, err := r.inputs(rt, doc)
	if err != nil {
		return nil, err
	}
	res := &IngestResult{Marketplace: mk.id, Route: rt.name, Events: []json.RawMessage{}}
	var firstID any
	for i, in := range inputs {
		env[rt.as], env["index"], r.index = in, i, i
		if err := r.sellerOrderID(rt, env, o); err != nil {
			return nil, err
		}
		if i == 0 {
			firstID = env["orderId"]
		}
		ev, err := r.inboundEvent(rt, i)
		if err != nil {
			return nil, err
		}
		res.Events = append(res.Events, ev)
	}
	delete(env, rt.as)
	if firstID != nil {
		env["orderId"] = firstID
	}
	res.Response, err = r.routeResponse(rt, res.Events)
	return res, err
}

// sellerOrderID sets orderId for one input: the caller's override, or the
// route's orderId template, or nothing (reading it is then refused).
func (r *renderer) sellerOrderID(rt *route, env map[string]any, o IngestOptions) error {
	if o.OrderID != "" || rt.orderID == nil {
		return nil
	}
	r.inOrderID = true
	id, err := r.renderString(rt.orderID)
	r.inOrderID = false
	if err != nil {
		return err
	}
	if strings.TrimSpace(id) == "" {
		return &Error{Kind: KindInvalidEvent, Code: CodeBadValue, Source: rt.orderID.pos,
			Message: fmt.Sprintf("the %s %s route's orderId gave an empty seller order id for input %d", r.mk.id, rt.name, r.index)}
	}
	env["orderId"] = id
	return nil
}

func (mk *compiledMapping) inboundEnv(doc any, vars map[string]string, req *request, o IngestOptions) map[string]any {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	env := map[string]any{"payload": doc, "vars": vars, "now": now.In(mk.loc).Format(time.RFC3339),
		"params": req.params, "query": req.query}
	if o.OrderID != "" {
		env["orderId"] = o.OrderID
	}
	if o.Sequence > 0 {
		env["sequence"] = int(o.Sequence)
	}
	return env
}

// decodeLoose decodes a marketplace payload as strictly as an event is
// read (scanInput: syntax, limits, UTF-8, number range; a key twice in one
// object is refused), errors naming the payload's pointer. Integers become
// int, exact over their whole range; other numbers float64.
func decodeLoose(raw []byte) (any, error) {
	s, err := scanInput(string(raw))
	if err != nil {
		return nil, err
	}
	return buildTree(s, true)
}

func (r *renderer) inputs(rt *route, doc any) ([]any, error) {
	if rt.each == nil {
		return []any{doc}, nil
	}
	v, err := r.run(rt.each)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, &Error{Kind: KindInvalidEvent, Code: CodeNoEvents, Source: rt.each.Source().Pos,
			Message: fmt.Sprintf("the payload holds nothing to ingest: each: %s gave %v", rt.each.Source().Text, describe(v))}
	}
	return list, nil
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case []any:
		return "an empty list"
	case map[string]any:
		return "an object, not a list"
	case string:
		return "a string, not a list"
	case float64, bool:
		return fmt.Sprintf("%v, not a list", v)
	}
	return "something that is not a list"
}

// inboundEvent renders one canonical event and checks it against the
// canonical schema, so a payload that lacks what the contract requires is
// refused here rather than later.
func (r *renderer) inboundEvent(rt *route, i int) (json.RawMessage, error) {
	ev, err := r.renderJSON(rt.event)
	if err != nil {
		return nil, err
	}
	if err := validateBuilt(ev); err != nil {
		err.Message = fmt.Sprintf("the event built from input %d is not a valid canonical event: %s", i, err.Message)
		err.Source = rt.event.pos
		return nil, err
	}
	return ev, nil
}

// validateBuilt checks an event a route rendered. Output that does not
// parse, or a schema that does not load, is the mapping's failure.
func validateBuilt(ev []byte) *Error {
	doc, err := decodeJSON(ev)
	if err != nil {
		return &Error{Kind: KindMapping, Code: CodeBadOutput, Message: err.Error()}
	}
	switch err := validateDoc(doc).(type) {
	case nil:
		return nil
	case *Error:
		return err
	default:
		return &Error{Kind: KindMapping, Code: CodeBadOutput, Message: err.Error()}
	}
}

func (r *renderer) routeResponse(rt *route, events []json.RawMessage) (Response, error) {
	if rt.response == nil {
		return Response{Status: 200, Body: json.RawMessage("null")}, nil
	}
	env := r.env.(map[string]any)
	evs := make([]any, len(events))
	for i, ev := range events {
		_ = json.Unmarshal(ev, &evs[i])
	}
	env["events"] = evs
	defer delete(env, "events")
	return r.renderResponse(rt.response)
}

func (r *renderer) renderResponse(rr *routeResponse) (Response, error) {
	out := Response{Status: rr.status, Body: json.RawMessage("null")}
	if rr.body == nil {
		return out, nil
	}
	body, err := r.renderJSON(rr.body)
	if err != nil {
		return out, err
	}
	out.Body = body
	return out, nil
}

// withErrorResponse attaches the route's error answer to an ingest failure.
func (mk *compiledMapping) withErrorResponse(rt *route, doc any, vars map[string]string, err error) error {
	e, ok := err.(*Error)
	if !ok || rt.errResp == nil {
		return err
	}
	env := map[string]any{"payload": doc, "vars": vars, "error": map[string]any{"kind": string(e.Kind), "code": e.Code, "message": publicMessage(e)}}
	r := &renderer{mk: mk, env: env}
	if resp, rerr := r.renderResponse(rt.errResp); rerr == nil {
		e.Response = &resp
	}
	return e
}

// publicMessage is what a marketplace is told about a failure: the
// message without positions in our mapping files. A failure of the seller's
// own configuration or mapping is not the marketplace's to fix: it is told
// only that the seller could not take the request, and the code.
func publicMessage(e *Error) string {
	if e.Kind == KindConfiguration || e.Kind == KindMapping {
		return "the seller's integration could not take this request (" + e.Code + "); it will be fixed on the seller's side"
	}
	msg := e.Message
	if e.Path != "" {
		msg += " (at " + e.Path + ")"
	}
	return msg
}

// Variables returns the run-time variables a marketplace's mapping declares,
// sorted, or nil for an unknown marketplace.
func (e *Engine) Variables(marketplace string) []string {
	mk, ok := e.mappings[marketplace]
	if !ok {
		return nil
	}
	return sortedVarNames(mk)
}
