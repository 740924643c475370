package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// runSendFiles sends one file as runSend does, or several in order,
// stopping at the first that is not delivered: a lifecycle told by an
// order's events, one command. Standard input can only be the one file.
func runSendFiles(cmd *cobra.Command, f *sendFlags, args []string) error {
	if len(args) <= 1 {
		return runSend(cmd, f, args)
	}
	stderr := cmd.ErrOrStderr()
	for _, file := range args {
		if file == "-" {
			return usageErrorf(stderr, "standard input (-) can only be sent alone, not among %d files", len(args))
		}
	}
	for i, file := range args {
		if err := runSend(cmd, f, []string{file}); err != nil {
			if rest := len(args) - i - 1; rest > 0 {
				fmt.Fprintf(stderr, "rota: stopped at %s (file %d of %d); the %d after it were not sent\n", file, i+1, len(args), rest)
			}
			return err
		}
	}
	return nil
}
