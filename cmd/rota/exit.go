package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
)

// Exit codes of the CLI contract (docs/cli.md).
const (
	exitOK      = 0 // success: clean lint, send or ignore
	exitRefused = 1 // the input was refused, or lint found errors
	exitUsage   = 2 // usage, unreadable input, broken mappings, configuration
	exitUnknown = 3 // send: a call may or may not have been applied (outcome unknown)
)

// exitError ends a command with an exit code. The command has already told
// the user why (on stdout and stderr) before returning it.
type exitError struct {
	code int
}

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitWith ends a command with code: nil for success, else an exitError.
func exitWith(code int) error {
	if code == exitOK {
		return nil
	}
	return exitError{code: code}
}

// exitCode maps what the command tree returned to the process exit code.
// Any error that is not an exitError comes from cobra itself (unknown verb or
// flag, wrong number of arguments) and is a usage error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(stderr, "rota: %s (see rota --help)\n", escapeControls(err.Error(), true))
	return exitUsage
}

// usageErrorf reports a usage problem found by a command itself (a bad flag
// value) and returns the error that ends the run with exit code 2.
func usageErrorf(stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "rota: %s\n", escapeControls(fmt.Sprintf(format, args...), true))
	return exitError{code: exitUsage}
}

// failf reports a problem that is not the event's fault (unreadable input,
// broken mappings) and returns the error that ends the run with exit code 2.
func failf(stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "rota: %s\n", escapeControls(fmt.Sprintf(format, args...), true))
	return exitError{code: exitUsage}
}

// errorExitCode is the exit code for a translation error: 1 when the input
// was refused, 2 when the run or the mapping is at fault.
func errorExitCode(e *engine.Error) int {
	switch e.Kind {
	case engine.KindConfiguration, engine.KindMapping:
		return exitUsage
	}
	return exitRefused
}

// usageOnly is the RunE of a command that only groups others: called
// alone, it prints its usage on stderr and exits 2.
func usageOnly(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	_ = cmd.Usage()
	return exitError{code: exitUsage}
}
