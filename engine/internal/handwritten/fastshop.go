package handwritten

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

var fastshopStatuses = &statusMachine{
	next: map[string][]string{
		"waiting-ffmt-authorization": {"canceled"},
		"ready-for-handling":         {"invoiced", "canceled"},
		"handling":                   {"invoiced", "canceled"},
		"invoiced":                   {"invoiced"},
	},
	final: map[string]bool{"canceled": true},
}

// fastshopBase checks the services endpoint the hub gave with the order:
// it comes from data, so only https Kaive hosts are called.
func fastshopBase(endpoint string) (string, error) {
	if endpoint == "" {
		return "", missing("/order/servicesEndpoint")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", refused("bad_base_url", "/order/servicesEndpoint", fmt.Sprintf("services endpoint %q is not a base URL", endpoint))
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" || !strings.HasSuffix(host, ".kaive.com.br") {
		return "", refused("host_not_allowed", "/order/servicesEndpoint", fmt.Sprintf("services endpoint %q is not an https *.kaive.com.br host", endpoint))
	}
	return strings.TrimSuffix(endpoint, "/"), nil
}

type fastshopInvoiceItem struct {
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
	Price    int    `json:"price"`
}

type fastshopInvoiceBody struct {
	Type           string                `json:"type"`
	InvoiceNumber  string                `json:"invoiceNumber"`
	InvoiceValue   int                   `json:"invoiceValue"`
	IssuanceDate   string                `json:"issuanceDate"`
	InvoiceKey     string                `json:"invoiceKey"`
	InvoiceURL     string                `json:"invoiceUrl,omitempty"`
	Courier        string                `json:"courier,omitempty"`
	TrackingNumber string                `json:"trackingNumber,omitempty"`
	TrackingURL    string                `json:"trackingUrl,omitempty"`
	Items          []fastshopInvoiceItem `json:"items"`
}

