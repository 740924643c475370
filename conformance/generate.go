package conformance

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/fiscal"
)

// generator makes valid canonical events for one mapping: every field the
// canonical event has, filled plausibly or left out at random, with values
// the mapping knows (its statuses, allowed hosts, table keys, the order
// attributes it reads) mixed with values it does not.
type generator struct {
	id         string
	statuses   []string
	hosts      []string
	tableKeys  []string
	attributes []string
	vars       map[string]string
}

var attributeRead = regexp.MustCompile(`order\.attributes\.([A-Za-z_][A-Za-z0-9_]*)`)

func newGenerator(m *mappingUnit) *generator {
	md := m.model()
	g := &generator{id: m.id, statuses: md.Statuses, hosts: md.AllowedHosts, tableKeys: md.TableKeys, vars: map[string]string{}}
	seen := map[string]bool{}
	for _, match := range attributeRead.FindAllStringSubmatch(string(m.src), -1) {
		if !seen[match[1]] {
			seen[match[1]] = true
			g.attributes = append(g.attributes, match[1])
		}
	}
	sort.Strings(g.attributes)
	for _, v := range md.Variables {
		g.vars[v.Name] = exampleValue(v.Example, v.Default)
	}
	return g
}

func exampleValue(example string, def *string) string {
	switch {
	case example != "":
		return example
	case def != nil:
		return *def
	}
	return "example"
}

// rngFor returns the random stream for one mapping and event type: the
// same seed gives the same events whatever else runs.
func rngFor(seed int64, id, typ string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id + "\x00" + typ))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// event makes the i-th event of a type.
func (g *generator) event(r *rand.Rand, typ string, i int) map[string]any {
	ev := map[string]any{
		"specVersion": engine.SpecVersion,
		"id":          fmt.Sprintf("prop-%s-%d", typ, i),
		"type":        typ,
		"occurredAt":  randTime(r),
		"marketplace": g.id,
		"order":       g.order(r, typ),
	}
	if chance(r, 0.85) {
		ev["items"] = g.items(r)
	}
	g.part(r, ev, typ, "order.invoiced", "invoice", 0.3, g.invoice)
	g.part(r, ev, typ, "", "shipment", shipmentChance(typ), shipment)
	g.part(r, ev, typ, "order.delivered", "delivery", 0.1, delivery)
	g.part(r, ev, typ, "order.canceled", "cancellation", 0.1, cancellation)
	g.part(r, ev, typ, "order.delivery_failed", "failure", 0.1, g.failure)
	g.part(r, ev, typ, "order.shipment_exception", "exception", 0.1, exception)
	if chance(r, 0.2) {
		ev["note"] = pick(r, texts)
	}
	return ev
}

// part adds a part of the event: always for the type that requires it,
// else with probability p.
func (g *generator) part(r *rand.Rand, ev map[string]any, typ, requiredBy, key string, p float64, build func(*rand.Rand) map[string]any) {
	if typ == requiredBy || chance(r, p) {
		ev[key] = build(r)
	}
}

func shipmentChance(typ string) float64 {
	if typ == "order.shipped" || typ == "order.ready_to_ship" {
		return 0.9
	}
	return 0.3
}

func (g *generator) order(r *rand.Rand, typ string) map[string]any {
	o := map[string]any{"marketplaceOrderId": pick(r, orderCodes) + digits(r, 1+r.IntN(12))}
	if typ != "order.created" || chance(r, 0.5) {
		o["id"] = "ERP-" + digits(r, 6)
	}
	if chance(r, 0.7) {
		o["status"] = pick(r, engine.EventStatuses())
	}
	if len(g.statuses) > 0 && chance(r, 0.6) {
		o["marketplaceStatus"] = pick(r, g.statuses)
	}
	if chance(r, 0.3) {
		o["channel"] = pick(r, []string{"PEYA", "RAPPI", "SITE"})
	}
	if e := g.endpoint(r); e != "" {
		o["servicesEndpoint"] = e
	}
	if a := g.attrs(r); len(a) > 0 {
		o["attributes"] = a
	}
	if chance(r, 0.2) {
		o["placedAt"] = randTime(r)
	}
	return o
}

var orderCodes = []string{"Lojas Americanas-", "", "PEYA_", "ped/#?", "Ação-", "1000-"}

// endpoint is a services endpoint on an allowed host, on another host, or
// none.
func (g *generator) endpoint(r *rand.Rand) string {
	switch x := r.Float64(); {
	case len(g.hosts) > 0 && x < 0.5:
		h := pick(r, g.hosts)
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			h = "api." + rest
		}
		return "https://" + h + pick(r, []string{"", "/api/v1", "/"})
	case x < 0.7:
		return pick(r, []string{"https://evil.example.com", "https://callback.example.org/hub", "http://10.0.0.1:8080"})
	}
	return ""
}

func (g *generator) attrs(r *rand.Rand) map[string]any {
	a := map[string]any{}
	for _, name := range g.attributes {
		if chance(r, 0.6) {
			a[name] = pick(r, []string{digits(r, 1+r.IntN(9)), "", "X-" + digits(r, 3)})
		}
	}
	if chance(r, 0.1) {
		a["other"] = "value"
	}
	return a
}

