package deliver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/enginetest"
)

// BenchmarkSendConcurrent32 sends Fast Shop invoices (one call each, no rate
// limit) from 32 goroutines sharing one Sender, against a loopback server.
// "idle2" is net/http's default transport (2 idle connections per host),
// the baseline; "default" is the Sender's default client (NewClient).
func BenchmarkSendConcurrent32(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		answerWith(w, 200, `{"receipt":"r"}`)
	}))
	defer srv.Close()
	eng := enginetest.Bundled(b)
	raw, err := os.ReadFile(filepath.Join(examples, "fastshop/invoiced.json"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := eng.Translate(raw, engine.TranslateOptions{BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	idle2 := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{{"idle2", idle2}, {"default", NewClient()}} {
		b.Run(tc.name, func(b *testing.B) {
			s := &Sender{Engine: eng, Secrets: testSecrets, Client: tc.client}
			var n atomic.Int64
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := *res
					r.EventID = fmt.Sprintf("evt-%d", n.Add(1))
					rep, err := s.Send(context.Background(), &r)
					if err != nil || rep.Outcome != Delivered {
						b.Errorf("send: %v %+v", err, rep)
						return
					}
				}
			})
			b.StopTimer()
			tc.client.CloseIdleConnections()
		})
	}
}
