package httpapi

import (
	"fmt"
	"net/http"

	"github.com/rotahq/rota/engine"
)

// KindRequest is the kind of the errors about the HTTP request itself (its
// token, body, path or parameters), as opposed to the event it carries.
const KindRequest engine.Kind = "request"

// Stable codes of the request errors (kind "request"), listed in
// docs/errors.md.
const (
	// CodeUnauthorized: the Authorization header is missing, is not a
	// Bearer token, or holds another token (401).
	CodeUnauthorized = "unauthorized"
	// CodeNotFound: no such route, event or order (404).
	CodeNotFound = "not_found"
	// CodeMethodNotAllowed: the route exists but not with this method (405).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeConflict: the event is not in a state the operation applies to,
	// such as replaying an event that is not dead (409).
	CodeConflict = "conflict"
	// CodeBodyTooLarge: the request body is larger than the limit (413).
	CodeBodyTooLarge = "body_too_large"
	// CodeMalformedJSON: a request body the API reads itself (skip's
	// reason) is not the JSON object it wants (400). An event that is not
	// JSON is an invalid_event with the engine's malformed_json code.
	CodeMalformedJSON = engine.CodeMalformedJSON
	// CodeBadParameter: a query parameter has a value the route does not
	// accept (state=unknown, limit=0, a cursor the server did not give) (400).
	CodeBadParameter = "bad_parameter"
	// CodeNotReady: the service cannot serve yet: the database is
	// unreachable or the workers are not running (503, /readyz).
	CodeNotReady = "not_ready"
	// CodeInternal: the server failed (a database error); the message says
	// no more than that, the log has the cause (500).
	CodeInternal = "internal"
)

// errorBody is the error document, as `rota translate` prints it.
type errorBody struct {
	Error *engine.Error `json:"error"`
}

// requestError builds an error of kind request.
func requestError(code, format string, args ...any) *engine.Error {
	return &engine.Error{Kind: KindRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status that answers an error: request errors by their
// code; an event the engine refuses with 400 (invalid) or 422 (valid but not
// deliverable); the server's own configuration or mapping with 500.
func statusOf(e *engine.Error) int {
	switch e.Kind {
	case KindRequest:
		return requestStatus[e.Code]
	case engine.KindInvalidEvent:
		return http.StatusBadRequest
	case engine.KindRejected, engine.KindUnsupported, engine.KindUnknownMarketplace:
		return http.StatusUnprocessableEntity
	default: // configuration, mapping_error
		return http.StatusInternalServerError
	}
}

var requestStatus = map[string]int{
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeConflict:         http.StatusConflict,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeMalformedJSON:    http.StatusBadRequest,
	CodeBadParameter:     http.StatusBadRequest,
	CodeNotReady:         http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
}
