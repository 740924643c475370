package httpapi_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/httpapi"
	"github.com/rotahq/rota/mappings"
)

// A service embedding the engine mounts the API in its own server, over its
// own durable Service.
func ExampleNew() {
	ctx := context.Background()
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := durable.Open(ctx, durable.Config{Engine: eng, DB: "sqlite:rota.db"})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	if err := svc.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer svc.Stop(context.Background())
	api, err := httpapi.New(httpapi.Config{Service: svc, Engine: eng, Token: os.Getenv("ROTA_API_TOKEN")})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
