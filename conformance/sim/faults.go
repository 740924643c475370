package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure injected into the calls it matches, before the
// marketplace sees them (no state changes, except with DropAfter). A fault
// does a delay, then at most one of: answer Status, Drop the connection, or
// DropAfter (handle the call, then drop the connection without answering).
//
// The command line writes a fault as a rule (ParseFault, String); the
// admin endpoint POST /_sim/faults takes its JSON form:
//
//	{"marketplace": "skyhub", "path": "/orders/", "status": 503, "times": 2}
//	{"marketplace": "napse", "delay": "2s"}
//	{"marketplace": "dafiti", "drop": true}
type Fault struct {
	// Marketplace is the id of the marketplace ("" or "*": all of them).
	Marketplace string
	// Path, when set, is a prefix of the path under the marketplace's
	// prefix (/orders/ matches /skyhub/orders/X/invoice).
	Path string
	// Method, when set, limits the fault to that HTTP method.
	Method string
	// Status answers the call with this HTTP status (400-599) and the
	// marketplace's error body; 429 and 503 carry Retry-After.
	Status int
	// RetryAfter is the Retry-After in seconds for 429 and 503 (default 1).
	RetryAfter int
	// Delay holds the answer back this long.
	Delay time.Duration
	// Drop closes the connection without answering or handling the call.
	Drop bool
	// DropAfter handles the call (its state change happens), then closes
	// the connection without answering: a lost answer.
	DropAfter bool
	// Times is how many calls the fault applies to; 0 means every call
	// until the faults are cleared.
	Times int
}

// Validate reports what makes f unusable.
func (f Fault) Validate() error {
	switch {
	case f.Marketplace != "" && f.Marketplace != "*" && !slices.Contains(Marketplaces, f.Marketplace):
		return fmt.Errorf("unknown marketplace %q (want one of %s, or *)", f.Marketplace, strings.Join(Marketplaces, ", "))
	case f.Path != "" && !strings.HasPrefix(f.Path, "/"):
		return fmt.Errorf("path %q must start with /", f.Path)
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d: want an HTTP error status, 400 to 599", f.Status)
	case f.Times < 0 || f.Delay < 0 || f.RetryAfter < 0:
		return errors.New("times, delay and retry-after cannot be negative")
	case btoi(f.Status != 0)+btoi(f.Drop)+btoi(f.DropAfter) > 1:
		return errors.New("a fault answers a status, drops, or drops after handling: only one of them")
	case f.Status == 0 && !f.Drop && !f.DropAfter && f.Delay == 0:
		return errors.New("a fault needs a status, a delay, drop or drop-after")
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// String writes f as a rule ParseFault reads back.
func (f Fault) String() string {
	target := f.Marketplace
	if target == "" {
		target = "*"
	}
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay="+f.Delay.String())
	}
	switch {
	case f.Status != 0:
		parts = append(parts, strconv.Itoa(f.Status))
	case f.Drop:
		parts = append(parts, "drop")
	case f.DropAfter:
		parts = append(parts, "drop-after")
	}
	if f.Times > 0 && len(parts) > 0 {
		parts[len(parts)-1] += "x" + strconv.Itoa(f.Times)
	}
	if f.RetryAfter > 0 {
		parts = append(parts, "retry-after="+strconv.Itoa(f.RetryAfter))
	}
	if f.Method != "" {
		parts = append(parts, "method="+f.Method)
	}
	return target + f.Path + ":" + strings.Join(parts, ",")
}

// timesSuffix is the xN ending of a rule's part.
var timesSuffix = regexp.MustCompile(`^(.+)x([0-9]+)$`)

// ParseFault reads a fault rule:
//
//	TARGET ":" PART { "," PART }
//	TARGET = MARKETPLACE [PATH] | "*" [PATH]      skyhub, skyhub/orders/, *
//	PART   = STATUS | "drop" | "drop-after" | "delay=" DURATION
//	       | "times=" N | "retry-after=" SECONDS | "method=" METHOD
//
// Any of STATUS, drop, drop-after and delay may end in xN, short for
// times=N. Examples: skyhub:503x2, napse:delay=2s, dafiti:drop,
// skyhub/orders/:429x1,retry-after=3, fastshop:delay=500ms,503.
func ParseFault(rule string) (Fault, error) {
	var f Fault
	target, spec, ok := strings.Cut(rule, ":")
	if !ok || spec == "" {
		return f, fmt.Errorf("fault %q: want MARKETPLACE[PATH]:ACTION, e.g. skyhub:503x2, napse:delay=2s, dafiti:drop", rule)
	}
	f.Marketplace, f.Path = target, ""
	if i := strings.Index(target, "/"); i >= 0 {
		f.Marketplace, f.Path = target[:i], target[i:]
	}
	for _, part := range strings.Split(spec, ",") {
		if err := f.parsePart(strings.TrimSpace(part)); err != nil {
			return f, fmt.Errorf("fault %q: %v", rule, err)
		}
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("fault %q: %v", rule, err)
	}
	return f, nil
}

func (f *Fault) parsePart(p string) error {
	if name, value, ok := strings.Cut(p, "="); ok && name != "delay" {
		return f.parseOption(name, value)
	}
	if m := timesSuffix.FindStringSubmatch(p); m != nil {
		p = m[1]
		f.Times, _ = strconv.Atoi(m[2])
	}
	switch {
	case p == "drop":
		f.Drop = true
	case p == "drop-after":
		f.DropAfter = true
	case strings.HasPrefix(p, "delay="):
		d, err := time.ParseDuration(strings.TrimPrefix(p, "delay="))
		if err != nil {
			return fmt.Errorf("delay: %v", err)
		}
		f.Delay = d
	default:
		n, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("%q is not a status, drop, drop-after or delay=DURATION", p)
		}
		f.Status = n
	}
	return nil
}

