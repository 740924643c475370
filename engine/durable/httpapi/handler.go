package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/internal/httpstatus"
	"github.com/rotahq/rota/engine/internal/prettyjson"
	"github.com/tidwall/gjson"
)

// Limits of the API.
const (
	// DefaultMaxBodyBytes bounds a request body (an event is a few KiB).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultListLimit is how many events GET /v1/events answers when the
	// request gives no limit.
	DefaultListLimit = durable.DefaultPageSize
	// MaxListLimit is the largest limit GET /v1/events accepts.
	MaxListLimit = durable.MaxPageSize
	// MaxSkipReason bounds the reason given to POST /v1/events/{id}/skip, in bytes.
	MaxSkipReason = 1000
	// readyTimeout bounds the readiness check.
	readyTimeout = 2 * time.Second
)

// Config configures the handler New returns.
type Config struct {
	// Service is the durable layer the API serves. Required.
	Service *durable.Service
	// Engine translates for POST /v1/translate. Required; use the engine
	// the Service was opened with.
	Engine *engine.Engine
	// TranslateOptions gives the options POST /v1/translate translates an
	// event of a marketplace with (environment, variables, base URL), so
	// that it shows the calls the Service would send. Nil: the defaults.
	TranslateOptions func(marketplace string) engine.TranslateOptions
	// Token is the API token clients send as "Authorization: Bearer TOKEN".
	// Required: the API has no unauthenticated mode.
	Token string
	// Gatherer is what GET /metrics exposes; nil means
	// prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Logger receives one line per request (method, route, status,
	// duration; never a header or a body). Nil: no request log.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Route is one route of the API: an HTTP method and a path template in the
// OpenAPI document's form (/v1/events/{id}).
type Route struct {
	Method string
	Path   string
	// Public routes need no token.
	Public bool
}

// Routes lists every route New serves, sorted by path then method. The
// OpenAPI document (schemas/openapi.yaml) describes exactly these.
func Routes() []Route {
	var out []Route
	for _, r := range (&handler{}).routes() {
		out = append(out, r.Route)
	}
	return out
}

type route struct {
	Route
	serve func(w http.ResponseWriter, r *http.Request) error
}

type handler struct {
	cfg       Config
	tokenHash [sha256.Size]byte
	mux       *http.ServeMux
	metrics   http.Handler
}

// New returns the API's handler. It fails when Service, Engine or Token is
// missing. The handler is safe for concurrent use.
func New(cfg Config) (http.Handler, error) {
	switch {
	case cfg.Service == nil:
		return nil, errors.New("httpapi: Config.Service is required")
	case cfg.Engine == nil:
		return nil, errors.New("httpapi: Config.Engine is required")
	case cfg.Token == "":
		return nil, errors.New("httpapi: Config.Token is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.DefaultGatherer
	}
	h := &handler{cfg: cfg, tokenHash: sha256.Sum256([]byte(cfg.Token)), mux: http.NewServeMux()}
	h.metrics = promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{})
	byPath := map[string][]route{}
	var paths []string
	for _, r := range h.routes() {
		if _, ok := byPath[r.Path]; !ok {
			paths = append(paths, r.Path)
		}
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	for _, p := range paths {
		// An inbound route's path has any number of segments.
		h.mux.Handle(strings.Replace(p, "{path}", "{path...}", 1), h.dispatch(byPath[p]))
	}
	h.mux.Handle("/", h.apiHandler(func(http.ResponseWriter, *http.Request) error {
		return requestError(CodeNotFound, "no such route; see schemas/openapi.yaml for the API")
	}))
	return h, nil
}

func (h *handler) routes() []route {
	rs := []route{
		{Route{http.MethodGet, "/healthz", true}, h.healthz},
		{Route{http.MethodGet, "/metrics", false}, h.serveMetrics},
		{Route{http.MethodGet, "/readyz", true}, h.readyz},
		{Route{http.MethodGet, "/v1/events", false}, h.listEvents},
		{Route{http.MethodPost, "/v1/events", false}, h.postEvent},
		{Route{http.MethodGet, "/v1/events/{id}", false}, h.getEvent},
		{Route{http.MethodPost, "/v1/events/{id}/replay", false}, h.replay},
		{Route{http.MethodPost, "/v1/events/{id}/skip", false}, h.skip},
		{Route{http.MethodGet, "/v1/orders/{marketplace}/{marketplaceOrderId}", false}, h.getOrder},
		{Route{http.MethodPost, "/v1/translate", false}, h.translate},
		{Route{http.MethodGet, "/v1/inbox", false}, h.inbox},
		{Route{http.MethodPost, "/v1/inbox/ack", false}, h.ackInbox},
		{Route{http.MethodPost, "/v1/inbox/{id}/replay", false}, h.replayForward},
		{Route{http.MethodPost, InboundPrefix + "{marketplace}/{path}", true}, h.inbound},
	}
	slices.SortFunc(rs, func(a, b route) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return rs
}

// ServeHTTP logs the request, checks the token (except on public routes)
// and dispatches it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{Writer: httpstatus.Writer{ResponseWriter: w}}
	// Inbound routes take the marketplace's own auth (the mapping's).
	public := r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || strings.HasPrefix(r.URL.Path, InboundPrefix)
	if !public && !h.authorized(r) {
		sw.Header().Set("WWW-Authenticate", `Bearer realm="rota"`)
		writeError(sw, requestError(CodeUnauthorized,
			"send the API token as the header \"Authorization: Bearer TOKEN\" (ROTA_API_TOKEN of the server)"))
	} else {
		h.mux.ServeHTTP(sw, r)
	}
	if h.cfg.Logger != nil {
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", cmp.Or(sw.Status(), http.StatusOK),
			"durationMs", float64(time.Since(start).Microseconds()) / 1000}
		if sw.errCode != "" {
			attrs = append(attrs, "error", sw.errCode)
		}
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slogAttrs(attrs)...)
	}
}

func slogAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
}

// authorized compares the request's bearer token with the configured one in
// constant time (over their SHA-256, so that the length leaks nothing either).
func (h *handler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(given[:], h.tokenHash[:]) == 1
}

// dispatch serves the routes sharing one path by method; another method is
// answered 405 with the methods allowed.
func (h *handler) dispatch(rs []route) http.Handler {
	allowed := make([]string, len(rs))
	for i, r := range rs {
		allowed[i] = r.Method
	}
	return h.apiHandler(func(w http.ResponseWriter, req *http.Request) error {
		for _, r := range rs {
			if r.Method == req.Method {
				return r.serve(w, req)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return requestError(CodeMethodNotAllowed, "%s is not allowed on %s; use %s", req.Method, req.URL.Path, strings.Join(allowed, " or "))
	})
}

// apiHandler turns a route function's error into the error answer.
func (h *handler) apiHandler(serve func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := serve(w, r)
		if err == nil {
			return
		}
		writeError(w, h.toAPIError(r, err))
	})
}

// toAPIError classifies err: an *engine.Error as it is, the durable layer's
// sentinel errors as request errors, anything else as an internal error
// whose cause goes to the log only.
func (h *handler) toAPIError(r *http.Request, err error) *engine.Error {
	var e *engine.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, durable.ErrNotFound):
		return requestError(CodeNotFound, "%s", sentence(err, durable.ErrNotFound))
	case errors.Is(err, durable.ErrConflict):
		return requestError(CodeConflict, "%s", sentence(err, durable.ErrConflict))
	case errors.Is(err, durable.ErrBadCursor):
		return requestError(CodeBadParameter, "cursor: pass the nextCursor of the previous page, as the server gave it")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return requestError(CodeNotReady, "the request was canceled before it completed; try again")
	}
	if h.cfg.Logger != nil {
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("cause", err.Error()))
	}
	return requestError(CodeInternal, "the server failed to handle the request; its log says why")
}

