package event

import "github.com/tidwall/gjson"

// SpecVersion is the canonical event contract version this package implements.
const SpecVersion = "1.0"

// Types lists the canonical event types, in lifecycle order.
var Types = []string{
	"order.created", "order.accepted", "order.approved", "order.handling", "order.invoiced",
	"order.ready_to_ship", "order.shipped", "order.delivered", "order.canceled",
	"order.delivery_failed", "order.shipment_exception",
}

// Statuses lists the canonical order statuses, in lifecycle order.
var Statuses = []string{
	"new", "approved", "handling", "invoiced", "ready_to_ship", "shipped",
	"delivered", "canceled", "delivery_failed",
}

// FinalStatuses are the canonical statuses after which nothing changes.
var FinalStatuses = map[string]bool{"delivered": true, "canceled": true, "delivery_failed": true}

// StatusAfter maps an event type to the canonical status it leaves the order
// in; order.accepted and order.shipment_exception leave the status unchanged
// and map to "".
var StatusAfter = map[string]string{
	"order.created": "new", "order.approved": "approved", "order.handling": "handling",
	"order.invoiced": "invoiced", "order.ready_to_ship": "ready_to_ship", "order.shipped": "shipped",
	"order.delivered": "delivered", "order.canceled": "canceled", "order.delivery_failed": "delivery_failed",
	"order.shipment_exception": "", "order.accepted": "",
}

// IsType reports whether t is a canonical event type.
func IsType(t string) bool { _, ok := StatusAfter[t]; return ok }

// IsStatus reports whether s is a canonical status.
func IsStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Event is one canonical order event.
type Event struct {
	SpecVersion  string        `expr:"specVersion"`
	ID           string        `expr:"id"`
	Type         string        `expr:"type"`
	OccurredAt   string        `expr:"occurredAt"`
	Marketplace  string        `expr:"marketplace"`
	Order        *Order        `expr:"order"`
	Items        []*Item       `expr:"items"`
	Invoice      *Invoice      `expr:"invoice"`
	Shipment     *Shipment     `expr:"shipment"`
	Delivery     *Delivery     `expr:"delivery"`
	Cancellation *Cancellation `expr:"cancellation"`
	Failure      *Failure      `expr:"failure"`
	Exception    *Exception    `expr:"exception"`
	Note         string        `expr:"note"`

	raw      gjson.Result
	itemsRaw gjson.Result
	// The objects live here; the exported fields point at them, so that
	// expressions read them without copying and none is ever nil.
	order        Order
	invoice      Invoice
	shipment     Shipment
	delivery     Delivery
	cancellation Cancellation
	failure      Failure
	exception    Exception
	items        []Item
	itemPtrs     []*Item
}

// Reset empties the event, keeping the memory its items were decoded into
// so that decoding into it again allocates less.
func (e *Event) Reset() {
	if e.Order != &e.order {
		// Never wired, or a copy of another event whose item memory is the
		// original's: start afresh.
		*e = Event{}
		e.wire()
		return
	}
	// Clear only what the last decode wrote: every pointer written while
	// the garbage collector is marking costs a write barrier.
	clear(e.items)
	clear(e.itemPtrs)
	e.items, e.itemPtrs, e.Items = e.items[:0], e.itemPtrs[:0], nil
	e.SpecVersion, e.ID, e.Type, e.OccurredAt, e.Marketplace, e.Note = "", "", "", "", "", ""
	e.raw, e.itemsRaw = gjson.Result{}, gjson.Result{}
	if zeroIfDecoded(&e.order, e.order.raw) {
		e.order.wire()
	}
	zeroIfDecoded(&e.invoice, e.invoice.raw)
	zeroIfDecoded(&e.shipment, e.shipment.raw)
	zeroIfDecoded(&e.delivery, e.delivery.raw)
	zeroIfDecoded(&e.cancellation, e.cancellation.raw)
	zeroIfDecoded(&e.failure, e.failure.raw)
	zeroIfDecoded(&e.exception, e.exception.raw)
}

// zeroIfDecoded zeroes *p when a decode filled it in, which it tells by the
// object's raw JSON, and reports whether it did.
func zeroIfDecoded[T any](p *T, raw gjson.Result) bool {
	if raw.Raw == "" {
		return false
	}
	var zero T
	*p = zero
	return true
}

// wire points the object fields at the event's own storage.
func (e *Event) wire() {
	e.Order, e.Invoice, e.Shipment = &e.order, &e.invoice, &e.shipment
	e.Delivery, e.Cancellation, e.Failure, e.Exception = &e.delivery, &e.cancellation, &e.failure, &e.exception
	e.order.wire()
}

// wire points the order's object fields at its own storage.
func (o *Order) wire() {
	o.Customer, o.ShippingAddress, o.Shipping, o.Totals = &o.customer, &o.shippingAddress, &o.shipping, &o.totals
}

