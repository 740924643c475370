package event

import (
	"github.com/tidwall/gjson"
)

// Decode reads raw canonical event JSON into an Event in one pass. It does not
// validate: fields of the wrong JSON type read as their zero value, unknown
// fields are skipped. Use Validate first to reject bad input. Decode returns
// false when raw is not a JSON object.
func Decode(raw []byte) (*Event, bool) {
	return DecodeString(string(raw))
}

// DecodeString is Decode for JSON held in a string; the Event shares its
// memory with s.
func DecodeString(s string) (*Event, bool) {
	e := &Event{}
	if !DecodeInto(e, s) {
		return nil, false
	}
	return e, true
}

// DecodeInto decodes s into e, which it resets first, so that a caller can
// reuse one Event. It reports false when s is not a JSON object.
func DecodeInto(e *Event, s string) bool {
	r := gjson.Parse(s)
	if !r.IsObject() {
		return false
	}
	e.Reset()
	e.raw = r
	r.ForEach(func(k, v gjson.Result) bool {
		e.set(k.Str, v)
		return true
	})
	return true
}

func (e *Event) set(k string, v gjson.Result) {
	switch k {
	case "specVersion":
		e.SpecVersion = v.String()
	case "id":
		e.ID = v.String()
	case "type":
		e.Type = v.String()
	case "occurredAt":
		e.OccurredAt = v.String()
	case "marketplace":
		e.Marketplace = v.String()
	case "note":
		e.Note = v.String()
	case "order":
		e.Order.raw = v
		each(v, e.Order.set)
	case "items":
		e.setItems(v)
	default:
		e.setDetail(k, v)
	}
}

func (e *Event) setDetail(k string, v gjson.Result) {
	switch k {
	case "invoice":
		e.Invoice.raw = v
		each(v, e.Invoice.set)
	case "shipment":
		e.Shipment.raw = v
		each(v, e.Shipment.set)
	case "delivery":
		e.delivery = Delivery{DeliveredAt: v.Get("deliveredAt").String(), ReceivedBy: v.Get("receivedBy").String(), raw: v}
	case "cancellation":
		e.cancellation = Cancellation{Reason: v.Get("reason").String(), Detail: v.Get("detail").String(), raw: v}
	case "failure":
		e.failure = Failure{Reason: v.Get("reason").String(), Detail: v.Get("detail").String(), raw: v}
	case "exception":
		e.exception = Exception{OccurredAt: v.Get("occurredAt").String(), Note: v.Get("note").String(), raw: v}
	}
}

func each(v gjson.Result, set func(string, gjson.Result)) {
	if !v.IsObject() {
		return
	}
	v.ForEach(func(k, v gjson.Result) bool {
		set(k.Str, v)
		return true
	})
}

func (o *Order) set(k string, v gjson.Result) {
	switch k {
	case "id":
		o.ID = v.String()
	case "marketplaceOrderId":
		o.MarketplaceOrderID = v.String()
	case "channel":
		o.Channel = v.String()
	case "status":
		o.Status = v.String()
	case "marketplaceStatus":
		o.MarketplaceStatus = v.String()
	case "servicesEndpoint":
		o.ServicesEndpoint = v.String()
	case "placedAt":
		o.PlacedAt = v.String()
	default:
		o.setDetail(k, v)
	}
}

func (o *Order) setDetail(k string, v gjson.Result) {
	switch k {
	case "attributes":
		o.Attributes = decodeStrings(v)
	case "customer":
		o.Customer.raw = v
		each(v, o.Customer.set)
	case "shippingAddress":
		o.ShippingAddress.raw = v
		each(v, o.ShippingAddress.set)
	case "shipping":
		o.shipping = Shipping{Service: v.Get("service").String(), Price: int(v.Get("price").Int()), Estimate: v.Get("estimate").String(), raw: v}
	case "totals":
		o.totals = Totals{Items: int(v.Get("items").Int()), Shipping: int(v.Get("shipping").Int()),
			Discounts: int(v.Get("discounts").Int()), Total: int(v.Get("total").Int()), raw: v}
	}
}

