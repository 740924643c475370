package conformance

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rotahq/rota/engine"
	"github.com/tidwall/gjson"
)

// outcome is what the engine made of one case's input.
type outcome struct {
	// ex is the explanation of an outbound translation, when a mapping
	// rule was reached.
	ex  *engine.Explanation
	res *engine.Result
	in  *engine.IngestResult
	err error
}

// runFile runs every case of a case file, in order.
func (r *runner) runFile(cf *caseFile) FileResult {
	fr := FileResult{Path: cf.path, Marketplace: cf.marketplace}
	if len(cf.broken) > 0 {
		fr.Cases = []CaseResult{{Name: "(case file)", Pos: cf.broken[0].Pos, Failure: brokenFailure(cf.broken)}}
		return fr
	}
	for _, c := range cf.cases {
		f := r.verdict(cf, c)
		fr.Cases = append(fr.Cases, CaseResult{Name: c.name, Pos: c.pos, Passed: f == nil, Failure: f})
	}
	return fr
}

func brokenFailure(ps []Problem) *Failure {
	return &Failure{Message: problemLines(ps)}
}

// verdict runs one case and returns nil when it passes.
func (r *runner) verdict(cf *caseFile, c *caseSpec) *Failure {
	if len(c.broken) > 0 {
		return brokenFailure(c.broken)
	}
	m := r.mappings[cf.marketplace]
	switch {
	case m == nil:
		return &Failure{Message: fmt.Sprintf("no mapping for marketplace %s in %s", cf.marketplace, r.source.display)}
	case m.eng == nil:
		first := m.loadErr[0]
		return &Failure{Message: fmt.Sprintf("the %s mapping does not load: %s (see its lint check)", m.id, first.Message), Source: first.Pos}
	}
	o, f := r.execute(m, c)
	if f != nil {
		return f
	}
	return compare(m, c, o)
}

// execute runs the engine on the case's input. A panic is a failure.
func (r *runner) execute(m *mappingUnit, c *caseSpec) (o outcome, f *Failure) {
	defer func() {
		if p := recover(); p != nil {
			f = &Failure{Message: fmt.Sprintf("the engine panicked: %v", p)}
		}
	}()
	if c.inbound != nil {
		o.in, o.err = m.eng.Ingest(m.id, c.inbound.payload, engine.IngestOptions{
			Route: c.inbound.route, Method: c.inbound.method, Path: c.inbound.path, OrderID: c.inbound.orderID,
			Sequence: c.inbound.sequence, Vars: c.vars, Now: c.inbound.now})
		return o, nil
	}
	if mp := gjson.GetBytes(c.event, "marketplace"); mp.Type == gjson.String && mp.Str != m.id {
		return o, &Failure{Message: fmt.Sprintf("the event is for marketplace %q but the case file tests %s", mp.Str, m.id)}
	}
	return translate(m, c), nil
}

func translate(m *mappingUnit, c *caseSpec) outcome {
	ex, err := m.eng.Explain(c.event, engine.TranslateOptions{Environment: c.env, Vars: c.vars, BaseURL: c.baseURL})
	if err != nil {
		return outcome{err: err}
	}
	m.observe(fmt.Sprintf("case %q (%s)", c.name, c.pos), ex)
	if ex.Error != nil {
		return outcome{ex: ex, err: ex.Error}
	}
	return outcome{ex: ex, res: ex.Result}
}

// actualDoc is the outcome in the shape of an expectation: calls, ignore,
// error (and response), or events and response.
func actualDoc(o outcome) map[string]any {
	switch {
	case o.err != nil:
		d := map[string]any{"error": errorDoc(o.err)}
		var e *engine.Error
		if errors.As(o.err, &e) && e.Response != nil {
			d["response"] = responseDoc(*e.Response)
		}
		return d
	case o.in != nil:
		events := make([]any, len(o.in.Events))
		for i, ev := range o.in.Events {
			events[i] = rawValue(ev)
		}
		return map[string]any{"events": events, "response": responseDoc(o.in.Response)}
	case o.res.Outcome == engine.OutcomeIgnore:
		return map[string]any{"ignore": o.res.Reason}
	}
	calls := make([]any, len(o.res.Calls))
	for i, c := range o.res.Calls {
		calls[i] = callDoc(c)
	}
	return map[string]any{"calls": calls}
}

func errorDoc(err error) map[string]any {
	var e *engine.Error
	if !errors.As(err, &e) {
		return map[string]any{"message": err.Error()}
	}
	d := map[string]any{"kind": string(e.Kind), "code": e.Code, "message": e.Message}
	for k, v := range map[string]string{"marketplaceCode": e.MarketplaceCode, "path": e.Path, "source": e.Source.String()} {
		if v != "" {
			d[k] = v
		}
	}
	return d
}

func responseDoc(r engine.Response) map[string]any {
	return map[string]any{"status": json.Number(fmt.Sprint(r.Status)), "body": rawValue(r.Body)}
}

func callDoc(c engine.Call) map[string]any {
	headers := make(map[string]any, c.Headers.Len())
	for k, v := range c.Headers.All() {
		headers[k] = v
	}
	d := map[string]any{"name": c.Name, "method": c.Method, "url": c.URL, "headers": headers}
	if len(c.Body) > 0 {
		d["body"] = rawValue(c.Body)
	}
	if c.MarketplaceStatus != "" {
		d["marketplaceStatus"] = c.MarketplaceStatus
	}
	addEncodedBody(d, c)
	return d
}

func rawValue(raw []byte) any {
	v, err := decodeJSON(raw)
	if err != nil {
		return string(raw)
	}
	return v
}
