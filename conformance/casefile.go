package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// CaseSchema is the file name of the case file schema in package schemas.
const CaseSchema = "case.schema.json"

var caseSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return schemas.Compile(CaseSchema)
})

// caseFile is one loaded case file.
type caseFile struct {
	path        string // as shown in reports
	marketplace string
	// folder is the file's first folder below the case root, for a file
	// too broken to name its marketplace.
	folder string
	cases  []*caseSpec
	// broken says why no case of the file can run (syntax, schema).
	broken []Problem
}

// caseSpec is one case, ready to run unless broken is set.
type caseSpec struct {
	name    string
	pos     diag.Pos
	event   []byte // the canonical event after patch (outbound cases)
	inbound *inboundSpec
	vars    map[string]string
	env     string
	baseURL string
	subset  bool
	kind    string         // the expectation: calls, ignore, error or inbound
	expect  map[string]any // the expect mapping as written
	broken  []Problem
}

// inboundSpec is the payload of an inbound case.
type inboundSpec struct {
	route    string
	method   string
	path     string
	orderID  string
	sequence int64
	payload  []byte
	now      time.Time
}

// loadCaseFile reads and checks one case file. Problems are kept in the
// returned file (never an error): a broken file is a failing result.
func loadCaseFile(root, diskPath string) *caseFile {
	shown := filepath.ToSlash(diskPath)
	cf := &caseFile{path: shown}
	src, err := os.ReadFile(diskPath)
	if err != nil {
		cf.broken = []Problem{{Pos: diag.Pos{File: shown}, Message: err.Error()}}
		return cf
	}
	doc, err := engine.ReadYAML(shown, src)
	if err != nil {
		cf.broken = []Problem{yamlProblem(err, shown)}
		return cf
	}
	perCase := cf.validate(doc)
	if len(cf.broken) > 0 {
		return cf
	}
	top := doc.Value().(map[string]any)
	cf.marketplace = top["marketplace"].(string)
	cf.checkFolder(doc, root, diskPath)
	cf.buildCases(doc, top, filepath.Dir(diskPath), perCase)
	return cf
}

// validate checks the document against the case schema. Problems inside
// /cases/N belong to case N; others break the whole file.
func (cf *caseFile) validate(doc *engine.Document) map[int][]Problem {
	schema, err := caseSchema()
	if err != nil {
		cf.broken = []Problem{{Pos: diag.Pos{File: cf.path}, Message: "case schema: " + err.Error()}}
		return nil
	}
	perCase := map[int][]Problem{}
	for _, l := range diag.SchemaFailures(schema.Validate(doc.Value())) {
		p := leafProblem(doc, l)
		if i, ok := caseIndex(l.Pointer); ok {
			perCase[i] = append(perCase[i], p)
		} else {
			cf.broken = append(cf.broken, p)
		}
	}
	return perCase
}

var casePointer = regexp.MustCompile(`^/cases/(\d+)(/|$)`)

func caseIndex(ptr string) (int, bool) {
	m := casePointer.FindStringSubmatch(ptr)
	if m == nil {
		return 0, false
	}
	i, _ := strconv.Atoi(m[1])
	return i, true
}

func leafProblem(doc *engine.Document, l diag.SchemaFailure) Problem {
	switch l.Keyword {
	case "additionalProperties", "false":
		return Problem{Pos: doc.KeyPos(l.Pointer), Message: fmt.Sprintf("unknown key %q; see conformance/README.md for the case format", l.Property)}
	case "required":
		if l.Property == "expect" {
			return Problem{Pos: doc.Pos(parentPointer(l.Pointer)), Message: "the case has no expectation (expect:); a case without one fails"}
		}
		return Problem{Pos: doc.Pos(parentPointer(l.Pointer)), Message: fmt.Sprintf("missing key %q", l.Property)}
	}
	return Problem{Pos: doc.Pos(l.Pointer), Message: fmt.Sprintf("%s: %s", pointerOrRoot(l.Pointer), l.Message)}
}