// ItemsRaw returns the JSON of the event's items (empty when absent).
func (e *Event) ItemsRaw() gjson.Result { return e.itemsRaw }

// Raw returns the JSON the event was decoded from.
func (e *Event) Raw() gjson.Result { return e.raw }

// Order is the order an event concerns.
type Order struct {
	ID                 string            `expr:"id"`
	MarketplaceOrderID string            `expr:"marketplaceOrderId"`
	Channel            string            `expr:"channel"`
	Status             string            `expr:"status"`
	MarketplaceStatus  string            `expr:"marketplaceStatus"`
	ServicesEndpoint   string            `expr:"servicesEndpoint"`
	Attributes         map[string]string `expr:"attributes"`
	Customer           *Customer         `expr:"customer"`
	ShippingAddress    *Address          `expr:"shippingAddress"`
	Shipping           *Shipping         `expr:"shipping"`
	Totals             *Totals           `expr:"totals"`
	PlacedAt           string            `expr:"placedAt"`

	customer        Customer
	shippingAddress Address
	shipping        Shipping
	totals          Totals

	raw gjson.Result
}

// Customer is the buyer of an inbound order.
type Customer struct {
	FirstName        string `expr:"firstName"`
	LastName         string `expr:"lastName"`
	Email            string `expr:"email"`
	Phone            string `expr:"phone"`
	Document         string `expr:"document"`
	DocumentType     string `expr:"documentType"`
	CorporateName    string `expr:"corporateName"`
	StateInscription string `expr:"stateInscription"`

	raw gjson.Result
}

// Address is a shipping address.
type Address struct {
	ReceiverName string `expr:"receiverName"`
	Street       string `expr:"street"`
	Number       string `expr:"number"`
	Complement   string `expr:"complement"`
	Neighborhood string `expr:"neighborhood"`
	City         string `expr:"city"`
	State        string `expr:"state"`
	PostalCode   string `expr:"postalCode"`
	Country      string `expr:"country"`
	Reference    string `expr:"reference"`

	raw gjson.Result
}

// Shipping is the shipping option the customer chose.
type Shipping struct {
	Service  string `expr:"service"`
	Price    int    `expr:"price"`
	Estimate string `expr:"estimate"`

	raw gjson.Result
}

// Totals are an order's totals in cents.
type Totals struct {
	Items     int `expr:"items"`
	Shipping  int `expr:"shipping"`
	Discounts int `expr:"discounts"`
	Total     int `expr:"total"`

	raw gjson.Result
}

// Item is one order line the event concerns.
type Item struct {
	SKU               string     `expr:"sku"`
	MarketplaceItemID string     `expr:"marketplaceItemId"`
	Quantity          int        `expr:"quantity"`
	Price             int        `expr:"price"`
	Name              string     `expr:"name"`
	Discounts         []Discount `expr:"discounts"`

	raw   gjson.Result
	index int
}

// Raw returns the JSON the item was decoded from.
func (it *Item) Raw() gjson.Result { return it.raw }

// Index returns the item's position in the event's items array.
func (it *Item) Index() int { return it.index }

// Discount is a price adjustment in cents (negative for a discount).
type Discount struct {
	Name  string `expr:"name"`
	Value int    `expr:"value"`
}

// Invoice is the fiscal document (NF-e).
type Invoice struct {
	Key      string `expr:"key"`
	Number   string `expr:"number"`
	Series   string `expr:"series"`
	IssuedAt string `expr:"issuedAt"`
	Total    int    `expr:"total"`
	URL      string `expr:"url"`
	XML      string `expr:"xml"`

	raw gjson.Result
}

// Shipment is carrier and tracking data.
type Shipment struct {
	Carrier             string `expr:"carrier"`
	Service             string `expr:"service"`
	TrackingCode        string `expr:"trackingCode"`
	TrackingURL         string `expr:"trackingUrl"`
	DeliveryType        string `expr:"deliveryType"`
	ShippedAt           string `expr:"shippedAt"`
	EstimatedDeliveryAt string `expr:"estimatedDeliveryAt"`

	raw gjson.Result
}

// Delivery confirms that the customer received the order.
type Delivery struct {
	DeliveredAt string `expr:"deliveredAt"`
	ReceivedBy  string `expr:"receivedBy"`

	raw gjson.Result
}

// Cancellation says why an order or items were canceled.
type Cancellation struct {
	Reason string `expr:"reason"`
	Detail string `expr:"detail"`

	raw gjson.Result
}

// Failure says why delivery failed.
type Failure struct {
	Reason string `expr:"reason"`
	Detail string `expr:"detail"`

	raw gjson.Result
}

// Exception is a shipment problem that is not (yet) a failure.
type Exception struct {
	OccurredAt string `expr:"occurredAt"`
	Note       string `expr:"note"`

	raw gjson.Result
}
