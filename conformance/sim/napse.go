package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Napse BRIDGE API (seed 003; marketplaces.md section 4). A token from
// POST /auth/token goes in x-access-token. POST
// /order/change-status/state/change accepts a state change and BRIDGE
// applies it later (asynchronously); POST /order/status shows the state
// applied. Every answer is HTTP 200 with {"ack": code, "message": ...}:
// ack 0 is success, the others are BRIDGE's codes.

// BRIDGE's order states, in lifecycle order (seed 003), and their names.
var napStates = []string{"open", "confirmed", "readyToPick", "inproc", "complete", "transit", "closed", "cancelled"}

var napNames = map[string]string{
	"open": "abierto/creado", "confirmed": "confirmado", "readyToPick": "listo para surtir", "inproc": "surtiendo",
	"complete": "completo", "transit": "entregado", "closed": "cerrado", "cancelled": "cancelado",
}

// napFinal are the states BRIDGE refuses to change (1023).
var napFinal = []string{"closed", "cancelled"}

// napStart is the state of an order BRIDGE has not seen: open, the state
// orders enter BRIDGE in from the sales channel (seed 003's lifecycle), and
// the first where the seller acts (confirming it).
const napStart = "open"

// BRIDGE's ack codes (seed 003; 1022 from the status query's page).
const (
	napOK         = 0
	napNoOrder    = 991
	napSameState  = 1021
	napNotFound   = 1022
	napFinalState = 1023
	napNoState    = 1040
	napUnknown    = 9999
)

// napTokenTTL is how long a token lasts [inferred: not documented].
const napTokenTTL = time.Hour

// napOrder is an order in BRIDGE: the state applied and the changes
// accepted but not yet applied.
type napOrder struct {
	*order
	ExternalNumber string      `json:"externalNumber,omitempty"`
	Channel        string      `json:"channel,omitempty"`
	Pending        []napChange `json:"pending"`
}

// napChange is an accepted change, waiting to be applied.
type napChange struct {
	To      string    `json:"to"`
	At      time.Time `json:"at"`
	Queries int       `json:"queries"` // status queries that saw it pending
}

type napse struct {
	s      *Server
	lag    Lag
	tokens tokenStore
	mu     sync.Mutex
	orders map[string]*napOrder // by internal number
	byExt  map[string]string    // channel + "\x00" + external number → internal number
	serial int
}

func newNapse(s *Server, lag Lag) *napse {
	return &napse{s: s, lag: lag, orders: map[string]*napOrder{}, byExt: map[string]string{}}
}

func (*napse) id() string { return Napse }

func (n *napse) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/token", n.token)
	mux.Handle("POST /order/change-status/state/change", n.auth(n.call(n.change)))
	mux.Handle("POST /order/status", n.auth(n.call(n.status)))
	return mux
}

// fail writes {"ack": code, "message": msg} (code 9999 when not a number).
func (*napse) fail(w http.ResponseWriter, status int, code, msg string) {
	ack := napUnknown
	if _, err := fmt.Sscanf(code, "%d", &ack); err != nil {
		ack = napUnknown
	}
	writeJSON(w, status, map[string]any{"ack": ack, "message": msg})
}

func ack(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"ack": code, "message": msg})
}

// token handles POST /auth/token {"user", "password"} → {"token"}
// [inferred: BRIDGE's token service body and answer are not public].
func (n *napse) token(w http.ResponseWriter, r *http.Request) {
	v, err := readJSON(w, r)
	m, _ := object(v)
	user, _ := m["user"].(string)
	password, _ := m["password"].(string)
	if err != nil || !same(user, n.s.secrets.get(Napse, "user")) || !same(password, n.s.secrets.get(Napse, "password")) {
		n.fail(w, http.StatusUnauthorized, "9999", "usuario o contraseña inválidos")
		return
	}
	tok := newToken("sim-napse-")
	n.tokens.issue(tok, n.s.now().Add(napTokenTTL))
	writeJSON(w, http.StatusOK, map[string]any{"ack": napOK, "message": "-", "token": tok})
}

// auth refuses a call without a valid x-access-token: HTTP 200, ack 9999,
// "token inválido" [inferred: BRIDGE documents the message, not the code].
func (n *napse) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("x-access-token")
		switch {
		case tok == "":
			ack(w, napUnknown, "token inválido: falta el header x-access-token")
		case !n.tokens.valid(tok, n.s.now()):
			ack(w, napUnknown, "token inválido")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// call reads the JSON body and answers what fn returns.
func (n *napse) call(fn func(m map[string]any) map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := readJSON(w, r)
		m, ok := object(v)
		if err != nil || !ok {
			ack(w, napUnknown, "el cuerpo no es un objeto JSON válido")
			return
		}
		writeJSON(w, http.StatusOK, fn(m))
	})
}

func answer(code int, msg string) map[string]any { return map[string]any{"ack": code, "message": msg} }

