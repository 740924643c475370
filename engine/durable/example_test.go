package durable_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/mappings"
)

// A service embedding the engine: events are accepted into a SQLite file
// and delivered, here to the simulator of SkyHub.
func Example() {
	ctx := context.Background()
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		panic(err)
	}
	marketplace := httptest.NewServer(sim.New(sim.Options{}).Handler())
	defer marketplace.Close()
	dir, err := os.MkdirTemp("", "rota-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	svc, err := durable.Open(ctx, durable.Config{
		Engine: eng,
		DB:     "sqlite:" + filepath.Join(dir, "rota.db"),
		Delivery: durable.Delivery{
			Secrets:  deliver.MapSecrets(sim.DefaultSecrets()),
			BaseURLs: map[string]string{"skyhub": marketplace.URL + "/skyhub"},
		},
	})
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	if err := svc.Start(ctx); err != nil {
		panic(err)
	}
	defer svc.Stop(ctx)

	// The ERP says what happened; the order's state fills the rest.
	acc, err := svc.Accept(ctx, []byte(`{"specVersion": "1.0", "id": "evt-1", "type": "order.invoiced",
		"occurredAt": "2023-03-10T12:30:00-03:00", "marketplace": "skyhub",
		"order": {"id": "ERP-1", "marketplaceOrderId": "Lojas Americanas-1"},
		"items": [{"sku": "2023001", "quantity": 1, "price": 8990}],
		"invoice": {"key": "52060433009911002506550120000007800267301615", "number": "780", "series": "12",
			"issuedAt": "2023-03-10T12:30:00-03:00", "total": 8990}}`))
	if err != nil {
		panic(err) // an *engine.Error: the event was refused, nothing stored
	}
	fmt.Println(acc.EventID, acc.State)

	for {
		rec, err := svc.Event(ctx, acc.EventID)
		if err != nil {
			panic(err)
		}
		if rec.State != durable.Pending {
			fmt.Println(rec.State, rec.CallsDelivered)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	order, err := svc.Order(ctx, acc.Order)
	if err != nil {
		panic(err)
	}
	fmt.Println(order.Status, order.MarketplaceStatus)
	// Output:
	// evt-1 pending
	// delivered [invoice]
	// invoiced order_invoiced
}
