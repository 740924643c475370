package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mercado Livre Brasil (docs/marketplaces/mercadolivre.md, "the note"
// below, with its source keys): the seller API at api.mercadolibre.com.
// Calls carry "Authorization: Bearer <access token>" from POST /oauth/token
// (authorization code, then single-use refresh tokens). One sale has three
// ids: the order, the pack (the cart) and the shipment. Errors are
// {"message", "error", "status", "cause": []} [ML-ERR]; the token endpoint
// answers {"error_description", "error", "status", "cause": []}
// [ML-AUTH-COPY].

// MercadoLivreOptions configure the Mercado Livre simulator where the
// documentation leaves a behaviour open. The zero value is the default.
type MercadoLivreOptions struct {
	// AccessTokenTTL is an access token's lifetime (expires_in); 0 means
	// DefaultMercadoLivreTokenTTL.
	AccessTokenTTL time.Duration
	// RatePerSecond, when above 0, limits the API calls per application,
	// endpoint and method in one-second windows, answering 429 past it.
	// Mercado Livre publishes no number ([ML-RL]); 0 means no limit.
	RatePerSecond int
}

// DefaultMercadoLivreTokenTTL is the access token lifetime: the 6 hours
// [ML-AUTH-COPY]'s text states (its examples show expires_in 10800).
const DefaultMercadoLivreTokenTTL = 6 * time.Hour

// Mercado Livre's token rules.
const (
	// mlRefreshTTL: a refresh token lasts 6 months [ML-AUTH-COPY], counted
	// as 180 days.
	mlRefreshTTL = 180 * 24 * time.Hour
	// mlCodeTTL: an authorization code's life [inferred: not documented].
	mlCodeTTL = 10 * time.Minute
	// mlSellerID is the user_id of the simulated seller.
	mlSellerID = 1234567
	// mlScope is the scope every token has [ML-AUTH-COPY].
	mlScope = "offline_access read write"
	// mlInvalidGrant is the invalid_grant description [ML-AUTH-COPY].
	mlInvalidGrant = "Error validating grant. Your authorization code or refresh token may be expired or it was already used"
)

// mlSecrets are the simulator's public Mercado Livre credentials.
var mlSecrets = map[string]string{
	"ROTA_SECRET_MERCADOLIVRE_CLIENTID":     "5503910054141466",
	"ROTA_SECRET_MERCADOLIVRE_CLIENTSECRET": "sim-mercadolivre-client-secret",
	"ROTA_SECRET_MERCADOLIVRE_REFRESHTOKEN": "TG-sim-mercadolivre-seed-1234567",
}

// builtinSecrets are the public credentials of the simulators whose values
// are not (yet) in engine/deliver's list of public test secrets: added to
// the defaults when Options.Secrets is nil.
func builtinSecrets() map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{mlSecrets, miraklSecrets} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// adminRouter is a marketplace with admin endpoints of its own, under
// /_sim/<marketplace>/.
type adminRouter interface {
	adminRoutes(mux *http.ServeMux)
}

// mlDocumented are the error bodies [ML-ERR] documents, by HTTP status:
// the error code and the message.
var mlDocumented = map[int][2]string{
	401: {"unauthorized_request_error", "user not authorized"},
	403: {"forbidden_error", "You don't have permission to access the resource"},
	404: {"business_logic_error", "Resource not found"},
	429: {"too_many_requests", "Too Many Requests"},
	500: {"internal_server_error", "Internal Server Error"},
	502: {"bad_gateway", "Bad Gateway"},
	503: {"service_not_available", "Service not available"},
	504: {"gateway_timeout", "Gateway Timeout"},
}

// Mercado Livre's order statuses [CODE-STATUS].
var mlOrderStatuses = []string{"confirmed", "payment_required", "payment_in_process", "partially_paid", "paid",
	"partially_refunded", "pending_cancel", "cancelled", "invalid"}

// mlStart is the status of an order the simulator has not seen: paid, the
// first where the seller acts.
const mlStart = "paid"

// Shipment statuses [ML-SHIP-COPY] the simulator moves between.
var mlShipStatuses = []string{"to_be_agreed", "pending", "handling", "ready_to_ship", "shipped", "delivered", "not_delivered", "cancelled"}

// mlShipFinal are the shipment statuses nothing changes any more
// ([ML-ME1]: delivered and not_delivered are final and irreversible).
var mlShipFinal = []string{"delivered", "not_delivered", "cancelled"}

// Shipping modes and logistic types [ML-ME-COPY], [ML-LOGTYPES].
var (
	mlModes         = []string{"me1", "me2", "custom", "not_specified"}
	mlME2Types      = []string{"drop_off", "xd_drop_off", "xd_same_day", "cross_docking", "self_service", "fulfillment"}
	mlImportTypes   = []string{"drop_off", "xd_drop_off", "xd_same_day", "cross_docking"}
	mlBillerTypes   = []string{"drop_off", "xd_drop_off", "xd_same_day", "cross_docking", "fulfillment"}
	mlME1ServiceIDs = []int64{11, 154, 231876, 282578, 282579, 282604, 361180}
)

// mlFeedbackReasons are the seller's not-fulfilled reasons [ML-FB-COPY].
var mlFeedbackReasons = []string{"OUT_OF_STOCK", "BUYER_NOT_ENOUGH_MONEY", "BUYER_REGRETS", "SELLER_REGRETS",
	"BUYER_DID_NOT_ANSWER", "THEY_NOT_HONORING_POLICIES", "OTHER_MY_RESPONSIBILITY", "OTHER_THEIR_RESPONSIBILITY",
	"DUBIOUS_BUYER", "HIGH_ML_COMISSION", "HIGH_TAXES", "SELLER_HOLIDAY", "UNFRIENDLY_SHIPMENT_POLICY",
	"UNAVAILABLE_PRODUCT", "SELLER_ADDRESS_WITHDRAWAL", "WRONG_RECEIVER_ADDRESS", "HIGH_SHIPMENT_COST",
	"WRONG_SHIPMENT_COST", "UNPRINTED_LABEL", "UNWITHDRAWN_PRODUCT_BY_DELIVER_COMPANY", "DENIED_PACKAGE",
	"UNABLE_TO_READ_LABEL", "MANUFACTURING_PRODUCT_NOT_FINISHED", "SHIPMENT_PROBLEM_OTHER", "DELIVERY_COMPANY_PROBLEM_OTHER"}

// mlNotice is one documented seller notification pair [ML-ME1-COPY]: the
// shipment statuses it may come from and where it leads.
type mlNotice struct {
	from []string
	to   string
}

// mlNotices are the ME1 status/substatus pairs, keyed "status/substatus".
var mlNotices = func() map[string]mlNotice {
	open := []string{"pending", "handling", "ready_to_ship", "shipped"}
	m := map[string]mlNotice{
		"shipped/null":                      {from: open, to: "shipped"},
		"delivered/null":                    {from: []string{"shipped"}, to: "delivered"},
		"not_delivered/returning_to_sender": {from: []string{"shipped"}, to: "not_delivered"},
	}
	for _, sub := range []string{"out_for_delivery", "receiver_absent", "bad_address", "dangerous_area", "unauthorized_receiver"} {
		m["shipped/"+sub] = mlNotice{from: open, to: "shipped"}
	}
	return m
}()

// mlZone is the offset of the answers' times (the documentation's
// examples are written in -04:00).
var mlZone = time.FixedZone("", -4*3600)

func mlStamp(t time.Time) string { return t.In(mlZone).Format("2006-01-02T15:04:05.000-07:00") }

// mlOrder is one sale: its status, pack and shipment, and the seller's
// feedback.
type mlOrder struct {
	*order
	PackID     string `json:"packId,omitempty"`
	ShipmentID string `json:"shipmentId,omitempty"`
	// Expired: the order's expiration date has passed (a not-fulfilled
	// feedback is then refused).
	Expired  bool `json:"expired"`
	created  time.Time
	Feedback *mlFeedback `json:"feedback"`
	// FeedbackRefused counts feedback calls refused because one was given.
	FeedbackRefused int `json:"feedbackRefused"`
}

// updated is the time of the order's last move.
func (o *mlOrder) updated() time.Time {
	if n := len(o.History); n > 0 {
		if t, err := time.Parse(time.RFC3339, o.History[n-1].At); err == nil {
			return t
		}
	}
	return o.created
}

// mlFeedback is the seller's sale feedback.
type mlFeedback struct {
	ID          int64  `json:"id"`
	Fulfilled   bool   `json:"fulfilled"`
	Rating      string `json:"rating"`
	Reason      string `json:"reason,omitempty"`
	RestockItem bool   `json:"restock_item"`
	Message     string `json:"message"`
	Status      string `json:"status"`
	DateCreated string `json:"date_created"`
}

// mlPack is a cart: its orders, shipment and attached fiscal documents.
type mlPack struct {
	ID              string        `json:"id"`
	Orders          []string      `json:"orders"`
	ShipmentID      string        `json:"shipmentId,omitempty"`
	FiscalDocuments []mlFiscalDoc `json:"fiscalDocuments"`
	// AttachRefused counts attachments refused because one was attached.
	AttachRefused int `json:"attachRefused"`
}

// mlFiscalDoc is a document attached to a pack.
type mlFiscalDoc struct {
	ID       string `json:"id"`
	FileName string `json:"file_name"`
	FileType string `json:"file_type"`
	Size     int    `json:"size"`
}

// mlShipment is a shipment: mode, logistic type, status and substatus,
// the seller's tracking and notifications, the imported NF-e.
type mlShipment struct {
	ID           string `json:"id"`
	OrderID      string `json:"orderId,omitempty"`
	Mode         string `json:"mode"`
	LogisticType string `json:"logisticType,omitempty"`
	Status       string `json:"status"`
	Substatus    string `json:"substatus"`
	Tracking     string `json:"trackingNumber,omitempty"`
	ServiceID    int64  `json:"serviceId,omitempty"`
	// TrackingUpdates counts the tracking calls accepted.
	TrackingUpdates int              `json:"trackingUpdates"`
	Notifications   []mlNotification `json:"notifications"`
	Invoice         *mlInvoice       `json:"invoice"`
	// InvoiceRefused counts imports refused because one was imported.
	InvoiceRefused int          `json:"invoiceRefused"`
	History        []mlShipMove `json:"history"`
	Created        time.Time    `json:"-"`
	Updated        time.Time    `json:"-"`
}

// mlNotification is one seller notification accepted.
type mlNotification struct {
	Status    string `json:"status"`
	Substatus string `json:"substatus"`
	Date      string `json:"date"`
	Comment   string `json:"comment"`
}

// mlShipMove is one shipment status change.
type mlShipMove struct {
	Status    string `json:"status"`
	Substatus string `json:"substatus"`
	At        string `json:"at"`
	Call      string `json:"call"`
}

// mlInvoice is an imported NF-e.
type mlInvoice struct {
	ID  int64  `json:"id"`
	Key string `json:"fiscal_key"`
	At  string `json:"date_created"`
}

func (sh *mlShipment) move(status, substatus, call string, at time.Time) {
	sh.Status, sh.Substatus, sh.Updated = status, substatus, at
	sh.History = append(sh.History, mlShipMove{Status: status, Substatus: substatus, At: stamp(at), Call: call})
}

type mercadolivre struct {
	s      *Server
	opts   MercadoLivreOptions
	limit  *limiter
	auth   *mlAuth
	mu     sync.Mutex
	orders map[string]*mlOrder
	packs  map[string]*mlPack
	ships  map[string]*mlShipment
	serial int64
}

func newMercadoLivre(s *Server, opts MercadoLivreOptions) *mercadolivre {
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultMercadoLivreTokenTTL
	}
	ml := &mercadolivre{s: s, opts: opts, limit: &limiter{}, auth: newMLAuth()}
	ml.reset()
	ml.auth.seed(s.secrets.get(MercadoLivre, "refreshToken"), s.now())
	return ml
}

