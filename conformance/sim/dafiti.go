package sim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/fiscal"
)

// Dafiti (seed 000; marketplaces.md section 1): GFG SellerCenter v2. Calls
// are signed with the SellerCenter signature (UserID, Timestamp, Version,
// Format and Signature as headers, or as query parameters) or carry an
// OAuth2 Bearer token from POST /oauth/client-credentials. Status changes
// are per ORDER ITEM. Errors use SellerCenter's envelope:
//
//	{"ErrorResponse": {"Head": {"RequestAction": "SetStatusToReadyToShip",
//	 "ErrorType": "Sender", "ErrorCode": "73",
//	 "ErrorMessage": "E073: All order items must have status Pending or Ready To Ship"},
//	 "Body": {"ErrorDetail": [...]}}}

// Dafiti's order item statuses.
const (
	dafPending     = "pending"
	dafReadyToShip = "ready_to_ship"
	dafShipped     = "shipped"
	dafDelivered   = "delivered"
	dafCanceled    = "canceled"
	dafFailed      = "failed"
)

func dafStatuses() []string {
	return []string{dafPending, dafReadyToShip, dafShipped, dafDelivered, dafCanceled, dafFailed}
}

// dafCancelReason is the only cancellation reason Dafiti offers (seed 000).
const dafCancelReason = "Sem estoque"

// dafFailureReasons are the failure reasons known: the seed's example of
// set-to-delivery-failed ("os motivos que estão na chamada GetFailureReasons").
var dafFailureReasons = []string{"CANCELAMENTO ANTES DA EMISSÃO DA NF"}

// dafMaxSkew is how far a signed Timestamp may be from the server's clock.
const dafMaxSkew = 5 * time.Minute

// dafTokenTTL is the lifetime of an OAuth2 token (GFG: expires_in 3600).
const dafTokenTTL = time.Hour

// dafMove is one status endpoint: the legacy action name its errors
// report, the statuses its items may be in, where they go, and the error
// code and message of a wrong status.
type dafMove struct {
	action string
	from   []string
	to     string
	code   int
	msg    string
}

var dafMoves = map[string]dafMove{
	"set-to-ready-to-ship": {action: "SetStatusToReadyToShip", from: []string{dafPending, dafReadyToShip}, to: dafReadyToShip,
		code: 73, msg: "All order items must have status Pending or Ready To Ship"},
	"set-to-shipped": {action: "SetStatusToShipped", from: []string{dafReadyToShip}, to: dafShipped,
		code: 28, msg: "Not possible to set status: order items must be Ready To Ship"},
	"set-to-delivered": {action: "SetStatusToDelivered", from: []string{dafShipped, dafDelivered}, to: dafDelivered,
		code: 28, msg: "Not possible to set status: order items must be Shipped"},
	"set-to-cancelled": {action: "SetStatusToCanceled", from: []string{dafPending}, to: dafCanceled,
		code: 28, msg: "Not possible to set status: only Pending order items can be canceled"},
	"set-to-delivery-failed": {action: "SetStatusToFailedDelivery", from: []string{dafShipped}, to: dafFailed,
		code: 28, msg: "Not possible to set status: order items must be Shipped"},
}

type dafiti struct {
	s      *Server
	book   *book
	tokens tokenStore
}

func newDafiti(s *Server) *dafiti { return &dafiti{s: s, book: newBook(dafPending)} }

func (*dafiti) id() string { return Dafiti }

func (d *dafiti) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/client-credentials", d.token)
	for name, mv := range dafMoves {
		mux.Handle("POST /v2/orders/statuses/"+name, d.auth(mv.action, d.move(name)))
	}
	mux.Handle("GET /v2/orders-failure-reasons", d.auth("GetFailureReasons", http.HandlerFunc(d.failureReasons)))
	return mux
}

// dafError is a SellerCenter error: its number (73 for E073) and message.
type dafError struct {
	status int
	code   int
	msg    string
	detail []map[string]any
}

func (d *dafiti) fail(w http.ResponseWriter, status int, code, msg string) {
	n := 0
	if c, ok := strings.CutPrefix(code, "E"); ok {
		n, _ = strconv.Atoi(c)
	}
	d.writeError(w, "", dafError{status: status, code: n, msg: msg})
}

// writeError writes e in SellerCenter's envelope; ErrorCode is the number,
// ErrorMessage starts with the E0xx code.
func (d *dafiti) writeError(w http.ResponseWriter, action string, e dafError) {
	head := map[string]any{"RequestAction": action, "ErrorType": "Sender", "ErrorCode": "", "ErrorMessage": e.msg}
	if e.code > 0 {
		head["ErrorCode"] = strconv.Itoa(e.code)
		head["ErrorMessage"] = fmt.Sprintf("E%03d: %s", e.code, e.msg)
	}
	if e.status >= 500 {
		head["ErrorType"] = "Platform"
	}
	var body any = ""
	if len(e.detail) > 0 {
		body = map[string]any{"ErrorDetail": e.detail}
	}
	writeJSON(w, e.status, map[string]any{"ErrorResponse": map[string]any{"Head": head, "Body": body}})
}

