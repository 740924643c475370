package sim

import (
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/fiscal"
)

// SkyHub (seed 002; marketplaces.md section 3). Every call carries
// X-User-Email, X-Api-Key and X-Accountmanager-Key; errors are
// {"error": "message"} with 400 (malformed JSON), 401 (credentials), 406
// (Accept), 415 (Content-Type), 422 (business rule), 429 (rate limit).

// SkyHub's order statuses (marketplaces.md 3.3).
const (
	skyNew       = "book_product"
	skyApproved  = "payment_received"
	skyInvoiced  = "order_invoiced"
	skyShipped   = "order_shipped"
	skyComplete  = "complete"
	skyCanceled  = "order_canceled"
	skyException = "shipment_exception"
)

// skyLabels are each status's label and type, as GET /statuses lists them.
var skyLabels = map[string][2]string{
	skyNew:       {"NEW - Pagamento Pendente", "NEW"},
	skyApproved:  {"Aprovado", "APPROVED"},
	skyInvoiced:  {"Faturado", "INVOICED"},
	skyShipped:   {"Pedido Enviado", "SHIPPED"},
	skyComplete:  {"Completo (entregue)", "DELIVERED"},
	skyCanceled:  {"Cancelado", "CANCELED"},
	skyException: {"Exceção de Entrega", "SHIPMENT_EXCEPTION"},
}

// skyMove is one seller call: the statuses it may start from and where it
// leads.
type skyMove struct {
	from []string
	to   string
}

// skyMoves are the calls the seller may make, by path suffix. Cancelling is
// allowed until the order is shipped [inferred: SkyHub documents 422 for an
// invalid status transition, not which ones]; delivery and a shipment
// exception need a shipped order.
var skyMoves = map[string]skyMove{
	"approval":           {from: []string{skyNew}, to: skyApproved},
	"invoice":            {from: []string{skyApproved}, to: skyInvoiced},
	"shipments":          {from: []string{skyInvoiced}, to: skyShipped},
	"delivery":           {from: []string{skyShipped, skyException}, to: skyComplete},
	"cancel":             {from: []string{skyNew, skyApproved, skyInvoiced}, to: skyCanceled},
	"shipment_exception": {from: []string{skyShipped, skyException}, to: skyException},
}

// SkyHub's rate limits per token, endpoint and method (marketplaces.md 3.5).
const (
	skyWritesPerSecond = 9
	skyReadsPerSecond  = 1
)

type skyhub struct {
	s     *Server
	book  *book
	limit *limiter
}

func newSkyHub(s *Server) *skyhub {
	return &skyhub{s: s, book: newBook(skyApproved), limit: &limiter{}}
}

func (*skyhub) id() string { return SkyHub }

func (k *skyhub) handler() http.Handler {
	mux := http.NewServeMux()
	for call := range skyMoves {
		mux.Handle("POST /orders/{code}/"+call, k.guard("POST /orders/{code}/"+call, skyWritesPerSecond, k.write(call)))
	}
	mux.Handle("GET /orders/{code}", k.guard("GET /orders/{code}", skyReadsPerSecond, http.HandlerFunc(k.read)))
	mux.Handle("GET /statuses", k.guard("GET /statuses", skyReadsPerSecond, http.HandlerFunc(k.statuses)))
	return mux
}

