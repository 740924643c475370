package mapping

import (
	"go.yaml.in/yaml/v3"
)

// Mapping is one marketplace, as an analyst describes it in mappings/<id>.yaml.
// Values that hold expressions or templates keep their YAML node so that the
// compiler can report problems at file:line:col.
type Mapping struct {
	// Marketplace is the id events name in their marketplace field (^[a-z][a-z0-9_-]*$).
	Marketplace string `yaml:"marketplace"`
	// Name is the display name.
	Name string `yaml:"name"`
	// Docs are links to the marketplace's documentation.
	Docs []string `yaml:"docs"`
	// Timezone is the IANA zone dates are rendered in (America/Sao_Paulo).
	Timezone string `yaml:"timezone"`
	// Variables are values the mapping needs at run time (--var NAME=VALUE).
	Variables Map[Variable] `yaml:"variables"`
	// Environments are the places calls go to, by name (production, homologation).
	Environments Map[Environment] `yaml:"environments"`
	// Auth names how calls authenticate; secrets are named, never given.
	Auth *Auth `yaml:"auth"`
	// Headers are sent with every call; values are templates.
	Headers Map[yaml.Node] `yaml:"headers"`
	// Query parameters are sent with every call; values are templates. A
	// call's own entry of the same name replaces one, a null drops it.
	Query Map[yaml.Node] `yaml:"query"`
	// Statuses is the marketplace's status table: native code → meaning.
	Statuses Map[Status] `yaml:"statuses"`
	// Transitions lists, per native status, the statuses a call may move it to.
	Transitions Map[[]string] `yaml:"transitions"`
	// Tables are value tables: name → (key → marketplace wording).
	Tables Map[Map[string]] `yaml:"tables"`
	// Response is how to read the marketplace's answers (calls may override).
	Response *Response `yaml:"response"`
	// Queries are calls not tied to an event (status queries used to confirm).
	Queries Map[Call] `yaml:"queries"`
	// ReadBack is how to ask whether a call took effect when its answer was
	// lost (calls may override).
	ReadBack *ReadBack `yaml:"readBack"`
	// Events says, for each canonical event type, what to send.
	Events Map[EventRule] `yaml:"events"`
	// Inbound routes turn the marketplace's own payloads into canonical events.
	Inbound Map[Route] `yaml:"inbound"`
}

// Variable is a value a mapping needs at run time, such as a per-installation host.
type Variable struct {
	Description string `yaml:"description"`
	// Default is used when the variable is not given; without one the
	// variable is required, unless Optional.
	Default *string `yaml:"default"`
	// Optional variables may be left unset; reading one then counts as a
	// missing value (an optional key?: is omitted).
	Optional bool `yaml:"optional"`
	// Example is shown in help and errors.
	Example string `yaml:"example"`
}

// Environment is one place a marketplace can be called.
type Environment struct {
	Description string `yaml:"description"`
	// BaseURL is a template: a literal URL, ${ vars.baseUrl }, or a URL taken
	// from the event such as ${ order.servicesEndpoint }.
	BaseURL yaml.Node `yaml:"baseUrl"`
	// AllowedHosts restrict base URLs taken from event data: exact host names
	// or *.domain patterns. Required when BaseURL reads the event.
	AllowedHosts []string `yaml:"allowedHosts"`
	// AllowIPHosts lets AllowedHosts list IP addresses, which are refused
	// otherwise: a deliberate choice for a marketplace without host names.
	AllowIPHosts bool `yaml:"allowIPHosts"`
}

// Auth lists the authentication schemes a deployment may choose from.
type Auth struct {
	// Default names the scheme used unless the deployment picks another.
	Default string `yaml:"default"`
	// Schemes by name.
	Schemes Map[AuthScheme] `yaml:"schemes"`
}

// AuthScheme is one way of authenticating. Type decides which fields apply:
//
//   - none: no authentication.
//   - headers: Headers maps a header name to the secret sent in it.
//   - sellercenter-hmac: SellerCenter signature; UserID and APIKey name the
//     secrets; the signature is HMAC-SHA256 of the sorted, RFC 3986-encoded
//     parameters, recomputed for every call.
//   - oauth2-client-credentials: TokenURL, ClientID and ClientSecret (secret
//     names), Scopes; the token is cached and refreshed on 401.
//   - token: a token obtained from a token service (Token) and sent in a header.
//   - oauth2-authorization-code: TokenURL, ClientID and ClientSecret (secret
//     names), RefreshToken (the secret that seeds the token store); the
//     access and refresh tokens rotate through a token store.
type AuthScheme struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	// Secrets are the names of the secrets this scheme needs. Values come from
	// ROTA_SECRET_<MARKETPLACE>_<NAME> or a secrets file, never from mappings.
	Secrets []string `yaml:"secrets"`
	// Headers (type headers): header name → secret name.
	Headers Map[string] `yaml:"headers"`
	// UserID and APIKey (type sellercenter-hmac): secret names.
	UserID string `yaml:"userId"`
	APIKey string `yaml:"apiKey"`
	// Placement (type sellercenter-hmac): "query" (legacy ?Action=... signing) or "headers".
	Placement string `yaml:"placement"`
	// TokenURL (types oauth2-client-credentials and token): a template.
	TokenURL yaml.Node `yaml:"tokenUrl"`
	// ClientID and ClientSecret (type oauth2-client-credentials): secret names.
	ClientID     string   `yaml:"clientId"`
	ClientSecret string   `yaml:"clientSecret"`
	Scopes       []string `yaml:"scopes"`
	// RefreshToken (type oauth2-authorization-code): name of the secret
	// holding a first refresh token, used once when the token store has no
	// token pair yet.
	RefreshToken string `yaml:"refreshToken"`
	// Token (type token): how to ask for a token and where to send it.
	Token *TokenRequest `yaml:"token"`
}

