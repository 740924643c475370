package durable

import (
	"encoding/json"
	"errors"
	"time"
)

// State is where an event stands.
type State string

// States of an event. Append-only: they are part of the HTTP API.
const (
	// Pending: accepted, waiting for its turn in its order or retrying.
	Pending State = "pending"
	// Delivered: every call of the event was accepted by the marketplace.
	Delivered State = "delivered"
	// Ignored: the mapping says the event needs no call (recorded, not sent).
	Ignored State = "ignored"
	// Dead: refused for good, or the retry schedule ran out. The event's
	// order waits until the event is replayed or skipped.
	Dead State = "dead"
	// Skipped: an operator gave up on the event; its order moves on.
	Skipped State = "skipped"
)

// Valid reports whether s is one of the states above.
func (s State) Valid() bool {
	switch s {
	case Pending, Delivered, Ignored, Dead, Skipped:
		return true
	}
	return false
}

// Errors of the query and operator methods; test with errors.Is.
var (
	// ErrNotFound: no event (or order) with that id (or key).
	ErrNotFound = errors.New("durable: not found")
	// ErrConflict: the event is not in a state the operation applies to
	// (replaying an event that is not dead, skipping a delivered one).
	ErrConflict = errors.New("durable: conflict with the event's state")
)

// OrderKey names an order: its marketplace and the marketplace's order id.
// Events of one order are delivered one after another, in the order they
// were accepted.
type OrderKey struct {
	Marketplace        string `json:"marketplace"`
	MarketplaceOrderID string `json:"marketplaceOrderId"`
}

// String is the key as logs write it: marketplace/marketplaceOrderId.
func (k OrderKey) String() string { return k.Marketplace + "/" + k.MarketplaceOrderID }

// Acceptance is the answer to Accept.
type Acceptance struct {
	EventID string `json:"id"`
	// State is Pending (to be delivered) or Ignored, or, for a duplicate,
	// the first acceptance's current state.
	State State `json:"state"`
	// Duplicate is true when the id had been accepted already: nothing was
	// stored or sent this time.
	Duplicate bool `json:"duplicate,omitempty"`
	// Reason is the mapping's reason for an ignored event.
	Reason     string    `json:"reason,omitempty"`
	Order      OrderKey  `json:"order"`
	AcceptedAt time.Time `json:"acceptedAt"`
}

// Attempt is one try at one call of an event.
type Attempt struct {
	// At is when the attempt started.
	At time.Time `json:"at"`
	// Call is the call's name in the mapping.
	Call string `json:"call"`
	// Outcome is the call's outcome, as engine/deliver names it: success,
	// refused, failed, canceled.
	Outcome string `json:"outcome"`
	// Status is the HTTP status of the answer; absent when none came.
	Status int `json:"status,omitempty"`
	// MarketplaceCode and Message are the marketplace's own code and
	// message, as the mapping's response rules extract them (secret values
	// removed).
	MarketplaceCode string `json:"marketplaceCode,omitempty"`
	Message         string `json:"message,omitempty"`
	// Error is a stable code when the answer alone does not explain the
	// outcome (deliver.Err*: network_error, timeout, ...).
	Error string `json:"error,omitempty"`
	// Requests is how many requests the attempt sent (a renewed token
	// counts one more).
	Requests int `json:"requests"`
	// NextAttemptAt is when the event is tried again after this attempt.
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
}

// EventRecord is an event as the store keeps it.
type EventRecord struct {
	ID    string   `json:"id"`
	Type  string   `json:"type"`
	Order OrderKey `json:"order"`
	State State    `json:"state"`
	// Reason says why the event is ignored, dead or skipped.
	Reason string `json:"reason,omitempty"`
	// ErrorCode is a stable code of the last failure, for a dead event or a
	// pending one that is retrying (docs/delivery-semantics.md lists them):
	// "refused" when the marketplace refused a call, the engine's code when
	// the event no longer translates, deliver's when no usable answer came
	// (retries_exhausted, network_error, rule_error, ...).
	ErrorCode string `json:"errorCode,omitempty"`
	// MarketplaceCode and Message are the marketplace's code and message
	// of that failure (the refusal that made the event dead).
	MarketplaceCode string     `json:"marketplaceCode,omitempty"`
	Message         string     `json:"message,omitempty"`
	AcceptedAt      time.Time  `json:"acceptedAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
	DeliveredAt     *time.Time `json:"deliveredAt,omitempty"`
	// NextAttemptAt is when a pending event is tried next (absent while it
	// waits for an earlier event of its order, or is being tried).
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// CallsDelivered are the calls the marketplace accepted, in order;
	// they are never sent again for this event.
	CallsDelivered []string `json:"callsDelivered"`
	// Attempts are every attempt, oldest first.
	Attempts []Attempt `json:"attempts"`
	// Event is the canonical event as accepted.
	Event json.RawMessage `json:"event"`
}

// EventSummary is an event in a list.
type EventSummary struct {
	ID            string     `json:"id"`
	Type          string     `json:"type"`
	Order         OrderKey   `json:"order"`
	State         State      `json:"state"`
	Reason        string     `json:"reason,omitempty"`
	AcceptedAt    time.Time  `json:"acceptedAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Attempts is how many attempts were made.
	Attempts int `json:"attempts"`
}

// OrderRecord is an order's stored state and its events.
type OrderRecord struct {
	OrderKey
	// Status is the order's canonical status; MarketplaceStatus its status
	// code at the marketplace. Both are what Rota's delivered calls left
	// the order in; empty until a call that sets them succeeded.
	Status            string    `json:"status"`
	MarketplaceStatus string    `json:"marketplaceStatus"`
	UpdatedAt         time.Time `json:"updatedAt"`
	// Timeline lists the order's events in the order they were accepted.
	Timeline []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one event of an order.
type TimelineEntry struct {
	EventID     string     `json:"eventId"`
	Type        string     `json:"type"`
	State       State      `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	AcceptedAt  time.Time  `json:"acceptedAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
}

// EventQuery selects events for Events. Zero fields select everything.
type EventQuery struct {
	// State keeps the events in this state.
	State State
	// Marketplace keeps the events of this marketplace.
	Marketplace string
	// Cursor continues a listing: the NextCursor of the previous page.
	Cursor string
	// Limit is the page size: default 50, at most MaxPageSize.
	Limit int
}

// Page sizes of Events.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// EventPage is one page of events, newest accepted first.
type EventPage struct {
	Events []EventSummary `json:"events"`
	// NextCursor fetches the next page; absent on the last one.
	NextCursor string `json:"nextCursor,omitempty"`
}
