package handwritten

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

const dafitiBaseURL = "https://api.sellercenter.com.br"

var dafitiStatuses = &statusMachine{
	next: map[string][]string{
		"pending":       {"ready_to_ship", "canceled"},
		"ready_to_ship": {"shipped"},
		"shipped":       {"delivered", "failed"},
	},
	final: map[string]bool{"delivered": true, "canceled": true, "failed": true},
}

// dafitiItemID is Dafiti's orderItemId: digits, no leading zero.
var dafitiItemID = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)

// dafitiCancelReasons maps the canonical reasons Dafiti accepts to its wording.
var dafitiCancelReasons = map[string]string{"out_of_stock": "Sem estoque"}

type dafitiItem struct {
	MarketplaceItemID string `json:"marketplaceItemId"`
}

// dafitiItemIDs checks the items and returns Dafiti's orderItemIds.
func dafitiItemIDs(items []dafitiItem) ([]int64, error) {
	if len(items) == 0 {
		return nil, refused("items_required", "/items", "Dafiti changes status per order item: list the items")
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		if !dafitiItemID.MatchString(it.MarketplaceItemID) {
			return nil, refused("order_item_id_required", fmt.Sprintf("/items/%d/marketplaceItemId", i), "every item needs Dafiti's orderItemId, digits only")
		}
		id, err := strconv.ParseInt(it.MarketplaceItemID, 10, 64)
		if err != nil {
			return nil, refused("bad_value", fmt.Sprintf("/items/%d/marketplaceItemId", i), err.Error())
		}
		ids[i] = id
	}
	return ids, nil
}

type dafitiOrderItem struct {
	ID int64 `json:"id"`
}

type dafitiReadyToShipBody struct {
	OrderItems       []dafitiOrderItem `json:"orderItems"`
	TrackingNumber   string            `json:"trackingNumber"`
	DeliveryType     string            `json:"deliveryType"`
	ShippingProvider string            `json:"shippingProvider"`
	AccessKey        string            `json:"accessKey"`
}

type dafitiItemIDsBody struct {
	OrderItemIDs []int64 `json:"orderItemIds"`
}

// dafitiReadyToShip is what set-to-ready-to-ship sends besides the items:
// the NF-e key, the tracking number and the shipping provider.
type dafitiReadyToShip struct {
	Invoice struct {
		Key string `json:"key"`
	} `json:"invoice"`
	Shipment struct {
		Carrier      string `json:"carrier"`
		TrackingCode string `json:"trackingCode"`
		DeliveryType string `json:"deliveryType"`
	} `json:"shipment"`
}

// check refuses an event that lacks what ready-to-ship needs.
func (r *dafitiReadyToShip) check() error {
	if r.Invoice.Key == "" {
		return refused("invoice_key_required", "/invoice/key", "ready-to-ship needs the NF-e access key")
	}
	if err := checkNFeKey(r.Invoice.Key); err != nil {
		return err
	}
	if r.Shipment.TrackingCode == "" {
		return refused("tracking_code_required", "/shipment/trackingCode", "ready-to-ship needs the tracking number")
	}
	if strings.TrimSpace(r.Shipment.Carrier) == "" {
		return refused("carrier_required", "/shipment/carrier", "ready-to-ship needs the shipping provider")
	}
	return nil
}

// request is the set-to-ready-to-ship call for the items ids.
func (r *dafitiReadyToShip) request(ids []int64) (Request, error) {
	deliveryType := r.Shipment.DeliveryType
	if deliveryType == "" {
		deliveryType = "dropship"
	}
	items := make([]dafitiOrderItem, len(ids))
	for i, id := range ids {
		items[i] = dafitiOrderItem{ID: id}
	}
	return post("set-to-ready-to-ship", dafitiBaseURL+"/v2/orders/statuses/set-to-ready-to-ship", dafitiReadyToShipBody{
		OrderItems:       items,
		TrackingNumber:   r.Shipment.TrackingCode,
		DeliveryType:     deliveryType,
		ShippingProvider: strings.TrimSpace(r.Shipment.Carrier),
		AccessKey:        r.Invoice.Key,
	})
}