// TokenRequest describes a token service call (type token).
type TokenRequest struct {
	Method string `yaml:"method"`
	// Body is a template that may read secrets.NAME and vars.NAME.
	Body yaml.Node `yaml:"body"`
	// Field is the gjson path of the token in the response (token, data.token).
	Field string `yaml:"field"`
	// Header is the header the token is sent in (x-access-token).
	Header string `yaml:"header"`
	// Prefix goes before the token in the header ("Bearer ").
	Prefix string `yaml:"prefix"`
	// RejectedWhen is a response rule (status, headers, body) that holds
	// when the marketplace refused the token; the sender then asks for a
	// new one once. Default: HTTP 401 or 403.
	RejectedWhen *Expr `yaml:"rejectedWhen"`
}

// Status is one entry of the marketplace's status table.
type Status struct {
	// Canonical is the canonical status this native status means.
	Canonical string `yaml:"canonical"`
	Label     string `yaml:"label"`
	// Final statuses accept no further transition.
	Final       bool   `yaml:"final"`
	Description string `yaml:"description"`
}

// EventRule says what to do with one canonical event type: exactly one of
// Calls, Ignore or Unsupported.
type EventRule struct {
	Description string `yaml:"description"`
	// Guards must all hold before any call is built.
	Guards []Guard `yaml:"guards"`
	// Calls are made in order; a call with When is made only when it holds.
	Calls []Call `yaml:"calls"`
	// Otherwise says what the rule answers when every call is skipped.
	Otherwise *Otherwise `yaml:"otherwise"`
	// IgnoreWhen are conditions checked in order, before the guards: the
	// first that holds answers ignore with its reason.
	IgnoreWhen []IgnoreWhen `yaml:"ignoreWhen"`
	// Ignore says why this marketplace needs no call (outcome ignore).
	Ignore string `yaml:"ignore"`
	// Unsupported says why this marketplace cannot be told (error unsupported).
	Unsupported string `yaml:"unsupported"`
}

// IgnoreWhen ignores the events for which When holds (outcome ignore),
// with Reason, a text template, as the reason.
type IgnoreWhen struct {
	When   Expr      `yaml:"when"`
	Reason yaml.Node `yaml:"reason"`
}

// Otherwise is what a rule with calls answers when its event makes none of
// them (every call's When is false): outcome ignore, with Ignore as the
// reason.
type Otherwise struct {
	Ignore string `yaml:"ignore"`
}

// Guard is a rule the event must satisfy: Require must be true, or the event
// is rejected with Code, Message and the marketplace's own error code.
type Guard struct {
	Code string `yaml:"code"`
	// When limits the guard to events for which it holds.
	When    *Expr     `yaml:"when"`
	Require Expr      `yaml:"require"`
	Message yaml.Node `yaml:"message"`
	// MarketplaceCode is the marketplace's own error code for this rule.
	MarketplaceCode string `yaml:"marketplaceCode"`
	// Path is the JSON pointer the refusal points at; by default the first
	// event field the rule reads.
	Path string `yaml:"path"`
}

// Call is one outbound HTTP request.
type Call struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// When makes the call conditional.
	When *Expr `yaml:"when"`
	// Method is the HTTP method (POST, PUT, PATCH, GET, DELETE).
	Method string `yaml:"method"`
	// Path is appended to the base URL; {expr} segments are percent-encoded.
	Path yaml.Node `yaml:"path"`
	// Query parameters: name → template, after the mapping's; a null value
	// drops the mapping's parameter of the same name.
	Query Map[yaml.Node] `yaml:"query"`
	// Headers for this call: name → template (added to the mapping's
	// headers); a null value drops the mapping's header of the same name.
	Headers Map[yaml.Node] `yaml:"headers"`
	// Body is a template that mirrors the JSON it produces.
	Body yaml.Node `yaml:"body"`
	// Raw, Form and Multipart are bodies that are not JSON (a call has at
	// most one of Body, Raw, Form, Multipart): see bodies.go.
	Raw       *RawBody       `yaml:"raw"`
	Form      Map[yaml.Node] `yaml:"form"`
	Multipart []Part         `yaml:"multipart"`
	// LeadsTo is the native status a successful call leaves the order in.
	LeadsTo string `yaml:"leadsTo"`
	// Response overrides the mapping's response rules for this call.
	Response *Response `yaml:"response"`
	// RateLimit is the marketplace's limit for this endpoint and method.
	RateLimit *RateLimit `yaml:"rateLimit"`
	// Confirm names a query to run after the call until it confirms the change.
	Confirm *Confirm `yaml:"confirm"`
	// ReadBack overrides the mapping's read-back for this call.
	ReadBack *ReadBack `yaml:"readBack"`
}

