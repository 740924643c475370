package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/durabletest"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// loadOrder is one order of the load test: its events, in order, and the
// simulator's ids and moves it must end with.
type loadOrder struct {
	marketplace string
	ids         []string
	bodies      [][]byte
	// simIDs are the simulator's ids of the order (Dafiti: its items).
	simIDs []string
	// wantMoves are the statuses the simulator must move each to, in order.
	wantMoves []string
}

// wantMoves are the simulator's moves of each marketplace's lifecycle.
var wantMoves = map[string][]string{
	"skyhub":   {"order_invoiced", "order_shipped", "complete"},
	"dafiti":   {"ready_to_ship", "shipped", "delivered"},
	"fastshop": {"invoiced"},
	"napse":    {"confirmed", "inproc", "complete", "transit", "closed"},
}

// loadOrders builds n orders, the lifecycles of the marketplaces in turn
// (all four when none is named), each with its own ids (Dafiti's items and
// Napse's internal number too).
func loadOrders(t testing.TB, prefix string, n int, markets ...string) []loadOrder {
	var cycles []lifecycle
	for _, lc := range lifecycles {
		if len(markets) == 0 || slices.Contains(markets, lc.marketplace) {
			cycles = append(cycles, lc)
		}
	}
	var out []loadOrder
	for i := range n {
		lc := cycles[i%len(cycles)]
		o := loadOrder{marketplace: lc.marketplace, wantMoves: wantMoves[lc.marketplace]}
		orderID := fmt.Sprintf("%s-%s-%04d", prefix, lc.marketplace, i)
		switch lc.marketplace {
		case "skyhub", "fastshop":
			orderID = fmt.Sprintf("%d%06d", 9, i) // numeric: Fast Shop's ids are numbers
			if lc.marketplace == "skyhub" {
				orderID = fmt.Sprintf("Lojas Americanas-%s%06d", prefix, i)
			}
			o.simIDs = []string{orderID}
		case "mercadolivre":
			orderID = fmt.Sprintf("20000077%08d", i) // numeric: Mercado Livre's ids are numbers
		case "dafiti":
			orderID = fmt.Sprintf("30%07d", i)
			o.simIDs = []string{fmt.Sprint(500000 + 2*i), fmt.Sprint(500001 + 2*i)}
		case "napse":
			o.simIDs = []string{fmt.Sprintf("bridge%s%06d", prefix, i)}
		}
		for _, name := range lc.events {
			id := fmt.Sprintf("evt-%s-%04d-%s", prefix, i, name)
			raw := event(t, lc.marketplace, name, id, orderID)
			if lc.edit != nil {
				raw = lc.edit(t, name, raw)
			}
			raw = retarget(t, lc.marketplace, raw, o.simIDs)
			o.ids = append(o.ids, id)
			o.bodies = append(o.bodies, raw)
		}
		out = append(out, o)
	}
	return out
}

