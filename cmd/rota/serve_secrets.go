package main

import (
	"github.com/rotahq/rota/engine/deliver"
)

// apiTokenVar names the API token, in the environment or the secrets file.
const apiTokenVar = "ROTA_API_TOKEN"

// serveSecretsFile is what rota serve reads from --secrets: the
// marketplaces' secrets, the API token and the webhook signing secret.
type serveSecretsFile struct {
	secrets       deliver.MapSecrets
	token         string
	webhookSecret string
}

// loadServeSecrets reads a secrets file as rota send does
// (ROTA_SECRET_<MARKETPLACE>_<NAME>=VALUE lines, comments, mode 600 unless
// it holds only the simulator's public credentials) and also accepts one
// ROTA_API_TOKEN=VALUE and one ROTA_WEBHOOK_SECRET=VALUE line
// (deliver.LoadSecretsFileWith). Errors name the file and line, never a
// value.
func loadServeSecrets(path string) (serveSecretsFile, error) {
	all, err := deliver.LoadSecretsFileWith(path, apiTokenVar, webhookSecretVar)
	if err != nil {
		return serveSecretsFile{}, err
	}
	out := serveSecretsFile{token: all[apiTokenVar], webhookSecret: all[webhookSecretVar]}
	delete(all, apiTokenVar)
	delete(all, webhookSecretVar)
	out.secrets = all
	return out, nil
}
