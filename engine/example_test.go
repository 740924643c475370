package engine_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/mappings"
)

// Translate a canonical event with the bundled mappings.
func ExampleEngine_Translate() {
	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		fmt.Println(err)
		return
	}
	event := []byte(`{"specVersion": "1.0", "id": "evt-1", "type": "order.delivered",
	  "occurredAt": "2023-03-13T10:15:00-03:00", "marketplace": "skyhub",
	  "order": {"id": "ERP-1", "marketplaceOrderId": "Lojas Americanas-1000000000000", "marketplaceStatus": "order_shipped"},
	  "delivery": {"deliveredAt": "2023-03-13T10:15:00-03:00"}}`)
	res, err := eng.Translate(event, engine.TranslateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Calls[0]
	fmt.Println(res.Outcome, c.Method, c.URL)
	for name, value := range c.Headers.All() {
		fmt.Printf("%s: %s\n", name, value)
	}
	fmt.Println(string(c.Body))
	// Output:
	// send POST https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/delivery
	// Accept: application/json
	// Content-Type: application/json
	// {"status":"complete","delivered_date":"13/03/2023"}
}

// A worker that translates events one after another, sending each result
// before the next, can reuse one Result: only the text of the new calls is
// allocated, and strings kept from earlier results stay as they were.
func ExampleEngine_TranslateInto() {
	eng, err := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	if err != nil {
		fmt.Println(err)
		return
	}
	events := [][]byte{
		[]byte(`{"specVersion": "1.0", "id": "evt-1", "type": "order.delivered",
		  "occurredAt": "2023-03-13T10:15:00-03:00", "marketplace": "skyhub",
		  "order": {"id": "ERP-1", "marketplaceOrderId": "Lojas Americanas-1000000000000", "marketplaceStatus": "order_shipped"},
		  "delivery": {"deliveredAt": "2023-03-13T10:15:00-03:00"}}`),
		[]byte(`{"specVersion": "1.0", "id": "evt-2", "type": "order.delivered",
		  "occurredAt": "2023-03-14T11:00:00-03:00", "marketplace": "skyhub",
		  "order": {"id": "ERP-2", "marketplaceOrderId": "Lojas Americanas-2000000000000", "marketplaceStatus": "order_shipped"},
		  "delivery": {"deliveredAt": "2023-03-14T11:00:00-03:00"}}`),
	}
	var res engine.Result
	var urls []string
	for _, event := range events {
		if err := eng.TranslateInto(&res, event, engine.TranslateOptions{}); err != nil {
			fmt.Println(err)
			continue
		}
		urls = append(urls, res.Calls[0].URL)
		fmt.Println(res.EventID, string(res.Calls[0].Body))
	}
	fmt.Println(urls)
	// Output:
	// evt-1 {"status":"complete","delivered_date":"13/03/2023"}
	// evt-2 {"status":"complete","delivered_date":"14/03/2023"}
	// [https://api.skyhub.com.br/orders/Lojas%20Americanas-1000000000000/delivery https://api.skyhub.com.br/orders/Lojas%20Americanas-2000000000000/delivery]
}

// A refusal is an *engine.Error with a stable kind and code, the JSON
// pointer of the offending value and the mapping rule that decided.
func ExampleEngine_Translate_refused() {
	eng, _ := engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	event := []byte(`{"specVersion": "1.0", "id": "evt-2", "type": "order.canceled",
	  "occurredAt": "2023-03-14T09:00:00-03:00", "marketplace": "skyhub",
	  "order": {"id": "ERP-1", "marketplaceOrderId": "Lojas Americanas-1000000000000", "marketplaceStatus": "complete"},
	  "cancellation": {"reason": "customer_request"}}`)
	_, err := eng.Translate(event, engine.TranslateOptions{})
	var e *engine.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, e.Code, e.Path)
		fmt.Println(e.Message)
	}
	// Output:
	// rejected final_status /order/marketplaceStatus
	// SkyHub cannot move an order from complete to order_canceled: complete is a final status
}

// Loading reports every problem of a mapping at once, each at file:line:col.
func ExampleLoad_positionedError() {
	dir, _ := os.MkdirTemp("", "rota")
	defer os.RemoveAll(dir)
	src := `marketplace: demo
name: Demo
timezone: America/Sao_Paulo
environments: {production: {baseUrl: "https://api.demo.test"}}
statuses: {open: {canonical: approved}}
events:
  order.canceled:
    guards:
      - code: known_reason
        require: cancellation.reasn != ""
        message: a reason is needed
    calls:
      - {name: cancel, method: POST, path: /cancel, leadsTo: closed}
`
	_ = os.WriteFile(filepath.Join(dir, "demo.yaml"), []byte(src), 0o600)
	_, err := engine.Load(os.DirFS(dir), engine.WithDisplayDir("mappings"))
	var ds diag.List
	if errors.As(err, &ds) {
		fmt.Print(ds.Format(false))
	}
	// Output:
	// mappings/demo.yaml:10:18: error: unknown_field: unknown field cancellation.reasn in the canonical event (did you mean 'cancellation.reason'?)
	// mappings/demo.yaml:13:62: error: unknown_status: leadsTo "closed" is not in the status table; add it under statuses:
}