// sentence is err's message without the sentinel's own text, which the
// error code already says.
func sentence(err, sentinel error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+sentinel.Error())
	if msg == sentinel.Error() {
		return strings.TrimPrefix(msg, "durable: ")
	}
	return msg
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := h.cfg.Service.Ready(ctx); err != nil {
		return requestError(CodeNotReady, "not ready: %v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (h *handler) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	h.metrics.ServeHTTP(w, r)
	return nil
}

// postEvent accepts an event: 202 when it is queued for delivery, 200 when
// the mapping ignores it; a repeat of an accepted id answers the first
// acceptance, with "duplicate": true.
func (h *handler) postEvent(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	acc, err := h.cfg.Service.Accept(r.Context(), body)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if acc.State == durable.Ignored {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/v1/events/"+pathEscape(acc.EventID))
	return writeJSON(w, status, acc)
}

func (h *handler) getEvent(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	rec, err := h.cfg.Service.Event(r.Context(), id)
	if errors.Is(err, durable.ErrNotFound) {
		return requestError(CodeNotFound, "no event has id %q", id)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (h *handler) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := h.eventQuery(r)
	if err != nil {
		return err
	}
	page, err := h.cfg.Service.Events(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// states are the values of ?state=, for messages.
const states = "pending, delivered, ignored, dead, skipped"

func (h *handler) eventQuery(r *http.Request) (durable.EventQuery, error) {
	params := r.URL.Query()
	for name := range params {
		switch name {
		case "state", "marketplace", "cursor", "limit":
		default:
			return durable.EventQuery{}, requestError(CodeBadParameter, "unknown query parameter %q; want state, marketplace, cursor or limit", name)
		}
	}
	q := durable.EventQuery{Cursor: params.Get("cursor"), Limit: DefaultListLimit}
	if s := params.Get("state"); s != "" {
		if !durable.State(s).Valid() {
			return q, requestError(CodeBadParameter, "state %q: want one of %s", s, states)
		}
		q.State = durable.State(s)
	}
	if m := params.Get("marketplace"); m != "" {
		if !slices.Contains(h.cfg.Engine.Marketplaces(), m) {
			return q, requestError(CodeBadParameter, "marketplace %q: want one of %s", m, strings.Join(h.cfg.Engine.Marketplaces(), ", "))
		}
		q.Marketplace = m
	}
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxListLimit {
			return q, requestError(CodeBadParameter, "limit %q: want a number from 1 to %d", l, MaxListLimit)
		}
		q.Limit = n
	}
	return q, nil
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request) error {
	rec, err := h.cfg.Service.Replay(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

// skipRequest is the optional body of POST /v1/events/{id}/skip.
type skipRequest struct {
	Reason string `json:"reason"`
}

func (h *handler) skip(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	var req skipRequest
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || dec.More() {
			return requestError(CodeMalformedJSON, "the body of skip is optional; when given, it is {\"reason\": \"...\"}")
		}
	}
	if len(req.Reason) > MaxSkipReason {
		return requestError(CodeBadParameter, "reason is %d bytes; keep it within %d", len(req.Reason), MaxSkipReason)
	}
	rec, err := h.cfg.Service.Skip(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (h *handler) getOrder(w http.ResponseWriter, r *http.Request) error {
	key := durable.OrderKey{Marketplace: r.PathValue("marketplace"), MarketplaceOrderID: r.PathValue("marketplaceOrderId")}
	rec, err := h.cfg.Service.Order(r.Context(), key)
	if errors.Is(err, durable.ErrNotFound) {
		return requestError(CodeNotFound, "no event of order %q of %s was accepted", key.MarketplaceOrderID, key.Marketplace)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

// translate answers the translation of an event, as `rota translate`
// prints it; nothing is stored or sent.
func (h *handler) translate(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	var opts engine.TranslateOptions
	if h.cfg.TranslateOptions != nil {
		opts = h.cfg.TranslateOptions(gjson.GetBytes(body, "marketplace").String())
	}
	res, err := h.cfg.Engine.Translate(body, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// readBody reads the request body up to the limit.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return nil, tooLarge(h.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(h.cfg.MaxBodyBytes)
	case err != nil:
		return nil, requestError(CodeMalformedJSON, "cannot read the request body: %v", err)
	}
	return body, nil
}

func tooLarge(limit int64) *engine.Error {
	return requestError(CodeBodyTooLarge, "the request body is larger than %d bytes, the limit", limit)
}

// writeJSON answers v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := prettyjson.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// writeError answers the error document with the error's status.
func writeError(w http.ResponseWriter, e *engine.Error) {
	if sw, ok := w.(*statusWriter); ok {
		sw.errCode = e.Code
	}
	_ = writeJSON(w, statusOf(e), errorBody{Error: e})
}

// statusWriter remembers the status and error code of the answer, for the
// request log.
type statusWriter struct {
	httpstatus.Writer
	errCode string
}