// Response tells how to read a marketplace's HTTP answer. Expressions see
// status, headers and body (decoded JSON).
type Response struct {
	// Success holds for a successful answer (default: 2xx).
	Success *Expr `yaml:"success"`
	// Retry holds for an answer worth retrying (default: 429 or 5xx).
	Retry *Expr `yaml:"retry"`
	// ErrorCode extracts the marketplace's own error code.
	ErrorCode *Expr `yaml:"errorCode"`
	// ErrorMessage extracts the marketplace's error message.
	ErrorMessage *Expr `yaml:"errorMessage"`
	// AlreadyApplied holds for an answer that refuses a repeat of a change
	// the marketplace had already made: the call counts as delivered.
	AlreadyApplied *Expr `yaml:"alreadyApplied"`
}

// ReadBack names a query that reads the order back, and the expression on
// its answer that is true when the call's change shows.
type ReadBack struct {
	Query   string `yaml:"query"`
	Applied Expr   `yaml:"applied"`
}

// RateLimit is a request rate.
type RateLimit struct {
	PerSecond float64 `yaml:"perSecond"`
	Burst     int     `yaml:"burst"`
}

// Confirm polls a query after a call until Until holds on its response.
type Confirm struct {
	Query    string `yaml:"query"`
	Until    Expr   `yaml:"until"`
	Attempts int    `yaml:"attempts"`
	Interval string `yaml:"interval"`
}

// Route is an inbound endpoint: the marketplace calls us with its payload.
type Route struct {
	Description string `yaml:"description"`
	// Method and Path say how the marketplace calls the route, as its
	// documentation writes it (POST /api/fulfillment/pvt/orders), relative
	// to the integration's prefix; a {name} segment is a path parameter.
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	// Match is a condition on the payload that picks this route when the
	// request's method and path do not (or are not known).
	Match *Expr `yaml:"match"`
	// OrderID is a template giving the seller's order id for one input: over
	// sequence (a number the caller keeps), the payload, params or vars.
	OrderID yaml.Node `yaml:"orderId"`
	// OrderIDMode says where the seller's order id of the synchronous
	// answer comes from: assign (the default: OrderID's template) or ask
	// (the seller's ERP, called within OrderIDTimeout by rota serve).
	OrderIDMode string `yaml:"orderIdMode"`
	// OrderIDTimeout bounds the ERP's answer in ask mode, as a Go duration
	// (default 5s, at most 60s).
	OrderIDTimeout string `yaml:"orderIdTimeout"`
	// Auth maps a request header to the secret it must equal.
	Auth Map[string] `yaml:"auth"`
	// Guards must all hold for the payload (they see payload, vars,
	// orderId, now) before any event is built.
	Guards []Guard `yaml:"guards"`
	// Each is an expression over payload giving the list of inputs (one
	// event each); without it the whole payload is the one input.
	Each *Expr `yaml:"each"`
	// As names the input inside templates (default input).
	As string `yaml:"as"`
	// Event is the canonical event template for one input.
	Event yaml.Node `yaml:"event"`
	// Response is what the marketplace expects back on success.
	Response *RouteResponse `yaml:"response"`
	// Error is what the marketplace understands as a failure; templates see
	// error.code and error.message.
	Error *RouteResponse `yaml:"error"`
}

// RouteResponse is an HTTP answer to an inbound call.
type RouteResponse struct {
	Status int       `yaml:"status"`
	Body   yaml.Node `yaml:"body"`
}

// RawBody is a body sent as the bytes of a text template: an XML
// document, a file taken from the event.
type RawBody struct {
	// ContentType is the media type sent in the Content-Type header.
	ContentType string `yaml:"contentType"`
	// Content is the text template of the body.
	Content yaml.Node `yaml:"content"`
	// Decode is "base64" when the text is base64 and the decoded bytes
	// are sent; empty to send the text itself.
	Decode string `yaml:"decode"`
}

// Part is one part of a multipart/form-data body.
type Part struct {
	// Name is the form field name.
	Name string `yaml:"name"`
	// Filename, a text template, makes the part a file part.
	Filename yaml.Node `yaml:"filename"`
	// ContentType is the part's media type (default text/plain;
	// charset=utf-8 for value parts, application/octet-stream for file
	// parts, application/json for JSON parts).
	ContentType string `yaml:"contentType"`
	// Content is a text template; a part has Content or JSON.
	Content yaml.Node `yaml:"content"`
	// JSON is a JSON template, sent as application/json.
	JSON yaml.Node `yaml:"json"`
	// Decode is "base64" when Content is base64 and the decoded bytes are
	// sent.
	Decode string `yaml:"decode"`
	// When makes the part conditional, as a call's when.
	When *Expr `yaml:"when"`
}
