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

var objectPaths = map[string]Object{
	"order": ObjectOrder, "order.customer": ObjectCustomer, "order.shippingAddress": ObjectShippingAddress,
	"order.shipping": ObjectShipping, "order.totals": ObjectTotals, "invoice": ObjectInvoice,
	"shipment": ObjectShipment, "delivery": ObjectDelivery, "cancellation": ObjectCancellation,
	"failure": ObjectFailure, "exception": ObjectException,
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
		if o, ok := objectPaths[key]; ok {
			best, n = o, i+1
		}
	}
	return best, n
}

// ObjectRaw returns the raw JSON of one of the event's objects (empty
// when the event lacks it); ObjectNone gives the whole event.
func (e *Event) ObjectRaw(o Object) gjson.Result {
	switch o {
	case ObjectOrder:
		return e.Order.raw
	case ObjectCustomer:
		return e.Order.Customer.raw
	case ObjectShippingAddress:
		return e.Order.ShippingAddress.raw
	case ObjectShipping:
		return e.Order.Shipping.raw
	case ObjectTotals:
		return e.Order.Totals.raw
	}
	return e.detailRaw(o)
}

func (e *Event) detailRaw(o Object) gjson.Result {
	switch o {
	case ObjectInvoice:
		return e.Invoice.raw
	case ObjectShipment:
		return e.Shipment.raw
	case ObjectDelivery:
		return e.Delivery.raw
	case ObjectCancellation:
		return e.Cancellation.raw
	case ObjectFailure:
		return e.Failure.raw
	case ObjectException:
		return e.Exception.raw
	}
	return e.raw
}

// ObjectPath returns the field names that lead to an object
// (ObjectCustomer → order, customer).
func ObjectPath(o Object) []string {
	for path, obj := range objectPaths {
		if obj == o {
			return strings.Split(path, ".")
		}
	}
	return nil
}
