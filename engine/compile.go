package engine

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/engine/internal/event"
	"github.com/rotahq/rota/engine/internal/jsonptr"
	"github.com/rotahq/rota/engine/internal/judge"
	"github.com/rotahq/rota/engine/internal/lang"
	"github.com/rotahq/rota/engine/internal/mapping"
	"go.yaml.in/yaml/v3"
)

// compileMarket checks a loaded mapping and compiles it into a market, its
// expressions with the engine's shared configurations. It reports every
// problem it finds; the market is nil when any is an error.
func compileMarket(f *mapping.File, configs *lang.Configs) (*compiledMapping, diag.List) {
	m := f.Mapping
	mk := &compiledMapping{id: m.Marketplace, name: m.Name, path: f.Path, eventsPos: f.PosOf("/events"),
		routeNames: m.Inbound.Keys, statusOrder: m.Statuses.Keys}
	c := &compiler{file: f, src: m, configs: configs}
	mk.compileBasics(c)
	c.opts = lang.Options{Lib: mk.lib, Vars: mk.varNames}
	mk.compileEnvs(c)
	mk.headers = c.headers(m.Headers, "/headers")
	mk.query = c.params(m.Query, "/query")
	mk.compileStatuses(c)
	mk.response = c.response(m.Response, "/response")
	mk.readBack = c.readBack(m.ReadBack, "/readBack")
	mk.queries = map[string]*callPlan{}
	for _, name := range m.Queries.Keys {
		q := m.Queries.Values[name]
		if q.Name == "" {
			q.Name = name
		}
		mk.queries[name] = mk.compileCall(c, &q, "/queries/"+jsonptr.Escape(name))
	}
	mk.compileRules(c)
	mk.compileAuth(c)
	mk.compileRoutes(c)
	ds := c.ds.Sort()
	if ds.HasErrors() {
		return nil, ds
	}
	return mk, ds
}

func (mk *compiledMapping) compileBasics(c *compiler) {
	m := c.src
	loc, err := lang.LoadLocation(m.Timezone)
	if m.Timezone == "Local" {
		c.errorf(c.file.PosOf("/timezone"), diag.UnknownTimezone, "time zone Local is whatever zone the machine running rota has, so output would depend on the machine; name the marketplace's zone, such as America/Sao_Paulo")
		loc, err = time.UTC, nil
	}
	if err != nil || m.Timezone == "" {
		c.errorf(c.file.PosOf("/timezone"), diag.UnknownTimezone, "unknown time zone %q; use an IANA name such as America/Sao_Paulo", m.Timezone)
		loc = time.UTC
	}
	mk.loc = loc
	tables := map[string]map[string]string{}
	for _, name := range m.Tables.Keys {
		tables[name] = m.Tables.Values[name].Values
		if tables[name] == nil {
			tables[name] = map[string]string{}
		}
	}
	mk.lib = &lang.Library{Location: loc, Tables: tables, Configs: c.configs}
	mk.vars = map[string]mapping.Variable{}
	mk.varNames = map[string]bool{}
	for _, name := range m.Variables.Keys {
		mk.vars[name] = m.Variables.Values[name]
		mk.varNames[name] = true
	}
	if len(mk.vars) > 0 {
		mk.defaults = map[string]string{}
		for name, v := range mk.vars {
			if v.Default != nil {
				mk.defaults[name] = *v.Default
			}
		}
	}
}

func (mk *compiledMapping) compileEnvs(c *compiler) {
	m := c.src
	mk.envs = map[string]*envPlan{}
	for _, name := range m.Environments.Keys {
		e := m.Environments.Values[name]
		ptr := "/environments/" + jsonptr.Escape(name)
		ep := &envPlan{name: name, allowed: e.AllowedHosts, pos: c.file.PosOf(ptr)}
		ep.base = c.template(&e.BaseURL)
		ep.fromEvent = readsEvent(ep.base)
		mk.checkEnv(c, ep, ptr, e.AllowIPHosts)
		mk.envs[name] = ep
		mk.envOrder = append(mk.envOrder, name)
	}
}

