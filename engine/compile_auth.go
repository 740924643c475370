package engine

import (
	"fmt"
	"strings"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/lang"
	"github.com/rotahq/rota/engine/mapping"
)

// inboundNames are the variables inbound templates see, besides the input
// (named by the route's as:, default input). params and query come from the
// request's path and query string.
var inboundNames = []string{"payload", "index", "vars", "orderId", "now", "params", "query"}

// matchNames are what a route's match condition sees: the request, not
// anything the route builds.
var matchNames = []string{"payload", "vars", "params", "query"}

// orderIDNames are what a route's orderId template sees, besides the input:
// sequence is a number the caller keeps per marketplace (rota serve stores
// it; rota ingest takes --sequence).
var orderIDNames = []string{"payload", "index", "vars", "now", "params", "query", "sequence"}

func (mk *market) compileAuth(c *compiler) {
	a := c.src.Auth
	if a == nil {
		return
	}
	mk.authDefault, mk.authNames = a.Default, a.Schemes.Keys
	if _, ok := a.Schemes.Values[a.Default]; !ok {
		c.errorf(c.file.PosOf("/auth/default"), diag.UnknownAuthScheme, "auth.default %q is not one of the schemes declared under auth.schemes (%v)", a.Default, a.Schemes.Keys)
	}
	mk.auth = map[string]*authPlan{}
	for _, name := range a.Schemes.Keys {
		s := a.Schemes.Values[name]
		mk.auth[name] = mk.checkScheme(c, name, &s, "/auth/schemes/"+esc(name))
	}
}

func (mk *market) checkScheme(c *compiler, name string, s *mapping.AuthScheme, ptr string) *authPlan {
	ap := &authPlan{name: name, scheme: s}
	declared := map[string]bool{}
	for _, n := range s.Secrets {
		declared[n] = true
	}
	use := func(field, secret string) {
		if secret != "" && !declared[secret] {
			c.errorf(c.file.PosOf(ptr+"/"+field), diag.UnknownSecret, "secret %q is not listed in this scheme's secrets: %v", secret, s.Secrets)
		}
	}
	for _, h := range s.Headers.Keys {
		use("headers/"+esc(h), s.Headers.Values[h])
	}
	use("userId", s.UserID)
	use("apiKey", s.APIKey)
	use("clientId", s.ClientID)
	use("clientSecret", s.ClientSecret)
	use("refreshToken", s.RefreshToken)
	ac := *c
	ac.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.AuthRules}
	if s.TokenURL.Kind != 0 {
		ap.tokenURL = ac.template(&s.TokenURL)
	}
	if s.Token != nil && s.Token.Body.Kind != 0 {
		ap.tokenBody = ac.template(&s.Token.Body)
	}
	if s.Token != nil && s.Token.RejectedWhen != nil {
		rc := ac
		rc.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.ResponseRules}
		ap.rejected = rc.expr(s.Token.RejectedWhen.Node, lang.Options{Bool: true})
		ac.ds = rc.ds
	}
	c.ds = ac.ds
	return ap
}

func (mk *market) compileRoutes(c *compiler) {
	mk.routes = map[string]*route{}
	for _, name := range c.src.Inbound.Keys {
		r := c.src.Inbound.Values[name]
		mk.routes[name] = mk.compileRoute(c, name, &r, "/inbound/"+esc(name))
	}
}

