package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mirakl Marketplace Platform, seller (shop) API (docs/marketplaces/mirakl.md,
// "the note" below, with its source keys): one instance per marketplace,
// paths under /api, the shop's API key as the whole Authorization header
// [MMP-NOTES], an optional shop_id query parameter on every order call
// [MMP-OAS]. Orders have order lines; OR21 accepts or refuses lines, OR23
// sets the tracking, OR24 ships, OR29 cancels the order, OR30 cancels
// lines, OR28 refunds, OR74 uploads documents (multipart). Successful
// writes answer 204 (OR21, OR23, OR24, OR29) or 200 with a body (OR28, OR30,
// OR74). The error body is [unknown]; the simulator answers
// {"status", "code", "message"} [inferred: the note's choice of a message].

// MiraklOptions configure the Mirakl simulator where the documentation
// leaves a behaviour to each marketplace (operator). The zero value is the
// default.
type MiraklOptions struct {
	// ShopID is the shop the API key belongs to (the only shop_id
	// accepted); 0 means DefaultMiraklShopID.
	ShopID int64
	// PartialAcceptanceDisabled refuses an OR21 that accepts some lines and
	// refuses others (ORDER_PARTIAL_ACCEPTANCE_DISABLED).
	PartialAcceptanceDisabled bool
	// HoldDebit keeps accepted orders in WAITING_DEBIT until the admin
	// endpoint moves them; by default the operator debits the customer at
	// once and the order goes to SHIPPING.
	HoldDebit bool
	// KnownOrdersOnly answers ORDER_NOT_FOUND (404) for an order the
	// simulator has not been given; by default an unseen order exists,
	// waiting for acceptance.
	KnownOrdersOnly bool
	// FileExtensions are the file types OR74 takes (lower case, no dot);
	// nil means the documented list (XML is not in it).
	FileExtensions []string
	// RatePerSecond, when above 0, limits the calls per API key, endpoint
	// and method in one-second windows: 429 with Retry-After [HEMI]. Mirakl
	// publishes no numbers; 0 means no limit.
	RatePerSecond int
	// ErrorStatus is the HTTP status of a business error (OR21's codes, a
	// call in the wrong state); 0 means 400 ([MKL-ISSUE-56] for OR24; the
	// status of OR21's codes is [unknown]).
	ErrorStatus int
}

// DefaultMiraklShopID is the simulated shop's id.
const DefaultMiraklShopID = 2001

// miraklSecrets are the simulator's public Mirakl credentials.
var miraklSecrets = map[string]string{"ROTA_SECRET_MIRAKL_APIKEY": "sim-mirakl-api-key"}

// Mirakl's order states [MMP-OAS OR11]; lines add INCIDENT_OPEN, REFUNDED.
var mklStates = []string{"STAGING", "WAITING_ACCEPTANCE", "WAITING_DEBIT", "WAITING_DEBIT_PAYMENT", "SHIPPING", "SHIPPED",
	"TO_COLLECT", "RECEIVED", "CLOSED", "REFUSED", "CANCELED"}

var mklLineStates = append(slices.Clone(mklStates), "INCIDENT_OPEN", "REFUNDED")

// mklDone are the line states a cancellation or refusal leaves.
var mklDone = []string{"REFUSED", "CANCELED", "CLOSED"}

// mklStart is the state of an order the simulator has not seen.
const mklStart = "WAITING_ACCEPTANCE"

// mklFileExtensions are OR74's allowed file types [MMP-OAS OR74].
var mklFileExtensions = []string{"csv", "doc", "xls", "xlsx", "ppt", "pdf", "odt", "ods", "odp", "txt", "rtf", "png", "jpg", "gif", "zpl", "mov", "mp4"}

// mklMaxDocuments is the most documents an order holds [MMP-OAS OR74].
const mklMaxDocuments = 50

// mklDocType is an operator document type (DO01).
type mklDocType struct {
	Code, Label, Description, Entity string
	// ShopMayUpload is false for the operator-only types [MMP-OAS OR74].
	ShopMayUpload bool
}

// mklDocTypes are DO01's example types [MMP-OAS DO01].
var mklDocTypes = []mklDocType{
	{"SYSTEM_DELIVERY_BILL", "Delivery slip", "Delivery slip", "ORDER", false},
	{"CUSTOMER_INVOICE", "Invoice", "Invoice", "ORDER", true},
	{"LEGAL_DOC", "Legal documents", "Legal documents", "SHOP", false},
	{"ID_CARD", "General Manager ID card", "General Manager ID card", "SHOP", false},
}

// mklCarrier is a carrier registered on the instance (SH21).
type mklCarrier struct{ Code, Label, StandardCode, URL string }

// mklCarriers are the simulated instance's carriers [inferred: each
// operator has its own list; UPS is the documentation's example].
var mklCarriers = []mklCarrier{
	{"UPS", "UPS", "UPS", "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={trackingId}"},
	{"DHL", "DHL", "DHL", "https://www.dhl.com/track?tracking-id={trackingId}"},
	{"CORREIOS", "Correios", "CORREIOS", "https://rastreamento.correios.com.br/app/index.php?objeto={trackingId}"},
}

// mklOrder is one order: its state, lines, tracking and documents.
type mklOrder struct {
	*order
	Lines     []*mklLine `json:"lines"`
	CanCancel bool       `json:"canCancel"`
	// Fulfilled: fulfilled by the operator; OR21 is refused.
	Fulfilled bool      `json:"fulfilled"`
	Carrier   *mklTrack `json:"tracking"`
	Documents []mklDoc  `json:"documents"`
	// TrackingUpdates counts the OR23 calls accepted.
	TrackingUpdates int       `json:"trackingUpdates"`
	serial          int       // creation order, for OR11's sort
	created         time.Time // created_date
}

// mklLine is an order line.
type mklLine struct {
	ID           string           `json:"id"`
	State        string           `json:"state"`
	Quantity     int64            `json:"quantity"`
	Price        float64          `json:"price"`
	OfferSKU     string           `json:"offerSku"`
	Cancelations []map[string]any `json:"cancelations"`
	Refunds      []map[string]any `json:"refunds"`
}

// mklTrack is the order's carrier and tracking (OR23).
type mklTrack struct {
	CarrierCode         string `json:"carrier_code,omitempty"`
	CarrierName         string `json:"carrier_name,omitempty"`
	CarrierStandardCode string `json:"carrier_standard_code,omitempty"`
	TrackingNumber      string `json:"tracking_number,omitempty"`
	TrackingURL         string `json:"tracking_url,omitempty"`
}

// mklDoc is an uploaded order document (OR72's fields).
type mklDoc struct {
	ID           int64  `json:"id"`
	OrderID      string `json:"order_id"`
	FileName     string `json:"file_name"`
	FileSize     int    `json:"file_size"`
	Type         string `json:"type"`
	DateUploaded string `json:"date_uploaded"`
}

type mirakl struct {
	s      *Server
	opts   MiraklOptions
	limit  *limiter
	mu     sync.Mutex
	orders map[string]*mklOrder
	lines  map[string]string // order line id → order id
	serial int
}

func newMirakl(s *Server, opts MiraklOptions) *mirakl {
	if opts.ShopID <= 0 {
		opts.ShopID = DefaultMiraklShopID
	}
	if opts.FileExtensions == nil {
		opts.FileExtensions = mklFileExtensions
	}
	if opts.ErrorStatus == 0 {
		opts.ErrorStatus = http.StatusBadRequest
	}
	k := &mirakl{s: s, opts: opts, limit: &limiter{}}
	k.reset()
	return k
}

func (*mirakl) id() string { return Mirakl }

func (k *mirakl) handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /api/orders":                       k.listOrders,
		"PUT /api/orders/{order_id}/accept":     k.accept,
		"PUT /api/orders/{order_id}/tracking":   k.tracking,
		"PUT /api/orders/{order_id}/ship":       k.ship,
		"PUT /api/orders/{order_id}/cancel":     k.cancelOrder,
		"PUT /api/orders/cancel":                k.cancelLines,
		"PUT /api/orders/refund":                k.refund,
		"POST /api/orders/{order_id}/documents": k.upload,
		"GET /api/orders/documents":             k.listDocuments,
		"GET /api/documents":                    k.documentTypes,
		"GET /api/shipping/carriers":            k.carriers,
	} {
		mux.Handle(pattern, k.guard(pattern, h))
	}
	return mux
}

