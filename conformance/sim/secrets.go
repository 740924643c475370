package sim

import (
	"maps"

	"github.com/rotahq/rota/engine"
)

// defaultSecrets are the simulator's credentials, by marketplace and by the
// secret names the mappings' auth schemes declare. examples/sim.secrets
// holds the same values (a test checks they agree). They are public: never
// reuse them for a real account.
var defaultSecrets = map[string]map[string]string{
	Dafiti: {
		"userId":       "seller@sim.rota.test",
		"apiKey":       "sim-dafiti-api-key",
		"clientId":     "sim-dafiti-client",
		"clientSecret": "sim-dafiti-client-secret",
	},
	FastShop: {
		"appKey":   "sim-fastshop-app-key",
		"appToken": "sim-fastshop-app-token",
	},
	Napse: {
		"user":     "sim-napse-user",
		"password": "sim-napse-password",
	},
	SkyHub: {
		"userEmail":         "seller@sim.rota.test",
		"apiKey":            "sim-skyhub-api-key",
		"accountManagerKey": "sim-skyhub-account-manager-key",
	},
}

// DefaultSecrets returns the simulator's default credentials as
// environment variable names (ROTA_SECRET_<MARKETPLACE>_<NAME>) and values:
// the contents of examples/sim.secrets. The map is a fresh copy.
func DefaultSecrets() map[string]string {
	out := map[string]string{}
	for mk, names := range defaultSecrets {
		for name, v := range names {
			out[engine.SecretEnvName(mk, name)] = v
		}
	}
	return out
}

// secrets holds the values a Server checks credentials against.
type secrets map[string]string

func newSecrets(given map[string]string) secrets {
	if given == nil {
		return DefaultSecrets()
	}
	return maps.Clone(given)
}

// get returns marketplace mk's secret name, "" when unset.
func (s secrets) get(mk, name string) string { return s[engine.SecretEnvName(mk, name)] }