// retarget points an event at the order's own simulator ids: Dafiti's
// items, Napse's internal number.
func retarget(t testing.TB, marketplace string, raw []byte, simIDs []string) []byte {
	var err error
	switch marketplace {
	case "dafiti":
		for i := range gjson.GetBytes(raw, "items").Array() {
			if raw, err = sjson.SetBytes(raw, fmt.Sprintf("items.%d.marketplaceItemId", i), simIDs[i%len(simIDs)]); err != nil {
				t.Fatal(err)
			}
		}
	case "napse":
		if raw, err = sjson.SetBytes(raw, "order.attributes.internalNumber", simIDs[0]); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// faultInjector adds one random fault at a time to the simulator while a
// load runs, up to a budget: 500, 503 and 429 answers (with Retry-After), connections
// dropped before the call, and answers lost after it was applied.
type faultInjector struct {
	s     *sim.Server
	rng   *rand.Rand
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	added map[string]int
}

func injectFaults(s *sim.Server, seed uint64, every time.Duration, budget int) *faultInjector {
	fi := &faultInjector{s: s, rng: rand.New(rand.NewPCG(seed, seed)), stop: make(chan struct{}), done: make(chan struct{}), added: map[string]int{}}
	go func() {
		defer close(fi.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for range budget {
			select {
			case <-fi.stop:
				return
			case <-tick.C:
				fi.addOne()
			}
		}
	}()
	return fi
}

func (fi *faultInjector) addOne() {
	mapped := mappedMarketplaces()
	m := mapped[fi.rng.IntN(len(mapped))]
	f := sim.Fault{Marketplace: m, Times: 1}
	kinds := []string{"500", "503", "429", "drop", "lost-answer"}
	switch m {
	case sim.FastShop:
		// A tracking event re-sent after a lost answer is a second
		// tracking event: the hub gives no way to tell, so only faults
		// that leave the call unapplied are injected there.
		kinds = kinds[:min(len(kinds), 4)]
	case sim.Dafiti:
		// Dafiti's mapping refuses a 500 for good (the change may have
		// been applied): a 500 there is a dead event by design.
		kinds = kinds[1:]
	}
	kind := kinds[fi.rng.IntN(len(kinds))]
	switch kind {
	case "500":
		f.Status = 500
	case "503":
		f.Status, f.RetryAfter = 503, 1
	case "429":
		f.Status, f.RetryAfter = 429, 1
	case "drop":
		f.Drop = true
	case "lost-answer":
		f.DropAfter = true
		if m == sim.MercadoLivre {
			// A renewal whose answer is lost spends Mercado Livre's
			// single-use refresh token without telling the sender the
			// new one: the seller must authorize again, by design
			// (docs/marketplaces/mercadolivre.md section 1). Answers are
			// lost on the shipment calls only.
			f.Path = "/shipments/"
		}
	}
	if err := fi.s.AddFault(f); err == nil {
		fi.mu.Lock()
		fi.added[kind]++
		fi.mu.Unlock()
	}
}

func (fi *faultInjector) finish() map[string]int {
	close(fi.stop)
	<-fi.done
	fi.s.ClearFaults()
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.added
}

// TestLoadWithFaults: many orders of the four marketplaces (1,056 events
// in full: see loadSize) posted at once while the simulator answers 5xx
// and 429 at random and drops connections and answers: every event ends delivered (or ignored, as its mapping
// says), each order's moves happen once and in the order of its events,
// and no call is left refused for SkyHub's rate limit.
func TestLoadWithFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("load test; not in -short")
	}
	forEachDB(t, func(t *testing.T, db string) {
		f := newFixture(t, fixtureOptions{db: db, schedule: loadSchedule})
		runLoad(t, []string{f.url}, f.sim, f.simURL, "L", loadSize(loadOrderCount, quickLoadOrderCount), false)
	})
}

// loadOrderCount is how many orders the load test posts in full
// (durabletest.Full, as CI runs it): 48 rounds of the four lifecycles (22
// events), 1,056 events. A marketplace's lifecycle has at most six events,
// so a thousand events need more than a hundred orders.
const loadOrderCount = 192

// quickLoadOrderCount is how many orders it posts otherwise: 12 rounds,
// 264 events, with the same faults and the same checks.
const quickLoadOrderCount = 48

// loadSize is full orders when the load tests run in full
// (durabletest.Full), quick otherwise.
func loadSize(full, quick int) int {
	if durabletest.Full() {
		return full
	}
	return quick
}

// loadSchedule retries fast, and long enough that random faults never
// exhaust it.
var loadSchedule = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond,
	200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond,
	200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}