func (mk *compiledMapping) checkEnv(c *compiler, ep *envPlan, ptr string, allowIP bool) {
	if ep.base.kind == tLiteral {
		u, err := parseBaseURL(ep.base.text)
		switch {
		case err != nil:
			c.errorf(c.file.PosOf(ptr+"/baseUrl"), diag.BadURL, "%v", err)
		case u.Scheme != "https":
			c.errorf(c.file.PosOf(ptr+"/baseUrl"), diag.BadURL, "base URL %q must use https: credentials are never sent in clear text (point a run at a local simulator with --base-url)", ep.base.text)
		default:
			ep.literal = strings.TrimSuffix(u.String(), "/")
		}
	}
	if ep.fromEvent && len(ep.allowed) == 0 {
		c.errorf(c.file.PosOf(ptr+"/baseUrl"), diag.BadURL, "this base URL comes from the event, so the environment must list allowedHosts (e.g. [\"*.kaive.com.br\"]) to keep calls from going to a host the event chooses")
	}
	for i, h := range ep.allowed {
		p, err := parseHostPattern(h, allowIP)
		if err != nil {
			c.errorf(c.file.PosOf(ptr+"/allowedHosts/"+strconv.Itoa(i)), diag.BadURL, "%v", err)
			continue
		}
		ep.hosts = append(ep.hosts, p)
	}
}

// readsEvent reports whether a template reads any event field.
func readsEvent(t *tmpl) bool {
	for _, p := range progsOf(t) {
		for _, r := range p.Reads() {
			if r.Root == lang.RootEvent {
				return true
			}
		}
	}
	return false
}

func progsOf(t *tmpl) []*lang.Program {
	if t == nil {
		return nil
	}
	var out []*lang.Program
	if t.prog != nil {
		out = append(out, t.prog)
	}
	for _, p := range t.parts {
		if p.prog != nil {
			out = append(out, p.prog)
		}
	}
	for _, f := range t.fields {
		out = append(out, progsOf(f.value)...)
	}
	for _, e := range t.elems {
		out = append(out, progsOf(e)...)
	}
	return append(out, progsOf(t.value)...)
}

// params compiles query parameters or headers (ptr is where they sit). A
// null value is a drop: the call removes the mapping's entry of that name.
func (c *compiler) params(m mapping.Map[yaml.Node], ptr string) []namedValue {
	var out []namedValue
	for _, key := range m.Keys {
		n := m.Values[key]
		name, optional := strings.CutSuffix(key, "?")
		h := namedValue{name: name, optional: optional}
		h.pos, _ = c.file.KeyPos(ptr + "/" + jsonptr.Escape(key))
		if isNull(&n) {
			h.drop = true
		} else {
			h.value = c.template(&n)
		}
		out = append(out, h)
	}
	return out
}

// isNull reports whether a YAML value is null (null, ~ or nothing).
func isNull(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// headers compiles headers, whose names, as in HTTP, differ only if they
// differ without regard to case.
func (c *compiler) headers(m mapping.Map[yaml.Node], ptr string) []namedValue {
	out := c.params(m, ptr)
	for i, h := range out {
		if !h.drop && h.value.kind == tLiteral && strings.ContainsFunc(h.value.text, isControl) {
			c.errorf(c.file.PosOf(ptr+"/"+jsonptr.Escape(m.Keys[i])), diag.BadTemplate, "the value of header %q holds a control character (CR, LF, ...), which would split or corrupt the request", h.name)
		}
		for _, prev := range out[:i] {
			if strings.EqualFold(h.name, prev.name) {
				pos, _ := c.file.KeyPos(ptr + "/" + jsonptr.Escape(m.Keys[i]))
				c.errorf(pos, diag.DuplicateHeader, "header %q repeats %q: header names are the same whatever their case; keep one", m.Keys[i], prev.name)
				break
			}
		}
	}
	return out
}

// callHeaders merges the mapping's headers with a call's: the call's replace
// the mapping's of the same name (any case), and a null one drops it. The
// result is sorted by name. A drop of a header the mapping does not send is
// an error: it would leave a misspelt header in place.
func (c *compiler) callHeaders(shared, call []namedValue) []namedValue {
	var out []namedValue
	for _, h := range call {
		if h.drop {
			c.checkDrop("header", h, shared, strings.EqualFold)
			continue
		}
		out = append(out, h)
	}
	for _, h := range shared {
		if h.drop {
			continue // null at the mapping level: the schema reports it
		}
		if !slices.ContainsFunc(call, func(x namedValue) bool { return strings.EqualFold(x.name, h.name) }) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b namedValue) int { return strings.Compare(a.name, b.name) })
	return out
}