func parentPointer(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

func pointerOrRoot(ptr string) string {
	if ptr == "" {
		return "the file"
	}
	return ptr
}

// checkFolder requires a file in a folder of the case root to name the
// marketplace the folder is named after: <root>/<marketplace>/*.yaml.
func (cf *caseFile) checkFolder(doc *engine.Document, root, diskPath string) {
	folder := topFolder(root, diskPath)
	if folder != "" && folder != cf.marketplace {
		cf.broken = append(cf.broken, Problem{Pos: doc.Pos("/marketplace"),
			Message: fmt.Sprintf("the file is in the %s folder but names marketplace %s; move it to %s/ or fix marketplace", folder, cf.marketplace, cf.marketplace)})
	}
}

// topFolder is the first folder of diskPath below root, or "" for a file
// at the top of root.
func topFolder(root, diskPath string) string {
	rel, err := filepath.Rel(root, diskPath)
	if err != nil {
		return ""
	}
	first, _, nested := strings.Cut(filepath.ToSlash(rel), "/")
	if !nested {
		return ""
	}
	return first
}

func (cf *caseFile) buildCases(doc *engine.Document, top map[string]any, dir string, perCase map[int][]Problem) {
	defaults := caseSpec{vars: mergeVars(nil, top["vars"]), env: str(top["env"])}
	seen := map[string]diag.Pos{}
	for i, raw := range top["cases"].([]any) {
		ptr := "/cases/" + strconv.Itoa(i)
		c := buildCase(doc, ptr, raw.(map[string]any), dir, defaults)
		c.broken = append(perCase[i], c.broken...)
		if prev, dup := seen[c.name]; dup && c.name != "" {
			c.broken = append(c.broken, Problem{Pos: doc.Pos(ptr + "/name"), Message: fmt.Sprintf("another case of this file (%s) has the name %q; names are unique within a file", prev, c.name)})
		}
		seen[c.name] = c.pos
		cf.cases = append(cf.cases, c)
	}
}

func buildCase(doc *engine.Document, ptr string, m map[string]any, dir string, defaults caseSpec) *caseSpec {
	c := &caseSpec{name: str(m["name"]), pos: doc.Pos(ptr), env: defaults.env, baseURL: str(m["baseUrl"]), subset: m["match"] == "subset"}
	if c.name == "" {
		c.name = "case " + strings.TrimPrefix(ptr, "/cases/")
	}
	c.vars = mergeVars(defaults.vars, m["vars"])
	if env := str(m["env"]); env != "" {
		c.env = env
	}
	c.expect, _ = m["expect"].(map[string]any)
	c.classify(doc, ptr)
	c.input(doc, ptr, m, dir)
	return c
}

// classify finds the one expectation of the case.
func (c *caseSpec) classify(doc *engine.Document, ptr string) {
	if c.expect == nil {
		return // the schema reported it
	}
	var kinds []string
	for _, k := range []string{"calls", "ignore", "error"} {
		if _, ok := c.expect[k]; ok {
			kinds = append(kinds, k)
		}
	}
	_, events := c.expect["events"]
	_, response := c.expect["response"]
	if events || (response && !slices.Contains(kinds, "error")) {
		kinds = append(kinds, "inbound")
	}
	switch len(kinds) {
	case 1:
		c.kind = kinds[0]
	case 0:
		c.fail(doc.Pos(ptr+"/expect"), "the case has no expectation (calls, ignore, error, events or response); a case without one fails")
	default:
		c.fail(doc.Pos(ptr+"/expect"), fmt.Sprintf("the case has %d expectations (%s); give exactly one", len(kinds), strings.Join(expectNames(c.expect), ", ")))
	}
}

func expectNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *caseSpec) fail(pos diag.Pos, msg string) {
	c.broken = append(c.broken, Problem{Pos: pos, Message: msg})
}

// input reads the event or the inbound payload and checks that it fits the
// expectation.
func (c *caseSpec) input(doc *engine.Document, ptr string, m map[string]any, dir string) {
	ev, hasEvent := m["event"]
	in, hasInbound := m["inbound"].(map[string]any)
	switch {
	case hasEvent && hasInbound:
		c.fail(doc.Pos(ptr+"/inbound"), "give event or inbound, not both")
	case hasInbound:
		c.inboundInput(doc, ptr+"/inbound", in, dir)
	case hasEvent:
		c.eventInput(doc, ptr, ev, m["patch"], dir)
	default:
		c.fail(c.pos, "the case has no input: give event (a file or inline) or inbound")
	}
}

func (c *caseSpec) eventInput(doc *engine.Document, ptr string, ev, patch any, dir string) {
	_, events := c.expect["events"]
	_, response := c.expect["response"]
	if events || response {
		c.fail(doc.Pos(ptr+"/expect"), "events and response are expected of inbound cases; an event case expects calls, ignore or error")
	}
	raw, err := jsonInput(ev, dir)
	if err != nil {
		c.fail(doc.Pos(ptr+"/event"), err.Error())
		return
	}
	if patch != nil {
		if raw, err = mergePatch(raw, patch); err != nil {
			c.fail(doc.Pos(ptr+"/patch"), err.Error())
			return
		}
	}
	c.event = raw
}

func (c *caseSpec) inboundInput(doc *engine.Document, ptr string, in map[string]any, dir string) {
	if c.kind == "calls" || c.kind == "ignore" {
		c.fail(doc.Pos(ptr), "an inbound case expects events and/or response, or error")
	}
	payload, err := jsonInput(in["payload"], dir)
	if err != nil {
		c.fail(doc.Pos(ptr+"/payload"), err.Error())
		return
	}
	c.inbound = &inboundSpec{route: str(in["route"]), method: str(in["method"]), path: str(in["path"]), orderID: str(in["orderId"]), payload: payload}
	if n, ok := in["sequence"].(json.Number); ok {
		c.inbound.sequence, _ = n.Int64() // the schema checked it is a whole number of 1 or more
	}
	if now := str(in["now"]); now != "" {
		c.inbound.now, _ = time.Parse(time.RFC3339, now) // the schema checked the format
	}
}

// jsonInput gives an event or payload as JSON: read from a file relative to
// dir when v is a path, else v itself written inline.
func jsonInput(v any, dir string) ([]byte, error) {
	if p, ok := v.(string); ok {
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("cannot read %s (paths are relative to the case file): %v", p, err)
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s is not valid JSON", p)
		}
		return raw, nil
	}
	return marshalJSON(v)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// mergeVars returns base with the variables of over (a case file's vars:
// object) written over it. A null value in over unsets the variable: the
// case runs as if it were not given, so its default applies, or reading it
// fails with missing_variable.
func mergeVars(base map[string]string, over any) map[string]string {
	m, _ := over.(map[string]any)
	if len(base) == 0 && len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(m))
	maps.Copy(out, base)
	for name, v := range m {
		if v == nil {
			delete(out, name)
			continue
		}
		out[name] = str(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// yamlProblem is the problem of a case file that does not read as YAML:
// a syntax error, an empty file, or one that expands past the bound.
func yamlProblem(err error, file string) Problem {
	var ds diag.List
	if !errors.As(err, &ds) || len(ds) == 0 {
		return Problem{Pos: diag.Pos{File: file}, Message: err.Error()}
	}
	if ds[0].Code == diag.YAMLSyntax {
		return Problem{Pos: ds[0].Pos, Message: "YAML syntax: " + ds[0].Message}
	}
	return Problem{Pos: ds[0].Pos, Message: ds[0].Message}
}