func (*skyhub) fail(w http.ResponseWriter, status int, _, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// guard checks the credentials, the data headers and the rate limit of
// endpoint, in that order.
func (k *skyhub) guard(endpoint string, perSecond int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := k.authError(r.Header); msg != "" {
			k.fail(w, http.StatusUnauthorized, "", msg)
			return
		}
		if status, msg := skyFormatError(r); status != 0 {
			k.fail(w, status, "", msg)
			return
		}
		ok, wait := k.limit.allow(r.Header.Get("X-Api-Key")+" "+endpoint, perSecond, k.s.now())
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			k.fail(w, http.StatusTooManyRequests, "", fmt.Sprintf("rate limit exceeded: %d requests per second on %s; wait for the next second", perSecond, endpoint))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authError says what is wrong with the credential headers, "" if nothing.
func (k *skyhub) authError(h http.Header) string {
	sec := k.s.secrets
	switch {
	case h.Get("X-Api-Key") == "" && h.Get("X-User-Token") != "":
		return "X-User-Token is no longer accepted: send the integration token in X-Api-Key"
	case h.Get("X-User-Email") == "" || h.Get("X-Api-Key") == "":
		return "missing credentials: send X-User-Email and X-Api-Key"
	case h.Get("X-Accountmanager-Key") == "":
		return "missing X-Accountmanager-Key: every call must carry the platform's account manager key"
	case !same(h.Get("X-User-Email"), sec.get(SkyHub, "userEmail")) || !same(h.Get("X-Api-Key"), sec.get(SkyHub, "apiKey")):
		return "invalid credentials: X-User-Email and X-Api-Key do not match an account"
	case !same(h.Get("X-Accountmanager-Key"), sec.get(SkyHub, "accountManagerKey")):
		return "invalid X-Accountmanager-Key"
	}
	return ""
}

// skyFormatError checks Accept (406) and, on writes, Content-Type (415).
func skyFormatError(r *http.Request) (int, string) {
	if a := r.Header.Get("Accept"); a != "" && !acceptsJSON(a) {
		return http.StatusNotAcceptable, "Accept must allow application/json"
	}
	if r.Method == http.MethodGet {
		return 0, ""
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return http.StatusUnsupportedMediaType, "the body must be UTF-8 (charset=utf-8)"
	}
	return 0, ""
}

func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "application/json", "application/*", "*/*":
			return true
		}
	}
	return false
}

// write handles POST /orders/{code}/<call>.
func (k *skyhub) write(call string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		v, err := readJSON(w, r)
		if err != nil {
			k.fail(w, http.StatusBadRequest, "", "malformed JSON: "+err.Error())
			return
		}
		if msg := skyCheckBody(call, code, v); msg != "" {
			k.fail(w, http.StatusUnprocessableEntity, "", msg)
			return
		}
		if msg := k.apply(call, code); msg != "" {
			k.fail(w, http.StatusUnprocessableEntity, "", msg)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"code": code, "status": skyMoves[call].to})
	})
}

// apply makes the call's move on order code, or says why not.
func (k *skyhub) apply(call, code string) string {
	mv := skyMoves[call]
	k.book.mu.Lock()
	defer k.book.mu.Unlock()
	o := k.book.get(code)
	if !slices.Contains(mv.from, o.Status) {
		return fmt.Sprintf("invalid status transition: order %s is %s (%s); %s needs it to be %s",
			code, o.Status, skyLabels[o.Status][0], call, strings.Join(mv.from, " or "))
	}
	o.move(mv.to, call, k.s.now())
	return ""
}

// read handles GET /orders/{code}: the order's status, in SkyHub's
// {code, status: {code, label, type}} form (an unseen order is approved).
func (k *skyhub) read(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	k.book.mu.Lock()
	st := k.book.peek(code)
	k.book.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"code": code, "status": skyStatus(st)})
}

func skyStatus(code string) map[string]string {
	l := skyLabels[code]
	return map[string]string{"code": code, "label": l[0], "type": l[1]}
}