func (mk *market) compileRoute(c *compiler, name string, r *mapping.Route, ptr string) *route {
	out := &route{name: name, method: r.Method, path: r.Path, as: r.As, pos: c.file.PosOf(ptr), authSecrets: r.Auth.Values}
	if out.as == "" {
		out.as = "input"
	}
	ic := *c
	ic.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.Inbound, Names: append([]string{out.as}, inboundNames...)}
	gc := ic
	gc.opts.Names = inboundNames
	for i := range r.Guards {
		out.guards = append(out.guards, mk.compileGuard(&gc, &r.Guards[i], fmt.Sprintf("%s/guards/%d", ptr, i)))
	}
	ic.ds = gc.ds
	out.segs = ic.routePath(r, ptr, name)
	if r.Match != nil {
		mc := ic
		mc.opts.Names = matchNames
		out.match = mc.expr(r.Match.Node, lang.Options{Bool: true})
		ic.ds = mc.ds
	}
	if r.Each != nil {
		ic.opts.Names = inboundNames
		out.each = ic.expr(r.Each.Node, lang.Options{})
		if ch, ok := chainOf(out.each); ok && ch.Root == lang.RootInbound && ch.Segs[0] == "payload" {
			out.eachBase = ch.Segs[1:]
		}
		ic.opts.Names = append([]string{out.as}, inboundNames...)
	}
	if r.OrderID.Kind != 0 {
		oc := ic
		oc.opts.Names = append([]string{out.as}, orderIDNames...)
		out.orderID = oc.template(&r.OrderID)
		out.sequenced = readsName(out.orderID, "sequence")
		ic.ds = oc.ds
	}
	out.askOrderID, out.askTimeout = ic.orderIDMode(r, out.pos, name)
	if r.Event.Kind != 0 {
		out.event = ic.template(&r.Event)
	} else {
		ic.errorf(out.pos, diag.SchemaViolation, "inbound route %s needs event: the canonical event template", name)
	}
	ic.opts.Names = []string{"payload", "events", "orderId", "vars", "now", "params", "query"}
	out.response = ic.routeResponse(r.Response)
	ic.opts.Names = []string{"payload", "error", "vars"}
	out.errResp = ic.routeResponse(r.Error)
	c.ds = ic.ds
	mk.checkParams(c, out)
	return out
}

// routePath splits a route's path into segments and checks that it says
// how the route is called: method and path together, or a match.
func (c *compiler) routePath(r *mapping.Route, ptr, name string) []string {
	switch {
	case (r.Method == "") != (r.Path == ""):
		c.errorf(c.file.PosOf(ptr), diag.SchemaViolation, "inbound route %s gives method and path together (POST /api/fulfillment/pvt/orders): it has only one of them", name)
	case r.Path == "" && r.Match == nil:
		c.errorf(c.file.PosOf(ptr), diag.SchemaViolation, "inbound route %s says neither how the marketplace calls it (method and path) nor which payloads are its own (match)", name)
	}
	if r.Path == "" {
		return nil
	}
	segs := splitPath(r.Path)
	for _, s := range segs {
		if p, ok := pathParam(s); ok && p == "" || !ok && strings.ContainsAny(s, "{}?#") {
			c.errorf(c.file.PosOf(ptr+"/path"), diag.BadURL, "inbound route %s: path segment %q must be literal text or one {name} parameter, without a query string", name, s)
		}
	}
	return segs
}

// checkParams reports params.X read by a route whose path has no {X}.
func (mk *market) checkParams(c *compiler, rt *route) {
	declared := map[string]bool{}
	for _, s := range rt.segs {
		if p, ok := pathParam(s); ok {
			declared[p] = true
		}
	}
	progs := []*lang.Program{rt.match, rt.each}
	for _, t := range []*tmpl{rt.orderID, rt.event} {
		progs = append(progs, progsOf(t)...)
	}
	if rt.response != nil {
		progs = append(progs, progsOf(rt.response.body)...)
	}
	for _, p := range progs {
		if p == nil {
			continue
		}
		for _, rd := range p.Reads() {
			if rd.Root != lang.RootInbound || len(rd.Segs) < 2 || rd.Segs[0] != "params" || declared[rd.Segs[1]] {
				continue
			}
			c.errorf(p.Source().Pos, diag.UnknownField, "params.%s: the %s route's path (%s) has no {%s} segment", rd.Segs[1], rt.name, orNone(rt.path), rd.Segs[1])
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// splitPath splits a path at /, without the leading and trailing slash.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// pathParam gives the name of a {name} segment.
func pathParam(seg string) (string, bool) {
	if len(seg) < 2 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", false
	}
	name := seg[1 : len(seg)-1]
	if !isIdent(name) {
		return "", true
	}
	return name, true
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func readsName(t *tmpl, name string) bool {
	for _, p := range progsOf(t) {
		for _, rd := range p.Reads() {
			if rd.Root == lang.RootInbound && len(rd.Segs) > 0 && rd.Segs[0] == name {
				return true
			}
		}
	}
	return false
}

func (c *compiler) routeResponse(r *mapping.RouteResponse) *routeResponse {
	if r == nil {
		return nil
	}
	out := &routeResponse{status: r.Status}
	if out.status == 0 {
		out.status = 200
	}
	if r.Body.Kind != 0 {
		out.body = c.template(&r.Body)
	}
	return out
}

func chainOf(p *lang.Program) (lang.Path, bool) {
	if p == nil {
		return lang.Path{}, false
	}
	return p.Chain()
}