// callQuery merges the mapping's query parameters with a call's: the
// mapping's first, in file order, each replaced by the call's of the same
// name or dropped by a null one; then the call's others, in file order.
func (c *compiler) callQuery(shared, call []namedValue) []namedValue {
	var out []namedValue
	for _, h := range shared {
		i := slices.IndexFunc(call, func(x namedValue) bool { return x.name == h.name })
		switch {
		case h.drop:
			// null at the mapping level: the schema reports it
		case i < 0:
			out = append(out, h)
		case !call[i].drop:
			out = append(out, call[i])
		}
	}
	for _, h := range call {
		if slices.ContainsFunc(shared, func(x namedValue) bool { return x.name == h.name }) {
			continue
		}
		if h.drop {
			c.checkDrop("query parameter", h, shared, func(a, b string) bool { return a == b })
			continue
		}
		out = append(out, h)
	}
	return out
}

// checkDrop reports a null entry that drops nothing the mapping gives.
func (c *compiler) checkDrop(what string, h namedValue, shared []namedValue, same func(a, b string) bool) {
	if slices.ContainsFunc(shared, func(x namedValue) bool { return same(x.name, h.name) }) {
		return
	}
	names := make([]string, len(shared))
	for i, x := range shared {
		names[i] = x.name
	}
	hint := "; null removes a " + what + " the mapping sends to every call"
	if best := diag.Closest(h.name, names); best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	c.errorf(h.pos, diag.UnknownKey, "%s %q: null drops nothing, the mapping sends no such %s%s", what, h.name, what, hint)
}

func (mk *compiledMapping) compileStatuses(c *compiler) {
	m := c.src
	mk.statuses = m.Statuses.Values
	for _, code := range m.Statuses.Keys {
		if s := m.Statuses.Values[code]; !event.IsStatus(s.Canonical) {
			c.errorf(c.file.PosOf("/statuses/"+jsonptr.Escape(code)+"/canonical"), diag.UnknownCanonicalStatus,
				"canonical status %q does not exist; use one of %s", s.Canonical, strings.Join(event.Statuses, ", "))
		}
	}
	if m.Transitions.Len() == 0 {
		return
	}
	mk.transitions = map[string]map[string]bool{}
	for _, from := range m.Transitions.Keys {
		ptr := "/transitions/" + jsonptr.Escape(from)
		if _, ok := mk.statuses[from]; !ok {
			pos, _ := c.file.KeyPos(ptr)
			c.errorf(pos, diag.UnknownStatus, "transitions from %q, which is not in the status table%s", from, mk.statusHint(from))
		}
		mk.transitions[from] = map[string]bool{}
		for i, to := range m.Transitions.Values[from] {
			if _, ok := mk.statuses[to]; !ok {
				c.errorf(c.file.PosOf(ptr+"/"+strconv.Itoa(i)), diag.UnknownStatus, "transition to %q, which is not in the status table%s", to, mk.statusHint(to))
			}
			mk.transitions[from][to] = true
		}
	}
}

func (mk *compiledMapping) statusHint(s string) string {
	if best := diag.Closest(s, mk.statusOrder); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return "; add it under statuses:"
}