// statuses handles GET /statuses.
func (k *skyhub) statuses(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]string{}
	for _, c := range skyStatusCodes() {
		out = append(out, skyStatus(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func skyStatusCodes() []string {
	return []string{skyNew, skyApproved, skyInvoiced, skyShipped, skyComplete, skyCanceled, skyException}
}

func (k *skyhub) view() any {
	return ordersView[order]{Marketplace: SkyHub, Start: skyApproved, Orders: k.book.snapshot()}
}

func (k *skyhub) setStatus(id, status string) error {
	if _, ok := skyLabels[status]; !ok {
		return unknownStatus(status, skyStatusCodes())
	}
	k.book.set(id, status, k.s.now())
	return nil
}

func (k *skyhub) reset() { k.book.reset() }

// skyCheckBody checks a call's body against the seed's shape; "" if fine.
func skyCheckBody(call, code string, v any) string {
	m, ok := object(v)
	if !ok {
		return "the body must be a JSON object"
	}
	switch call {
	case "approval":
		return skyOptionalStatus(m, skyApproved)
	case "invoice":
		return firstOf(skyWantStatus(m, skyInvoiced), skyCheckInvoice(m))
	case "shipments":
		return firstOf(skyWantStatus(m, skyShipped), skyCheckShipment(m, code))
	case "delivery":
		return firstOf(skyWantStatus(m, skyComplete), optionalTime(m, "delivered_date", "02/01/2006", "DD/MM/AAAA"))
	case "cancel":
		return skyWantStatus(m, skyCanceled)
	case "shipment_exception":
		return firstOf(skyOptionalStatus(m, skyException), skyCheckException(m))
	}
	return ""
}

// firstOf returns the first non-empty message.
func firstOf(msgs ...string) string {
	for _, m := range msgs {
		if m != "" {
			return m
		}
	}
	return ""
}

func skyWantStatus(m map[string]any, want string) string {
	if s, _ := m["status"].(string); s != want {
		return fmt.Sprintf("status must be %q", want)
	}
	return ""
}

func skyOptionalStatus(m map[string]any, want string) string {
	if _, ok := m["status"]; !ok {
		return ""
	}
	return skyWantStatus(m, want)
}

func skyCheckInvoice(m map[string]any) string {
	inv, ok := child(m, "invoice")
	if !ok {
		return "invoice is required: {\"key\": \"<44 digits>\", \"issue_date\": \"...\"}"
	}
	key, _ := inv["key"].(string)
	if err := fiscal.CheckNFeKey(key); err != nil {
		return fmt.Sprintf("invoice.key %q is not a valid NF-e access key: %v", key, err)
	}
	return optionalTime(inv, "issue_date", time.RFC3339, "AAAA-MM-DDTHH:MM:SS-03:00")
}

func skyCheckShipment(m map[string]any, code string) string {
	sh, ok := child(m, "shipment")
	if !ok {
		return "shipment is required"
	}
	if c, _ := sh["code"].(string); c != code {
		return fmt.Sprintf("shipment.code %q must be the order code %q", c, code)
	}
	items, ok := list(sh, "items")
	if !ok {
		return "shipment.items must list the SKUs shipped: [{\"sku\": ..., \"qty\": ...}]"
	}
	for i, it := range items {
		o, _ := object(it)
		if _, ok := text(o, "sku"); !ok {
			return fmt.Sprintf("shipment.items[%d].sku is required", i)
		}
		if _, ok := positive(o["qty"]); !ok {
			return fmt.Sprintf("shipment.items[%d].qty must be a whole number above 0", i)
		}
	}
	return firstOf(skyCheckTrack(sh), optionalTime(sh, "delivered_carrier_date", time.RFC3339, "AAAA-MM-DDTHH:MM:SS-03:00"))
}

func skyCheckTrack(sh map[string]any) string {
	tr, ok := child(sh, "track")
	if !ok {
		return "shipment.track is required: {\"code\", \"carrier\", \"method\", \"url\"}"
	}
	for _, f := range []string{"code", "carrier"} {
		if _, ok := text(tr, f); !ok {
			return "shipment.track." + f + " is required"
		}
	}
	return ""
}

func skyCheckException(m map[string]any) string {
	ex, ok := child(m, "shipment_exception")
	if !ok {
		return "shipment_exception is required: {\"occurrence_date\", \"observation\"}"
	}
	if _, ok := text(ex, "observation"); !ok {
		return "shipment_exception.observation is required"
	}
	if _, ok := ex["occurrence_date"]; !ok {
		return "shipment_exception.occurrence_date is required"
	}
	return optionalTime(ex, "occurrence_date", time.RFC3339, "AAAA-MM-DDTHH:MM:SS+00:00")
}

// optionalTime checks m[key], when present, against a time layout.
func optionalTime(m map[string]any, key, layout, shown string) string {
	v, ok := m[key]
	if !ok {
		return ""
	}
	s, _ := v.(string)
	if _, err := time.Parse(layout, s); err != nil {
		return fmt.Sprintf("%s %q must be written %s", key, s, shown)
	}
	return ""
}
