package engine

import (
	"strings"
)

// checkGuards runs guards in order, skipping those whose when does not
// hold, and refuses with the first that fails.
func (mk *compiledMapping) checkGuards(r *renderer, guards []*guard) error {
	for _, g := range guards {
		if g.when != nil {
			applies, err := r.runBool(g.when)
			if err != nil {
				r.trace.guardWhen(g, false, err)
				return err
			}
			if !applies {
				r.trace.guardWhen(g, false, nil)
				continue
			}
		}
		ok, err := r.runBool(g.prog)
		r.trace.guard(g, ok, err)
		if err != nil {
			return err
		}
		if !ok {
			return mk.refuse(r, g)
		}
	}
	return nil
}

func (mk *compiledMapping) refuse(r *renderer, g *guard) error {
	msg := g.code
	if g.message != nil {
		if m, err := r.renderString(g.message); err == nil {
			msg = strings.Clone(m)
		}
	}
	return &Error{Kind: KindRejected, Code: g.code, Message: msg, MarketplaceCode: g.marketplaceCode, Path: g.path, Source: g.pos}
}
