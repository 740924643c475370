package sim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rotahq/rota/engine/fiscal"
)

// Fast Shop's Kaive hub (seed 001; marketplaces.md sections 2.3-2.4): the
// seller calls the hub back, VTEX-style, at
// /pvt/orders/{marketplaceOrderId}/invoice, .../invoice/{invoiceNumber},
// .../invoice/{invoiceNumber}/tracking and .../cancel, with X-API-AppKey
// and X-API-AppToken (or VTEX's X-VTEX-API-AppKey/AppToken). Successes
// answer {"date", "orderId", "receipt"}; errors VTEX's envelope
// {"error": {"code", "message", "exception": null}}.

// Fast Shop's order statuses (VTEX names).
const (
	fshPending  = "waiting-ffmt-authorization"
	fshReady    = "ready-for-handling"
	fshHandling = "handling"
	fshInvoiced = "invoiced"
	fshCanceled = "canceled"
)

func fshStatuses() []string {
	return []string{fshPending, fshReady, fshHandling, fshInvoiced, fshCanceled}
}

// fshConflictCode is the error code of a call the order's status does not
// allow: VTEX's OMS003 ("Order status should be ready-for-handling to
// perform this action", documented for start-handling) [inferred for the
// hub's other calls].
const fshConflictCode = "OMS003"

// fshGenericCode is the code of other errors, as in seed 001's example.
const fshGenericCode = "1"

// fshOrder is an order's status plus its invoices.
type fshOrder struct {
	*order
	Invoices map[string]*fshInvoice `json:"invoices"`
}

// fshInvoice is what the hub knows of one invoice.
type fshInvoice struct {
	Type           string `json:"type"`
	Value          int64  `json:"invoiceValue"`
	TrackingNumber string `json:"trackingNumber,omitempty"`
	Courier        string `json:"courier,omitempty"`
	Delivered      bool   `json:"delivered"`
	Events         int    `json:"trackingEvents"`
	// Accepted counts the invoice calls the hub accepted for this number:
	// more than 1 is the same invoice sent twice (VTEX makes a new receipt).
	Accepted int `json:"accepted"`
	// History are the tracking events received, in order.
	History []fshEvent `json:"events,omitempty"`
}

// fshEvent is one tracking event (VTEX courierStatus.data).
type fshEvent struct {
	Description string `json:"description"`
	Date        string `json:"date"`
}

type fastshop struct {
	s      *Server
	mu     sync.Mutex
	orders map[string]*fshOrder
}

func newFastShop(s *Server) *fastshop { return &fastshop{s: s, orders: map[string]*fshOrder{}} }

func (*fastshop) id() string { return FastShop }

func (f *fastshop) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /pvt/orders/{orderId}/invoice", f.auth(f.call(f.invoice)))
	mux.Handle("POST /pvt/orders/{orderId}/invoice/{invoiceNumber}", f.auth(f.call(f.tracking)))
	mux.Handle("POST /pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking", f.auth(f.call(f.trackingStatus)))
	mux.Handle("POST /pvt/orders/{orderId}/cancel", f.auth(f.call(f.cancel)))
	mux.Handle("GET /pvt/orders/{orderId}", f.auth(http.HandlerFunc(f.read)))
	return mux
}

func (*fastshop) fail(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		code = fshGenericCode
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg, "exception": nil}})
}

// auth accepts seed 001's header pair or VTEX's.
func (f *fastshop) auth(next http.Handler) http.Handler {
	key, token := f.s.secrets.get(FastShop, "appKey"), f.s.secrets.get(FastShop, "appToken")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header
		if (same(h.Get("X-API-AppKey"), key) && same(h.Get("X-API-AppToken"), token)) ||
			(same(h.Get("X-VTEX-API-AppKey"), key) && same(h.Get("X-VTEX-API-AppToken"), token)) {
			next.ServeHTTP(w, r)
			return
		}
		f.fail(w, http.StatusUnauthorized, fshGenericCode, "Unauthorized access")
	})
}

// fshError is an error answer: HTTP status, envelope code and message.
type fshError struct {
	status int
	code   string
	msg    string
}

func badRequest(format string, args ...any) *fshError {
	return &fshError{status: http.StatusBadRequest, code: fshGenericCode, msg: fmt.Sprintf(format, args...)}
}

// fshStep checks a body and, under the lock, applies it to the order.
type fshStep func(r *http.Request, body map[string]any) (check func(o *fshOrder) *fshError, err *fshError)

// call runs a step: read the body, check it, then check and change the
// order under the lock; the answer is {date, orderId, receipt}.
func (f *fastshop) call(step fshStep) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := readJSON(w, r)
		if err != nil {
			f.fail(w, http.StatusBadRequest, fshGenericCode, "malformed JSON: "+err.Error())
			return
		}
		m, ok := object(v)
		if !ok {
			f.fail(w, http.StatusBadRequest, fshGenericCode, "the body must be a JSON object")
			return
		}
		apply, e := step(r, m)
		if e == nil {
			e = f.locked(r.PathValue("orderId"), apply)
		}
		if e != nil {
			f.fail(w, e.status, e.code, e.msg)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"date": f.s.now().UTC().Format("2006-01-02T15:04:05.0000000Z07:00"),
			"orderId": r.PathValue("orderId"), "receipt": newToken("")})
	})
}