// auth accepts a call signed with the SellerCenter signature or carrying a
// Bearer token issued by /oauth/client-credentials; its errors name action.
func (d *dafiti) auth(action string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e, ok := d.authError(r); !ok {
			d.writeError(w, action, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *dafiti) authError(r *http.Request) (dafError, bool) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if !d.tokens.valid(strings.TrimSpace(tok), d.s.now()) {
			return dafError{status: http.StatusUnauthorized, code: 9, msg: "Access Denied: the Bearer token is invalid or expired; request a new one"}, false
		}
		return dafError{}, true
	}
	params, sig, ok := signedParams(r)
	if !ok {
		return dafError{status: http.StatusUnauthorized, code: 1,
			msg: "Parameter Signature is mandatory: sign the call (UserID, Timestamp, Version, Format, Signature) or send an OAuth2 Bearer token"}, false
	}
	return d.checkSignature(params, sig)
}

// dafSignedHeaders are the headers signed with placement headers: the
// SellerCenter parameters (Falabella's header-signed actions use the same
// names; Action and Service are signed when present).
var dafSignedHeaders = []string{"Action", "Format", "Service", "Timestamp", "UserID", "Version"}

// signedParams returns the signed parameters and the signature: from the
// headers when a Signature header is present, else from the query string
// (every parameter but Signature).
func signedParams(r *http.Request) (url.Values, string, bool) {
	if sig := r.Header.Get("Signature"); sig != "" {
		p := url.Values{}
		for _, name := range dafSignedHeaders {
			if v, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
				p[name] = v
			}
		}
		return p, sig, true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || q.Get("Signature") == "" {
		return nil, "", false
	}
	sig := q.Get("Signature")
	delete(q, "Signature")
	return q, sig, true
}

func (d *dafiti) checkSignature(p url.Values, sig string) (dafError, bool) {
	unauthorized := func(code int, msg string) (dafError, bool) {
		return dafError{status: http.StatusUnauthorized, code: code, msg: msg}, false
	}
	for _, name := range []string{"UserID", "Timestamp", "Version", "Format"} {
		if p.Get(name) == "" {
			return unauthorized(1, "Parameter "+name+" is mandatory")
		}
	}
	if p.Get("Version") != "1.0" {
		return unauthorized(2, "Invalid Version: want 1.0")
	}
	ts, err := parseTimestamp(p.Get("Timestamp"))
	if err != nil {
		return unauthorized(4, "Invalid Timestamp format: want ISO 8601, e.g. 2015-07-01T11:11:11+00:00")
	}
	if skew := d.s.now().Sub(ts); skew > dafMaxSkew || skew < -dafMaxSkew {
		return unauthorized(3, fmt.Sprintf("Timestamp has expired: %s is more than %s from the server's time", p.Get("Timestamp"), dafMaxSkew))
	}
	want := sellerCenterSignature(p, d.s.secrets.get(Dafiti, "apiKey"))
	if !same(p.Get("UserID"), d.s.secrets.get(Dafiti, "userId")) || subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return unauthorized(7, "Login failed. Signature mismatching")
	}
	return dafError{}, true
}

func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}

// token handles POST /oauth/client-credentials: grant_type
// client_credentials with the client id and secret in HTTP Basic auth (or
// as client_id and client_secret form fields); RFC 6749 answers.
func (d *dafiti) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "want grant_type=client_credentials"})
		return
	}
	id, secret := clientCredentials(r)
	if !same(id, d.s.secrets.get(Dafiti, "clientId")) || !same(secret, d.s.secrets.get(Dafiti, "clientSecret")) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sellercenter"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client id or wrong secret"})
		return
	}
	tok := newToken("sim-dafiti-")
	d.tokens.issue(tok, d.s.now().Add(dafTokenTTL))
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(dafTokenTTL.Seconds())})
}

// clientCredentials reads the client id and secret from Basic auth (the
// values are form-encoded first, RFC 6749 2.3.1) or from the form.
func clientCredentials(r *http.Request) (string, string) {
	if id, secret, ok := r.BasicAuth(); ok {
		uid, err1 := url.QueryUnescape(id)
		usec, err2 := url.QueryUnescape(secret)
		if err1 == nil && err2 == nil {
			return uid, usec
		}
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// move handles POST /v2/orders/statuses/<name>.
func (d *dafiti) move(name string) http.Handler {
	mv := dafMoves[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := readJSON(w, r)
		if err != nil {
			d.writeError(w, mv.action, dafError{status: http.StatusBadRequest, code: 5, msg: "Invalid Request Format: malformed JSON: " + err.Error()})
			return
		}
		ids, e, ok := dafCheckBody(name, v)
		if !ok {
			d.writeError(w, mv.action, e)
			return
		}
		if e, ok := d.apply(mv, ids); !ok {
			d.writeError(w, mv.action, e)
			return
		}
		writeJSON(w, http.StatusOK, map[string][]int64{"orderItemIds": ids})
	})
}

// apply moves every item, or none when one is in a wrong status.
func (d *dafiti) apply(mv dafMove, ids []int64) (dafError, bool) {
	d.book.mu.Lock()
	defer d.book.mu.Unlock()
	var detail []map[string]any
	for _, id := range ids {
		if st := d.book.peek(itemKey(id)); !slices.Contains(mv.from, st) {
			detail = append(detail, map[string]any{"OrderItemId": id, "Status": st,
				"Message": fmt.Sprintf("order item %d is %s; %s needs %s", id, st, mv.action, strings.Join(mv.from, " or "))})
		}
	}
	if len(detail) > 0 {
		return dafError{status: http.StatusUnprocessableEntity, code: mv.code, msg: mv.msg, detail: detail}, false
	}
	now := d.s.now()
	for _, id := range ids {
		if o := d.book.get(itemKey(id)); o.Status != mv.to {
			o.move(mv.to, mv.action, now)
		}
	}
	return dafError{}, true
}

func itemKey(id int64) string { return strconv.FormatInt(id, 10) }

func (d *dafiti) failureReasons(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]string{{"name": dafCancelReason, "type": "canceled"}}
	for _, r := range dafFailureReasons {
		out = append(out, map[string]string{"name": r, "type": "failed"})
	}
	writeJSON(w, http.StatusOK, out)
}

