package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/spf13/cobra"
)

type simHubFlags struct {
	target     string
	secrets    string
	retryEvery time.Duration
	retries    int
}

func newSimHubCmd() *cobra.Command {
	var f simHubFlags
	cmd := &cobra.Command{
		Use:   "hub --target URL [ORDER_FILE]",
		Short: "Play Fast Shop's hub: place an order with a seller's integration (rota serve) as the hub does",
		Long: `Hub plays Fast Shop's hub (seed 001): it POSTs the order (ORDER_FILE, default
examples/inbound/fastshop/order.json: a JSON list of one order) to
TARGET/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH with X-API-AppKey and
X-API-AppToken, checks that the answer is [{"marketplaceOrderId", "orderId"}]
for that order, and on HTTP 500 (with the hub's {"error": {...}} body) or no
answer sends it again every --retry-every, --retries times, as the hub does.
TARGET is the integration's prefix: http://HOST:PORT/inbound/fastshop for
rota serve.

The credentials are the ROTA_SECRET_FASTSHOP_APPKEY and _APPTOKEN of the
--secrets file or the environment, or else the simulator's public ones (those
rota serve --sim checks).

It prints the placement as JSON: the seller's orderId and every attempt with
its status and answer. See docs/inbound.md.

Exit codes: 0 the order was placed; 1 the answer was a refusal, had the
wrong shape, or every attempt failed; 2 usage.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSimHub(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "the integration's `URL` prefix, e.g. http://127.0.0.1:8080/inbound/fastshop (required)")
	fl.StringVar(&f.secrets, "secrets", "", "read ROTA_SECRET_FASTSHOP_APPKEY and _APPTOKEN from `FILE` (default: the environment, else the simulator's)")
	fl.DurationVar(&f.retryEvery, "retry-every", sim.HubRetryEvery, "wait `DURATION` before sending the order again after a 500")
	fl.IntVar(&f.retries, "retries", sim.HubRetries, "send the order again at most `N` times")
	_ = cmd.MarkFlagRequired("target")
	return cmd
}

func runSimHub(cmd *cobra.Command, f *simHubFlags, args []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.retries < 0 || f.retryEvery <= 0 {
		return usageErrorf(stderr, "--retries must be 0 or more and --retry-every above 0")
	}
	file := "examples/inbound/fastshop/order.json"
	if len(args) == 1 {
		file = args[0]
	}
	order, err := os.ReadFile(file)
	if err != nil {
		return failf(stderr, "cannot read the order: %v", err)
	}
	secrets, err := sendSecrets(stderr, f.secrets)
	if err != nil {
		return err
	}
	pub := sim.DefaultSecrets()
	key, ok := secrets.Secret("fastshop", "appKey")
	if !ok {
		key = pub["ROTA_SECRET_FASTSHOP_APPKEY"]
	}
	token, ok := secrets.Secret("fastshop", "appToken")
	if !ok {
		token = pub["ROTA_SECRET_FASTSHOP_APPTOKEN"]
	}
	hub := &sim.Hub{Target: f.target, AppKey: key, AppToken: token, RetryEvery: f.retryEvery, Retries: f.retries}
	if f.retries == 0 {
		hub.Retries = -1
	}
	ctx, stop := simContext(cmd.Context())
	defer stop()
	hub.Sleep = func(ctx context.Context, d time.Duration) error {
		fmt.Fprintf(stderr, "rota sim hub: HTTP 500 or no answer; sending the order again in %s\n", d)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p, err := hub.PlaceOrder(ctx, order)
	if p == nil {
		return usageErrorf(stderr, "%v", err)
	}
	if werr := writeJSON(stdout, p); werr != nil {
		return failf(stderr, "cannot write output: %v", werr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rota sim hub: %v\n", err)
		return exitError{code: exitRefused}
	}
	fmt.Fprintf(stderr, "rota sim hub: order %s placed; the seller's order id is %s\n", p.MarketplaceOrderID, p.OrderID)
	return nil
}

type simERPFlags struct {
	addr    string
	secrets string
}

func newSimERPCmd() *cobra.Command {
	var f simERPFlags
	cmd := &cobra.Command{
		Use:   "erp [--addr HOST:PORT]",
		Short: "Play a seller's ERP: receive the events rota serve --forward sends, verifying their Standard Webhooks signature",
		Long: `ERP plays a seller's ERP receiving canonical events by webhook: it listens
on --addr (loopback), verifies each request as the Standard Webhooks
specification says (webhook-id, webhook-timestamp within 5 minutes,
webhook-signature v1 HMAC-SHA256 with ROTA_WEBHOOK_SECRET from the --secrets
file or the environment), answers 204, and prints each new event as one JSON
line on stdout (a repeated webhook-id is acknowledged, not printed again). A
request that does not verify is answered 401 and reported on stderr.

Point rota serve at it with --forward http://HOST:PORT/webhooks. Once ready it
prints "listening on http://HOST:PORT" on stderr. See docs/inbound.md.

Exit codes: 0 stopped by a signal; 2 usage (no secret, a non-loopback
address) or the address cannot be listened on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimERP(cmd, &f)
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:9000", "listen on `HOST:PORT`, a loopback address (port 0 picks a free port)")
	cmd.Flags().StringVar(&f.secrets, "secrets", "", "read ROTA_WEBHOOK_SECRET from `FILE` (default: the environment)")
	return cmd
}

func runSimERP(cmd *cobra.Command, f *simERPFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := sim.CheckLoopback(f.addr); err != nil {
		return usageErrorf(stderr, "--addr: %v", err)
	}
	secret := os.Getenv(webhookSecretVar)
	if f.secrets != "" {
		file, err := loadServeSecrets(f.secrets)
		if err != nil {
			return failf(stderr, "%v", err)
		}
		if file.webhookSecret != "" {
			secret = file.webhookSecret
		}
	}
	if secret == "" {
		return usageErrorf(stderr, "set %s (environment or --secrets file) to the secret rota serve signs with", webhookSecretVar)
	}
	erp, err := sim.NewERP(secret)
	if err != nil {
		return usageErrorf(stderr, "%s: %v", webhookSecretVar, err)
	}
	erp.OnEvent = func(ev []byte) { fmt.Fprintf(stdout, "%s\n", compactJSON(ev)) }
	erp.OnReject = func(why string) { fmt.Fprintf(stderr, "rota sim erp: refused a request: %s\n", why) }
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return failf(stderr, "cannot listen on %s: %v", f.addr, err)
	}
	srv := &http.Server{Handler: erp, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := simContext(cmd.Context())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "listening on http://%s\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return failf(stderr, "serving stopped: %v", err)
		}
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	return nil
}
