package engine

import (
	"crypto/subtle"
	"fmt"
	"net/http"
)

// CheckInboundAuth checks an inbound request's headers against its route's
// auth: each header the route names must equal the secret it names (Fast
// Shop's hub sends X-API-AppKey and X-API-AppToken). secret looks a secret
// up by name, e.g. deliver.EnvSecrets for marketplace. It returns nil, an
// *Error of kind rejected with code unauthorized naming the header, or of
// kind configuration when a secret is not set. Secret values are compared
// in constant time and never appear in errors. Safe for concurrent use.
func (e *Engine) CheckInboundAuth(marketplace, route string, header http.Header, secret func(name string) (string, bool)) error {
	mk, err := e.compiled(marketplace)
	if err != nil {
		return err
	}
	rt, err := mk.route(route)
	if err != nil {
		return err
	}
	for _, h := range sortedKeys(rt.authSecrets) {
		if err := mk.checkHeader(rt, h, header.Get(h), secret); err != nil {
			return err
		}
	}
	return nil
}

func (mk *compiledMapping) checkHeader(rt *route, h, got string, secret func(string) (string, bool)) error {
	name := rt.authSecrets[h]
	want, ok := secret(name)
	if !ok || want == "" {
		return &Error{Kind: KindConfiguration, Code: CodeMissingSecret, Source: rt.pos,
			Message: fmt.Sprintf("secret %s is not set; set %s to check the %s route's %s header", name, SecretEnvName(mk.id, name), rt.name, h)}
	}
	if got == "" {
		return &Error{Kind: KindRejected, Code: CodeUnauthorized, Source: rt.pos,
			Message: fmt.Sprintf("the request has no %s header, which the %s %s route requires", h, mk.id, rt.name)}
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return &Error{Kind: KindRejected, Code: CodeUnauthorized, Source: rt.pos,
			Message: fmt.Sprintf("the request's %s header does not hold the %s secret", h, name)}
	}
	return nil
}
