package event

import (
	"encoding/json"
	"strings"
	"testing"
)

const fullEvent = `{"specVersion":"1.0","id":"e1","type":"order.shipped","occurredAt":"2024-05-10T10:00:00-03:00","marketplace":"skyhub","note":"n",
 "order":{"id":"o1","marketplaceOrderId":"M1","channel":"c","status":"invoiced","marketplaceStatus":"approved","servicesEndpoint":"https://x","placedAt":"p",
  "attributes":{"a":"1"},"customer":{"firstName":"F","document":"D"},"shippingAddress":{"street":"S","city":"C"},
  "shipping":{"service":"s","price":10,"estimate":"e"},"totals":{"items":1,"shipping":2,"discounts":-3,"total":4}},
 "items":[{"sku":"A","marketplaceItemId":"1","quantity":2,"price":3,"name":"n","discounts":[{"name":"d","value":-1}]},{"sku":"B"}],
 "invoice":{"key":"k","number":"1","series":"2","issuedAt":"i","total":5,"url":"u","xml":"x"},
 "shipment":{"carrier":"c","service":"s","trackingCode":"t","trackingUrl":"u","deliveryType":"d","shippedAt":"a","estimatedDeliveryAt":"b"},
 "delivery":{"deliveredAt":"d","receivedBy":"r"},"cancellation":{"reason":"r","detail":"d"},"failure":{"reason":"r","detail":"d"},
 "exception":{"occurredAt":"o","note":"n"}}`

// snapshot renders what an event holds: its fields and the raw JSON of
// each object.
func snapshot(t *testing.T, e *Event) string {
	t.Helper()
	fields, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	out := string(fields) + "|" + e.ItemsRaw().Raw + "|" + e.Raw().Raw
	for o := ObjectOrder; o <= ObjectException; o++ {
		out += "|" + e.ObjectRaw(o).Raw
	}
	for _, it := range e.Items {
		out += "|" + it.Raw().Raw
	}
	return out
}

// TestDecodeIntoReusedEvent decodes events of different shapes one after
// the other into one Event: each must read exactly as if decoded into a
// fresh one, with nothing left over from the one before.
func TestDecodeIntoReusedEvent(t *testing.T) {
	events := []string{
		fullEvent,
		`{"id":"e2","type":"order.created","items":[{"sku":"Z"}]}`,
		fullEvent,
		`{"id":"e3","items":[]}`,
		fullEvent,
		`{"id":"e3"}`,
		`{"order":{"id":"o4"},"invoice":{"key":"k4"}}`,
	}
	var reused Event
	for i, js := range events {
		if !DecodeInto(&reused, js) {
			t.Fatalf("event %d: not decoded", i)
		}
		fresh, ok := DecodeString(js)
		if !ok {
			t.Fatalf("event %d: not decoded fresh", i)
		}
		if got, want := snapshot(t, &reused), snapshot(t, fresh); got != want {
			t.Errorf("event %d decoded into a used Event:\n got %s\nwant %s", i, got, want)
		}
		if reused.Order != &reused.order || reused.Order.Customer != &reused.order.customer {
			t.Errorf("event %d: objects do not point at the event's own storage", i)
		}
	}
}

// TestResetAfterCopy checks that an Event copied from another one is
// rewired to its own storage rather than writing into the original.
func TestResetAfterCopy(t *testing.T) {
	orig, _ := DecodeString(fullEvent)
	cp := *orig
	if !DecodeInto(&cp, `{"id":"other","order":{"id":"o9"}}`) {
		t.Fatal("not decoded")
	}
	if orig.Order.ID != "o1" || cp.Order.ID != "o9" {
		t.Errorf("original order id %q, copy %q; want o1 and o9", orig.Order.ID, cp.Order.ID)
	}
	if !DecodeInto(&cp, `{"id":"other","items":[{"sku":"Q"}]}`) {
		t.Fatal("not decoded")
	}
	if len(orig.Items) != 2 || orig.Items[0] == nil || orig.Items[0].SKU != "A" || cp.Items[0].SKU != "Q" {
		t.Errorf("original items %v, copy %v; want the original's first sku A and the copy's Q", orig.Items, cp.Items)
	}
}

// TestObjects checks that each object's path, the object ObjectOf finds for
// a field inside it, and the raw JSON ObjectRaw gives all agree.
func TestObjects(t *testing.T) {
	e, _ := DecodeString(fullEvent)
	for o := ObjectOrder; o <= ObjectException; o++ {
		path := ObjectPath(o)
		got, n := ObjectOf(append(append([]string{}, path...), "field"))
		if got != o || n != len(path) {
			t.Errorf("ObjectOf(%v.field) = %d, %d; want %d, %d", path, got, n, o, len(path))
		}
		want := e.Raw().Get(strings.Join(path, ".")).Raw
		if raw := e.ObjectRaw(o).Raw; raw == "" || raw != want {
			t.Errorf("ObjectRaw(%v) = %q, want %q", path, raw, want)
		}
	}
	if o, n := ObjectOf([]string{"order"}); o != ObjectNone || n != 0 {
		t.Errorf("ObjectOf(order) = %d, %d; want the event itself", o, n)
	}
	if e.ObjectRaw(ObjectNone).Raw != fullEvent || ObjectPath(ObjectNone) != nil {
		t.Error("ObjectNone does not stand for the whole event")
	}
}
