package handwritten

import (
	"fmt"
	"net/url"
	"time"
)

const skyhubBaseURL = "https://api.skyhub.com.br"

var skyhubStatuses = &statusMachine{
	next: map[string][]string{
		"book_product":       {"payment_received", "order_canceled"},
		"payment_received":   {"order_invoiced", "order_canceled"},
		"order_invoiced":     {"order_shipped", "order_canceled"},
		"order_shipped":      {"complete", "shipment_exception"},
		"shipment_exception": {"complete", "shipment_exception"},
	},
	final: map[string]bool{"complete": true, "order_canceled": true},
}

type skyhubOrder struct {
	MarketplaceOrderID string `json:"marketplaceOrderId"`
	MarketplaceStatus  string `json:"marketplaceStatus"`
}

// check checks the order id the URL needs and the move to status.
func (o *skyhubOrder) check(status string) error {
	if o.MarketplaceOrderID == "" {
		return missing("/order/marketplaceOrderId")
	}
	return skyhubStatuses.check(o.MarketplaceStatus, status)
}

func skyhubURL(orderID, action string) string {
	return skyhubBaseURL + "/orders/" + url.PathEscape(orderID) + "/" + action
}

// SkyHubInvoiced: POST /orders/{id}/invoice with the NF-e key.
func SkyHubInvoiced(raw []byte) (Request, error) {
	var ev struct {
		Order   skyhubOrder `json:"order"`
		Invoice struct {
			Key      string    `json:"key"`
			IssuedAt time.Time `json:"issuedAt"`
		} `json:"invoice"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if ev.Invoice.Key == "" {
		return Request{}, missing("/invoice/key")
	}
	if err := checkNFeKey(ev.Invoice.Key); err != nil {
		return Request{}, err
	}
	if err := ev.Order.check("order_invoiced"); err != nil {
		return Request{}, err
	}
	type invoice struct {
		Key       string `json:"key"`
		IssueDate string `json:"issue_date,omitempty"`
	}
	body := struct {
		Status  string  `json:"status"`
		Invoice invoice `json:"invoice"`
	}{Status: "order_invoiced", Invoice: invoice{Key: ev.Invoice.Key}}
	if !ev.Invoice.IssuedAt.IsZero() {
		body.Invoice.IssueDate = ev.Invoice.IssuedAt.In(saoPaulo).Format(isoSeconds)
	}
	return post("invoice", skyhubURL(ev.Order.MarketplaceOrderID, "invoice"), body)
}

type skyhubShipmentItem struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type skyhubTrack struct {
	Code    string `json:"code"`
	Carrier string `json:"carrier"`
	Method  string `json:"method,omitempty"`
	URL     string `json:"url,omitempty"`
}

type skyhubShipment struct {
	Code                 string               `json:"code"`
	DeliveredCarrierDate string               `json:"delivered_carrier_date"`
	Items                []skyhubShipmentItem `json:"items"`
	Track                skyhubTrack          `json:"track"`
}

type skyhubShipmentBody struct {
	Status   string         `json:"status"`
	Shipment skyhubShipment `json:"shipment"`
}

// SkyHubShipped: POST /orders/{id}/shipments with the items and tracking.
func SkyHubShipped(raw []byte) (Request, error) {
	var ev struct {
		OccurredAt time.Time   `json:"occurredAt"`
		Order      skyhubOrder `json:"order"`
		Items      []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"items"`
		Shipment struct {
			Carrier      string    `json:"carrier"`
			Service      string    `json:"service"`
			TrackingCode string    `json:"trackingCode"`
			TrackingURL  string    `json:"trackingUrl"`
			ShippedAt    time.Time `json:"shippedAt"`
		} `json:"shipment"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if len(ev.Items) == 0 {
		return Request{}, refused("items_required", "/items", "SkyHub needs the SKUs and quantities shipped")
	}
	if err := ev.Order.check("order_shipped"); err != nil {
		return Request{}, err
	}
	shippedAt := ev.Shipment.ShippedAt
	if shippedAt.IsZero() {
		shippedAt = ev.OccurredAt
	}
	if shippedAt.IsZero() {
		return Request{}, missing("/shipment/shippedAt")
	}
	items := make([]skyhubShipmentItem, len(ev.Items))
	for i, it := range ev.Items {
		if it.SKU == "" {
			return Request{}, missing(fmt.Sprintf("/items/%d/sku", i))
		}
		if it.Quantity <= 0 {
			return Request{}, missing(fmt.Sprintf("/items/%d/quantity", i))
		}
		items[i] = skyhubShipmentItem{SKU: it.SKU, Qty: it.Quantity}
	}
	if ev.Shipment.TrackingCode == "" {
		return Request{}, missing("/shipment/trackingCode")
	}
	if ev.Shipment.Carrier == "" {
		return Request{}, missing("/shipment/carrier")
	}
	body := skyhubShipmentBody{
		Status: "order_shipped",
		Shipment: skyhubShipment{
			Code:                 ev.Order.MarketplaceOrderID,
			DeliveredCarrierDate: shippedAt.In(saoPaulo).Format(isoSeconds),
			Items:                items,
			Track: skyhubTrack{
				Code:    ev.Shipment.TrackingCode,
				Carrier: ev.Shipment.Carrier,
				Method:  ev.Shipment.Service,
				URL:     ev.Shipment.TrackingURL,
			},
		},
	}
	return post("shipments", skyhubURL(ev.Order.MarketplaceOrderID, "shipments"), body)
}

// SkyHubDelivered: POST /orders/{id}/delivery with the delivery day.
func SkyHubDelivered(raw []byte) (Request, error) {
	var ev struct {
		Order    skyhubOrder `json:"order"`
		Delivery struct {
			DeliveredAt time.Time `json:"deliveredAt"`
		} `json:"delivery"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if err := ev.Order.check("complete"); err != nil {
		return Request{}, err
	}
	if ev.Delivery.DeliveredAt.IsZero() {
		return Request{}, missing("/delivery/deliveredAt")
	}
	body := struct {
		Status        string `json:"status"`
		DeliveredDate string `json:"delivered_date"`
	}{Status: "complete", DeliveredDate: ev.Delivery.DeliveredAt.In(saoPaulo).Format(dayMonth)}
	return post("delivery", skyhubURL(ev.Order.MarketplaceOrderID, "delivery"), body)
}

// SkyHubCanceled: POST /orders/{id}/cancel.
func SkyHubCanceled(raw []byte) (Request, error) {
	var ev struct {
		Order skyhubOrder `json:"order"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if err := ev.Order.check("order_canceled"); err != nil {
		return Request{}, err
	}
	body := struct {
		Status string `json:"status"`
	}{Status: "order_canceled"}
	return post("cancel", skyhubURL(ev.Order.MarketplaceOrderID, "cancel"), body)
}
