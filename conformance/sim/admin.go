package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// adminHandler serves /_sim (prefix stripped): faults, order states, the
// request log and token revocation. Answers are JSON; errors are
// {"error": "..."} with 400 or 404.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", adminIndex)
	mux.HandleFunc("GET /faults", s.getFaults)
	mux.HandleFunc("POST /faults", s.postFaults)
	mux.HandleFunc("DELETE /faults", s.deleteFaults)
	mux.HandleFunc("GET /orders/{marketplace}", s.getOrders)
	mux.HandleFunc("PUT /orders/{marketplace}/{id}", s.putOrder)
	mux.HandleFunc("DELETE /orders", s.deleteOrders)
	mux.HandleFunc("DELETE /orders/{marketplace}", s.deleteOrders)
	mux.HandleFunc("GET /requests", s.getRequests)
	mux.HandleFunc("DELETE /requests", s.deleteRequests)
	mux.HandleFunc("DELETE /tokens", s.deleteTokens)
	for _, m := range s.markets() {
		if a, ok := m.(adminRouter); ok {
			a.adminRoutes(mux)
		}
	}
	return mux
}

func adminIndex(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]string{"endpoints": {
		"GET /_sim/faults", "POST /_sim/faults", "DELETE /_sim/faults",
		"GET /_sim/orders/{marketplace}", "PUT /_sim/orders/{marketplace}/{id}", "DELETE /_sim/orders[/{marketplace}]",
		"GET /_sim/requests[?marketplace=ID]", "DELETE /_sim/requests", "DELETE /_sim/tokens",
	}})
}

func adminError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]Fault{"faults": s.Faults()})
}

// postFaults adds one fault (an object) or several (an array); each may be
// given as {"rule": "skyhub:503x2"}. Nothing is added if one is invalid.
func (s *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	fs, err := decodeFaults(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		adminError(w, http.StatusBadRequest, "fault: %v", err)
		return
	}
	for _, f := range fs {
		_ = s.AddFault(f) // validated by decodeFaults
	}
	writeJSON(w, http.StatusCreated, map[string][]Fault{"faults": s.Faults()})
}

func decodeFaults(r interface{ Read([]byte) (int, error) }) ([]Fault, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, err
	}
	var fs []Fault
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		if err := json.Unmarshal(raw, &fs); err != nil {
			return nil, err
		}
	} else {
		var f Fault
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, err
		}
		fs = []Fault{f}
	}
	for _, f := range fs {
		if err := f.Validate(); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

func (s *Server) deleteFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, map[string][]Fault{"faults": {}})
}

// marketOf resolves the {marketplace} path value, answering 404 when unknown.
func (s *Server) marketOf(w http.ResponseWriter, r *http.Request) (market, bool) {
	id := r.PathValue("marketplace")
	for _, m := range s.markets() {
		if m.id() == id {
			return m, true
		}
	}
	adminError(w, http.StatusNotFound, "unknown marketplace %q (want one of %s)", id, strings.Join(Marketplaces, ", "))
	return nil, false
}

func (s *Server) getOrders(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.marketOf(w, r); ok {
		writeJSON(w, http.StatusOK, m.view())
	}
}

