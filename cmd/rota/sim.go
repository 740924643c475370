package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/spf13/cobra"
)

// simFlags are the flags of rota sim.
type simFlags struct {
	addr     string
	faults   []string
	napseLag string
	options  []string
}

func newSimCmd() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Simulate SkyHub, Dafiti, Fast Shop, Napse, Mercado Livre and Mirakl on a loopback address, to try mappings end to end",
		Long: `Sim serves a simulator of the six marketplaces on one loopback address,
each under its own path (/dafiti, /fastshop, /mercadolivre, /mirakl, /napse,
/skyhub), and prints one line per marketplace, "<marketplace> <base URL>",
once it is ready. It serves until interrupted (Ctrl-C or SIGTERM).

The simulator checks credentials (those of examples/sim.secrets; Dafiti's
SellerCenter signature is verified), keeps each order's status and refuses
the moves the marketplace refuses, answers 429 past SkyHub's rate limit, and
applies Napse's changes asynchronously. --fault injects failures; --option
sets the Mercado Livre and Mirakl behaviours their documentation leaves open;
the admin endpoints under /_sim add faults and show the orders. See
docs/simulator.md.

Send an order's events to it, in order, with the base URL it prints and its
credentials; --base-url moves every URL of the mapping there, token URLs
included (docs/simulator.md gives the command for each marketplace):

  rota send --base-url http://127.0.0.1:8787/skyhub --secrets examples/sim.secrets \
    examples/events/skyhub/invoiced.json examples/events/skyhub/shipped.json

It listens on loopback only: it accepts public test credentials and its admin
endpoints have no authentication.

Exit codes: 0 stopped by a signal; 2 usage (a non-loopback --addr, a bad
--fault), or the address cannot be listened on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSim(cmd, &f)
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8787", "listen on `HOST:PORT`, a loopback address (port 0 picks a free port)")
	cmd.Flags().StringArrayVar(&f.faults, "fault", nil, "inject a fault, as `RULE` (repeatable): skyhub:503x2, napse:delay=2s, dafiti:drop, skyhub/orders/:429x1,retry-after=2 (see docs/simulator.md)")
	cmd.AddCommand(newSimHubCmd(), newSimERPCmd())
	cmd.Flags().StringArrayVar(&f.options, "option", nil, "set a Mercado Livre or Mirakl behaviour, as `NAME=VALUE` (repeatable): "+strings.Join(sim.OptionNames(), ", ")+" (see docs/simulator.md)")
	cmd.Flags().StringVar(&f.napseLag, "napse-lag", "1", "when a Napse change becomes visible to the status query: after `N` queries saw it pending, after a DURATION, or both (N,DURATION); 0 for at once")
	return cmd
}

// simContext is the context rota sim serves under: it ends on SIGINT or
// SIGTERM. Tests replace it to stop the simulator.
var simContext = func(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func runSim(cmd *cobra.Command, f *simFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := sim.CheckLoopback(f.addr); err != nil {
		return usageErrorf(stderr, "--addr: %v", err)
	}
	opts := sim.Options{}
	for _, rule := range f.faults {
		fault, err := sim.ParseFault(rule)
		if err != nil {
			return usageErrorf(stderr, "--fault: %v", err)
		}
		opts.Faults = append(opts.Faults, fault)
	}
	lag, err := parseLag(f.napseLag)
	if err != nil {
		return usageErrorf(stderr, "--napse-lag %q: %v", f.napseLag, err)
	}
	opts.NapseLag = &lag
	for _, kv := range f.options {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return usageErrorf(stderr, "--option %q: want NAME=VALUE, e.g. mirakl.holdDebit=true", kv)
		}
		if err := opts.SetOption(name, value); err != nil {
			return usageErrorf(stderr, "--option: %v", err)
		}
	}
	s := sim.New(opts)
	ctx, stop := simContext(cmd.Context())
	defer stop()
	err = s.ListenAndServe(ctx, f.addr, func(lines []string) {
		fmt.Fprintln(stdout, strings.Join(lines, "\n"))
		simBanner(stderr, lines, s.Faults())
	})
	if err != nil {
		if errors.Is(err, sim.ErrNotLoopback) {
			return usageErrorf(stderr, "--addr: %v", err)
		}
		return failf(stderr, "sim: %v", err)
	}
	fmt.Fprintln(stderr, "rota sim: stopped")
	return nil
}

// simBanner tells the user, on stderr, what is served and how to use it.
func simBanner(stderr io.Writer, lines []string, faults []sim.Fault) {
	napse := ""
	for _, l := range lines {
		if u, ok := strings.CutPrefix(l, sim.Napse+" "); ok {
			napse = u
		}
	}
	root := strings.TrimSuffix(napse, "/"+sim.Napse)
	fmt.Fprintf(stderr, "rota sim: serving; admin endpoints at %s/_sim; credentials in examples/sim.secrets; Ctrl-C stops\n", root)
	fmt.Fprintf(stderr, "rota sim: send with rota send --base-url %s/<marketplace> --secrets examples/sim.secrets EVENT.json... (docs/simulator.md)\n", root)
	for _, f := range faults {
		fmt.Fprintf(stderr, "rota sim: fault %s\n", f)
	}
}

// parseLag reads --napse-lag: N, DURATION or N,DURATION.
func parseLag(s string) (sim.Lag, error) {
	var lag sim.Lag
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if n, err := strconv.Atoi(part); err == nil && n >= 0 {
			lag.Queries = n
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d < 0 {
			return lag, errors.New("want a number of status queries, a duration (2s), or both (1,2s)")
		}
		lag.Delay = d
	}
	return lag, nil
}