// dafView is the admin view: Dafiti keeps a status per order item.
type dafView struct {
	Marketplace string  `json:"marketplace"`
	Start       string  `json:"start"`
	OrderItems  []order `json:"orderItems"`
}

func (d *dafiti) view() any {
	return dafView{Marketplace: Dafiti, Start: dafPending, OrderItems: d.book.snapshot()}
}

func (d *dafiti) setStatus(id, status string) error {
	if !slices.Contains(dafStatuses(), status) {
		return unknownStatus(status, dafStatuses())
	}
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 || itemKey(n) != id {
		return fmt.Errorf("order item id %q: want Dafiti's numeric orderItemId", id)
	}
	d.book.set(id, status, d.s.now())
	return nil
}

func (d *dafiti) reset() { d.book.reset() }

// dafCheckBody checks a status call's body and returns its order item ids.
func dafCheckBody(name string, v any) ([]int64, dafError, bool) {
	bad := func(code int, msg string) ([]int64, dafError, bool) {
		return nil, dafError{status: http.StatusBadRequest, code: code, msg: msg}, false
	}
	m, ok := object(v)
	if !ok {
		return bad(5, "Invalid Request Format: the body must be a JSON object")
	}
	if name == "set-to-ready-to-ship" {
		return dafCheckReadyToShip(m)
	}
	raw, ok := list(m, "orderItemIds")
	if !ok {
		return bad(23, "Invalid Order Item IDs: orderItemIds must list the order item ids")
	}
	ids, ok := itemIDs(raw, func(x any) any { return x })
	if !ok {
		return bad(20, "Invalid Order Item ID: each id must be a whole number above 0")
	}
	switch reason, _ := m["reason"].(string); name {
	case "set-to-cancelled":
		if reason != dafCancelReason {
			return bad(22, fmt.Sprintf("Invalid reason %q: Dafiti cancels only for %q", reason, dafCancelReason))
		}
	case "set-to-delivery-failed":
		if !slices.Contains(dafFailureReasons, reason) {
			return bad(22, fmt.Sprintf("Invalid reason %q: use a failed reason from /v2/orders-failure-reasons (%s)", reason, strings.Join(dafFailureReasons, "; ")))
		}
	}
	return ids, dafError{}, true
}

// itemIDs reads the order item ids of items, each taken by get.
func itemIDs(items []any, get func(any) any) ([]int64, bool) {
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		id, ok := positive(get(it))
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

func dafCheckReadyToShip(m map[string]any) ([]int64, dafError, bool) {
	bad := func(code int, msg string) ([]int64, dafError, bool) {
		return nil, dafError{status: http.StatusBadRequest, code: code, msg: msg}, false
	}
	items, ok := list(m, "orderItems")
	if !ok {
		return bad(23, `Invalid Order Item IDs: orderItems must list the items as [{"id": 9172}]`)
	}
	ids, ok := itemIDs(items, func(x any) any { o, _ := object(x); return o["id"] })
	if !ok {
		return bad(20, `Invalid Order Item ID: each of orderItems needs "id", a whole number above 0`)
	}
	deliveryType, _ := m["deliveryType"].(string)
	if !slices.Contains([]string{"dropship", "pickup", "send_to_warehouse"}, deliveryType) {
		return bad(24, fmt.Sprintf("Invalid Delivery Type %q: want dropship, pickup or send_to_warehouse", deliveryType))
	}
	if _, ok := text(m, "shippingProvider"); !ok {
		return bad(25, "Invalid Shipping Provider: shippingProvider is required")
	}
	if _, ok := text(m, "trackingNumber"); !ok {
		return bad(26, "Invalid Tracking Number: trackingNumber is required")
	}
	key, _ := m["accessKey"].(string)
	if err := fiscal.CheckNFeKey(key); err != nil {
		return bad(5, fmt.Sprintf("Invalid Request Format: accessKey %q is not a valid NF-e access key: %v", key, err))
	}
	return ids, dafError{}, true
}