func (g *generator) items(r *rand.Rand) []any {
	n := r.IntN(4)
	out := make([]any, n)
	for i := range out {
		it := map[string]any{"sku": "SKU-" + digits(r, 5), "quantity": 1 + r.IntN(5)}
		if chance(r, 0.85) {
			it["marketplaceItemId"] = strconv.Itoa(1 + r.IntN(999999999))
		}
		if chance(r, 0.7) {
			it["price"] = r.IntN(100000)
		}
		if chance(r, 0.5) {
			it["name"] = pick(r, texts)
		}
		if chance(r, 0.15) {
			it["discounts"] = []any{map[string]any{"name": "Desconto Pix", "value": -r.IntN(1000)}}
		}
		out[i] = it
	}
	return out
}

func (g *generator) invoice(r *rand.Rand) map[string]any {
	inv := map[string]any{"key": nfeKey(r)}
	optional(r, inv, 0.8, "number", digits(r, 1+r.IntN(9)))
	optional(r, inv, 0.8, "series", strconv.Itoa(1+r.IntN(999)))
	optional(r, inv, 0.8, "issuedAt", randTime(r))
	optional(r, inv, 0.6, "total", r.IntN(1000000))
	optional(r, inv, 0.2, "url", "https://nfe.example.com/danfe/"+digits(r, 8))
	optional(r, inv, 0.1, "xml", base64.StdEncoding.EncodeToString([]byte("<nfeProc/>")))
	return inv
}

// nfeKey makes a valid NF-e access key, now and then with an alphanumeric
// issuer CNPJ.
func nfeKey(r *rand.Rand) string {
	cnpj := digits(r, 14)
	if chance(r, 0.1) {
		cnpj = upperAlnum(r, 12) + digits(r, 2)
	}
	first43 := pick(r, []string{"35", "33", "52", "41"}) + "2303" + cnpj + "55" + digits(r, 3) + digits(r, 9) + "1" + digits(r, 8)
	d, err := fiscal.NFeKeyCheckDigit(first43)
	if err != nil {
		panic(fmt.Sprintf("conformance: generated NF-e key %q: %v", first43, err))
	}
	return first43 + string(d)
}

func shipment(r *rand.Rand) map[string]any {
	s := map[string]any{}
	optional(r, s, 0.8, "carrier", pick(r, []string{"Correios", "Total Express", "Jadlog", "Loggi"}))
	optional(r, s, 0.6, "service", pick(r, []string{"SEDEX", "PAC", "Expresso"}))
	optional(r, s, 0.8, "trackingCode", "BR"+digits(r, 10))
	optional(r, s, 0.5, "trackingUrl", pick(r, []string{"www.correios.com.br", "https://rastreio.example.com/BR1"}))
	optional(r, s, 0.4, "deliveryType", pick(r, []string{"dropship", "pickup", "send_to_warehouse"}))
	optional(r, s, 0.7, "shippedAt", randTime(r))
	optional(r, s, 0.3, "estimatedDeliveryAt", randTime(r))
	return s
}

func delivery(r *rand.Rand) map[string]any {
	d := map[string]any{"deliveredAt": randTime(r)}
	optional(r, d, 0.5, "receivedBy", pick(r, texts))
	return d
}

func cancellation(r *rand.Rand) map[string]any {
	c := map[string]any{"reason": pick(r, []string{"out_of_stock", "customer_request", "fraud", "payment_not_approved", "invalid_address", "other"})}
	optional(r, c, 0.5, "detail", pick(r, texts))
	return c
}

func (g *generator) failure(r *rand.Rand) map[string]any {
	reason := pick(r, texts)
	if len(g.tableKeys) > 0 && chance(r, 0.5) {
		reason = pick(r, g.tableKeys)
	}
	f := map[string]any{"reason": reason}
	optional(r, f, 0.5, "detail", pick(r, texts))
	return f
}

func exception(r *rand.Rand) map[string]any {
	return map[string]any{"occurredAt": randTime(r), "note": pick(r, texts)}
}

var texts = []string{"Problemas com a transportadora", "Cliente ausente", `Atraso "grave" & <urgente>`, "Ação/Devolução 100%", "x"}

var zones = []*time.Location{time.FixedZone("", -3*3600), time.UTC, time.FixedZone("", -5*3600), time.FixedZone("", 5*3600+1800)}

// randTime is an RFC 3339 date-time with an offset between 2023 and 2026.
func randTime(r *rand.Rand) string {
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	t := base.Add(time.Duration(r.Int64N(4*365*24*3600)) * time.Second)
	return t.In(pick(r, zones)).Format(time.RFC3339)
}

func optional(r *rand.Rand, m map[string]any, p float64, key string, v any) {
	if chance(r, p) {
		m[key] = v
	}
}

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func upperAlnum(r *rand.Rand, n int) string {
	const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}
