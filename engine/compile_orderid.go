package engine

import (
	"time"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/mapping"
)

// Bounds of a route's orderIdTimeout.
const (
	DefaultOrderIDTimeout = 5 * time.Second
	MaxOrderIDTimeout     = 60 * time.Second
)

// orderIDMode reads a route's orderIdMode and orderIdTimeout: ask is true
// for mode ask, with its timeout (default DefaultOrderIDTimeout).
func (c *compiler) orderIDMode(r *mapping.Route, pos diag.Pos, name string) (ask bool, timeout time.Duration) {
	switch r.OrderIDMode {
	case "", "assign":
		if r.OrderIDTimeout != "" {
			c.errorf(pos, diag.SchemaViolation, "inbound route %s sets orderIdTimeout, which only orderIdMode: ask uses", name)
		}
		return false, 0
	case "ask":
	default:
		c.errorf(pos, diag.SchemaViolation, "inbound route %s: orderIdMode %q: want assign (the default: the orderId template) or ask (the seller's ERP gives it)", name, r.OrderIDMode)
		return false, 0
	}
	timeout = DefaultOrderIDTimeout
	if r.OrderIDTimeout != "" {
		d, err := time.ParseDuration(r.OrderIDTimeout)
		if err != nil || d <= 0 || d > MaxOrderIDTimeout {
			c.errorf(pos, diag.SchemaViolation, "inbound route %s: orderIdTimeout %q: want a duration such as 5s, above 0 and at most %s", name, r.OrderIDTimeout, MaxOrderIDTimeout)
			return true, DefaultOrderIDTimeout
		}
		timeout = d
	}
	return true, timeout
}
