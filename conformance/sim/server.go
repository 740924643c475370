package sim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// The marketplaces simulated, each served under "/" + its id.
const (
	Dafiti       = "dafiti"
	FastShop     = "fastshop"
	MercadoLivre = "mercadolivre"
	Mirakl       = "mirakl"
	Napse        = "napse"
	SkyHub       = "skyhub"
)

// Marketplaces lists the simulated marketplaces, sorted.
var Marketplaces = []string{Dafiti, FastShop, MercadoLivre, Mirakl, Napse, SkyHub}

// maxBody caps a request body.
const maxBody = 1 << 20

// Options configure a Server. The zero value is ready to use.
type Options struct {
	// Secrets are the credentials the simulator accepts, as
	// ROTA_SECRET_<MARKETPLACE>_<NAME> names and values; nil means
	// DefaultSecrets (the contents of examples/sim.secrets).
	Secrets map[string]string
	// Now is the clock for rate limits, Dafiti timestamps, token lifetimes
	// and Napse's delayed changes; nil means time.Now.
	Now func() time.Time
	// Faults are injected from the start (more can be added with AddFault
	// or POST /_sim/faults).
	Faults []Fault
	// NapseLag is when an accepted Napse state change becomes visible to
	// the status query; nil means DefaultNapseLag.
	NapseLag *Lag
	// MercadoLivre and Mirakl configure those simulators' behaviours that
	// their documentation leaves open; the zero values are the defaults.
	MercadoLivre MercadoLivreOptions
	Mirakl       MiraklOptions
}

// Lag says when an asynchronous change becomes visible: once Queries
// status queries have seen it pending and Delay has passed since it was
// accepted. The zero Lag makes changes visible at once.
type Lag struct {
	Queries int
	Delay   time.Duration
}

// DefaultNapseLag makes a Napse change visible from the second status query
// on: the first query after the change still shows the old state.
var DefaultNapseLag = Lag{Queries: 1}

// Server simulates the four marketplaces. It is safe for concurrent use:
// each marketplace keeps its state under its own mutex.
type Server struct {
	now     func() time.Time
	secrets secrets
	faults  *faultSet
	log     *requestLog
	sky     *skyhub
	daf     *dafiti
	fsh     *fastshop
	nap     *napse
	ml      *mercadolivre
	mkl     *mirakl
	handler http.Handler
}

// New returns a Server configured by opts. It panics on an invalid fault
// in opts.Faults; use ParseFault or Fault.Validate first to report one.
func New(opts Options) *Server {
	s := &Server{now: opts.Now, secrets: newSecrets(opts.Secrets), faults: &faultSet{}, log: &requestLog{}}
	if s.now == nil {
		s.now = time.Now
	}
	for _, f := range opts.Faults {
		if err := s.AddFault(f); err != nil {
			panic("sim.New: " + err.Error())
		}
	}
	lag := DefaultNapseLag
	if opts.NapseLag != nil {
		lag = *opts.NapseLag
	}
	s.sky = newSkyHub(s)
	s.daf = newDafiti(s)
	s.fsh = newFastShop(s)
	s.nap = newNapse(s, lag)
	s.ml = newMercadoLivre(s, opts.MercadoLivre)
	s.mkl = newMirakl(s, opts.Mirakl)
	s.handler = s.routes()
	return s
}

// Handler returns the HTTP handler serving all four marketplaces under
// their prefixes and the admin endpoints under /_sim.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/_sim/", http.StripPrefix("/_sim", s.adminHandler()))
	for _, m := range s.markets() {
		prefix := "/" + m.id()
		mux.Handle(prefix+"/", s.front(m, http.StripPrefix(prefix, styled(m, m.handler()))))
	}
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such path: the simulator serves /" + strings.Join(Marketplaces, ", /") + " and /_sim"})
	})
	return mux
}

// markets returns the simulated marketplaces, in the order of Marketplaces.
func (s *Server) markets() []market { return []market{s.daf, s.fsh, s.ml, s.mkl, s.nap, s.sky} }

// market is one simulated marketplace.
type market interface {
	id() string
	// handler serves the marketplace's paths, prefix stripped.
	handler() http.Handler
	// fail writes an error the marketplace's way.
	fail(w http.ResponseWriter, status int, code, msg string)
	// view returns the admin view of the marketplace's state.
	view() any
	// setStatus sets an order's (Dafiti: an item's) status, for tests.
	setStatus(id, status string) error
	reset()
}

// index lists the base URLs, relative to the server.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	out := map[string]string{"admin": "/_sim"}
	for _, mk := range Marketplaces {
		out[mk] = "/" + mk
	}
	writeJSON(w, http.StatusOK, out)
}

// front logs every marketplace request and applies the faults before the
// marketplace sees it.
func (s *Server) front(m market, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := strings.TrimPrefix(r.URL.Path, "/"+m.id())
		rec := &statusWriter{ResponseWriter: w}
		entry := RequestRecord{At: s.now(), Marketplace: m.id(), Method: r.Method, Path: rel}
		defer func() {
			entry.Status = rec.status
			s.log.add(entry)
		}()
		f, ok := s.faults.take(m.id(), r.Method, rel)
		if !ok {
			next.ServeHTTP(rec, r)
			return
		}
		entry.Fault = f.String()
		s.inject(rec, r, m, f, next)
	})
}

// styled answers requests no route matches (404, or 405 for a known path
// with another method) with the marketplace's error body.
func styled(m market, h http.Handler) http.Handler {
	mux, ok := h.(*http.ServeMux)
	if !ok {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if allow := rec.Header().Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		msg := fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)
		if rec.Code == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path)
		}
		m.fail(w, rec.Code, "", msg)
	})
}

// ListenAndServe listens on addr, which must be a loopback address
// (127.0.0.1:8787, [::1]:0, localhost:0), calls ready with one line per
// marketplace, "<marketplace> <base URL>", once it accepts connections,
// and serves until ctx is done; then it shuts down gracefully (waiting at
// most 5 seconds for calls in progress) and returns nil. Errors: a
// non-loopback address (ErrNotLoopback), or a failure to listen or serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(lines []string)) error {
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if ready != nil {
		ready(BaseURLs(ln.Addr().String()))
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// BaseURLs returns the ready lines for a server listening on hostport:
// "<marketplace> http://<hostport>/<marketplace>", sorted by marketplace.
func BaseURLs(hostport string) []string {
	lines := make([]string, 0, len(Marketplaces))
	for _, mk := range Marketplaces {
		lines = append(lines, mk+" http://"+hostport+"/"+mk)
	}
	return lines
}

// ErrNotLoopback is returned for a listen address that is not loopback.
var ErrNotLoopback = errors.New("the simulator listens on loopback only (127.0.0.1, ::1 or localhost): it accepts public test credentials and serves admin endpoints without authentication, so no other machine may reach it")

// CheckLoopback reports whether addr (HOST:PORT) is a loopback address:
// an IP in 127.0.0.0/8, ::1, or the name localhost. An empty host means
// every interface and is refused. The error wraps ErrNotLoopback.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("address %q: %w", addr, ErrNotLoopback)
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readJSON decodes the request body into a generic value; numbers are kept
// as json.Number. Errors mean the body is not one JSON value.
func readJSON(w http.ResponseWriter, r *http.Request) (any, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// same compares a credential given with the expected one in constant time;
// an unset expected value matches nothing.
func same(given, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}

// newToken returns a random opaque token with a readable prefix.
func newToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// stamp formats a time for history entries and answers.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