func (f *Fault) parseOption(name, value string) error {
	var err error
	switch name {
	case "times":
		f.Times, err = strconv.Atoi(value)
	case "retry-after":
		f.RetryAfter, err = strconv.Atoi(value)
	case "method":
		f.Method = strings.ToUpper(value)
	default:
		return fmt.Errorf("unknown option %q (want times, retry-after, method or delay)", name)
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not a whole number", name, value)
	}
	return nil
}

// faultJSON is a Fault's JSON form: delay is a Go duration string ("3s").
type faultJSON struct {
	Marketplace string `json:"marketplace,omitempty"`
	Path        string `json:"path,omitempty"`
	Method      string `json:"method,omitempty"`
	Status      int    `json:"status,omitempty"`
	RetryAfter  int    `json:"retryAfter,omitempty"`
	Delay       string `json:"delay,omitempty"`
	Drop        bool   `json:"drop,omitempty"`
	DropAfter   bool   `json:"dropAfter,omitempty"`
	Times       int    `json:"times,omitempty"`
	// Rule is the fault as a command-line rule (output only).
	Rule string `json:"rule,omitempty"`
}

// MarshalJSON writes f's JSON form, with its rule.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Marketplace: f.Marketplace, Path: f.Path, Method: f.Method, Status: f.Status, RetryAfter: f.RetryAfter,
		Drop: f.Drop, DropAfter: f.DropAfter, Times: f.Times, Rule: f.String()}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads f's JSON form; "rule" alone is parsed as a rule.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	if j.Rule != "" {
		var err error
		*f, err = ParseFault(j.Rule)
		return err
	}
	*f = Fault{Marketplace: j.Marketplace, Path: j.Path, Method: strings.ToUpper(j.Method), Status: j.Status, RetryAfter: j.RetryAfter,
		Drop: j.Drop, DropAfter: j.DropAfter, Times: j.Times}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return fmt.Errorf("delay: %v", err)
		}
		f.Delay = d
	}
	return nil
}

// matches reports whether f applies to a call.
func (f Fault) matches(mk, method, path string) bool {
	return (f.Marketplace == "" || f.Marketplace == "*" || f.Marketplace == mk) &&
		(f.Method == "" || f.Method == method) && strings.HasPrefix(path, f.Path)
}

// faultSet holds the active faults, in the order they were added.
type faultSet struct {
	mu    sync.Mutex
	rules []*activeFault
}

type activeFault struct {
	Fault
	left int // calls left; -1 = unlimited
}

func (fs *faultSet) add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	left := f.Times
	if left == 0 {
		left = -1
	}
	fs.rules = append(fs.rules, &activeFault{Fault: f, left: left})
}

// take returns the first active fault matching a call and counts the call
// against it.
func (fs *faultSet) take(mk, method, path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, a := range fs.rules {
		if !a.matches(mk, method, path) {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				fs.rules = slices.Delete(fs.rules, i, i+1)
			}
		}
		return a.Fault, true
	}
	return Fault{}, false
}

// list returns the active faults, Times being the calls left (0: unlimited).
func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.rules))
	for _, a := range fs.rules {
		f := a.Fault
		f.Times = max(a.left, 0)
		out = append(out, f)
	}
	return out
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = nil
}

// AddFault activates a fault. Errors: f.Validate's. Safe for concurrent use.
func (s *Server) AddFault(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.add(f)
	return nil
}

// ClearFaults removes every active fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Faults returns the active faults; Times is the number of calls each still
// applies to (0: every call).
func (s *Server) Faults() []Fault { return s.faults.list() }

// inject applies fault f to a call bound for next.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, m market, f Fault, next http.Handler) {
	if f.Delay > 0 && sleep(r.Context(), f.Delay) != nil {
		return
	}
	switch {
	case f.Drop:
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case f.DropAfter:
		next.ServeHTTP(httptest.NewRecorder(), r)
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(max(f.RetryAfter, 1)))
		}
		m.fail(w, f.Status, "", fmt.Sprintf("simulated fault (%s): HTTP %d %s", f, f.Status, http.StatusText(f.Status)))
	default:
		next.ServeHTTP(w, r)
	}
}
