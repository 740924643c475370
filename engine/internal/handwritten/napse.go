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

// napseEvent is what BRIDGE's state changes read from the event.
type napseEvent struct {
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

// NapseShipped: POST {baseURL}/order/change-status/state/change to state
// transit. baseURL is the installation's BRIDGE API
// (https://200.100.100.100:8090), configured once.
func NapseShipped(raw []byte, baseURL string) (Request, error) {
	var ev napseEvent
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if err := napseCheckChangeable(&ev); err != nil {
		return Request{}, err
	}
	if ev.Order.MarketplaceStatus == "transit" {
		return Request{}, refused("state_unchanged", "/order/marketplaceStatus", "the order is already in transit in BRIDGE")
	}
	return napseChangeState(&ev, baseURL, "transit", ev.Note)
}

// NapseDelivered: POST {baseURL}/order/change-status/state/change to state
// closed.
func NapseDelivered(raw []byte, baseURL string) (Request, error) {
	var ev napseEvent
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if err := napseCheckChangeable(&ev); err != nil {
		return Request{}, err
	}
	return napseChangeState(&ev, baseURL, "closed", ev.Note)
}

// NapseCanceled: POST {baseURL}/order/change-status/state/change to state
// cancelled, with the note, else the cancellation detail.
func NapseCanceled(raw []byte, baseURL string) (Request, error) {
	var ev napseEvent
	if err := decode(raw, &ev); err != nil {
		return Request{}, err
	}
	if err := napseCheckChangeable(&ev); err != nil {
		return Request{}, err
	}
	notes := ev.Note
	if notes == "" {
		notes = ev.Cancellation.Detail
	}
	return napseChangeState(&ev, baseURL, "cancelled", notes)
}

// napseCheckChangeable refuses an order BRIDGE cannot identify or whose
// state is final.
func napseCheckChangeable(ev *napseEvent) error {
	o := &ev.Order
	if o.Attributes.InternalNumber == "" && o.Channel == "" {
		return refused("order_not_identified", "/order/attributes/internalNumber", "BRIDGE cannot tell which order "+o.MarketplaceOrderID+" is: give order.attributes.internalNumber or order.channel")
	}
	switch o.MarketplaceStatus {
	case "closed", "clos", "env", "cancelled":
		return refused("state_not_changeable", "/order/marketplaceStatus", "BRIDGE cannot change the state of an order that is "+o.MarketplaceStatus)
	case "":
		if o.Status == "delivered" || o.Status == "canceled" {
			return refused("state_not_changeable", "/order/status", "BRIDGE cannot change the state of an order that is "+o.Status)
		}
	}
	return nil
}

// napseChangeState builds the change to state, naming the order by BRIDGE's
// internal number when the event has it, else by the channel's number and
// the channel.
func napseChangeState(ev *napseEvent, baseURL, state, notes string) (Request, error) {
	o := &ev.Order
	if err := napseStatuses.check(o.MarketplaceStatus, state); err != nil {
		return Request{}, err
	}
	body := napseStateChange{OrderState: state, Notes: notes}
	if internal := o.Attributes.InternalNumber; internal != "" {
		body.InternalNumber = internal
	} else {
		if o.MarketplaceOrderID == "" {
			return Request{}, missing("/order/marketplaceOrderId")
		}
		body.ExternalNumber, body.Channel = o.MarketplaceOrderID, o.Channel
	}
	return post("change-state", strings.TrimSuffix(baseURL, "/")+"/order/change-status/state/change", body)
}
