package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Mercado Livre's admin view and setup (docs/simulator.md).

// mlView is the admin view: orders (with their status history and
// feedback), packs, shipments (status history, tracking, notifications,
// imported NF-e) and the token endpoint's counts.
type mlView struct {
	Marketplace string       `json:"marketplace"`
	Start       string       `json:"start"`
	Orders      []mlOrder    `json:"orders"`
	Packs       []mlPack     `json:"packs"`
	Shipments   []mlShipment `json:"shipments"`
	Tokens      mlAuthCounts `json:"tokens"`
}

func (ml *mercadolivre) view() any {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	v := mlView{Marketplace: MercadoLivre, Start: mlStart, Orders: []mlOrder{}, Packs: []mlPack{}, Shipments: []mlShipment{},
		Tokens: ml.auth.view(ml.s.now())}
	for _, o := range ml.orders {
		c := *o
		c.order = o.clone()
		if o.Feedback != nil {
			fb := *o.Feedback
			c.Feedback = &fb
		}
		v.Orders = append(v.Orders, c)
	}
	for _, p := range ml.packs {
		c := *p
		c.Orders, c.FiscalDocuments = slices.Clone(p.Orders), slices.Clone(p.FiscalDocuments)
		v.Packs = append(v.Packs, c)
	}
	for _, sh := range ml.ships {
		c := *sh
		c.Notifications, c.History = slices.Clone(sh.Notifications), slices.Clone(sh.History)
		if sh.Invoice != nil {
			inv := *sh.Invoice
			c.Invoice = &inv
		}
		v.Shipments = append(v.Shipments, c)
	}
	sort.Slice(v.Orders, func(i, j int) bool { return v.Orders[i].ID < v.Orders[j].ID })
	sort.Slice(v.Packs, func(i, j int) bool { return v.Packs[i].ID < v.Packs[j].ID })
	sort.Slice(v.Shipments, func(i, j int) bool { return v.Shipments[i].ID < v.Shipments[j].ID })
	return v
}

// setStatus sets an order's status (the generic admin endpoint).
func (ml *mercadolivre) setStatus(id, status string) error {
	if !slices.Contains(mlOrderStatuses, status) {
		return unknownStatus(status, mlOrderStatuses)
	}
	if !mlNumeric(id) {
		return fmt.Errorf("order id %q: want Mercado Livre's numeric order id", id)
	}
	ml.mu.Lock()
	defer ml.mu.Unlock()
	ml.order(id).move(status, "admin", ml.s.now())
	return nil
}

func (ml *mercadolivre) reset() {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	ml.orders, ml.packs, ml.ships, ml.serial = map[string]*mlOrder{}, map[string]*mlPack{}, map[string]*mlShipment{}, 0
}

func (ml *mercadolivre) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /"+MercadoLivre+"/orders/{id}", ml.putSale)
}

// mlSale is the body of PUT /_sim/mercadolivre/orders/{id}: an order with
// its pack and shipment.
type mlSale struct {
	Status   string `json:"status"`
	PackID   string `json:"packId"`
	Expired  bool   `json:"expired"`
	Shipment *struct {
		ID           string `json:"id"`
		Mode         string `json:"mode"`
		LogisticType string `json:"logisticType"`
		Status       string `json:"status"`
		Substatus    string `json:"substatus"`
	} `json:"shipment"`
}

// putSale sets up order {id}: its status, pack and shipment (replacing
// what the simulator had for them).
func (ml *mercadolivre) putSale(w http.ResponseWriter, r *http.Request) {
	var s mlSale
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		adminError(w, http.StatusBadRequest, `want {"status", "packId", "expired", "shipment": {"id", "mode", "logisticType", "status", "substatus"}}: %v`, err)
		return
	}
	id := r.PathValue("id")
	if err := s.check(id); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ml.applySale(id, s)
	writeJSON(w, http.StatusOK, ml.view())
}

func (s *mlSale) check(id string) error {
	if s.Status == "" {
		s.Status = mlStart
	}
	switch {
	case !mlNumeric(id):
		return fmt.Errorf("order id %q: want a numeric id", id)
	case !slices.Contains(mlOrderStatuses, s.Status):
		return unknownStatus(s.Status, mlOrderStatuses)
	case s.PackID != "" && !mlNumeric(s.PackID):
		return fmt.Errorf("packId %q: want a numeric id", s.PackID)
	case s.Shipment == nil:
		return nil
	}
	sh := s.Shipment
	switch {
	case !mlNumeric(sh.ID):
		return fmt.Errorf("shipment.id %q: want a numeric id", sh.ID)
	case sh.Mode == "not_specified":
		return fmt.Errorf("shipment.mode not_specified: such sales have no shipment; leave shipment out")
	case !slices.Contains(mlModes, sh.Mode):
		return fmt.Errorf("shipment.mode %q: want one of %s", sh.Mode, strings.Join(mlModes[:3], ", "))
	case sh.Mode == "me2" && !slices.Contains(mlME2Types, sh.LogisticType):
		return fmt.Errorf("shipment.logisticType %q: an me2 shipment needs one of %s", sh.LogisticType, strings.Join(mlME2Types, ", "))
	case sh.Mode != "me2" && sh.LogisticType != "":
		return fmt.Errorf("shipment.logisticType is for me2 shipments only")
	}
	if sh.Status == "" {
		sh.Status = "ready_to_ship"
		if sh.Mode == "me2" && slices.Contains(mlImportTypes, sh.LogisticType) && sh.Substatus == "" {
			sh.Substatus = "invoice_pending"
		}
	}
	if !slices.Contains(mlShipStatuses, sh.Status) {
		return fmt.Errorf("shipment.status %q: want one of %s", sh.Status, strings.Join(mlShipStatuses, ", "))
	}
	return nil
}

func (ml *mercadolivre) applySale(id string, s mlSale) {
	ml.mu.Lock()
	defer ml.mu.Unlock()
	now := ml.s.now()
	o := &mlOrder{order: &order{ID: id, Status: mlStart, History: []move{}}, PackID: s.PackID, Expired: s.Expired, created: now}
	if s.Status != mlStart {
		o.move(s.Status, "admin", now)
	}
	if prev, ok := ml.orders[id]; ok && prev.PackID != "" && prev.PackID != s.PackID {
		if p, ok := ml.packs[prev.PackID]; ok {
			p.Orders = slices.DeleteFunc(p.Orders, func(x string) bool { return x == id })
		}
	}
	ml.orders[id] = o
	if sh := s.Shipment; sh != nil {
		o.ShipmentID = sh.ID
		delete(ml.ships, sh.ID)
		ship := ml.shipment(sh.ID, sh.Mode, sh.LogisticType, sh.Status, sh.Substatus)
		ship.OrderID = id
	}
	packID := s.PackID
	if packID == "" {
		packID = id
	}
	if p, ok := ml.packs[packID]; ok || s.PackID != "" {
		if !ok {
			p = &mlPack{ID: packID, FiscalDocuments: []mlFiscalDoc{}}
			ml.packs[packID] = p
		}
		if !slices.Contains(p.Orders, id) {
			p.Orders = append(p.Orders, id)
		}
		if o.ShipmentID != "" {
			p.ShipmentID = o.ShipmentID
		}
	}
}
