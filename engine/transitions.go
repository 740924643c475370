package engine

import (
	"fmt"

	"github.com/rotahq/rota/engine/internal/lang"
)

// currentStatus is the order's native status before the event: the event's
// marketplaceStatus, or the only native status whose canonical status is
// the event's order.status; "" when unknown.
func (mk *compiledMapping) currentStatus(env *lang.Env) string {
	if s := env.Order.MarketplaceStatus; s != "" {
		return s
	}
	if env.Order.Status == "" {
		return ""
	}
	found := ""
	for _, code := range mk.statusOrder {
		if mk.statuses[code].Canonical == env.Order.Status {
			if found != "" {
				return ""
			}
			found = code
		}
	}
	return found
}

func (mk *compiledMapping) checkTransition(r *renderer, cp *callPlan, from string) error {
	if cp.leadsTo == "" || from == "" || mk.transitions == nil {
		return nil
	}
	allowed := mk.transitions[from][cp.leadsTo]
	r.trace.transition(cp, from, allowed)
	if allowed {
		return nil
	}
	code, why := CodeTransitionNotAllowed, "its status table does not allow that move"
	if st, ok := mk.statuses[from]; ok && st.Final {
		code, why = CodeFinalStatus, fmt.Sprintf("%s is a final status", from)
	} else if !ok {
		why = fmt.Sprintf("%s is not a status %s has", from, mk.name)
	}
	return &Error{Kind: KindRejected, Code: code, Path: statusPointer(r.oenv), Source: cp.leadsPos,
		Message: fmt.Sprintf("%s cannot move an order from %s to %s: %s", mk.name, from, cp.leadsTo, why)}
}

func statusPointer(env *lang.Env) string {
	if env.Order.MarketplaceStatus != "" {
		return "/order/marketplaceStatus"
	}
	return "/order/status"
}