func (*mercadolivre) id() string { return MercadoLivre }

func (ml *mercadolivre) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorization", ml.authorize)
	mux.HandleFunc("POST /oauth/token", ml.token)
	api := map[string]http.HandlerFunc{
		"GET /orders/{id}":                           ml.getOrder,
		"GET /orders/{id}/shipments":                 ml.orderShipment,
		"GET /orders/{id}/feedback":                  ml.getFeedback,
		"POST /orders/{id}/feedback":                 ml.postFeedback,
		"GET /packs/{id}":                            ml.getPack,
		"GET /packs/{id}/fiscal_documents":           ml.listFiscalDocuments,
		"POST /packs/{id}/fiscal_documents":          ml.attachFiscalDocument,
		"GET /shipments/{id}":                        ml.getShipment,
		"PUT /shipments/{id}":                        ml.putTracking,
		"GET /shipments/{id}/history":                ml.shipmentHistory,
		"POST /shipments/{id}/seller_notifications":  ml.sellerNotification,
		"POST /shipments/{id}/invoice_data":          ml.importInvoice,
		"POST /shipments/{id}/invoice_data/{$}":      ml.importInvoice,
		"GET /shipments/{id}/invoice_data":           ml.getInvoice,
		"GET /shipments/{id}/invoice_data/{$}":       ml.getInvoice,
		"POST /shipments/{id}/process/ready_to_ship": ml.readyToShip,
	}
	for pattern, h := range api {
		mux.Handle(pattern, ml.guard(pattern, h))
	}
	return mux
}

