// Package event defines the canonical order event (contract version 1.0, see
// schemas/canonical-event.schema.json) as Go types that mapping expressions are
// type-checked against, and decodes raw event JSON into them in one pass.
//
// Field names in expressions are the JSON names of the contract
// (order.marketplaceOrderId, invoice.key, items[0].sku). A decoded Event keeps
// the raw JSON it came from, so the engine can tell an absent field from an
// empty one: the zero value of a Go field never stands in for a missing value
// in an outbound call.
//
// Types here are plain values: safe to read from many goroutines once decoded.
package event
