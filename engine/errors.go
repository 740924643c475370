package engine

import (
	"fmt"

	"github.com/rotahq/rota/engine/diag"
)

// Kind classifies why an event produced no call. Kinds are part of the CLI
// contract (docs/errors.md); they are append-only.
type Kind string

// Kinds of translation errors.
const (
	// KindInvalidEvent: the event breaks the canonical schema or a field
	// rule, or lacks a field the mapping needs. Path is the JSON pointer.
	KindInvalidEvent Kind = "invalid_event"
	// KindRejected: a rule of the mapping refused the event (a guard, a
	// transition the status table does not allow, a host not allowed).
	KindRejected Kind = "rejected"
	// KindUnsupported: the marketplace has no call for this event type.
	KindUnsupported Kind = "unsupported"
	// KindUnknownMarketplace: no mapping has the event's marketplace id.
	KindUnknownMarketplace Kind = "unknown_marketplace"
	// KindConfiguration: the run lacks something the mapping needs (a
	// variable, an environment); fix the command or deployment, not the event.
	KindConfiguration Kind = "configuration"
	// KindMapping: the mapping failed at run time in a way loading could not
	// foresee (an expression error); fix the mapping.
	KindMapping Kind = "mapping_error"
)

// Stable error codes. Guards add their own codes, declared in mappings.
const (
	CodeMalformedJSON        = "malformed_json"
	CodeDuplicateKey         = "duplicate_key"
	CodeUnknownField         = "unknown_field"
	CodeMissingField         = "missing_field"
	CodeWrongType            = "wrong_type"
	CodeBadFormat            = "bad_format"
	CodeBadValue             = "bad_value"
	CodeNFeKeyCheckDigit     = "nfe_key_check_digit"
	CodeNFeKeyInvalid        = "nfe_key_invalid"
	CodeTransitionNotAllowed = "transition_not_allowed"
	CodeFinalStatus          = "final_status"
	CodeNoTableEntry         = "no_table_entry"
	CodeHostNotAllowed       = "host_not_allowed"
	CodeBadBaseURL           = "bad_base_url"
	CodeUnsupported          = "unsupported"
	CodeNotMapped            = "not_mapped"
	CodeUnknownMarketplace   = "unknown_marketplace"
	CodeUnknownEnvironment   = "unknown_environment"
	CodeMissingVariable      = "missing_variable"
	CodeUnknownVariable      = "unknown_variable"
	CodeUnknownRoute         = "unknown_route"
	CodeExpressionFailed     = "expression_failed"
	CodeBadOutput            = "bad_output"
	CodeNoEvents             = "no_events"
	CodeMissingOrderID       = "missing_order_id"
	CodeAmbiguousRoute       = "ambiguous_route"
	CodeMissingPath          = "missing_path"
	// CodeUnauthorized: an inbound request lacks a header its route
	// requires, or the header does not hold the expected secret.
	CodeUnauthorized = "unauthorized"
	// CodeUnknownAuthScheme: the run names an auth scheme the mapping
	// does not declare.
	CodeUnknownAuthScheme = "unknown_auth_scheme"
	// CodeMissingSecret: a secret the mapping needs is not set.
	CodeMissingSecret = "missing_secret"
	// CodeTooLarge: the event or payload is larger than MaxInputBytes.
	CodeTooLarge = "too_large"
	// CodeTooDeep: objects and arrays nest deeper than MaxDepth.
	CodeTooDeep = "too_deep"
	// CodeStringTooLong: a string or key is longer than MaxStringBytes.
	CodeStringTooLong = "string_too_long"
	// CodeArrayTooLong: an array holds more than MaxArrayLen elements.
	CodeArrayTooLong = "array_too_long"
	// CodeInvalidUTF8: a string or key is not valid UTF-8, or escapes half
	// of a surrogate pair.
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeNumberOutOfRange: an integer outside MinInteger..MaxInteger, or
	// a number float64 cannot hold.
	CodeNumberOutOfRange = "number_out_of_range"
	// CodeDotSegment: a URL path segment built from data is . or .., which
	// a server or proxy would resolve to another path.
	CodeDotSegment = "dot_segment"
	// CodeControlCharacter: a header value built from data holds a control
	// character (CR, LF, NUL...).
	CodeControlCharacter = "control_character"
	// CodeBadBase64: a body value marked decode: base64 is not standard
	// base64.
	CodeBadBase64 = "bad_base64"
	// CodeCallBodyTooLarge: a body that is not JSON would be larger than
	// MaxBodyBytes.
	CodeCallBodyTooLarge = "call_body_too_large"
)

// Error is why an event (or an inbound payload) produced no call. It is the
// "error" object of the CLI contract.
type Error struct {
	Kind Kind   `json:"kind"`
	Code string `json:"code"`
	// Message is for people: what is wrong and what to do.
	Message string `json:"message"`
	// MarketplaceCode is the marketplace's own error code, where it documents one.
	MarketplaceCode string `json:"marketplaceCode,omitempty"`
	// Path is the JSON pointer of the offending value in the event.
	Path string `json:"path,omitempty"`
	// Source is the mapping rule that decided; it shows, in JSON too, as
	// file:line:col.
	Source diag.Pos `json:"source,omitzero"`
	// Details lists further problems of the same input (invalid_event).
	Details []Detail `json:"details,omitempty"`
	// Response is the error answer the marketplace understands (inbound
	// routes that declare one).
	Response *Response `json:"-"`
	// Err is the underlying cause, when there is one.
	Err error `json:"-"`
}

// Detail is one more problem found in the same input.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s: %s", e.Kind, e.Code, e.Message)
	if e.Path != "" {
		s += " (at " + e.Path + ")"
	}
	if !e.Source.IsZero() {
		s += " [" + e.Source.String() + "]"
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Kind and Code, so callers can write
// errors.Is(err, &engine.Error{Kind: engine.KindRejected, Code: "state_not_changeable"}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}