// runLoad posts the orders' events to the APIs (round robin), each order's
// events in order, many orders at once, with random faults; then checks
// the outcome.
//
// strict429 asserts that the simulator answered no call 429 for its rate
// limit (the two-process test, where the issue measures the shared limit
// so); otherwise a 429 must only not be left: every event still ends
// delivered.
func runLoad(t *testing.T, apis []string, s *sim.Server, simURL, prefix string, n int, strict429 bool, markets ...string) {
	orders := loadOrders(t, prefix, n, markets...)
	seed := uint64(time.Now().UnixNano())
	t.Logf("fault seed %d", seed)
	fi := injectFaults(s, seed, 10*time.Millisecond, 150)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	events := 0
	errs := make(chan string, len(orders))
	for i, o := range orders {
		events += len(o.ids)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for k, body := range o.bodies {
				a := postTo(apis[(i+k)%len(apis)], body)
				if a.status != http.StatusAccepted && a.status != http.StatusOK {
					errs <- fmt.Sprintf("POST %s: %d %s", o.ids[k], a.status, a.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	f := &fixture{t: t, url: apis[0], sim: s, simURL: simURL}
	var ids []string
	for _, o := range orders {
		ids = append(ids, o.ids...)
	}
	states := f.waitSettledQuietly(t, 180*time.Second, ids)
	elapsed := time.Since(start)
	added := fi.finish()
	bad, shown := 0, 0
	for _, want := range []durable.State{durable.Dead, durable.Pending, durable.Skipped} {
		for _, id := range ids {
			if states[id] != want {
				continue
			}
			bad++
			if shown++; shown <= 3 {
				t.Errorf("event %s is %s, want delivered or ignored\n%s", id, want, f.get("/v1/events/"+id).body)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d events not delivered", bad, len(ids))
	}
	hist := map[string]map[string][]string{}
	for _, m := range sim.Marketplaces {
		hist[m] = simMoves(t, simURL, m)
	}
	for _, o := range orders {
		for _, id := range o.simIDs {
			if got := hist[o.marketplace][id]; !slices.Equal(got, o.wantMoves) {
				t.Errorf("%s order %s moved %q, want %q (each once, in order)", o.marketplace, id, got, o.wantMoves)
			}
		}
	}
	rateLimited := 0
	faulted := 0
	var limitedCalls []string
	for _, m := range sim.Marketplaces {
		for _, r := range s.Requests(m) {
			if r.Fault != "" {
				faulted++
			} else if r.Status == http.StatusTooManyRequests {
				rateLimited++
				limitedCalls = append(limitedCalls, fmt.Sprintf("%s %s %s at %s", r.Marketplace, r.Method, r.Path, r.At.Format("15:04:05.000")))
			}
		}
	}
	if strict429 && rateLimited != 0 {
		t.Errorf("the simulator answered %d calls 429 for its rate limit, want 0: %s", rateLimited, strings.Join(limitedCalls, "; "))
	}
	t.Logf("%d events over %d orders delivered in %s; faults injected %v, %d calls hit one; %d calls answered 429 for the rate limit",
		events, len(orders), elapsed.Round(time.Millisecond), added, faulted, rateLimited)
}

// postTo posts an event to an API.
func postTo(api string, body []byte) answer {
	req, _ := http.NewRequest(http.MethodPost, api+"/v1/events", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{status: 0, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return answer{status: resp.StatusCode, body: []byte(b.String())}
}

// waitSettledQuietly waits, reading pages of the event list, until no
// event is pending (or one is dead), and returns the states.
func (f *fixture) waitSettledQuietly(t *testing.T, limit time.Duration, ids []string) map[string]durable.State {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		states := map[string]durable.State{}
		cursor := ""
		for {
			a := f.get("/v1/events?limit=500&cursor=" + cursor)
			var page durable.EventPage
			if err := json.Unmarshal(a.body, &page); err != nil {
				t.Fatalf("list: %v\n%s", err, a.body)
			}
			for _, e := range page.Events {
				states[e.ID] = e.State
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		pending, dead := 0, 0
		for _, id := range ids {
			switch states[id] {
			case durable.Pending:
				pending++
			case durable.Dead:
				dead++
			}
		}
		if pending == 0 || dead > 0 {
			return states
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still pending after %s", pending, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// simMoves reads the statuses each order of a marketplace moved to.
func simMoves(t *testing.T, simURL, marketplace string) map[string][]string {
	t.Helper()
	resp, err := http.Get(simURL + "/_sim/orders/" + marketplace)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	out := map[string][]string{}
	for _, list := range []string{"orders", "orderItems"} {
		for _, o := range gjson.GetBytes(b, list).Array() {
			var moves []string
			for _, m := range o.Get("history").Array() {
				moves = append(moves, m.Get("to").String())
			}
			out[o.Get("id").String()] = moves
		}
	}
	return out
}
