//go:build unix

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// SIGTERM while a call is in flight: the run stops, prints its report with
// the call unknown (it may have been applied), and exits 3.
func TestSendSIGTERMLeavesReport(t *testing.T) {
	f := &fakeSkyHub{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
		<-r.Context().Done() // no answer: the client gives up when the signal arrives
	}))
	t.Cleanup(f.Close)
	o := rota(t, "", "send", "--base-url", f.URL, "--secrets", sendSecretsFile, filepath.Join(examples, "shipped.json"))
	o.wantCode(t, exitUnknown)
	r := decodeReport(t, o.stdout)
	if c := r.Calls[0]; r.Outcome != "unknown" || c.Outcome != "unknown" || c.Error != "canceled" || c.Attempts != 1 {
		t.Errorf("report %+v, want the call unknown after one attempt", r)
	}
	if !strings.HasPrefix(o.stderr, "rota: unknown: the outcome of call shipments is unknown") {
		t.Errorf("stderr %q", o.stderr)
	}
}
