package event

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Object names a JSON object of the event whose raw text is kept when the
// event is decoded, so that a field inside it can be looked up without
// scanning the whole event.
type Object uint8

// Objects of the event.
const (
	ObjectNone Object = iota
	ObjectOrder
	ObjectCustomer
	ObjectShippingAddress
	ObjectShipping
	ObjectTotals
	ObjectInvoice
	ObjectShipment
	ObjectDelivery
	ObjectCancellation
	ObjectFailure
	ObjectException
)

// objects gives, by Object, the field path of each object and where its raw
// JSON is kept.
var objects = [...]struct {
	path string
	raw  func(*Event) gjson.Result
}{
	ObjectNone:            {"", func(e *Event) gjson.Result { return e.raw }},
	ObjectOrder:           {"order", func(e *Event) gjson.Result { return e.order.raw }},
	ObjectCustomer:        {"order.customer", func(e *Event) gjson.Result { return e.order.customer.raw }},
	ObjectShippingAddress: {"order.shippingAddress", func(e *Event) gjson.Result { return e.order.shippingAddress.raw }},
	ObjectShipping:        {"order.shipping", func(e *Event) gjson.Result { return e.order.shipping.raw }},
	ObjectTotals:          {"order.totals", func(e *Event) gjson.Result { return e.order.totals.raw }},
	ObjectInvoice:         {"invoice", func(e *Event) gjson.Result { return e.invoice.raw }},
	ObjectShipment:        {"shipment", func(e *Event) gjson.Result { return e.shipment.raw }},
	ObjectDelivery:        {"delivery", func(e *Event) gjson.Result { return e.delivery.raw }},
	ObjectCancellation:    {"cancellation", func(e *Event) gjson.Result { return e.cancellation.raw }},
	ObjectFailure:         {"failure", func(e *Event) gjson.Result { return e.failure.raw }},
	ObjectException:       {"exception", func(e *Event) gjson.Result { return e.exception.raw }},
}

// ObjectOf returns the deepest object of the event that a field path lies
// in and how many leading segments name it (order.customer.document →
// ObjectCustomer, 2); ObjectNone and 0 for top-level fields.
func ObjectOf(segs []string) (Object, int) {
	best, n := ObjectNone, 0
	key := ""
	for i := 0; i < len(segs)-1; i++ {
		if i > 0 {
			key += "."
		}
		key += segs[i]
		for o := ObjectOrder; int(o) < len(objects); o++ {
			if objects[o].path == key {
				best, n = o, i+1
			}
		}
	}
	return best, n
}

// ObjectRaw returns the raw JSON of one of the event's objects (empty
// when the event lacks it); ObjectNone gives the whole event.
func (e *Event) ObjectRaw(o Object) gjson.Result {
	if int(o) >= len(objects) {
		return e.raw
	}
	return objects[o].raw(e)
}

// ObjectPath returns the field names that lead to an object
// (ObjectCustomer → order, customer); nil for ObjectNone.
func ObjectPath(o Object) []string {
	if o == ObjectNone || int(o) >= len(objects) {
		return nil
	}
	return strings.Split(objects[o].path, ".")
}
