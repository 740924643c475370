package engine

// CanonicalStatus returns the canonical status that a marketplace's own
// status code means, as the mapping's statuses table says, and whether the
// marketplace and the code are known. Safe for concurrent use.
func (e *Engine) CanonicalStatus(marketplace, code string) (string, bool) {
	mk, ok := e.mappings[marketplace]
	if !ok {
		return "", false
	}
	s, ok := mk.statuses[code]
	if !ok {
		return "", false
	}
	return s.Canonical, true
}
