package main

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
)

type ingestFlags struct {
	headers     []string
	secrets     string
	marketplace string
	route       string
	method      string
	path        string
	orderID     string
	sequence    int64
	now         string
	common      commonFlags
}

func newIngestCmd() *cobra.Command {
	var f ingestFlags
	cmd := &cobra.Command{
		Use:   "ingest -m NAME [--method M --path P] [FILE|-]",
		Short: "Translate an inbound marketplace payload into canonical events and the response the marketplace expects",
		Long: `Ingest reads a payload a marketplace sends (from FILE, or standard input
when FILE is - or absent), translates it with an inbound route of the
marketplace's mapping into canonical events, and prints them with the
response the marketplace expects back, as JSON.

The route is the one --route names, or the one the request's --method and
--path call (the path relative to the integration's prefix, query string
included, as the marketplace calls it), or the one whose match condition
the payload meets. When none or several fit, the error names them.

The seller's order id comes from the route's orderId (a template over the
payload, the path, or a sequence number given with --sequence); --order-id
overrides it.

Exit codes: 0 success; 1 the payload is invalid or refused (error JSON on
stdout, with the error response the marketplace understands when the
mapping declares one; one line on stderr); 2 usage, unreadable input,
broken mappings, configuration.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd, &f, args)
		},
	}
	cmd.Flags().StringVarP(&f.marketplace, "marketplace", "m", "", "the marketplace `NAME` that sent the payload (required)")
	cmd.Flags().StringVar(&f.route, "route", "", "the mapping's inbound `ROUTE` (default: the one --method and --path call, or whose match the payload meets)")
	cmd.Flags().StringVar(&f.method, "method", "", "the HTTP `METHOD` the marketplace called with (e.g. POST)")
	cmd.Flags().StringVar(&f.path, "path", "", "the `PATH` the marketplace called, relative to the integration's prefix, query included (e.g. '/api/fulfillment/pvt/orders?sc=1&affiliateId=FSH')")
	cmd.Flags().StringVar(&f.orderID, "order-id", "", "the seller's order `ID`, overriding the route's orderId")
	cmd.Flags().Int64Var(&f.sequence, "sequence", 0, "this request's number `N` (1 or more) in the seller's order sequence, for routes whose orderId reads sequence")
	cmd.Flags().StringVar(&f.now, "now", "", "when the payload was received, as an RFC 3339 `TIME` (default: now; set it for reproducible output)")
	cmd.Flags().StringArrayVar(&f.headers, "header", nil, "a request header, as `NAME: VALUE` (repeatable); when given, they are checked against the route's auth")
	cmd.Flags().StringVar(&f.secrets, "secrets", "", "read the secrets the route's auth names from `FILE` (as rota send does); default: ROTA_SECRET_* variables")
	f.common.register(cmd)
	_ = cmd.MarkFlagRequired("marketplace")
	return cmd
}

func runIngest(cmd *cobra.Command, f *ingestFlags, args []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	opts := engine.IngestOptions{Route: f.route, Method: f.method, Path: f.path, OrderID: f.orderID, Sequence: f.sequence}
	if f.sequence < 0 {
		return usageErrorf(stderr, "--sequence %d: want a number of 1 or more", f.sequence)
	}
	if f.now != "" {
		now, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return usageErrorf(stderr, "--now %q: want an RFC 3339 time such as 2023-03-10T12:30:00-03:00", f.now)
		}
		opts.Now = now
	}
	eng, payload, given, err := f.common.load(cmd, args)
	if err != nil {
		return err
	}
	opts.Vars = runVars(eng, f.marketplace, given)
	if err := checkInboundHeaders(eng, f, opts, payload, stdout, stderr); err != nil {
		return err
	}
	res, err := eng.Ingest(f.marketplace, payload, opts)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	return nil
}

// checkInboundHeaders checks --header values against the route's auth, and
// reports a refusal as ingest's error JSON; without --header nothing is
// checked.
func checkInboundHeaders(eng *engine.Engine, f *ingestFlags, opts engine.IngestOptions, payload []byte, stdout, stderr io.Writer) error {
	if len(f.headers) == 0 {
		return nil
	}
	route, err := eng.SelectRoute(f.marketplace, payload, opts)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	h := http.Header{}
	for _, kv := range f.headers {
		name, value, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageErrorf(stderr, "--header %q: want NAME: VALUE", kv)
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	secrets, err := sendSecrets(stderr, f.secrets)
	if err != nil {
		return err
	}
	lookup := func(name string) (string, bool) { return secrets.Secret(f.marketplace, name) }
	if err := eng.CheckInboundAuth(f.marketplace, route, h, lookup); err != nil {
		return reportError(stdout, stderr, err)
	}
	return nil
}
