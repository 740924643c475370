package deliver_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/deliver"
	"github.com/rotahq/rota/mappings"
)

// recordingLimiter is a Limiter that lets every call through at once,
// unless err is set, and records what it was asked.
type recordingLimiter struct {
	mu    sync.Mutex
	asked []string
	err   error
}

func (l *recordingLimiter) Wait(_ context.Context, endpoint string, perSecond float64, burst int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, endpoint)
	if perSecond != 9 || burst != 9 {
		l.asked = append(l.asked, "unexpected limit")
	}
	return l.err
}

// A Sender with a Limiter asks it, not its own limiter, before each call
// of a rate-limited endpoint; a Limiter that fails stops the call unsent.
func TestSenderLimiter(t *testing.T) {
	eng, err := engine.Load(mappings.FS)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../examples/events/skyhub/invoiced.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		limitErr  error
		wantSent  int
		wantOutOf deliver.Outcome
	}{
		{"limiter lets it through", nil, 1, deliver.Delivered},
		{"limiter fails", errors.New("rate limit table unreachable"), 0, deliver.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sim.New(sim.Options{})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			base := srv.URL + "/skyhub"
			res, err := eng.Translate(raw, engine.TranslateOptions{BaseURL: base})
			if err != nil {
				t.Fatal(err)
			}
			lim := &recordingLimiter{err: c.limitErr}
			sender := &deliver.Sender{Engine: eng, Secrets: deliver.MapSecrets(sim.DefaultSecrets()), BaseURL: base,
				Limiter: lim, Retry: deliver.RetryPolicy{MaxAttempts: 1}}
			rep, err := sender.Send(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != c.wantOutOf {
				t.Errorf("outcome %s (%s), want %s", rep.Outcome, rep.Reason, c.wantOutOf)
			}
			if want := []string{res.Calls[0].Endpoint()}; len(lim.asked) != 1 || lim.asked[0] != want[0] {
				t.Errorf("the limiter was asked %q, want %q", lim.asked, want)
			}
			if got := len(s.Requests("skyhub")); got != c.wantSent {
				t.Errorf("the simulator received %d calls, want %d", got, c.wantSent)
			}
		})
	}
}