// mlError is an API error: HTTP status, error code and message.
type mlError struct {
	status int
	code   string
	msg    string
}

func mlBad(format string, args ...any) *mlError {
	return &mlError{status: http.StatusBadRequest, code: "bad_request_error", msg: fmt.Sprintf(format, args...)}
}

// mlConflict is a business rule refusing the call [ML-ERR: business errors
// use 400 with business_logic_error].
func mlConflict(format string, args ...any) *mlError {
	return &mlError{status: http.StatusBadRequest, code: "business_logic_error", msg: fmt.Sprintf(format, args...)}
}

func mlNotFound() *mlError { return &mlError{status: http.StatusNotFound} }

// fail writes an error; a status [ML-ERR] documents, without a code of
// its own, gets the documented body exactly.
func (*mercadolivre) fail(w http.ResponseWriter, status int, code, msg string) {
	writeMLError(w, &mlError{status: status, code: code, msg: msg})
}

func writeMLError(w http.ResponseWriter, e *mlError) {
	code, msg := e.code, e.msg
	if doc, ok := mlDocumented[e.status]; ok && code == "" {
		code, msg = doc[0], doc[1]
	}
	if code == "" {
		code = "bad_request_error"
		if e.status == http.StatusMethodNotAllowed {
			code = "method_not_allowed"
		}
	}
	writeJSON(w, e.status, map[string]any{"message": msg, "error": code, "status": e.status, "cause": []any{}})
}