func (f *fastshop) locked(id string, apply func(o *fshOrder) *fshError) *fshError {
	f.mu.Lock()
	defer f.mu.Unlock()
	return apply(f.get(id))
}

// get returns order id, creating it ready for handling. Call with mu held.
func (f *fastshop) get(id string) *fshOrder {
	o, ok := f.orders[id]
	if !ok {
		o = &fshOrder{order: &order{ID: id, Status: fshReady, History: []move{}}, Invoices: map[string]*fshInvoice{}}
		f.orders[id] = o
	}
	return o
}

func conflict(o *fshOrder, want ...string) *fshError {
	return &fshError{status: http.StatusConflict, code: fshConflictCode,
		msg: fmt.Sprintf("Order status should be %s to perform this action; order %s is %s", strings.Join(want, " or "), o.ID, o.Status)}
}

// invoice handles POST .../invoice: an Output invoice moves a
// ready-for-handling or handling order to invoiced (more invoices may
// follow: partial invoicing); an Input (return) invoice needs an invoiced order.
func (f *fastshop) invoice(r *http.Request, m map[string]any) (func(*fshOrder) *fshError, *fshError) {
	inv, number, e := fshCheckInvoice(m)
	if e != nil {
		return nil, e
	}
	now := f.s.now()
	return func(o *fshOrder) *fshError {
		allowed := []string{fshReady, fshHandling, fshInvoiced}
		if inv.Type == "Input" {
			allowed = []string{fshInvoiced}
		}
		if !slices.Contains(allowed, o.Status) {
			return conflict(o, allowed...)
		}
		if prev, ok := o.Invoices[number]; ok {
			inv.Accepted = prev.Accepted
			inv.History = prev.History
		}
		inv.Accepted++
		o.Invoices[number] = inv
		if o.Status != fshInvoiced {
			o.move(fshInvoiced, "invoice", now)
		}
		return nil
	}, nil
}

func fshCheckInvoice(m map[string]any) (*fshInvoice, string, *fshError) {
	typ, _ := m["type"].(string)
	if typ != "Output" && typ != "Input" {
		return nil, "", badRequest("type must be Output (a sale) or Input (a return), not %q", typ)
	}
	number, ok := text(m, "invoiceNumber")
	if !ok {
		return nil, "", badRequest("invoiceNumber is required")
	}
	value, ok := positive(m["invoiceValue"])
	if !ok {
		return nil, "", badRequest("invoiceValue must be the invoice's value in cents, a whole number above 0")
	}
	if e := fshCheckItems(m); e != nil {
		return nil, "", e
	}
	if key, ok := m["invoiceKey"]; ok {
		s, _ := key.(string)
		if err := fiscal.CheckNFeKey(s); err != nil {
			return nil, "", badRequest("invoiceKey %q is not a valid NF-e access key: %v", s, err)
		}
	}
	if e := fshOptionalDate(m, "issuanceDate", time.RFC3339, "2006-01-02T15:04:05"); e != nil {
		return nil, "", e
	}
	courier, _ := m["courier"].(string)
	tracking, _ := m["trackingNumber"].(string)
	return &fshInvoice{Type: typ, Value: value, Courier: courier, TrackingNumber: tracking}, number, nil
}

func fshCheckItems(m map[string]any) *fshError {
	items, ok := list(m, "items")
	if !ok {
		return badRequest("items must list the invoiced items: [{\"id\", \"quantity\", \"price\"}]")
	}
	for i, it := range items {
		o, _ := object(it)
		if _, ok := text(o, "id"); !ok {
			return badRequest("items[%d].id (the SKU id) is required", i)
		}
		if _, ok := positive(o["quantity"]); !ok {
			return badRequest("items[%d].quantity must be a whole number above 0", i)
		}
		if !nonNegative(o["price"]) {
			return badRequest("items[%d].price must be the unit price in cents, a whole number", i)
		}
	}
	return nil
}

// fshOptionalDate checks m[key], when present, against the layouts.
func fshOptionalDate(m map[string]any, key string, layouts ...string) *fshError {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	s, _ := v.(string)
	for _, l := range layouts {
		if _, err := time.Parse(l, s); err == nil {
			return nil
		}
	}
	return badRequest("%s %q is not a date the hub reads (e.g. %s)", key, s, time.Date(2021, 6, 9, 10, 0, 0, 0, time.UTC).Format(layouts[len(layouts)-1]))
}

// invoiceOf returns the order's invoice number, or the error: the order
// must be invoiced and have that invoice.
func invoiceOf(o *fshOrder, number string) (*fshInvoice, *fshError) {
	if o.Status != fshInvoiced {
		return nil, conflict(o, fshInvoiced)
	}
	inv, ok := o.Invoices[number]
	if !ok {
		return nil, &fshError{status: http.StatusNotFound, code: fshGenericCode, msg: fmt.Sprintf("order %s has no invoice %s", o.ID, number)}
	}
	return inv, nil
}

