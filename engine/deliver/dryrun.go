package deliver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
)

// DryRequest is a request as Send would send it, with secret values
// replaced by Redacted. Derived values, such as the SellerCenter Signature
// and Timestamp, are shown as computed.
type DryRequest struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
	// ContentType, BodyText and BodyBase64 show a body that is not JSON
	// (raw, form, multipart) as engine.Call does, secret values replaced by
	// Redacted in its bytes before they are shown.
	ContentType string `json:"contentType,omitempty"`
	BodyText    string `json:"bodyText,omitempty"`
	BodyBase64  string `json:"bodyBase64,omitempty"`
	// Confirm is the status query that would confirm the call (Sender.Confirm).
	Confirm *DryRequest `json:"confirm,omitempty"`
}

// DryRun builds and authorizes each request of res exactly as Send would,
// signature included, without sending anything. Token services are not
// called: the token header shows where the token would come from. The
// Store is not consulted. Errors are as Send's configuration errors.
func (s *Sender) DryRun(ctx context.Context, res *engine.Result) ([]DryRequest, error) {
	out := []DryRequest{}
	if res.Outcome != engine.OutcomeSend || len(res.Calls) == 0 {
		return out, nil
	}
	auth, err := s.authorizerFor(res.Marketplace)
	if err != nil {
		return nil, err
	}
	for i := range res.Calls {
		call := &res.Calls[i]
		dr, err := s.dryRequest(ctx, call, auth)
		if err != nil {
			return nil, err
		}
		if cf := call.Confirmation(); s.Confirm && cf != nil {
			q, err := s.dryRequest(ctx, &cf.Query, auth)
			if err != nil {
				return nil, err
			}
			if q.Name == "" {
				q.Name = "confirm" // the engine leaves query calls unnamed
			}
			dr.Confirm = &q
		}
		out = append(out, dr)
	}
	return out, nil
}

func (s *Sender) dryRequest(ctx context.Context, call *engine.Call, auth authorizer) (DryRequest, error) {
	req, err := buildRequest(ctx, call)
	if err != nil {
		return DryRequest{}, err
	}
	if err := auth.authorize(ctx, req, true); err != nil {
		return DryRequest{}, err
	}
	scrub := scrubber(auth.secretValues())
	dr := DryRequest{Name: call.Name, Method: req.Method, Headers: map[string]string{}, Body: call.Body}
	if call.Encoded != nil {
		dr.ContentType = call.ContentType
		shown := []byte(scrub.Replace(string(call.Encoded)))
		if utf8.Valid(shown) {
			dr.BodyText = string(shown)
		} else {
			dr.BodyBase64 = base64.StdEncoding.EncodeToString(shown)
		}
	}
	for name, vs := range req.Header {
		dr.Headers[name] = scrub.Replace(strings.Join(vs, ", "))
	}
	req.URL.RawQuery = redactQuery(req.URL.RawQuery, scrub)
	dr.URL = req.URL.String()
	return dr, nil
}

// redactQuery replaces the value of each query parameter that holds a
// secret with Redacted, keeping the others as they are.
func redactQuery(raw string, scrub *strings.Replacer) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, v, _ := strings.Cut(p, "=")
		dec, err := url.QueryUnescape(v)
		if err != nil {
			dec = v
		}
		if scrub.Replace(dec) != dec || scrub.Replace(v) != v {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}