func (mk *compiledMapping) compileRules(c *compiler) {
	m := c.src
	mk.rules = map[string]*rule{}
	for _, typ := range m.Events.Keys {
		ptr := "/events/" + jsonptr.Escape(typ)
		if !event.IsType(typ) {
			pos, _ := c.file.KeyPos(ptr)
			c.errorf(pos, diag.UnknownEventType, "%q is not a canonical event type; use one of %s", typ, strings.Join(event.Types, ", "))
			continue
		}
		r := m.Events.Values[typ]
		mk.rules[typ] = mk.compileRule(c, typ, &r, ptr)
	}
	for _, typ := range event.Types {
		if _, ok := m.Events.Values[typ]; !ok {
			c.ds = append(c.ds, diag.Diagnostic{Pos: mk.eventsPos, Severity: diag.Warning, Code: diag.MissingEventType,
				Message: fmt.Sprintf("event type %s is not answered; add calls, ignore: <why> or unsupported: <why>", typ)})
		}
	}
}

func (mk *compiledMapping) compileRule(c *compiler, typ string, r *mapping.EventRule, ptr string) *rule {
	out := &rule{eventType: typ, ignore: r.Ignore, unsupported: r.Unsupported, pos: c.file.PosOf(ptr)}
	if kp, ok := c.file.KeyPos(ptr); ok {
		out.pos = kp
	}
	answers := 0
	for _, has := range []bool{len(r.Calls) > 0, r.Ignore != "", r.Unsupported != ""} {
		if has {
			answers++
		}
	}
	if answers != 1 {
		c.errorf(out.pos, diag.SchemaViolation, "%s must have exactly one of calls, ignore or unsupported (it has %d)", typ, answers)
	}
	for i := range r.Guards {
		out.guards = append(out.guards, mk.compileGuard(c, &r.Guards[i], fmt.Sprintf("%s/guards/%d", ptr, i)))
	}
	for i := range r.Calls {
		out.calls = append(out.calls, mk.compileCall(c, &r.Calls[i], fmt.Sprintf("%s/calls/%d", ptr, i)))
	}
	if r.Otherwise != nil {
		out.otherwise = r.Otherwise.Ignore
	}
	checkOtherwise(c, out, ptr)
	mk.compileIgnoreWhen(c, r, out, ptr)
	return out
}

// checkOtherwise holds a rule with calls to the CLI contract: outcome send
// has at least one call. When every call has a when and no two of them are
// complements (c and !c), an event can make none, and the rule must say why
// with otherwise: {ignore: reason}; otherwise on a rule that always makes a
// call is never used, which lint warns about.
func checkOtherwise(c *compiler, ru *rule, ptr string) {
	if len(ru.calls) == 0 {
		return
	}
	always := alwaysCalls(ru.calls)
	switch {
	case always == "" && ru.otherwise == "":
		pos, _ := c.file.KeyPos(ptr + "/calls")
		c.errorf(pos, diag.ZeroCalls, "every call of this rule has a when, so an event can make none; say why no call is needed with otherwise: {ignore: <why>}, or make one call unconditional")
	case always != "" && ru.otherwise != "":
		pos, _ := c.file.KeyPos(ptr + "/otherwise")
		c.ds = append(c.ds, diag.Diagnostic{Pos: pos, Severity: diag.Warning, Code: diag.ZeroCalls,
			Message: fmt.Sprintf("otherwise is never used: %s, so the rule always makes a call; remove otherwise", always)})
	}
}

// alwaysCalls says why a rule always makes at least one call ("" when it
// may make none): a call without when, or two calls whose whens are
// complements.
func alwaysCalls(calls []*callPlan) string {
	for _, cp := range calls {
		if cp.when == nil {
			return fmt.Sprintf("call %q has no when", cp.name)
		}
	}
	for i, a := range calls {
		for _, b := range calls[i+1:] {
			if lang.Complementary(a.when, b.when) {
				return fmt.Sprintf("the whens of calls %q and %q are complements", a.name, b.name)
			}
		}
	}
	return ""
}

