package lang

import "github.com/rotahq/rota/engine/event"

// ItemIndex is the position of the current item, or 0 outside a $each.
func (e *Env) ItemIndex() int {
	if e.Item == nil {
		return 0
	}
	return e.Item.Index()
}

// Env is what outbound expressions (guards, conditions, templates) see: the
// canonical event's fields at the top level (order, items, invoice...), the
// current item inside a $each over items, and the run-time variables.
type Env struct {
	event.Event
	Item *event.Item       `expr:"item"`
	Vars map[string]string `expr:"vars"`
	// Current is the order's native status before the event, as the engine
	// resolves it: order.marketplaceStatus, or the one native status whose
	// canonical status is order.status; "" when neither tells.
	Current string `expr:"current"`
}

// Response is what response rules see: the marketplace's HTTP answer.
type Response struct {
	Status  int               `expr:"status"`
	Headers map[string]string `expr:"headers"`
	// Body is the decoded JSON body, or the body text when it is not JSON.
	Body any `expr:"body"`
}

// AuthEnv is what auth templates (token requests) see. Secrets are filled in
// only when a call is sent, never when it is translated.
type AuthEnv struct {
	Secrets map[string]string `expr:"secrets"`
	Vars    map[string]string `expr:"vars"`
}
