package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
)

// BenchmarkInboundHTTP measures the hub's order placement on a real
// loopback server, one request at a time: the route's auth, the payload
// translated, the event, its dedup row and its inbox position committed in
// one transaction, the answer; and, in the same run, a re-sent order (the
// stored answer, nothing written) and POST /v1/events of an outbound event
// as the baseline. The workers are not started.
//
//	go test ./engine/durable/httpapi -run '^$' -bench InboundHTTP -benchtime 1000x
func BenchmarkInboundHTTP(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			if kind == "postgres" && os.Getenv(postgresDSNVar) == "" {
				b.Skipf("%s is not set", postgresDSNVar)
			}
			b.Run("new-order", func(b *testing.B) { benchInbound(b, newDatabase(b, kind), false) })
			b.Run("re-sent-order", func(b *testing.B) { benchInbound(b, newDatabase(b, kind), true) })
			b.Run("baseline-post-events", func(b *testing.B) { benchPostEvents(b, newDatabase(b, kind), 1) })
		})
	}
}

func benchInbound(b *testing.B, db string, resend bool) {
	f := newFixture(b, fixtureOptions{db: db, noStart: true})
	h := f.newHub()
	order := seedOrder(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	url := f.url + "/inbound/fastshop/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH"
	i := 0
	for b.Loop() {
		i++
		body := order
		if !resend {
			body = bytes.ReplaceAll(order, []byte(`"999999999"`), []byte(fmt.Sprintf(`"%d"`, i)))
		}
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-API-AppKey", h.AppKey)
		req.Header.Set("X-API-AppToken", h.AppToken)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
}