func decodeStrings(v gjson.Result) map[string]string {
	if !v.IsObject() {
		return nil
	}
	m := make(map[string]string)
	v.ForEach(func(k, v gjson.Result) bool {
		m[k.Str] = v.String()
		return true
	})
	return m
}

func (c *Customer) set(k string, v gjson.Result) {
	s := v.String()
	switch k {
	case "firstName":
		c.FirstName = s
	case "lastName":
		c.LastName = s
	case "email":
		c.Email = s
	case "phone":
		c.Phone = s
	case "document":
		c.Document = s
	case "documentType":
		c.DocumentType = s
	case "corporateName":
		c.CorporateName = s
	case "stateInscription":
		c.StateInscription = s
	}
}

func (a *Address) set(k string, v gjson.Result) {
	s := v.String()
	switch k {
	case "receiverName":
		a.ReceiverName = s
	case "street":
		a.Street = s
	case "number":
		a.Number = s
	case "complement":
		a.Complement = s
	case "neighborhood":
		a.Neighborhood = s
	default:
		a.setPlace(k, s)
	}
}

func (a *Address) setPlace(k, s string) {
	switch k {
	case "city":
		a.City = s
	case "state":
		a.State = s
	case "postalCode":
		a.PostalCode = s
	case "country":
		a.Country = s
	case "reference":
		a.Reference = s
	}
}

// setItems decodes the items array into the event's item memory, growing
// it only when the last decode's is too small. Items is nil when v is not
// an array, and empty but not nil for [], however often e was reused.
func (e *Event) setItems(v gjson.Result) {
	e.itemsRaw = v
	if !v.IsArray() {
		return
	}
	n := 0
	v.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	if e.items == nil || cap(e.items) < n {
		e.items, e.itemPtrs = make([]Item, n), make([]*Item, n)
	}
	e.items, e.itemPtrs = e.items[:n], e.itemPtrs[:n]
	i := 0
	v.ForEach(func(_, r gjson.Result) bool {
		e.items[i] = Item{raw: r, index: i}
		each(r, e.items[i].set)
		e.itemPtrs[i] = &e.items[i]
		i++
		return true
	})
	e.Items = e.itemPtrs
}

func (it *Item) set(k string, v gjson.Result) {
	switch k {
	case "sku":
		it.SKU = v.String()
	case "marketplaceItemId":
		it.MarketplaceItemID = v.String()
	case "quantity":
		it.Quantity = int(v.Int())
	case "price":
		it.Price = int(v.Int())
	case "name":
		it.Name = v.String()
	case "discounts":
		it.Discounts = decodeDiscounts(v)
	}
}

func decodeDiscounts(v gjson.Result) []Discount {
	if !v.IsArray() {
		return nil
	}
	var out []Discount
	v.ForEach(func(_, d gjson.Result) bool {
		out = append(out, Discount{Name: d.Get("name").String(), Value: int(d.Get("value").Int())})
		return true
	})
	return out
}

func (in *Invoice) set(k string, v gjson.Result) {
	switch k {
	case "key":
		in.Key = v.String()
	case "number":
		in.Number = v.String()
	case "series":
		in.Series = v.String()
	case "issuedAt":
		in.IssuedAt = v.String()
	case "total":
		in.Total = int(v.Int())
	case "url":
		in.URL = v.String()
	case "xml":
		in.XML = v.String()
	}
}

func (s *Shipment) set(k string, v gjson.Result) {
	str := v.String()
	switch k {
	case "carrier":
		s.Carrier = str
	case "service":
		s.Service = str
	case "trackingCode":
		s.TrackingCode = str
	case "trackingUrl":
		s.TrackingURL = str
	case "deliveryType":
		s.DeliveryType = str
	case "shippedAt":
		s.ShippedAt = str
	case "estimatedDeliveryAt":
		s.EstimatedDeliveryAt = str
	}
}