func (mk *compiledMapping) compileGuard(c *compiler, g *mapping.Guard, ptr string) *guard {
	out := &guard{code: g.Code, marketplaceCode: g.MarketplaceCode, path: g.Path, pos: c.file.PosOf(ptr + "/require")}
	if g.Require.Node != nil {
		out.prog = c.expr(g.Require.Node, lang.Options{Bool: true})
	}
	if g.When != nil {
		out.when = c.expr(g.When.Node, lang.Options{Bool: true})
	}
	if g.Message.Kind != 0 {
		out.message = c.template(&g.Message)
	}
	if out.path == "" && out.prog != nil {
		for _, r := range out.prog.Reads() {
			if r.Root != lang.RootVars {
				out.path = r.Pointer(0)
				break
			}
		}
	}
	return out
}

func (mk *compiledMapping) compileCall(c *compiler, call *mapping.Call, ptr string) *callPlan {
	out := &callPlan{name: call.Name, method: call.Method, leadsTo: call.LeadsTo, rateLimit: call.RateLimit, pos: c.file.PosOf(ptr)}
	if call.When != nil {
		out.when = c.expr(call.When.Node, lang.Options{Bool: true})
	}
	out.path = c.pathTemplate(&call.Path)
	out.query = c.callQuery(mk.query, c.params(call.Query, ptr+"/query"))
	out.headers = c.callHeaders(mk.headers, c.headers(call.Headers, ptr+"/headers"))
	out.encoded = c.compileBodies(call, ptr, &out.headers)
	out.fixed, out.literal = literalHeaders(out.headers)
	if call.Body.Kind != 0 {
		out.body = c.template(&call.Body)
	}
	if call.LeadsTo != "" {
		out.leadsPos = c.file.PosOf(ptr + "/leadsTo")
		if _, ok := mk.statuses[call.LeadsTo]; !ok {
			c.errorf(out.leadsPos, diag.UnknownStatus, "leadsTo %q is not in the status table%s", call.LeadsTo, mk.statusHint(call.LeadsTo))
		}
	}
	out.response = c.response(call.Response, ptr+"/response")
	out.confirm = mk.compileConfirm(c, call.Confirm, ptr+"/confirm")
	out.readBack = c.readBack(call.ReadBack, ptr+"/readBack")
	return out
}

// literalHeaders returns the headers a call sends, and true, when all are
// literal and none is optional.
func literalHeaders(hs []namedValue) (Headers, bool) {
	list := make([]headerValue, len(hs))
	for i, h := range hs {
		if h.value.kind != tLiteral || h.optional {
			return Headers{}, false
		}
		list[i] = headerValue{h.name, h.value.text}
	}
	return Headers{list: list}, true
}

func (mk *compiledMapping) compileConfirm(c *compiler, cf *mapping.Confirm, ptr string) *confirmPlan {
	if cf == nil {
		return nil
	}
	out := &confirmPlan{query: cf.Query, attempts: cf.Attempts, interval: time.Second}
	if _, ok := c.src.Queries.Values[cf.Query]; !ok {
		c.errorf(c.file.PosOf(ptr+"/query"), diag.UnknownQuery, "confirm names query %q, which is not declared under queries:", cf.Query)
	}
	if cf.Interval != "" {
		d, err := time.ParseDuration(cf.Interval)
		if err != nil {
			c.errorf(c.file.PosOf(ptr+"/interval"), diag.SchemaViolation, "interval %q is not a duration such as 2s or 500ms", cf.Interval)
		}
		out.interval = d
	}
	if cf.Until.Node != nil {
		rc := *c
		rc.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.ResponseRules}
		out.until = rc.expr(cf.Until.Node, lang.Options{Bool: true})
		c.ds = rc.ds
	}
	if out.attempts == 0 {
		out.attempts = 5
	}
	return out
}