// guard checks the Bearer token and the rate limit of endpoint.
func (ml *mercadolivre) guard(endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !ml.auth.validAccess(strings.TrimSpace(tok), ml.s.now()) {
			writeMLError(w, &mlError{status: http.StatusUnauthorized})
			return
		}
		if n := ml.opts.RatePerSecond; n > 0 {
			if ok, _ := ml.limit.allow(endpoint, n, ml.s.now()); !ok {
				writeMLError(w, &mlError{status: http.StatusTooManyRequests})
				return
			}
		}
		if id := r.PathValue("id"); !mlNumeric(id) {
			writeMLError(w, mlNotFound())
			return
		}
		next.ServeHTTP(w, r)
	})
}

var mlIDPattern = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

func mlNumeric(id string) bool { return mlIDPattern.MatchString(id) }

// mlNumber writes an id as the JSON number Mercado Livre uses.
func mlNumber(id string) any {
	if id == "" {
		return nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return id
	}
	return n
}

// locked runs fn under the marketplace's lock and writes its error, if any.
func (ml *mercadolivre) locked(w http.ResponseWriter, fn func() *mlError) bool {
	ml.mu.Lock()
	e := fn()
	ml.mu.Unlock()
	if e != nil {
		writeMLError(w, e)
		return false
	}
	return true
}

// order returns order id, creating it (paid, no pack, no shipment) when
// unseen. Call with mu held.
func (ml *mercadolivre) order(id string) *mlOrder {
	o, ok := ml.orders[id]
	if !ok {
		o = &mlOrder{order: &order{ID: id, Status: mlStart, History: []move{}}, created: ml.s.now()}
		ml.orders[id] = o
	}
	return o
}

// shipment returns shipment id, creating it as mode/type at status when
// unseen. Call with mu held.
func (ml *mercadolivre) shipment(id, mode, typ, status, substatus string) *mlShipment {
	sh, ok := ml.ships[id]
	if !ok {
		now := ml.s.now()
		sh = &mlShipment{ID: id, Mode: mode, LogisticType: typ, Notifications: []mlNotification{}, History: []mlShipMove{}, Created: now}
		sh.move(status, substatus, "created", now)
		ml.ships[id] = sh
	}
	return sh
}

// pack returns pack id: a pack, or an order not in a pack (its id stands
// for the pack [ML-PACKS]), or a new pack. Call with mu held.
func (ml *mercadolivre) pack(id string) *mlPack {
	if p, ok := ml.packs[id]; ok {
		return p
	}
	p := &mlPack{ID: id, Orders: []string{}, FiscalDocuments: []mlFiscalDoc{}}
	if o, ok := ml.orders[id]; ok && o.PackID == "" {
		p.Orders, p.ShipmentID = []string{id}, o.ShipmentID
	}
	ml.packs[id] = p
	return p
}

func (ml *mercadolivre) next() int64 {
	ml.serial++
	return 9000000000 + ml.serial
}

// getOrder handles GET /orders/{id}, in the shape of [ML-ORDERS] and
// [ML-ORD-COPY].
func (ml *mercadolivre) getOrder(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	o := ml.order(r.PathValue("id"))
	var sale any
	if o.Feedback != nil {
		sale = o.Feedback
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": mlNumber(o.ID), "status": o.Status, "status_detail": nil,
		"date_created": mlStamp(o.created), "date_closed": mlStamp(o.created), "last_updated": mlStamp(o.updated()),
		"payments": []any{map[string]any{"id": o.ID + "1", "transaction_amount": 499, "currency_id": "BRL", "status": "approved"}},
		"pack_id":  mlNumber(o.PackID), "shipping": map[string]any{"id": mlNumber(o.ShipmentID)},
		"order_items": []any{map[string]any{"item": map[string]any{"id": "MLB" + o.ID, "title": "Produto " + o.ID, "variation_id": nil},
			"quantity": 1, "unit_price": 499, "currency_id": "BRL"}},
		"total_amount": 499, "currency_id": "BRL",
		"buyer": map[string]any{"id": 123456789}, "seller": map[string]any{"id": mlSellerID},
		"feedback": map[string]any{"sale": sale, "purchase": nil},
		"context":  map[string]any{"channel": "marketplace", "site": "MLB"},
	})
}

// orderShipment handles GET /orders/{id}/shipments [ML-ME1]: 404 when the
// order has no shipment.
func (ml *mercadolivre) orderShipment(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	o := ml.order(r.PathValue("id"))
	sh, ok := ml.ships[o.ShipmentID]
	if !ok {
		writeMLError(w, mlNotFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": mlNumber(sh.ID), "mode": sh.Mode, "created_by": "receiver",
		"order_id": mlNumber(o.ID), "order_cost": 499, "base_cost": 0, "site_id": "MLB", "status": sh.Status, "substatus": mlNull(sh.Substatus)})
}

func mlNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// getPack handles GET /packs/{id} [ML-PACKS-COPY].
func (ml *mercadolivre) getPack(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	p := ml.pack(r.PathValue("id"))
	orders := []any{}
	for _, id := range p.Orders {
		orders = append(orders, map[string]any{"id": mlNumber(id)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"shipment": map[string]any{"id": mlNumber(p.ShipmentID)}, "orders": orders,
		"id": mlNumber(p.ID), "status": "released", "status_detail": nil, "buyer": map[string]any{"id": 123456789}})
}

// getShipment handles GET /shipments/{id} in the new format [ML-SHIP]; an
// unseen shipment is an ME1 one ready to ship.
func (ml *mercadolivre) getShipment(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	writeJSON(w, http.StatusOK, ml.shipmentJSON(ml.shipment(r.PathValue("id"), "me1", "", "ready_to_ship", "")))
}

func (ml *mercadolivre) shipmentJSON(sh *mlShipment) map[string]any {
	out := map[string]any{"id": mlNumber(sh.ID), "order_id": mlNumber(sh.OrderID), "site_id": "MLB",
		"status": sh.Status, "substatus": mlNull(sh.Substatus),
		"logistic":        map[string]any{"mode": sh.Mode, "type": mlNull(sh.LogisticType)},
		"tracking_number": mlNull(sh.Tracking), "tracking_method": nil, "service_id": nil, "carrier_info": nil,
		"date_created": mlStamp(sh.Created), "last_updated": mlStamp(sh.Updated)}
	if sh.Tracking != "" {
		out["tracking_method"], out["service_id"] = "Otros", sh.ServiceID
	}
	return out
}

// shipmentHistory handles GET /shipments/{id}/history [ML-SHIP-COPY].
func (ml *mercadolivre) shipmentHistory(w http.ResponseWriter, r *http.Request) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	sh := ml.shipment(r.PathValue("id"), "me1", "", "ready_to_ship", "")
	out := []map[string]any{}
	for _, mv := range sh.History {
		out = append(out, map[string]any{"status": mv.Status, "substatus": mlNull(mv.Substatus), "date": mv.At})
	}
	writeJSON(w, http.StatusOK, out)
}

