package engine

import (
	"fmt"
	"strings"

	"github.com/rotahq/rota/engine/internal/lang"
)

func (mk *compiledMapping) environment(name string) (*envPlan, error) {
	if name == "" {
		if ep, ok := mk.envs["production"]; ok || len(mk.envOrder) != 1 {
			if !ok {
				return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownEnvironment, Message: fmt.Sprintf("the %s mapping has no production environment; choose one with --env (%s)", mk.id, strings.Join(mk.envOrder, ", "))}
			}
			return ep, nil
		}
		return mk.envs[mk.envOrder[0]], nil
	}
	ep, ok := mk.envs[name]
	if !ok {
		return nil, &Error{Kind: KindConfiguration, Code: CodeUnknownEnvironment,
			Message: fmt.Sprintf("the %s mapping has no environment %q (it has: %s)", mk.id, name, strings.Join(mk.envOrder, ", "))}
	}
	return ep, nil
}

func (mk *compiledMapping) baseURL(r *renderer, o TranslateOptions) (string, error) {
	if o.BaseURL != "" {
		u, err := parseBaseURL(o.BaseURL)
		if err != nil {
			return "", &Error{Kind: KindConfiguration, Code: CodeBadBaseURL, Message: err.Error()}
		}
		return strings.TrimSuffix(u.String(), "/"), nil
	}
	ep, err := mk.environment(o.Environment)
	if err != nil {
		return "", err
	}
	if ep.literal != "" {
		return ep.literal, nil
	}
	s, err := r.renderString(ep.base)
	if err != nil {
		return "", err
	}
	return mk.checkBase(ep, s)
}

func (mk *compiledMapping) checkBase(ep *envPlan, s string) (string, error) {
	if c := ep.checked.Load(); c != nil && c.in == s {
		return c.out, nil
	}
	out, err := mk.checkNewBase(ep, s)
	if err == nil {
		ep.checked.Store(&checkedBase{in: strings.Clone(s), out: out})
	}
	return out, err
}

func (mk *compiledMapping) checkNewBase(ep *envPlan, s string) (string, error) {
	u, err := parseBaseURL(s)
	if err != nil {
		e := &Error{Kind: KindConfiguration, Code: CodeBadBaseURL, Message: err.Error(), Source: ep.base.pos}
		if ep.fromEvent {
			e.Kind, e.Path = KindInvalidEvent, pointerOfBase(ep)
		}
		return "", e
	}
	if !ep.fromEvent {
		return strings.TrimSuffix(u.String(), "/"), nil
	}
	if why := eventURLProblem(u, ep.hosts); why != "" {
		return "", &Error{Kind: KindRejected, Code: CodeHostNotAllowed, Path: pointerOfBase(ep), Source: ep.base.pos,
			Message: fmt.Sprintf("the base URL %q comes from the event and %s; the %s mapping allows %s; no call was built", u.Redacted(), why, mk.id, strings.Join(ep.allowed, ", "))}
	}
	if hasDotSegment(u.EscapedPath()) {
		return "", &Error{Kind: KindInvalidEvent, Code: CodeDotSegment, Path: pointerOfBase(ep), Source: ep.base.pos,
			Message: fmt.Sprintf("the base URL %q comes from the event and its path has a . or .. segment, which would change the endpoint; no call was built", s)}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func pointerOfBase(ep *envPlan) string {
	for _, p := range progsOf(ep.base) {
		for _, rd := range p.Reads() {
			if rd.Root == lang.RootEvent {
				return rd.Pointer(0)
			}
		}
	}
	return ""
}