func (c *compiler) response(r *mapping.Response, ptr string) *judge.Rules {
	if r == nil {
		return nil
	}
	rc := *c
	rc.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.ResponseRules}
	out := &judge.Rules{}
	compile := func(e *mapping.Expr, isBool bool) *lang.Program {
		if e == nil {
			return nil
		}
		return rc.expr(e.Node, lang.Options{Bool: isBool})
	}
	out.Success = compile(r.Success, true)
	out.Retry = compile(r.Retry, true)
	out.ErrorCode = compile(r.ErrorCode, false)
	out.ErrorMessage = compile(r.ErrorMessage, false)
	out.AlreadyApplied = compile(r.AlreadyApplied, true)
	c.ds = rc.ds
	return out
}

// readBack compiles a read-back: its query must be declared under queries,
// and applied reads the query's answer as response rules do.
func (c *compiler) readBack(rb *mapping.ReadBack, ptr string) *readBackPlan {
	if rb == nil {
		return nil
	}
	out := &readBackPlan{query: rb.Query}
	if _, ok := c.src.Queries.Values[rb.Query]; !ok {
		c.errorf(c.file.PosOf(ptr+"/query"), diag.UnknownQuery, "readBack names query %q, which is not declared under queries:", rb.Query)
	}
	if rb.Applied.Node != nil {
		rc := *c
		rc.opts = lang.Options{Lib: c.opts.Lib, Dialect: lang.ResponseRules}
		out.applied = rc.expr(rb.Applied.Node, lang.Options{Bool: true})
		c.ds = rc.ds
	}
	return out
}

// isControl reports a C0 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// literalDotSegment reports a . or .. segment written in a path's literal
// text (/orders/../x), which a server would resolve to another path.
func literalDotSegment(parts []pathPart) bool {
	for i, p := range parts {
		if p.prog != nil {
			continue
		}
		segs := strings.Split(p.text, "/")
		for j, seg := range segs {
			whole := (j > 0 || i == 0 || parts[i-1].prog == nil) && (j < len(segs)-1 || i == len(parts)-1 || parts[i+1].prog == nil)
			if whole && (seg == "." || seg == "..") {
				return true
			}
		}
	}
	return false
}

// pathTemplate compiles /orders/{order.marketplaceOrderId}/invoice: text
// outside braces is literal, each {expr} is a percent-encoded value.
func (c *compiler) pathTemplate(n *yaml.Node) []pathPart {
	var parts []pathPart
	s := n.Value
	if !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "{") {
		c.errorf(c.file.Pos(n), diag.BadTemplate, "path %q must start with / (it is appended to the base URL)", s)
	}
	for i := 0; i < len(s); {
		open := strings.IndexByte(s[i:], '{')
		if open < 0 {
			parts = append(parts, pathPart{text: s[i:]})
			break
		}
		open += i
		end := closing(s, open+1)
		if end < 0 {
			c.errorf(c.file.Pos(n), diag.BadTemplate, "unclosed { in path %q", s)
			return parts
		}
		if open > i {
			parts = append(parts, pathPart{text: s[i:open]})
		}
		prog, ds := lang.Compile(exprSource(c.file, n, open+1, s[open+1:end]), c.opts)
		c.ds = append(c.ds, ds...)
		parts = append(parts, pathPart{prog: prog})
		i = end + 1
	}
	if literalDotSegment(parts) {
		c.errorf(c.file.Pos(n), diag.BadTemplate, "path %q has a . or .. segment, which a server would resolve to another path; write the path it means", s)
	}
	return parts
}

// parseBaseURL accepts an absolute http(s) URL with a host and no query.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("base URL %q does not parse: %v", s, err)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("base URL %q must start with https:// (or http://)", s)
	case u.Host == "":
		return nil, fmt.Errorf("base URL %q has no host", s)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q must not have a query or fragment", s)
	}
	return u, nil
}
