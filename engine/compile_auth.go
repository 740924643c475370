package engine

import (
	"fmt"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/lang"
	"github.com/rotahq/rota/engine/mapping"
)

// inboundNames are the variables inbound templates see, besides the input
// (named by the route's as:, default input).
var inboundNames = []string{"payload", "index", "vars", "orderId", "now"}

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
	if r.Each != nil {
		ic.opts.Names = inboundNames
		out.each = ic.expr(r.Each.Node, lang.Options{})
		if ch, ok := chainOf(out.each); ok && ch.Root == lang.RootInbound && ch.Segs[0] == "payload" {
			out.eachBase = ch.Segs[1:]
		}
		ic.opts.Names = append([]string{out.as}, inboundNames...)
	}
	if r.Event.Kind != 0 {
		out.event = ic.template(&r.Event)
	} else {
		ic.errorf(out.pos, diag.SchemaViolation, "inbound route %s needs event: the canonical event template", name)
	}
	ic.opts.Names = []string{"payload", "events", "orderId", "vars", "now"}
	out.response = ic.routeResponse(r.Response)
	ic.opts.Names = []string{"payload", "error", "vars"}
	out.errResp = ic.routeResponse(r.Error)
	c.ds = ic.ds
	return out
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
