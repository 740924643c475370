// Command rota is the command line of Rota, a declarative order-status
// integration engine: YAML mapping files describe, per marketplace, which
// HTTP calls a canonical order event (order.invoiced, order.shipped, ...)
// turns into, and which canonical events a marketplace's own payloads mean.
//
// Usage:
//
//	rota lint [PATH...]          check mapping files (default: the bundled ones)
//	rota translate [FILE|-]      turn one canonical event into the outbound call(s)
//	rota explain [FILE|-]        show, for a person, how an event was translated
//	rota ingest -m NAME [FILE|-] turn an inbound marketplace payload into canonical events
//	rota test [PATH...]          run the conformance suite against mappings
//	rota send [FILE|-]           translate one event and deliver its calls
//	rota auth exchange -m NAME --code CODE  store an OAuth2 token pair
//	rota sim [--addr HOST:PORT]  simulate the four marketplaces on loopback
//	rota serve                   run the delivery service (HTTP API, durable queue)
//	rota events list|show|replay|skip   the events of a running rota serve
//	rota orders show M ID        an order of a running rota serve
//	rota version                 print the version
//	rota schema mapping|case|event  print a built-in JSON Schema
//
// Verbs, flags, JSON shapes and exit codes are a public contract
// (docs/cli.md): 0 success, 1 the input was refused or findings
// were errors, 2 usage, unreadable input, broken mappings or configuration.
//
// The command is thin: it parses flags, reads input and prints results; all
// logic lives in package engine.
package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// commands builds the verbs, in the order help lists them. Adding a verb is
// one line here.
var commands = []func() *cobra.Command{
	newLintCmd,
	newTranslateCmd,
	newExplainCmd,
	newIngestCmd,
	newTestCmd,
	newSimCmd,
	newSendCmd,
	newAuthCmd,
	newServeCmd,
	newEventsCmd,
	newOrdersCmd,
	newVersionCmd,
	newSchemaCmd,
}

// newRootCmd builds a fresh command tree, so that every run (and every test)
// starts from default flag values.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rota",
		Short: "Rota translates order events into marketplace calls, as mapping files describe",
		Long: `Rota translates canonical order events into the HTTP calls each marketplace
expects, and inbound marketplace payloads into canonical events, as described
by declarative YAML mapping files.

Exit codes: 0 success; 1 the event was refused (invalid, rejected, unsupported,
unknown marketplace) or lint found errors; 2 usage, unreadable input, broken
mappings or configuration.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          usageOnly,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	return root
}

// run executes the command line args with the given streams and returns the
// process exit code. main calls it; tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exitCode(root.Execute(), stderr)
}