// FastShopInvoiced: VTEX "send invoice", POST
// {servicesEndpoint}/pvt/orders/{id}/invoice, with the tracking when the
// event already has it.
func FastShopInvoiced(raw []byte) (Request, error) {
	var ev struct {
		OccurredAt time.Time `json:"occurredAt"`
		Order      struct {
			MarketplaceOrderID string `json:"marketplaceOrderId"`
			MarketplaceStatus  string `json:"marketplaceStatus"`
			ServicesEndpoint   string `json:"servicesEndpoint"`
		} `json:"order"`
		Items []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
			Price    *int   `json:"price"`
		} `json:"items"`
		Invoice struct {
			Key      string    `json:"key"`
			Number   string    `json:"number"`
			IssuedAt time.Time `json:"issuedAt"`
			Total    int       `json:"total"`
			URL      string    `json:"url"`
		} `json:"invoice"`
		Shipment struct {
			Carrier      string `json:"carrier"`
			TrackingCode string `json:"trackingCode"`
			TrackingURL  string `json:"trackingUrl"`
		} `json:"shipment"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if len(ev.Items) == 0 {
		return Request{}, refused("items_required", "/items", "the hub needs the invoiced items")
	}
	if ev.Invoice.Total <= 0 {
		return Request{}, refused("invoice_value_required", "/invoice/total", fmt.Sprintf("the hub refuses an invoice whose value is not above zero; invoice.total is %d", ev.Invoice.Total))
	}
	base, err := fastshopBase(ev.Order.ServicesEndpoint)
	if err != nil {
		return Request{}, err
	}
	if err := fastshopStatuses.check(ev.Order.MarketplaceStatus, "invoiced"); err != nil {
		return Request{}, err
	}
	if ev.Order.MarketplaceOrderID == "" {
		return Request{}, missing("/order/marketplaceOrderId")
	}
	if ev.Invoice.Number == "" {
		return Request{}, missing("/invoice/number")
	}
	if ev.Invoice.Key == "" {
		return Request{}, missing("/invoice/key")
	}
	if err := checkNFeKey(ev.Invoice.Key); err != nil {
		return Request{}, err
	}
	issuedAt := ev.Invoice.IssuedAt
	if issuedAt.IsZero() {
		issuedAt = ev.OccurredAt
	}
	if issuedAt.IsZero() {
		return Request{}, missing("/invoice/issuedAt")
	}
	items := make([]fastshopInvoiceItem, len(ev.Items))
	for i, it := range ev.Items {
		switch {
		case it.SKU == "":
			return Request{}, missing(fmt.Sprintf("/items/%d/sku", i))
		case it.Quantity <= 0:
			return Request{}, missing(fmt.Sprintf("/items/%d/quantity", i))
		case it.Price == nil:
			return Request{}, missing(fmt.Sprintf("/items/%d/price", i))
		}
		items[i] = fastshopInvoiceItem{ID: it.SKU, Quantity: it.Quantity, Price: *it.Price}
	}
	body := fastshopInvoiceBody{
		Type:           "Output",
		InvoiceNumber:  ev.Invoice.Number,
		InvoiceValue:   ev.Invoice.Total,
		IssuanceDate:   issuedAt.In(saoPaulo).Format(isoSeconds),
		InvoiceKey:     ev.Invoice.Key,
		InvoiceURL:     ev.Invoice.URL,
		Courier:        ev.Shipment.Carrier,
		TrackingNumber: ev.Shipment.TrackingCode,
		TrackingURL:    ev.Shipment.TrackingURL,
		Items:          items,
	}
	return post("invoice", base+"/pvt/orders/"+url.PathEscape(ev.Order.MarketplaceOrderID)+"/invoice", body)
}

// fastshopNotInvoiced are the hub statuses before the invoice: tracking
// and deliveries are attached to the invoice, so they need one first.
var fastshopNotInvoiced = []string{"waiting-ffmt-authorization", "ready-for-handling", "handling"}

// fastshopOrder is the order and invoice number that the hub's invoice
// updates are addressed to.
type fastshopOrder struct {
	Order struct {
		MarketplaceOrderID string `json:"marketplaceOrderId"`
		MarketplaceStatus  string `json:"marketplaceStatus"`
		ServicesEndpoint   string `json:"servicesEndpoint"`
	} `json:"order"`
	Invoice struct {
		Number string `json:"number"`
	} `json:"invoice"`
}

// invoiceURL checks the order's hub status and returns the URL of its
// invoice, {servicesEndpoint}/pvt/orders/{id}/invoice/{number}.
func (o *fastshopOrder) invoiceURL() (string, error) {
	if slices.Contains(fastshopNotInvoiced, o.Order.MarketplaceStatus) {
		return "", refused("not_invoiced", "", "the hub takes this only for an invoiced order; the order is "+o.Order.MarketplaceStatus)
	}
	base, err := fastshopBase(o.Order.ServicesEndpoint)
	if err != nil {
		return "", err
	}
	if err := fastshopStatuses.check(o.Order.MarketplaceStatus, "invoiced"); err != nil {
		return "", err
	}
	if o.Order.MarketplaceOrderID == "" {
		return "", missing("/order/marketplaceOrderId")
	}
	if o.Invoice.Number == "" {
		return "", missing("/invoice/number")
	}
	return base + "/pvt/orders/" + url.PathEscape(o.Order.MarketplaceOrderID) + "/invoice/" + url.PathEscape(o.Invoice.Number), nil
}

type fastshopTrackingBody struct {
	Courier        string `json:"courier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl"`
	DispatchedDate string `json:"dispatchedDate"`
}

// FastShopShipped: VTEX "update order's partial invoice" with the tracking,
// POST {servicesEndpoint}/pvt/orders/{id}/invoice/{invoiceNumber}.
func FastShopShipped(raw []byte) (Request, error) {
	var ev struct {
		fastshopOrder
		OccurredAt time.Time `json:"occurredAt"`
		Shipment   struct {
			Carrier      string    `json:"carrier"`
			TrackingCode string    `json:"trackingCode"`
			TrackingURL  string    `json:"trackingUrl"`
			ShippedAt    time.Time `json:"shippedAt"`
		} `json:"shipment"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	u, err := ev.invoiceURL()
	if err != nil {
		return Request{}, err
	}
	s := &ev.Shipment
	switch {
	case s.Carrier == "":
		return Request{}, missing("/shipment/carrier")
	case s.TrackingCode == "":
		return Request{}, missing("/shipment/trackingCode")
	case s.TrackingURL == "":
		return Request{}, missing("/shipment/trackingUrl")
	}
	shipped := s.ShippedAt
	if shipped.IsZero() {
		shipped = ev.OccurredAt
	}
	body := fastshopTrackingBody{
		Courier:        s.Carrier,
		TrackingNumber: s.TrackingCode,
		TrackingURL:    s.TrackingURL,
		DispatchedDate: shipped.In(saoPaulo).Format(time.DateOnly),
	}
	return post("tracking", u, body)
}

type fastshopDeliveryEvent struct {
	Description string `json:"description"`
	Date        string `json:"date"`
}

type fastshopDeliveryBody struct {
	IsDelivered   bool                    `json:"isDelivered"`
	DeliveredDate string                  `json:"deliveredDate"`
	Events        []fastshopDeliveryEvent `json:"events"`
}

// FastShopDelivered: VTEX "update tracking status" with isDelivered, POST
// {servicesEndpoint}/pvt/orders/{id}/invoice/{invoiceNumber}/tracking.
func FastShopDelivered(raw []byte) (Request, error) {
	var ev struct {
		fastshopOrder
		Delivery struct {
			DeliveredAt time.Time `json:"deliveredAt"`
			ReceivedBy  string    `json:"receivedBy"`
		} `json:"delivery"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	u, err := ev.invoiceURL()
	if err != nil {
		return Request{}, err
	}
	at := ev.Delivery.DeliveredAt
	if at.IsZero() {
		return Request{}, missing("/delivery/deliveredAt")
	}
	at = at.In(saoPaulo)
	description := "Entregue"
	if who := strings.TrimSpace(ev.Delivery.ReceivedBy); who != "" {
		description = "Entregue a " + who
	}
	body := fastshopDeliveryBody{
		IsDelivered:   true,
		DeliveredDate: at.Format("2006-01-02 15:04"),
		Events:        []fastshopDeliveryEvent{{Description: description, Date: at.Format(isoSeconds)}},
	}
	return post("delivered", u+"/tracking", body)
}