// putTracking handles PUT /shipments/{id} {"service_id", "tracking_number"}
// for ME1 shipments [ML-ME1]; it answers the shipment.
func (ml *mercadolivre) putTracking(w http.ResponseWriter, r *http.Request) {
	m, e := mlReadObject(w, r)
	if e == nil {
		e = mlCheckTracking(m, true)
	}
	if e != nil {
		writeMLError(w, e)
		return
	}
	var out map[string]any
	if !ml.locked(w, func() *mlError {
		sh := ml.shipment(r.PathValue("id"), "me1", "", "ready_to_ship", "")
		if e := mlWantME1(sh); e != nil {
			return e
		}
		sh.Tracking, sh.ServiceID, sh.Updated = m["tracking_number"].(string), mlInt(m["service_id"]), ml.s.now()
		sh.TrackingUpdates++
		out = ml.shipmentJSON(sh)
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// mlCheckTracking checks service_id (an ME1 service [ML-ME1-COPY]) and
// tracking_number; required says whether they must be there.
func mlCheckTracking(m map[string]any, required bool) *mlError {
	if _, ok := m["service_id"]; ok || required {
		if !slices.Contains(mlME1ServiceIDs, mlInt(m["service_id"])) {
			return mlBad("service_id must be the site's Mercado Envios 1 service (11 for MLB; %v for the other sites), not %v", mlME1ServiceIDs, m["service_id"])
		}
	}
	if _, ok := m["tracking_number"]; ok || required {
		if _, ok := text(m, "tracking_number"); !ok {
			return mlBad("tracking_number is required: the carrier's tracking code")
		}
	}
	return nil
}

func mlInt(v any) int64 {
	n, _ := positive(v)
	return n
}

// mlWantME1 refuses an ME1 call on another kind of shipment or a final one.
func mlWantME1(sh *mlShipment) *mlError {
	if sh.Mode != "me1" {
		return mlConflict("shipment %s is %s: the seller reports tracking and status only for Mercado Envios 1 shipments", sh.ID, mlModeName(sh))
	}
	if slices.Contains(mlShipFinal, sh.Status) {
		return mlConflict("shipment %s is %s, a final status: it cannot change any more", sh.ID, sh.Status)
	}
	return nil
}

func mlModeName(sh *mlShipment) string {
	if sh.LogisticType != "" {
		return sh.Mode + "/" + sh.LogisticType
	}
	return sh.Mode
}

// sellerNotification handles POST /shipments/{id}/seller_notifications
// [ML-ME1], [ML-ME1-COPY]: {"payload": {"service_id"?, "comment", "date"},
// "tracking_number"?, "tracking_url"?, "status", "substatus"}; answers
// {"status": "OK"}.
func (ml *mercadolivre) sellerNotification(w http.ResponseWriter, r *http.Request) {
	m, e := mlReadObject(w, r)
	var n mlNotification
	var pair mlNotice
	if e == nil {
		n, pair, e = mlCheckNotification(m)
	}
	if e != nil {
		writeMLError(w, e)
		return
	}
	if !ml.locked(w, func() *mlError {
		sh := ml.shipment(r.PathValue("id"), "me1", "", "ready_to_ship", "")
		if e := mlWantME1(sh); e != nil {
			return e
		}
		tracking, _ := m["tracking_number"].(string)
		if sh.Tracking == "" && tracking == "" {
			return mlConflict("shipment %s has no tracking number: inform it (PUT /shipments/%s) before any status", sh.ID, sh.ID)
		}
		if !slices.Contains(pair.from, sh.Status) {
			return mlConflict("shipment %s is %s: %s/%s needs it to be %s", sh.ID, sh.Status, n.Status, n.Substatus, strings.Join(pair.from, " or "))
		}
		if tracking != "" {
			sh.Tracking = tracking
		}
		sub := n.Substatus
		if sub == "null" {
			sub = ""
		}
		sh.move(pair.to, sub, "seller_notifications", ml.s.now())
		sh.Notifications = append(sh.Notifications, n)
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

func mlCheckNotification(m map[string]any) (mlNotification, mlNotice, *mlError) {
	status, _ := m["status"].(string)
	sub := "null"
	if s, ok := m["substatus"].(string); ok {
		sub = s
	} else if v, ok := m["substatus"]; !ok || v != nil {
		return mlNotification{}, mlNotice{}, mlBad(`substatus is required: a substatus, or "null" when there is none`)
	}
	pair, ok := mlNotices[status+"/"+sub]
	if !ok {
		return mlNotification{}, mlNotice{}, mlBad("status %q with substatus %q is not a seller notification (want one of %s)", status, sub, strings.Join(mlNoticeNames(), ", "))
	}
	p, ok := child(m, "payload")
	if !ok {
		return mlNotification{}, mlNotice{}, mlBad(`payload is required: {"comment", "date"}`)
	}
	comment, ok := text(p, "comment")
	if !ok {
		return mlNotification{}, mlNotice{}, mlBad("payload.comment is required")
	}
	date, _ := p["date"].(string)
	if _, err := time.Parse(time.RFC3339, date); err != nil {
		return mlNotification{}, mlNotice{}, mlBad("payload.date %q must be a date with its offset, e.g. 2020-03-06T16:17:51.175-04:00", date)
	}
	if e := mlCheckTracking(p, false); e != nil {
		return mlNotification{}, mlNotice{}, mlBad("payload.%s", e.msg)
	}
	if _, ok := m["tracking_number"]; ok {
		if _, ok := text(m, "tracking_number"); !ok {
			return mlNotification{}, mlNotice{}, mlBad("tracking_number, when given, must be the tracking code")
		}
	}
	return mlNotification{Status: status, Substatus: sub, Date: date, Comment: comment}, pair, nil
}

func mlNoticeNames() []string {
	out := make([]string, 0, len(mlNotices))
	for k := range mlNotices {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readyToShip handles POST /shipments/{id}/process/ready_to_ship ("I
// already have the product" [ML-PACKS-COPY]): an ME2 shipment waiting for
// manufacturing is released; answers {"status": 200}.
func (ml *mercadolivre) readyToShip(w http.ResponseWriter, r *http.Request) {
	if !ml.locked(w, func() *mlError {
		sh := ml.shipment(r.PathValue("id"), "me2", "drop_off", "handling", "manufacturing")
		if sh.Mode != "me2" || sh.Substatus != "manufacturing" {
			return mlConflict("shipment %s is %s %s/%s: only a Mercado Envios 2 shipment waiting for manufacturing can be released", sh.ID, mlModeName(sh), sh.Status, sh.Substatus)
		}
		sub := "ready_to_print"
		if slices.Contains(mlImportTypes, sh.LogisticType) {
			sub = "invoice_pending"
		}
		sh.move("ready_to_ship", sub, "process/ready_to_ship", ml.s.now())
		return nil
	}) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"status": 200})
}

// mlReadObject reads a JSON object body.
func mlReadObject(w http.ResponseWriter, r *http.Request) (map[string]any, *mlError) {
	v, err := readJSON(w, r)
	if err != nil {
		return nil, mlBad("malformed JSON: %v", err)
	}
	m, ok := object(v)
	if !ok {
		return nil, mlBad("the body must be a JSON object")
	}
	return m, nil
}

// authorize handles GET /authorization (the browser step, at
// auth.mercadolivre.com.br in production [ML-AUTH-COPY]): the seller
// consents at once and is sent to redirect_uri with code and state.
func (ml *mercadolivre) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" {
		ml.tokenError(w, http.StatusBadRequest, "invalid_request", "response_type must be code")
		return
	}
	if !same(q.Get("client_id"), ml.s.secrets.get(MercadoLivre, "clientId")) {
		ml.tokenError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (redirect.Scheme != "https" && redirect.Scheme != "http") || redirect.Host == "" {
		ml.tokenError(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be the application's absolute redirect URL")
		return
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method != "S256" && method != "plain" {
		ml.tokenError(w, http.StatusBadRequest, "invalid_request", "code_challenge_method must be S256 or plain")
		return
	}
	code := ml.auth.newCode(mlCode{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), method: method,
		until: ml.s.now().Add(mlCodeTTL)})
	v := redirect.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// tokenError writes the token endpoint's error body [ML-AUTH-COPY].
func (*mercadolivre) tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error_description": desc, "error": code, "status": status, "cause": []any{}})
}

// token handles POST /oauth/token [ML-AUTH-COPY], [ML-SDK-GO]: a form with
// grant_type authorization_code (code, redirect_uri, code_verifier) or
// refresh_token (refresh_token), and client_id and client_secret.
func (ml *mercadolivre) token(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != "application/x-www-form-urlencoded" {
		ml.tokenError(w, http.StatusBadRequest, "invalid_request", "the body must be a form: content-type application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		ml.tokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a form: "+err.Error())
		return
	}
	f := r.PostForm
	if !same(f.Get("client_id"), ml.s.secrets.get(MercadoLivre, "clientId")) || !same(f.Get("client_secret"), ml.s.secrets.get(MercadoLivre, "clientSecret")) {
		ml.tokenError(w, http.StatusBadRequest, "invalid_client", "invalid client_id or client_secret")
		return
	}
	now := ml.s.now()
	var spend func(a *mlAuth) bool
	switch f.Get("grant_type") {
	case "authorization_code":
		if f.Get("code") == "" || f.Get("redirect_uri") == "" {
			ml.tokenError(w, http.StatusBadRequest, "invalid_request", "code and redirect_uri are required")
			return
		}
		spend = func(a *mlAuth) bool {
			return a.useCode(f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier"), now)
		}
	case "refresh_token":
		if f.Get("refresh_token") == "" {
			ml.tokenError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
			return
		}
		spend = func(a *mlAuth) bool { return a.useRefresh(f.Get("refresh_token"), now) }
	default:
		ml.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	access, refresh, ok := ml.auth.grant(spend, f.Get("client_id"), now, ml.opts.AccessTokenTTL)
	if !ok {
		ml.tokenError(w, http.StatusBadRequest, "invalid_grant", mlInvalidGrant)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer",
		"expires_in": int(ml.opts.AccessTokenTTL.Seconds()), "scope": mlScope, "user_id": mlSellerID, "refresh_token": refresh})
}

// mlCode is an authorization code's grant.
type mlCode struct {
	redirect, challenge, method string
	until                       time.Time
}

// mlAuth holds the codes and tokens issued. Only the newest refresh token
// is accepted, once [ML-AUTH-COPY].
type mlAuth struct {
	mu      sync.Mutex
	codes   map[string]mlCode
	access  map[string]time.Time
	refresh map[string]time.Time // refresh token → expiry
	latest  string               // the seller's newest refresh token
	used    map[string]bool      // refresh tokens spent by a refresh
	counts  mlAuthCounts
}

// mlAuthCounts are the token endpoint's grants, for the admin view (no
// token is ever shown).
type mlAuthCounts struct {
	CodesIssued     int `json:"codesIssued"`
	CodeGrants      int `json:"codeGrants"`
	RefreshGrants   int `json:"refreshGrants"`
	RefusedGrants   int `json:"refusedGrants"`
	RefreshReused   int `json:"refreshReused"`
	AccessTokensNow int `json:"accessTokensValid"`
}

func newMLAuth() *mlAuth {
	a := &mlAuth{}
	a.revoke()
	return a
}

// revoke forgets every code and token (the seller revoked the application).
func (a *mlAuth) revoke() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.codes, a.access, a.refresh, a.used, a.latest = map[string]mlCode{}, map[string]time.Time{}, map[string]time.Time{}, map[string]bool{}, ""
}

// seed makes tok the seller's newest refresh token, as if an earlier
// authorization had issued it: the secret refreshToken of the simulator's
// credentials, so that a sender seeded with it can make its first renewal
// without the browser step. It works once, like any refresh token; "" seeds
// nothing.
func (a *mlAuth) seed(tok string, now time.Time) {
	if tok == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh[tok], a.latest = now.Add(mlRefreshTTL), tok
}

func (a *mlAuth) newCode(c mlCode) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	code := newToken("TG-")
	a.codes[code] = c
	a.counts.CodesIssued++
	return code + fmt.Sprintf("-%d", mlSellerID)
}

// grant spends a code or refresh token and, if it was good, issues a new
// pair, all under one lock: two grants with the same refresh token never
// both succeed.
func (a *mlAuth) grant(spend func(a *mlAuth) bool, clientID string, now time.Time, ttl time.Duration) (string, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !spend(a) {
		return "", "", false
	}
	access, refresh := a.issue(clientID, now, ttl)
	return access, refresh, true
}

// useCode spends an authorization code; false when unknown, spent,
// expired, for another redirect_uri, or the PKCE verifier does not match.
// Call with mu held.
func (a *mlAuth) useCode(code, redirect, verifier string, now time.Time) bool {
	code = strings.TrimSuffix(code, fmt.Sprintf("-%d", mlSellerID))
	c, ok := a.codes[code]
	delete(a.codes, code)
	ok = ok && now.Before(c.until) && c.redirect == redirect && pkceMatches(c, verifier)
	a.count(ok, false)
	return ok
}

func pkceMatches(c mlCode, verifier string) bool {
	switch c.method {
	case "":
		return c.challenge == ""
	case "plain":
		return same(verifier, c.challenge)
	default:
		sum := sha256.Sum256([]byte(verifier))
		return verifier != "" && same(base64.RawURLEncoding.EncodeToString(sum[:]), c.challenge)
	}
}

// useRefresh spends a refresh token: it must be the newest issued, unused
// and unexpired. Call with mu held.
func (a *mlAuth) useRefresh(tok string, now time.Time) bool {
	until, ok := a.refresh[tok]
	if a.used[tok] {
		a.counts.RefreshReused++
	}
	ok = ok && !a.used[tok] && tok == a.latest && now.Before(until)
	if ok {
		a.used[tok] = true
	}
	a.count(ok, true)
	return ok
}

func (a *mlAuth) count(ok, refresh bool) {
	switch {
	case !ok:
		a.counts.RefusedGrants++
	case refresh:
		a.counts.RefreshGrants++
	default:
		a.counts.CodeGrants++
	}
}

// issue makes a token pair; the new refresh token supersedes the others.
// Call with mu held.
func (a *mlAuth) issue(clientID string, now time.Time, ttl time.Duration) (string, string) {
	access := fmt.Sprintf("APP_USR-%s-%s-%s-%d", clientID, now.In(mlZone).Format("010215"), newToken(""), mlSellerID)
	refresh := fmt.Sprintf("TG-%s-%d", newToken(""), mlSellerID)
	a.access[access] = now.Add(ttl)
	a.refresh[refresh], a.latest = now.Add(mlRefreshTTL), refresh
	return access, refresh
}

func (a *mlAuth) validAccess(tok string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.access[tok]
	return ok && now.Before(until)
}

func (a *mlAuth) view(now time.Time) mlAuthCounts {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.counts
	for _, until := range a.access {
		if now.Before(until) {
			c.AccessTokensNow++
		}
	}
	return c
}

// SetOption sets one of the Mercado Livre or Mirakl options by name, as
// the command line gives them ("mercadolivre.accessTokenTTL", "10m";
// "mirakl.fileExtensions", "pdf,xml"). OptionNames lists the names.
// Errors name the option and say what value it takes.
func (o *Options) SetOption(name, value string) error {
	var err error
	switch strings.ToLower(name) {
	case "mercadolivre.accesstokenttl":
		o.MercadoLivre.AccessTokenTTL, err = time.ParseDuration(value)
		if err == nil && o.MercadoLivre.AccessTokenTTL <= 0 {
			err = errors.New("want a positive duration")
		}
	case "mercadolivre.ratepersecond":
		o.MercadoLivre.RatePerSecond, err = atoiMin(value, 0)
	case "mirakl.shopid":
		var n int
		n, err = atoiMin(value, 1)
		o.Mirakl.ShopID = int64(n)
	case "mirakl.partialacceptancedisabled":
		o.Mirakl.PartialAcceptanceDisabled, err = strconv.ParseBool(value)
	case "mirakl.holddebit":
		o.Mirakl.HoldDebit, err = strconv.ParseBool(value)
	case "mirakl.knownordersonly":
		o.Mirakl.KnownOrdersOnly, err = strconv.ParseBool(value)
	case "mirakl.fileextensions":
		o.Mirakl.FileExtensions = []string{}
		for _, ext := range strings.Split(value, ",") {
			if ext = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(ext), ".")); ext != "" {
				o.Mirakl.FileExtensions = append(o.Mirakl.FileExtensions, ext)
			}
		}
		if len(o.Mirakl.FileExtensions) == 0 {
			err = errors.New("want file types such as pdf,xml")
		}
	case "mirakl.ratepersecond":
		o.Mirakl.RatePerSecond, err = atoiMin(value, 0)
	case "mirakl.errorstatus":
		o.Mirakl.ErrorStatus, err = atoiMin(value, 400)
		if err == nil && o.Mirakl.ErrorStatus > 499 {
			err = errors.New("want a 4xx status")
		}
	default:
		return fmt.Errorf("unknown option %q (want one of %s)", name, strings.Join(OptionNames(), ", "))
	}
	if err != nil {
		return fmt.Errorf("option %s=%q: %v", name, value, err)
	}
	return nil
}

// OptionNames lists the names SetOption takes.
func OptionNames() []string {
	return []string{"mercadolivre.accessTokenTTL", "mercadolivre.ratePerSecond", "mirakl.errorStatus", "mirakl.fileExtensions",
		"mirakl.holdDebit", "mirakl.knownOrdersOnly", "mirakl.partialAcceptanceDisabled", "mirakl.ratePerSecond", "mirakl.shopId"}
}

func atoiMin(s string, lowest int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lowest {
		return 0, fmt.Errorf("want a whole number of %d or more", lowest)
	}
	return n, nil
}
