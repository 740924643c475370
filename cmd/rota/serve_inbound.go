package main

import (
	"io"
	"net/url"

	"github.com/rotahq/rota/engine/durable"
)

// webhookSecretVar names the Standard Webhooks signing secret of --forward,
// in the environment or the secrets file.
const webhookSecretVar = "ROTA_WEBHOOK_SECRET"

// checkForwardFlag checks --forward and its secret: an http(s) URL, and
// ROTA_WEBHOOK_SECRET in the whsec_<base64> form. The secret is never
// echoed.
func checkForwardFlag(stderr io.Writer, f *serveFlags, cfg *serveConfig) error {
	if f.forward == "" && f.orderIDURL == "" {
		return nil
	}
	for _, c := range []struct{ flag, value string }{{"--forward", f.forward}, {"--order-id-url", f.orderIDURL}} {
		if c.value == "" {
			continue
		}
		u, err := url.Parse(c.value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErrorf(stderr, "%s %q: want an http(s) URL of the ERP, such as http://127.0.0.1:9000/webhooks", c.flag, c.value)
		}
	}
	if cfg.webhookSecret == "" {
		return usageErrorf(stderr, "--forward and --order-id-url need %s (in the environment or the --secrets file): whsec_ and 24 to 64 random bytes in base64, e.g. whsec_$(openssl rand -base64 32)", webhookSecretVar)
	}
	if _, err := durable.DecodeWebhookSecret(cfg.webhookSecret); err != nil {
		return usageErrorf(stderr, "%v", err)
	}
	cfg.inbound = durable.Inbound{ForwardURL: f.forward, AskURL: f.orderIDURL, WebhookSecret: cfg.webhookSecret}
	return nil
}