// mklError is an error answer.
type mklError struct {
	status int
	code   string
	msg    string
}

func (*mirakl) fail(w http.ResponseWriter, status int, code, msg string) {
	writeMklError(w, &mklError{status: status, code: code, msg: msg})
}

func writeMklError(w http.ResponseWriter, e *mklError) {
	body := map[string]any{"status": e.status, "message": e.msg}
	if e.code != "" {
		body["code"] = e.code
	}
	writeJSON(w, e.status, body)
}

// business is an error of OR21's table, or a call in the wrong state.
func (k *mirakl) business(code, format string, args ...any) *mklError {
	return &mklError{status: k.opts.ErrorStatus, code: code, msg: fmt.Sprintf(format, args...)}
}

func mklBad(format string, args ...any) *mklError {
	return &mklError{status: http.StatusBadRequest, code: "VALIDATION_ERROR", msg: fmt.Sprintf(format, args...)}
}

// guard checks the API key, shop_id and the rate limit.
func (k *mirakl) guard(endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Authorization")
		switch {
		case key == "":
			writeMklError(w, &mklError{status: http.StatusUnauthorized, msg: "missing API key: send the shop's API key as the Authorization header"})
			return
		case strings.HasPrefix(key, "Bearer ") && same(strings.TrimPrefix(key, "Bearer "), k.s.secrets.get(Mirakl, "apiKey")):
			writeMklError(w, &mklError{status: http.StatusUnauthorized, msg: "send the API key itself as the Authorization header, without Bearer"})
			return
		case !same(key, k.s.secrets.get(Mirakl, "apiKey")):
			writeMklError(w, &mklError{status: http.StatusUnauthorized, msg: "invalid API key"})
			return
		}
		if e := k.checkShop(r); e != nil {
			writeMklError(w, e)
			return
		}
		if n := k.opts.RatePerSecond; n > 0 {
			if ok, wait := k.limit.allow(endpoint, n, k.s.now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				writeMklError(w, &mklError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("too many requests: %d per second on %s", n, endpoint)})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkShop checks shop_id, when given: an integer, the key's shop.
func (k *mirakl) checkShop(r *http.Request) *mklError {
	v, ok := r.URL.Query()["shop_id"]
	if !ok {
		return nil
	}
	id, err := strconv.ParseInt(v[0], 10, 64)
	switch {
	case err != nil || id <= 0:
		return mklBad("shop_id %q must be the shop's numeric id", v[0])
	case id != k.opts.ShopID:
		return &mklError{status: http.StatusForbidden, msg: fmt.Sprintf("the API key has no access to shop %d", id)}
	}
	return nil
}

// order returns order id; an unseen one is created waiting for acceptance
// with lines (the ids named, or id-1), unless KnownOrdersOnly. Call with mu
// held.
func (k *mirakl) order(id string, lines ...string) (*mklOrder, *mklError) {
	if o, ok := k.orders[id]; ok {
		return o, nil
	}
	if k.opts.KnownOrdersOnly {
		return nil, &mklError{status: http.StatusNotFound, code: "ORDER_NOT_FOUND", msg: fmt.Sprintf("order %s not found", id)}
	}
	if len(lines) == 0 {
		lines = []string{id + "-1"}
	}
	return k.create(id, mklStart, lines), nil
}

// create makes order id with lines, all at state. Call with mu held.
func (k *mirakl) create(id, state string, lines []string) *mklOrder {
	if prev, ok := k.orders[id]; ok {
		for _, l := range prev.Lines {
			delete(k.lines, l.ID)
		}
	}
	k.serial++
	o := &mklOrder{order: &order{ID: id, Status: state, History: []move{}}, CanCancel: true, Documents: []mklDoc{},
		serial: k.serial, created: k.s.now()}
	for i, l := range lines {
		o.Lines = append(o.Lines, &mklLine{ID: l, State: state, Quantity: 1, Price: 10, OfferSKU: fmt.Sprintf("SKU-%d", i+1),
			Cancelations: []map[string]any{}, Refunds: []map[string]any{}})
		k.lines[l] = id
	}
	k.orders[id] = o
	return o
}

// locked runs fn under the lock and writes its error; true when none.
func (k *mirakl) locked(w http.ResponseWriter, fn func() *mklError) bool {
	k.mu.Lock()
	e := fn()
	k.mu.Unlock()
	if e != nil {
		writeMklError(w, e)
		return false
	}
	return true
}

// setState moves the order and its lines that are not done to state.
func (o *mklOrder) setState(state, call string, at time.Time) {
	for _, l := range o.Lines {
		if !slices.Contains(mklDone, l.State) {
			l.State = state
		}
	}
	if o.Status != state {
		o.move(state, call, at)
	}
}

// accept handles OR21, PUT /api/orders/{order_id}/accept
// {"order_lines": [{"id", "accepted"}]}: 204; the error codes of OR21's
// table [MMP-OAS].
func (k *mirakl) accept(w http.ResponseWriter, r *http.Request) {
	decisions, ids, e := mklReadDecisions(w, r)
	if e != nil {
		writeMklError(w, e)
		return
	}
	if !k.locked(w, func() *mklError {
		o, e := k.order(r.PathValue("order_id"), ids...)
		if e != nil {
			return e
		}
		return k.decide(o, decisions)
	}) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mklReadDecisions reads OR21's body: each line's decision, and the ids in
// order.
func mklReadDecisions(w http.ResponseWriter, r *http.Request) (map[string]bool, []string, *mklError) {
	v, err := readJSON(w, r)
	if err != nil {
		return nil, nil, mklBad("malformed JSON: %v", err)
	}
	m, _ := object(v)
	lines, ok := list(m, "order_lines")
	if !ok {
		return nil, nil, mklBad(`order_lines is required: [{"id": "<order line id>", "accepted": true|false}]`)
	}
	decisions, ids := map[string]bool{}, []string{}
	for i, l := range lines {
		if l == nil {
			return nil, nil, &mklError{status: http.StatusBadRequest, code: "ORDER_LINE_NULL_ELEMENT", msg: fmt.Sprintf("order_lines[%d] is null", i)}
		}
		lm, _ := object(l)
		id, ok := text(lm, "id")
		accepted, okA := flag(lm, "accepted")
		if !ok || !okA {
			return nil, nil, mklBad("order_lines[%d] needs id (the order line id) and accepted (true or false)", i)
		}
		if _, dup := decisions[id]; dup {
			return nil, nil, &mklError{status: http.StatusBadRequest, code: "ORDER_LINE_DUPLICATE_ID", msg: fmt.Sprintf("order line %s is listed twice", id)}
		}
		decisions[id] = accepted
		ids = append(ids, id)
	}
	return decisions, ids, nil
}

// decide applies OR21's decisions to o. Call with mu held.
func (k *mirakl) decide(o *mklOrder, decisions map[string]bool) *mklError {
	switch {
	case o.Fulfilled:
		return k.business("ORDER_FULFILLED_UNAUTHORIZED", "order %s is fulfilled by the operator: the shop cannot accept or refuse it", o.ID)
	case o.Status != "WAITING_ACCEPTANCE":
		return k.business("ORDER_INVALID_STATE", "order %s is %s: OR21 needs WAITING_ACCEPTANCE", o.ID, o.Status)
	}
	for id := range decisions {
		if !slices.ContainsFunc(o.Lines, func(l *mklLine) bool { return l.ID == id }) {
			return k.business("ORDER_LINE_NOT_FOUND", "order %s has no line %s", o.ID, id)
		}
	}
	accepted, refused := 0, 0
	for _, l := range o.Lines {
		d, ok := decisions[l.ID]
		switch {
		case !ok && l.State == "WAITING_ACCEPTANCE":
			return k.business("ORDER_LINE_ACCEPTANCE_DECISION_MISSING", "order line %s has no decision: every line of order %s needs one in the same call", l.ID, o.ID)
		case d:
			accepted++
		case ok:
			refused++
		}
	}
	if accepted > 0 && refused > 0 && k.opts.PartialAcceptanceDisabled {
		return k.business("ORDER_PARTIAL_ACCEPTANCE_DISABLED", "partial acceptance is disabled for this shop: accept or refuse every line of order %s", o.ID)
	}
	now := k.s.now()
	for _, l := range o.Lines {
		if d, ok := decisions[l.ID]; ok {
			l.State = map[bool]string{true: "WAITING_DEBIT", false: "REFUSED"}[d]
		}
	}
	if accepted == 0 {
		o.move("REFUSED", "OR21", now)
		return nil
	}
	o.move("WAITING_DEBIT", "OR21", now)
	if !k.opts.HoldDebit {
		o.setState("SHIPPING", "operator debit", now)
	}
	return nil
}

// tracking handles OR23, PUT /api/orders/{order_id}/tracking: 204. A
// registered carrier (carrier_code, SH21) needs tracking_number; another
// needs carrier_name [MMP-OAS]. Allowed in SHIPPING and, a repeat being
// harmless, SHIPPED [inferred].
func (k *mirakl) tracking(w http.ResponseWriter, r *http.Request) {
	v, err := readJSON(w, r)
	m, ok := object(v)
	if err != nil || !ok {
		writeMklError(w, mklBad("the body must be a JSON object"))
		return
	}
	t, e := mklReadTrack(m)
	if e != nil {
		writeMklError(w, e)
		return
	}
	if !k.locked(w, func() *mklError {
		o, e := k.order(r.PathValue("order_id"))
		if e != nil {
			return e
		}
		if o.Status != "SHIPPING" && o.Status != "SHIPPED" {
			return k.business("ORDER_INVALID_STATE", "order %s is %s: OR23 needs SHIPPING or SHIPPED", o.ID, o.Status)
		}
		o.Carrier = t
		o.TrackingUpdates++
		return nil
	}) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func mklReadTrack(m map[string]any) (*mklTrack, *mklError) {
	for _, f := range []string{"carrier_code", "carrier_name", "carrier_standard_code", "carrier_url", "tracking_number"} {
		if v, ok := m[f]; ok && v != nil {
			if _, ok := v.(string); !ok {
				return nil, mklBad("%s must be a string", f)
			}
		}
	}
	str := func(f string) string { s, _ := m[f].(string); return strings.TrimSpace(s) }
	t := &mklTrack{CarrierCode: str("carrier_code"), CarrierName: str("carrier_name"), CarrierStandardCode: str("carrier_standard_code"),
		TrackingNumber: str("tracking_number"), TrackingURL: str("carrier_url")}
	switch {
	case t.CarrierCode != "":
		i := slices.IndexFunc(mklCarriers, func(c mklCarrier) bool { return c.Code == t.CarrierCode })
		if i < 0 {
			return nil, mklBad("carrier_code %q is not a carrier of this marketplace (GET /api/shipping/carriers); send carrier_name for another carrier", t.CarrierCode)
		}
		if t.TrackingNumber == "" {
			return nil, mklBad("tracking_number is required for carrier %s", t.CarrierCode)
		}
		t.TrackingURL = strings.ReplaceAll(mklCarriers[i].URL, "{trackingId}", t.TrackingNumber)
	case t.CarrierName == "":
		return nil, mklBad("carrier_code (a registered carrier) or carrier_name (another carrier) is required")
	}
	return t, nil
}

// ship handles OR24, PUT /api/orders/{order_id}/ship: SHIPPING → SHIPPED,
// 204; any other state 400 [MKL-ISSUE-56].
func (k *mirakl) ship(w http.ResponseWriter, r *http.Request) {
	k.move(w, r, "OR24", "SHIPPING", "SHIPPED", func(*mklOrder) *mklError { return nil })
}

// cancelOrder handles OR29, PUT /api/orders/{order_id}/cancel: the whole
// order, from SHIPPING [inferred] when can_cancel; 204.
func (k *mirakl) cancelOrder(w http.ResponseWriter, r *http.Request) {
	k.move(w, r, "OR29", "SHIPPING", "CANCELED", func(o *mklOrder) *mklError {
		if !o.CanCancel {
			return k.business("ORDER_INVALID_STATE", "order %s cannot be canceled (can_cancel is false)", o.ID)
		}
		return nil
	})
}

// move makes a bodiless state change from one state to another.
func (k *mirakl) move(w http.ResponseWriter, r *http.Request, call, from, to string, check func(*mklOrder) *mklError) {
	if !k.locked(w, func() *mklError {
		o, e := k.order(r.PathValue("order_id"))
		if e != nil {
			return e
		}
		if o.Status != from {
			return k.business("ORDER_INVALID_STATE", "order %s is %s: %s needs %s", o.ID, o.Status, call, from)
		}
		if e := check(o); e != nil {
			return e
		}
		o.setState(to, call, k.s.now())
		return nil
	}) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// documentTypes handles DO01, GET /api/documents.
func (k *mirakl) documentTypes(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]string{}
	for _, d := range mklDocTypes {
		out = append(out, map[string]string{"code": d.Code, "label": d.Label, "description": d.Description, "entity": d.Entity})
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}

// carriers handles SH21, GET /api/shipping/carriers [inferred shape].
func (k *mirakl) carriers(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]string{}
	for _, c := range mklCarriers {
		out = append(out, map[string]string{"code": c.Code, "label": c.Label, "standard_code": c.StandardCode, "tracking_url": c.URL})
	}
	writeJSON(w, http.StatusOK, map[string]any{"carriers": out, "total_count": len(out)})
}

// listOrders handles OR11, GET /api/orders: order_ids, order_state_codes,
// max (default 10, at most 100) and offset; sorted by creation.
func (k *mirakl) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	states := splitList(q.Get("order_state_codes"))
	for _, s := range states {
		if !slices.Contains(mklStates, s) {
			writeMklError(w, mklBad("order_state_codes: %q is not an order state (%s)", s, strings.Join(mklStates, ", ")))
			return
		}
	}
	limit, offset, e := mklPage(q.Get("max"), q.Get("offset"))
	if e != nil {
		writeMklError(w, e)
		return
	}
	ids := splitList(q.Get("order_ids"))
	k.mu.Lock()
	defer k.mu.Unlock()
	var found []*mklOrder
	for _, o := range k.orders {
		if (len(ids) == 0 || slices.Contains(ids, o.ID)) && (len(states) == 0 || slices.Contains(states, o.Status)) {
			found = append(found, o)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].serial < found[j].serial })
	out := []any{}
	for i := offset; i < len(found) && i < offset+limit; i++ {
		out = append(out, k.orderJSON(found[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": out, "total_count": len(found)})
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mklPage(maxS, offsetS string) (int, int, *mklError) {
	limit, offset := 10, 0
	var err error
	if maxS != "" {
		if limit, err = strconv.Atoi(maxS); err != nil || limit < 1 || limit > 100 {
			return 0, 0, mklBad("max must be 1 to 100")
		}
	}
	if offsetS != "" {
		if offset, err = strconv.Atoi(offsetS); err != nil || offset < 0 {
			return 0, 0, mklBad("offset must be 0 or more")
		}
	}
	return limit, offset, nil
}

// orderJSON writes an order in OR11's shape (the fields the simulator
// keeps). Call with mu held.
func (k *mirakl) orderJSON(o *mklOrder) map[string]any {
	lines := []any{}
	total := 0.0
	for i, l := range o.Lines {
		lines = append(lines, map[string]any{"order_line_id": l.ID, "order_line_index": i + 1, "order_line_state": l.State,
			"offer_sku": l.OfferSKU, "quantity": l.Quantity, "price": l.Price, "price_unit": l.Price / float64(max(l.Quantity, 1)),
			"cancelations": l.Cancelations, "refunds": l.Refunds,
			"can_refund": slices.Contains([]string{"SHIPPED", "TO_COLLECT", "RECEIVED"}, l.State)})
		total += l.Price
	}
	commercial := o.ID
	if i := strings.LastIndex(o.ID, "-"); i > 0 {
		commercial = o.ID[:i]
	}
	hasInvoice := slices.ContainsFunc(o.Documents, func(d mklDoc) bool { return d.Type == "CUSTOMER_INVOICE" })
	out := map[string]any{"order_id": o.ID, "commercial_id": commercial, "order_state": o.Status,
		"can_cancel": o.CanCancel && o.Status == "SHIPPING", "created_date": stamp(o.created), "has_incident": false,
		"has_invoice": hasInvoice, "payment_workflow": "PAY_ON_ACCEPTANCE", "currency_iso_code": "BRL",
		"price": total, "total_price": total, "order_lines": lines,
		"shipping_carrier_code": nil, "shipping_company": nil, "shipping_tracking": nil, "shipping_tracking_url": nil}
	if t := o.Carrier; t != nil {
		out["shipping_carrier_code"], out["shipping_tracking"] = mlNull(t.CarrierCode), mlNull(t.TrackingNumber)
		out["shipping_company"], out["shipping_tracking_url"] = mlNull(firstOf(t.CarrierName, t.CarrierCode)), mlNull(t.TrackingURL)
	}
	if len(o.History) > 0 {
		out["last_updated_date"] = o.History[len(o.History)-1].At
	} else {
		out["last_updated_date"] = stamp(o.created)
	}
	return out
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}