// change handles POST /order/change-status/state/change.
func (n *napse) change(m map[string]any) map[string]any {
	state, _ := m["orderState"].(string)
	if state == "" {
		return answer(napNoState, "el nuevo estado es requerido")
	}
	if !slices.Contains(napStates, state) {
		return answer(napNoState, fmt.Sprintf("el nuevo estado es requerido: %q no es un estado (%s)", state, strings.Join(napStates, ", ")))
	}
	internal, _ := m["internalNumber"].(string)
	external, _ := m["externalNumber"].(string)
	channel, _ := m["channel"].(string)
	if internal == "" && (external == "" || channel == "") {
		return answer(napNoOrder, "el código de orden es requerido: envíe internalNumber, o externalNumber y channel")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.find(internal, external, channel)
	now := n.s.now()
	switch target := o.target(); {
	case slices.Contains(napFinal, target):
		return answer(napFinalState, fmt.Sprintf("no se puede cambiar de estado una orden %s (%s)", napNames[target], target))
	case target == state:
		return answer(napSameState, fmt.Sprintf("el nuevo estado no puede ser idéntico al actual (%s)", state))
	}
	o.Pending = append(o.Pending, napChange{To: state, At: now})
	n.settle(o, now, false)
	return answer(napOK, fmt.Sprintf("El cambio de estado para la orden: %s se ejecutó con éxito", o.ID))
}

// find returns the order named by internal number or by external number
// and channel, creating it (state open) when BRIDGE has not seen it.
// Call with mu held.
func (n *napse) find(internal, external, channel string) *napOrder {
	ext := channel + "\x00" + external
	if internal == "" {
		internal = n.byExt[ext]
	}
	if internal == "" {
		n.serial++
		internal = fmt.Sprintf("bridge%010d", n.serial)
	}
	o, ok := n.orders[internal]
	if !ok {
		o = &napOrder{order: &order{ID: internal, Status: napStart, History: []move{}}, Pending: []napChange{}}
		n.orders[internal] = o
	}
	if external != "" && channel != "" && o.ExternalNumber == "" {
		o.ExternalNumber, o.Channel = external, channel
		n.byExt[ext] = internal
	}
	return o
}

// target is the state the order will have once its changes are applied.
func (o *napOrder) target() string {
	if len(o.Pending) > 0 {
		return o.Pending[len(o.Pending)-1].To
	}
	return o.Status
}

// settle applies, in order, the pending changes whose lag has passed; a
// status query (query true) counts as having seen the rest.
func (n *napse) settle(o *napOrder, now time.Time, query bool) {
	for len(o.Pending) > 0 {
		c := o.Pending[0]
		if c.Queries < n.lag.Queries || now.Sub(c.At) < n.lag.Delay {
			break
		}
		o.move(c.To, "change-status", now)
		o.Pending = o.Pending[1:]
	}
	if query {
		for i := range o.Pending {
			o.Pending[i].Queries++
		}
	}
}

// status handles POST /order/status {"internalOrderNumber"}.
func (n *napse) status(m map[string]any) map[string]any {
	id, _ := m["internalOrderNumber"].(string)
	if id == "" {
		return answer(napNoOrder, "el código de orden es requerido: envíe internalOrderNumber")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	o, ok := n.orders[id]
	if !ok {
		return answer(napNotFound, fmt.Sprintf("el número de orden %s no existe en la base de datos", id))
	}
	n.settle(o, n.s.now(), true)
	history := []map[string]string{}
	for _, mv := range o.History {
		history = append(history, map[string]string{"initialState": mv.From, "finalState": mv.To, "createdDate": mv.At})
	}
	out := answer(napOK, "-")
	out["currentStatus"], out["currentStatusName"], out["history"] = o.Status, napNames[o.Status], history
	return out
}

// view is the admin view of BRIDGE's orders, with their pending changes.
func (n *napse) view() any {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := ordersView[napOrder]{Marketplace: Napse, Start: napStart, Lag: fmt.Sprintf("%d queries, %s", n.lag.Queries, n.lag.Delay), Orders: []napOrder{}}
	for _, o := range n.orders {
		n.settle(o, n.s.now(), false)
		c := *o
		c.order = o.clone()
		c.Pending = slices.Clone(o.Pending)
		out.Orders = append(out.Orders, c)
	}
	sortByID(out.Orders)
	return out
}

func (n *napse) setStatus(id, status string) error {
	if !slices.Contains(napStates, status) {
		return unknownStatus(status, napStates)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.find(id, "", "")
	o.Pending = []napChange{}
	o.move(status, "admin", n.s.now())
	return nil
}

// link makes calls by external number and channel reach order id.
func (n *napse) link(id, external, channel string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.find(id, "", "")
	if o.ExternalNumber != "" {
		delete(n.byExt, o.Channel+"\x00"+o.ExternalNumber)
	}
	key := channel + "\x00" + external
	if prev, ok := n.orders[n.byExt[key]]; ok && prev != o {
		prev.ExternalNumber, prev.Channel = "", ""
	}
	o.ExternalNumber, o.Channel = external, channel
	n.byExt[key] = id
}

func (n *napse) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.orders, n.byExt, n.serial = map[string]*napOrder{}, map[string]string{}, 0
}
