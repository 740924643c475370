package durable_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/engine/deliver/oauth2test"
	"github.com/rotahq/rota/engine/durable"
	"github.com/rotahq/rota/engine/durable/durabletest"
)

// TestTokenRotationTwoInstances: two services on one database (SQLite, and
// Postgres when durabletest.PostgresDSNVar is set) deliver concurrently for
// an oauth2-authorization-code scheme whose API refuses the access token
// after every round; the token server fails (and counts) any refresh token
// presented twice. Each revocation must cost exactly one refresh, whichever
// instance makes it.
func TestTokenRotationTwoInstances(t *testing.T) {
	for _, kind := range durabletest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			db := durabletest.NewDatabase(t, kind, "rota_tokens_")
			eng, err := engine.Load(fstest.MapFS{"oauthshop.yaml": {Data: []byte(oauth2test.Mapping)}})
			if err != nil {
				t.Fatal(err)
			}
			srv := oauth2test.NewServer(t, oauth2test.Seed)
			srv.SetHold(5e6) // 5 ms: widens the window a second refresh would fall in
			var stores []deliver.TokenStore
			for range 2 {
				svc, err := durable.Open(context.Background(), durable.Config{Engine: eng, DB: db})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				t.Cleanup(func() { _ = svc.Close() })
				stores = append(stores, svc.TokenStore())
			}
			var senders []*deliver.Sender
			for i := range 6 {
				senders = append(senders, &deliver.Sender{Engine: eng, Secrets: deliver.MapSecrets(oauth2test.Secrets(oauth2test.Seed)),
					Tokens: stores[i%2], BaseURL: srv.URL, Retry: deliver.RetryPolicy{MaxAttempts: 1}})
			}
			const rounds = 4
			for r := range rounds {
				srv.Revoke()
				var wg sync.WaitGroup
				for i, s := range senders {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := eng.Translate(oauth2test.Event(fmt.Sprintf("r%d-s%d", r, i)), engine.TranslateOptions{BaseURL: srv.URL})
						if err != nil {
							t.Error(err)
							return
						}
						rep, err := s.Send(context.Background(), res)
						if err != nil || rep.Outcome != deliver.Delivered {
							t.Errorf("round %d sender %d: got %v %+v, want delivered", r, i, err, rep)
						}
					}()
				}
				wg.Wait()
			}
			if n := srv.Reused(); n != 0 {
				t.Fatalf("refresh tokens presented twice: %d", n)
			}
			if got := srv.Refreshes(); got != rounds {
				t.Errorf("refreshes: got %d, want %d (one per revocation)", got, rounds)
			}
			access, refresh := srv.Tokens()
			for i, st := range stores {
				pair, found, err := st.Load(context.Background(), deliver.TokenKey("oauthshop", "oauth2"))
				if err != nil || !found || pair.AccessToken != access || pair.RefreshToken != refresh {
					t.Errorf("store %d: found %v, err %v; want the server's current pair", i, found, err)
				}
			}
		})
	}
}

// TestServiceDeliversWithStoredPair: rota serve's senders keep the pair in
// the database. The service seeds it from the refreshToken secret, renews
// it after a 401, and the database holds the server's current pair.
func TestServiceDeliversWithStoredPair(t *testing.T) {
	eng, err := engine.Load(fstest.MapFS{"oauthshop.yaml": {Data: []byte(oauth2test.Mapping)}})
	if err != nil {
		t.Fatal(err)
	}
	eachDriver(t, func(t *testing.T, h *harness) {
		srv := oauth2test.NewServer(t, oauth2test.Seed)
		h.eng = eng
		svc := h.start(func(c *durable.Config) {
			c.Delivery.Secrets = deliver.MapSecrets(oauth2test.Secrets(oauth2test.Seed))
			c.Delivery.BaseURLs = map[string]string{"oauthshop": srv.URL}
		})
		for i, id := range []string{"e1", "e2"} {
			if i == 1 {
				srv.Revoke()
			}
			h.accept(svc, oauth2test.Event(id))
			h.waitState(svc, id, durable.Delivered)
		}
		if got, reused := srv.Refreshes(), srv.Reused(); got != 2 || reused != 0 {
			t.Errorf("got %d refreshes, %d reused; want 2 (seed, then after the 401) and 0", got, reused)
		}
		access, refresh := srv.Tokens()
		pair, found, err := svc.TokenStore().Load(context.Background(), deliver.TokenKey("oauthshop", "oauth2"))
		if err != nil || !found || pair.AccessToken != access || pair.RefreshToken != refresh {
			t.Errorf("stored pair: found %v, err %v; want the server's current pair", found, err)
		}
	})
}
