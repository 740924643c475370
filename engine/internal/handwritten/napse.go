package handwritten

import "strings"

var napseStatuses = &statusMachine{
	next: map[string][]string{
		"open":        {"confirmed", "inproc", "complete", "transit", "closed", "cancelled"},
		"confirmed":   {"inproc", "complete", "transit", "closed", "cancelled"},
		"readyToPick": {"inproc", "complete", "transit", "closed", "cancelled"},
		"inproc":      {"complete", "transit", "closed", "cancelled"},
		"complete":    {"transit", "closed", "cancelled"},
		"tdel":        {"transit", "closed", "cancelled"},
		"transit":     {"closed", "cancelled"},
	},
	final: map[string]bool{"closed": true, "cancelled": true, "env": true, "clos": true},
}

// napseStateChange is the body of BRIDGE's change-state call: the order is
// named by BRIDGE's internal number or by the channel's number and the
// channel, never both.
type napseStateChange struct {
	OrderState     string `json:"orderState"`
	InternalNumber string `json:"internalNumber,omitempty"`
	ExternalNumber string `json:"externalNumber,omitempty"`
	Channel        string `json:"channel,omitempty"`
	Notes          string `json:"notes,omitempty"`
}

// NapseCanceled: POST {baseURL}/order/change-status/state/change to state
// cancelled. baseURL is the installation's BRIDGE API
// (https://200.100.100.100:8090), configured once.
func NapseCanceled(raw []byte, baseURL string) (Request, error) {
	var ev struct {
		Order struct {
			MarketplaceOrderID string `json:"marketplaceOrderId"`
			Channel            string `json:"channel"`
			Status             string `json:"status"`
			MarketplaceStatus  string `json:"marketplaceStatus"`
			Attributes         struct {
				InternalNumber string `json:"internalNumber"`
			} `json:"attributes"`
		} `json:"order"`
		Cancellation struct {
			Detail string `json:"detail"`
		} `json:"cancellation"`
		Note string `json:"note"`
	}
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	o := &ev.Order
	internal := o.Attributes.InternalNumber
	if internal == "" && o.Channel == "" {
		return Request{}, refused("order_not_identified", "/order/attributes/internalNumber", "BRIDGE cannot tell which order "+o.MarketplaceOrderID+" is: give order.attributes.internalNumber or order.channel")
	}
	switch o.MarketplaceStatus {
	case "closed", "clos", "env", "cancelled":
		return Request{}, refused("state_not_changeable", "/order/marketplaceStatus", "BRIDGE cannot change the state of an order that is "+o.MarketplaceStatus)
	case "":
		if o.Status == "delivered" || o.Status == "canceled" {
			return Request{}, refused("state_not_changeable", "/order/status", "BRIDGE cannot change the state of an order that is "+o.Status)
		}
	}
	if err := napseStatuses.check(o.MarketplaceStatus, "cancelled"); err != nil {
		return Request{}, err
	}
	body := napseStateChange{OrderState: "cancelled", Notes: ev.Note}
	if body.Notes == "" {
		body.Notes = ev.Cancellation.Detail
	}
	if internal != "" {
		body.InternalNumber = internal
	} else {
		if o.MarketplaceOrderID == "" {
			return Request{}, missing("/order/marketplaceOrderId")
		}
		body.ExternalNumber, body.Channel = o.MarketplaceOrderID, o.Channel
	}
	return post("change-state", strings.TrimSuffix(baseURL, "/")+"/order/change-status/state/change", body)
}