// putOrder sets an order's status (Dafiti: an order item's): body
// {"status": "..."}, for Napse optionally with "externalNumber" and
// "channel". It lets a test start from any status, e.g. SkyHub's
// book_product or a closed Napse order.
func (s *Server) putOrder(w http.ResponseWriter, r *http.Request) {
	m, ok := s.marketOf(w, r)
	if !ok {
		return
	}
	var body struct {
		Status         string `json:"status"`
		ExternalNumber string `json:"externalNumber"`
		Channel        string `json:"channel"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil || body.Status == "" {
		adminError(w, http.StatusBadRequest, `want {"status": "..."}`)
		return
	}
	if err := m.setStatus(r.PathValue("id"), body.Status); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if body.ExternalNumber != "" || body.Channel != "" {
		if err := s.linkExternal(m, r.PathValue("id"), body.ExternalNumber, body.Channel); err != nil {
			adminError(w, http.StatusBadRequest, "%v", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, m.view())
}

// linkExternal names a Napse order also by its channel's order number, so
// that calls by externalNumber and channel reach it.
func (s *Server) linkExternal(m market, id, external, channel string) error {
	if m != market(s.nap) {
		return errors.New("externalNumber and channel apply to napse orders only")
	}
	if external == "" || channel == "" {
		return errors.New("give both externalNumber and channel")
	}
	s.nap.link(id, external, channel)
	return nil
}

func (s *Server) deleteOrders(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("marketplace") == "" {
		s.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"reset": "all"})
		return
	}
	if m, ok := s.marketOf(w, r); ok {
		m.reset()
		writeJSON(w, http.StatusOK, map[string]string{"reset": m.id()})
	}
}

// Reset forgets every order's state (not the faults, tokens or request log).
func (s *Server) Reset() {
	for _, m := range s.markets() {
		m.reset()
	}
}

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]RequestRecord{"requests": s.Requests(r.URL.Query().Get("marketplace"))})
}

func (s *Server) deleteRequests(w http.ResponseWriter, _ *http.Request) {
	s.log.clear()
	writeJSON(w, http.StatusOK, map[string][]RequestRecord{"requests": {}})
}

// deleteTokens revokes every token issued (Dafiti OAuth2 and Napse), so the
// next call with one is refused as with an expired token.
func (s *Server) deleteTokens(w http.ResponseWriter, _ *http.Request) {
	s.RevokeTokens()
	writeJSON(w, http.StatusOK, map[string]string{"revoked": "all"})
}

// RevokeTokens forgets every token the simulator issued.
func (s *Server) RevokeTokens() {
	s.daf.tokens.clear()
	s.nap.tokens.clear()
	s.ml.auth.revoke()
}

// RequestRecord is one call a marketplace received, as the request log
// keeps it (no headers, no bodies: they may hold credentials).
type RequestRecord struct {
	At          time.Time `json:"at"`
	Marketplace string    `json:"marketplace"`
	Method      string    `json:"method"`
	// Path is under the marketplace's prefix, decoded.
	Path string `json:"path"`
	// Status is the HTTP status answered; 0 when the connection was dropped.
	Status int `json:"status"`
	// Fault is the rule of the fault applied, if any.
	Fault string `json:"fault,omitempty"`
}

// maxLog is how many requests the log keeps (the latest).
const maxLog = 1000

type requestLog struct {
	mu      sync.Mutex
	entries []RequestRecord
}

func (l *requestLog) add(e RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) == maxLog {
		l.entries = slices.Delete(l.entries, 0, 1)
	}
	l.entries = append(l.entries, e)
}

func (l *requestLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// Requests returns the logged calls, oldest first, of one marketplace or
// ("" ) of all.
func (s *Server) Requests(marketplace string) []RequestRecord {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := []RequestRecord{}
	for _, e := range s.log.entries {
		if marketplace == "" || e.Marketplace == marketplace {
			out = append(out, e)
		}
	}
	return out
}

// tokenStore holds issued tokens and their expiry.
type tokenStore struct {
	mu     sync.Mutex
	expiry map[string]time.Time
}

func (t *tokenStore) issue(tok string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expiry == nil {
		t.expiry = map[string]time.Time{}
	}
	t.expiry[tok] = until
}

// valid reports whether tok was issued and has not expired at now.
func (t *tokenStore) valid(tok string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.expiry[tok]
	return ok && tok != "" && now.Before(until)
}

func (t *tokenStore) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expiry = nil
}

// errUnknownStatus is the setStatus error for a status the marketplace
// does not have.
var errUnknownStatus = errors.New("unknown status")

func unknownStatus(status string, known []string) error {
	return fmt.Errorf("%w %q (want one of %s)", errUnknownStatus, status, strings.Join(known, ", "))
}
