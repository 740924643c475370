package deliver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/mappings"
)

// The published SellerCenter test vector.
func ExampleSellerCenterSignature() {
	params := url.Values{
		"Action":    {"FeedList"},
		"Format":    {"XML"},
		"Timestamp": {"2015-07-01T11:11:11+00:00"},
		"UserID":    {"look@me.com"},
		"Version":   {"1.0"},
	}
	fmt.Println(deliver.SellerCenterStringToSign(params))
	fmt.Println(deliver.SellerCenterSignature(params, "b1bdb357ced10fe4e9a69840cdd4f0e9c03d77fe"))
	// Output:
	// Action=FeedList&Format=XML&Timestamp=2015-07-01T11%3A11%3A11%2B00%3A00&UserID=look%40me.com&Version=1.0
	// 3ceb8ed91049dfc718b0d2d176fb2ed0e5fd74f76c5971f34cdab48412476041
}

// Send one SkyHub event to a stand-in for SkyHub that refuses it.
func ExampleSender_Send() {
	skyhub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"error": "Transição de status inválida"}`)
	}))
	defer skyhub.Close()

	eng, err := engine.Load(mappings.FS)
	if err != nil {
		panic(err)
	}
	event, err := os.ReadFile("../../examples/events/skyhub/shipped.json")
	if err != nil {
		panic(err)
	}
	res, err := eng.Translate(event, engine.TranslateOptions{BaseURL: skyhub.URL})
	if err != nil {
		panic(err)
	}
	s := &deliver.Sender{Engine: eng, Secrets: deliver.MapSecrets{
		"ROTA_SECRET_SKYHUB_USEREMAIL":         "seller@example.com",
		"ROTA_SECRET_SKYHUB_APIKEY":            "example-api-key",
		"ROTA_SECRET_SKYHUB_ACCOUNTMANAGERKEY": "account-manager-key",
	}}
	rep, err := s.Send(context.Background(), res)
	if err != nil {
		panic(err) // a configuration problem: nothing was sent
	}
	c := rep.Calls[0]
	fmt.Println(rep.Outcome, c.Name, c.Status, c.Attempts, c.MarketplaceCode, c.Message)
	// Output:
	// refused shipments 422 1 422 Transição de status inválida
}
