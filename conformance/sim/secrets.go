package sim

import (
	"maps"

	"strings"

	"github.com/rotahq/rota/engine/deliver"
)

// DefaultSecrets returns the simulator's default credentials as
// environment variable names (ROTA_SECRET_<MARKETPLACE>_<NAME>) and values:
// deliver.PublicTestSecrets, the contents of examples/sim.secrets. They are
// public: never reuse them for a real account. The map is a fresh copy.
func DefaultSecrets() map[string]string { return deliver.PublicTestSecrets() }

// secrets holds the values a Server checks credentials against.
type secrets map[string]string

func newSecrets(given map[string]string) secrets {
	if given == nil {
		s := DefaultSecrets()
		for name, v := range builtinSecrets() {
			if _, ok := s[name]; !ok {
				s[name] = v
			}
		}
		return s
	}
	return maps.Clone(given)
}

// get returns marketplace mk's secret name, "" when unset.
func (s secrets) get(mk, name string) string { return s[secretVar(mk, name)] }

// secretVar is the variable that holds marketplace mk's secret name, by the
// documented rule (docs/delivery.md): ROTA_SECRET_<MARKETPLACE>_<NAME>,
// upper case, with - written _. It is spelled out here rather than taken
// from the engine so that a wrong name on the sender's side is not matched
// by the same wrong name here.
func secretVar(mk, name string) string {
	up := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
	return "ROTA_SECRET_" + up(mk) + "_" + up(name)
}
