package engine

import (
	"sync/atomic"
	"time"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/judge"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
)

// compiledMapping is one compiled mapping: everything translate needs, precomputed.
// It is immutable once built, apart from caches safe for concurrent use.
type compiledMapping struct {
	id          string
	name        string
	path        string               // the mapping file
	auth        map[string]*authPlan // nil: the mapping declares no auth
	authDefault string
	authNames   []string // scheme names, in file order
	routeNames  []string // inbound route names, in file order
	statusOrder []string // native status codes, in file order
	loc         *time.Location
	lib         *lang.Library
	vars        map[string]mapping.Variable
	defaults    map[string]string // the variables' defaults; shared, never written
	varNames    map[string]bool
	envs        map[string]*envPlan
	envOrder    []string
	headers     []namedValue
	query       []namedValue // query parameters of every call
	statuses    map[string]mapping.Status
	transitions map[string]map[string]bool // nil: no state machine declared
	rules       map[string]*rule
	queries     map[string]*callPlan
	routes      map[string]*route
	response    *judge.Rules
	readBack    *readBackPlan
	eventsPos   diag.Pos
}

type envPlan struct {
	literal   string // the checked base URL, when it is a literal
	name      string
	base      *tmpl
	allowed   []string
	hosts     []hostPattern // allowed, compiled
	fromEvent bool
	pos       diag.Pos
	// checked caches the last base URL that passed checkBase and its
	// normalised form, since one deployment sends one base over and over.
	checked atomic.Pointer[checkedBase]
}

type checkedBase struct{ in, out string }

// namedValue is a header or a query parameter: its name (without the "?" that
// marks it optional) and its value.
type namedValue struct {
	name     string
	optional bool
	value    *tmpl
	// drop, on a call, removes the mapping's entry of the same name (the
	// mapping gives it, the call writes it null); value is nil.
	drop bool
	pos  diag.Pos // the name's position
}

type rule struct {
	eventType   string
	guards      []*guard
	calls       []*callPlan
	ignore      string
	unsupported string
	// otherwise is the ignore reason when every call is skipped by its when.
	otherwise string
	// ignoreWhen are checked in order before the guards (nil: none).
	ignoreWhen []*ignoreCond
	pos        diag.Pos
}

type guard struct {
	code            string
	when            *lang.Program
	prog            *lang.Program
	message         *tmpl
	marketplaceCode string
	path            string
	pos             diag.Pos
}

type callPlan struct {
	name   string
	method string
	when   *lang.Program
	path   []pathPart
	query  []namedValue
	// headers are the mapping's and the call's headers, the call's replacing
	// the mapping's of the same name, sorted by name.
	headers []namedValue
	// fixed, when literal is true, are the call's headers: all are literal
	// and none optional, so every call shares them.
	fixed     Headers
	literal   bool
	body      *tmpl
	encoded   *bodyPlan // a body that is not JSON (raw, form, multipart)
	leadsTo   string
	leadsPos  diag.Pos
	response  *judge.Rules
	rateLimit *mapping.RateLimit
	confirm   *confirmPlan
	readBack  *readBackPlan
	pos       diag.Pos
}

type pathPart struct {
	text string
	prog *lang.Program
}

type readBackPlan struct {
	query   string
	applied *lang.Program
}

type confirmPlan struct {
	query    string
	until    *lang.Program
	attempts int
	interval time.Duration
}

type route struct {
	name        string
	method      string
	path        string
	segs        []string // path split at /; a {name} segment is a parameter
	match       *lang.Program
	orderID     *tmpl         // the seller's order id for one input, or nil
	sequenced   bool          // orderID reads sequence
	askOrderID  bool          // orderIdMode: ask
	askTimeout  time.Duration // orderIdTimeout, in ask mode
	authSecrets map[string]string
	each        *lang.Program
	eachBase    []string // payload path the inputs come from, when each is a plain read of payload
	guards      []*guard
	as          string
	event       *tmpl
	response    *routeResponse
	errResp     *routeResponse
	pos         diag.Pos
}

type authPlan struct {
	rejected  *lang.Program
	name      string
	scheme    *mapping.AuthScheme
	tokenURL  *tmpl
	tokenBody *tmpl
}

type routeResponse struct {
	status int
	body   *tmpl
}