// DafitiReadyToShip: set-to-ready-to-ship, Pending → ReadyToShip, with the
// NF-e key, the tracking number and the shipping provider.
func DafitiReadyToShip(raw []byte) (Request, error) {
	var ev struct {
		Order struct {
			MarketplaceStatus string `json:"marketplaceStatus"`
		} `json:"order"`
		Items []dafitiItem `json:"items"`
		dafitiReadyToShip
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	ids, err := dafitiItemIDs(ev.Items)
	if err != nil {
		return Request{}, err
	}
	if err := ev.check(); err != nil {
		return Request{}, err
	}
	if err := dafitiStatuses.check(ev.Order.MarketplaceStatus, "ready_to_ship"); err != nil {
		return Request{}, err
	}
	return ev.request(ids)
}

// DafitiShipped: items still pending at Dafiti are first set ready-to-ship
// (with the NF-e key, carrier and tracking number), then shipped; items
// already ready-to-ship are only shipped.
func DafitiShipped(raw []byte) ([]Request, error) {
	var ev struct {
		Order struct {
			Status            string `json:"status"`
			MarketplaceStatus string `json:"marketplaceStatus"`
		} `json:"order"`
		Items []dafitiItem `json:"items"`
		dafitiReadyToShip
	}
	if err := decode(raw, &ev); err != nil {
		return nil, err
	}
	ids, err := dafitiItemIDs(ev.Items)
	if err != nil {
		return nil, err
	}
	current := ev.Order.MarketplaceStatus
	if current == "" && ev.Order.Status == "" {
		return nil, refused("status_required", "/order/marketplaceStatus", "Dafiti must be told ready-to-ship before shipped: set order.marketplaceStatus or order.status")
	}
	// Still pending: Dafiti's status says so, or, without it, the canonical
	// one (approved is Dafiti's pending; Dafiti has no handling or invoiced).
	var pending bool
	if current != "" {
		pending = current == "pending"
	} else {
		switch ev.Order.Status {
		case "approved", "handling", "invoiced":
			pending = true
		}
	}
	if pending {
		if err := ev.check(); err != nil {
			return nil, err
		}
	}
	reqs := make([]Request, 0, 2)
	if pending {
		if err := dafitiStatuses.check(current, "ready_to_ship"); err != nil {
			return nil, err
		}
		current = "ready_to_ship"
		r, err := ev.request(ids)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	if err := dafitiStatuses.check(current, "shipped"); err != nil {
		return nil, err
	}
	r, err := post("set-to-shipped", dafitiBaseURL+"/v2/orders/statuses/set-to-shipped", dafitiItemIDsBody{OrderItemIDs: ids})
	if err != nil {
		return nil, err
	}
	return append(reqs, r), nil
}

// DafitiDelivered: set-to-delivered, Shipped → Delivered, for the items
// listed; Dafiti takes no delivery date.
func DafitiDelivered(raw []byte) (Request, error) {
	var ev struct {
		Order struct {
			MarketplaceStatus string `json:"marketplaceStatus"`
		} `json:"order"`
		Items []dafitiItem `json:"items"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	ids, err := dafitiItemIDs(ev.Items)
	if err != nil {
		return Request{}, err
	}
	if err := dafitiStatuses.check(ev.Order.MarketplaceStatus, "delivered"); err != nil {
		return Request{}, err
	}
	return post("set-to-delivered", dafitiBaseURL+"/v2/orders/statuses/set-to-delivered", dafitiItemIDsBody{OrderItemIDs: ids})
}

// DafitiCanceled cancels the items listed, only for lack of stock.
func DafitiCanceled(raw []byte) (Request, error) {
	var ev struct {
		Order struct {
			MarketplaceStatus string `json:"marketplaceStatus"`
		} `json:"order"`
		Items        []dafitiItem `json:"items"`
		Cancellation struct {
			Reason string `json:"reason"`
		} `json:"cancellation"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	ids, err := dafitiItemIDs(ev.Items)
	if err != nil {
		return Request{}, err
	}
	if ev.Cancellation.Reason == "" {
		return Request{}, missing("/cancellation/reason")
	}
	reason, ok := dafitiCancelReasons[ev.Cancellation.Reason]
	if !ok {
		return Request{}, refused("cancel_reason_not_accepted", "/cancellation/reason", "Dafiti lets the seller cancel only for lack of stock, and this event says "+ev.Cancellation.Reason)
	}
	if err := dafitiStatuses.check(ev.Order.MarketplaceStatus, "canceled"); err != nil {
		return Request{}, err
	}
	body := struct {
		OrderItemIDs []int64 `json:"orderItemIds"`
		Reason       string  `json:"reason"`
	}{OrderItemIDs: ids, Reason: reason}
	return post("set-to-cancelled", dafitiBaseURL+"/v2/orders/statuses/set-to-cancelled", body)
}