// tracking handles POST .../invoice/{invoiceNumber}: the tracking of an
// invoice (courier, trackingNumber, trackingUrl, dispatchedDate, all
// required).
func (f *fastshop) tracking(r *http.Request, m map[string]any) (func(*fshOrder) *fshError, *fshError) {
	for _, k := range []string{"courier", "trackingNumber", "trackingUrl", "dispatchedDate"} {
		if _, ok := text(m, k); !ok {
			return nil, badRequest("%s is required", k)
		}
	}
	if e := fshOptionalDate(m, "dispatchedDate", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"); e != nil {
		return nil, e
	}
	number := r.PathValue("invoiceNumber")
	return func(o *fshOrder) *fshError {
		inv, e := invoiceOf(o, number)
		if e == nil {
			inv.Courier, inv.TrackingNumber = m["courier"].(string), m["trackingNumber"].(string)
		}
		return e
	}, nil
}

// trackingStatus handles POST .../invoice/{invoiceNumber}/tracking:
// isDelivered (required) and tracking events.
func (f *fastshop) trackingStatus(r *http.Request, m map[string]any) (func(*fshOrder) *fshError, *fshError) {
	delivered, ok := flag(m, "isDelivered")
	if !ok {
		return nil, badRequest("isDelivered (true or false) is required")
	}
	if e := fshOptionalDate(m, "deliveredDate", time.RFC3339, "2006-01-02 15:04"); e != nil {
		return nil, e
	}
	events, _ := m["events"].([]any)
	for i, ev := range events {
		if o, ok := object(ev); !ok || fshOptionalDate(o, "date", time.RFC3339, "2006-01-02T15:04:05") != nil {
			return nil, badRequest("events[%d] must be an object whose date, if any, is ISO 8601", i)
		}
	}
	number := r.PathValue("invoiceNumber")
	return func(o *fshOrder) *fshError {
		inv, e := invoiceOf(o, number)
		if e == nil {
			inv.Delivered = inv.Delivered || delivered
			inv.Events += len(events)
			for _, ev := range events {
				m, _ := object(ev)
				d, _ := m["description"].(string)
				at, _ := m["date"].(string)
				inv.History = append(inv.History, fshEvent{Description: d, Date: at})
			}
		}
		return e
	}, nil
}

// cancel handles POST .../cancel {"reason"}: only before the order is
// invoiced (VTEX: invoiced orders cannot be canceled).
func (f *fastshop) cancel(_ *http.Request, m map[string]any) (func(*fshOrder) *fshError, *fshError) {
	if _, ok := text(m, "reason"); !ok {
		return nil, badRequest("reason is required")
	}
	now := f.s.now()
	return func(o *fshOrder) *fshError {
		allowed := []string{fshPending, fshReady, fshHandling}
		if !slices.Contains(allowed, o.Status) {
			return conflict(o, allowed...)
		}
		o.move(fshCanceled, "cancel", now)
		return nil
	}, nil
}

// read handles GET /pvt/orders/{orderId}: the order as the hub has it,
// VTEX-style (FSH-MKP consulta-de-pedidos): status and
// packageAttachment.packages, one per invoice, sorted by invoice number,
// each with its tracking and courierStatus {finished, data}. An order the
// hub has not seen is ready for handling, without packages.
func (f *fastshop) read(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("orderId")
	status, packages := fshReady, []map[string]any{}
	if o, ok := f.orders[id]; ok {
		status = o.Status
		numbers := make([]string, 0, len(o.Invoices))
		for n := range o.Invoices {
			numbers = append(numbers, n)
		}
		sort.Strings(numbers)
		for _, n := range numbers {
			packages = append(packages, fshPackage(n, o.Invoices[n]))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orderId": id, "status": status,
		"packageAttachment": map[string]any{"packages": packages}})
}

func fshPackage(number string, inv *fshInvoice) map[string]any {
	data := []map[string]string{}
	for _, ev := range inv.History {
		data = append(data, map[string]string{"description": ev.Description, "date": ev.Date})
	}
	return map[string]any{"invoiceNumber": number, "invoiceValue": inv.Value, "type": inv.Type,
		"courier": inv.Courier, "trackingNumber": inv.TrackingNumber,
		"courierStatus": map[string]any{"finished": inv.Delivered, "data": data}}
}

// view is the admin view of Fast Shop's orders, with their invoices.
func (f *fastshop) view() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := ordersView[fshOrder]{Marketplace: FastShop, Start: fshReady, Orders: []fshOrder{}}
	for _, o := range f.orders {
		c := fshOrder{order: o.clone(), Invoices: map[string]*fshInvoice{}}
		for n, inv := range o.Invoices {
			cp := *inv
			cp.History = slices.Clone(inv.History)
			c.Invoices[n] = &cp
		}
		out.Orders = append(out.Orders, c)
	}
	sortByID(out.Orders)
	return out
}

func (f *fastshop) setStatus(id, status string) error {
	if !slices.Contains(fshStatuses(), status) {
		return unknownStatus(status, fshStatuses())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.get(id).move(status, "admin", f.s.now())
	return nil
}

func (f *fastshop) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders = map[string]*fshOrder{}
}
