package sim

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// order is one order's (Dafiti: one order item's) simulated state.
type order struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	History []move `json:"history"`
}

// move is one status change, in the admin view.
type move struct {
	From string `json:"from"`
	To   string `json:"to"`
	At   string `json:"at"`
	// Call is the endpoint that made the move ("admin" when set by hand).
	Call string `json:"call"`
}

// book holds the orders of one marketplace under its own mutex. An order
// the book has never seen starts at start.
type book struct {
	mu     sync.Mutex
	start  string
	orders map[string]*order
}

func newBook(start string) *book { return &book{start: start, orders: map[string]*order{}} }

// get returns order id, creating it at the start status. Call with mu held.
func (b *book) get(id string) *order {
	o, ok := b.orders[id]
	if !ok {
		o = &order{ID: id, Status: b.start, History: []move{}}
		b.orders[id] = o
	}
	return o
}

// peek returns order id's status without creating it. Call with mu held.
func (b *book) peek(id string) string {
	if o, ok := b.orders[id]; ok {
		return o.Status
	}
	return b.start
}

// move sets the order's status and records the move. Call with mu held.
func (o *order) move(to, call string, at time.Time) {
	o.History = append(o.History, move{From: o.Status, To: to, At: stamp(at), Call: call})
	o.Status = to
}

// clone copies o, history included, for an admin view. Call with the
// marketplace's mutex held.
func (o *order) clone() *order {
	c := *o
	c.History = slices.Clone(o.History)
	return &c
}

// snapshot copies the orders, sorted by id.
func (b *book) snapshot() []order {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]order, 0, len(b.orders))
	for _, o := range b.orders {
		out = append(out, *o.clone())
	}
	sortByID(out)
	return out
}

// set puts order id at status by hand.
func (b *book) set(id, status string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.get(id).move(status, "admin", at)
}

func (b *book) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.orders = map[string]*order{}
}

// ordersView is the admin answer of GET /_sim/orders/{marketplace}: O is
// the marketplace's order (order, or one that embeds it).
type ordersView[O any] struct {
	Marketplace string `json:"marketplace"`
	// Start is the status an order the simulator has not seen starts at.
	Start string `json:"start"`
	// Lag is when an accepted change becomes visible (Napse only).
	Lag    string `json:"lag,omitempty"`
	Orders []O    `json:"orders"`
}

// orderID is the id of an order or of an order that embeds one.
func (o order) orderID() string { return o.ID }

// sortByID sorts orders by id, for a stable admin view.
func sortByID[O interface{ orderID() string }](orders []O) {
	slices.SortFunc(orders, func(a, b O) int { return strings.Compare(a.orderID(), b.orderID()) })
}
