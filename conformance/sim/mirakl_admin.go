package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Mirakl's admin view and setup (docs/simulator.md).

// mklView is the admin view: the orders with their lines, tracking and
// documents.
type mklView struct {
	Marketplace string     `json:"marketplace"`
	Start       string     `json:"start"`
	ShopID      int64      `json:"shopId"`
	Orders      []mklOrder `json:"orders"`
}

func (k *mirakl) view() any {
	k.mu.Lock()
	defer k.mu.Unlock()
	v := mklView{Marketplace: Mirakl, Start: mklStart, ShopID: k.opts.ShopID, Orders: []mklOrder{}}
	for _, o := range k.orders {
		c := *o
		c.order = o.clone()
		c.Documents = slices.Clone(o.Documents)
		c.Lines = []*mklLine{}
		for _, l := range o.Lines {
			lc := *l
			lc.Cancelations, lc.Refunds = slices.Clone(l.Cancelations), slices.Clone(l.Refunds)
			c.Lines = append(c.Lines, &lc)
		}
		if o.Carrier != nil {
			t := *o.Carrier
			c.Carrier = &t
		}
		v.Orders = append(v.Orders, c)
	}
	sort.Slice(v.Orders, func(i, j int) bool { return v.Orders[i].ID < v.Orders[j].ID })
	return v
}

// setStatus sets an order's state and its lines' (the generic admin
// endpoint); an unseen order gets one line, id-1.
func (k *mirakl) setStatus(id, status string) error {
	if !slices.Contains(mklStates, status) {
		return unknownStatus(status, mklStates)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	o, ok := k.orders[id]
	if !ok {
		o = k.create(id, mklStart, []string{id + "-1"})
	}
	o.setState(status, "admin", k.s.now())
	return nil
}

func (k *mirakl) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.orders, k.lines, k.serial = map[string]*mklOrder{}, map[string]string{}, 0
}

func (k *mirakl) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /"+Mirakl+"/orders/{id}", k.putOrder)
}

// mklSetup is the body of PUT /_sim/mirakl/orders/{id}.
type mklSetup struct {
	State string `json:"state"`
	Lines []struct {
		ID       string  `json:"id"`
		State    string  `json:"state"`
		Quantity int64   `json:"quantity"`
		Price    float64 `json:"price"`
		OfferSKU string  `json:"offerSku"`
	} `json:"lines"`
	CanCancel *bool `json:"canCancel"`
	Fulfilled bool  `json:"fulfilled"`
}

// putOrder sets up order {id}: state, lines (each with its own state,
// quantity, price), can_cancel and fulfilled; it replaces what the
// simulator had for it.
func (k *mirakl) putOrder(w http.ResponseWriter, r *http.Request) {
	var s mklSetup
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		adminError(w, http.StatusBadRequest, `want {"state", "lines": [{"id", "state", "quantity", "price", "offerSku"}], "canCancel", "fulfilled"}: %v`, err)
		return
	}
	id := r.PathValue("id")
	if err := s.check(id); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	k.apply(id, s)
	writeJSON(w, http.StatusOK, k.view())
}

func (s *mklSetup) check(id string) error {
	if s.State == "" {
		s.State = mklStart
	}
	if !slices.Contains(mklStates, s.State) {
		return unknownStatus(s.State, mklStates)
	}
	seen := map[string]bool{}
	for i := range s.Lines {
		l := &s.Lines[i]
		switch {
		case strings.TrimSpace(l.ID) == "":
			return fmt.Errorf("lines[%d].id is required", i)
		case seen[l.ID]:
			return fmt.Errorf("line %s is listed twice", l.ID)
		case l.State != "" && !slices.Contains(mklLineStates, l.State):
			return fmt.Errorf("lines[%d].state: %w", i, unknownStatus(l.State, mklLineStates))
		case l.Quantity < 0 || l.Price < 0:
			return fmt.Errorf("lines[%d]: quantity and price cannot be negative", i)
		}
		seen[l.ID] = true
	}
	return nil
}

func (k *mirakl) apply(id string, s mklSetup) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ids := []string{}
	for _, l := range s.Lines {
		ids = append(ids, l.ID)
	}
	if len(ids) == 0 {
		ids = []string{id + "-1"}
	}
	for _, l := range ids {
		if other, ok := k.orders[k.lines[l]]; ok && other.ID != id {
			other.Lines = slices.DeleteFunc(other.Lines, func(x *mklLine) bool { return x.ID == l })
		}
	}
	o := k.create(id, mklStart, ids)
	if s.State != mklStart {
		o.move(s.State, "admin", k.s.now())
	}
	o.Fulfilled = s.Fulfilled
	if s.CanCancel != nil {
		o.CanCancel = *s.CanCancel
	}
	for i, l := range s.Lines {
		ol := o.Lines[i]
		ol.State = firstOf(l.State, s.State)
		if l.Quantity > 0 {
			ol.Quantity = l.Quantity
		}
		if l.Price > 0 {
			ol.Price = l.Price
		}
		if l.OfferSKU != "" {
			ol.OfferSKU = l.OfferSKU
		}
	}
	if len(s.Lines) == 0 {
		o.Lines[0].State = s.State
	}
}
