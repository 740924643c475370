package engine

import (
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
)

func (mk *compiledMapping) compileAuth(c *compiler) {
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
		mk.auth[name] = mk.checkScheme(c, name, &s, "/auth/schemes/"+jsonptr.Escape(name))
	}
}

func (mk *compiledMapping) checkScheme(c *compiler, name string, s *mapping.AuthScheme, ptr string) *authPlan {
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
		use("headers/"+jsonptr.Escape(h), s.Headers.Values[h])
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
