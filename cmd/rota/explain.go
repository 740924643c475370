package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
)

func newExplainCmd() *cobra.Command {
	var (
		f      eventFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "explain [FILE|-]",
		Short: "Show for a person how one canonical event translates: rule, guards, fields, request",
		Long: `Explain takes the same input as translate and shows which mapping and event
rule applied, every guard with its value and file:line:col, each call (made
or skipped, and the status move it makes), each field with the expression and
value it came from, and the rendered request or the error.

Exit codes: as translate.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, &f, format, args)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (for a person) or json")
	return cmd
}

func runExplain(cmd *cobra.Command, f *eventFlags, format string, args []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if format != "text" && format != "json" {
		return usageErrorf(stderr, "--format %q: want text or json", format)
	}
	eng, raw, opts, err := prepareEvent(cmd, f, args)
	if err != nil {
		return err
	}
	ex, err := eng.Explain(raw, opts)
	if err != nil {
		return reportExplainError(stdout, stderr, format, err)
	}
	var out bytes.Buffer
	if format == "json" {
		err = writeJSON(&out, ex)
	} else {
		writeExplanation(&out, ex)
	}
	if err == nil {
		_, err = stdout.Write(out.Bytes())
	}
	if err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	if ex.Error != nil {
		fmt.Fprintln(stderr, errorLine(ex.Error))
		return exitError{code: errorExitCode(ex.Error)}
	}
	return nil
}

// reportExplainError prints an error found before a mapping was chosen
// (invalid event, unknown marketplace).
func reportExplainError(stdout, stderr io.Writer, format string, err error) error {
	var te *engine.Error
	if format == "json" || !errors.As(err, &te) {
		return reportError(stdout, stderr, err)
	}
	writeErrorBlock(stdout, te)
	fmt.Fprintln(stderr, errorLine(te))
	return exitError{code: errorExitCode(te)}
}

// writeExplanation renders ex for a person. Every position is file:line:col,
// so that an editor can jump to it.
func writeExplanation(w io.Writer, ex *engine.Explanation) {
	fmt.Fprintf(w, "marketplace  %s\n", ex.Marketplace)
	fmt.Fprintf(w, "mapping      %s\n", ex.Mapping)
	if ex.EventType != "" {
		fmt.Fprintf(w, "event        %s\n", ex.EventType)
	}
	if !ex.Rule.IsZero() {
		fmt.Fprintf(w, "rule         %s\n", ex.Rule)
	}
	if !writeIgnoreWhen(w, ex.IgnoreWhen) {
		writeGuards(w, ex.Guards)
	}
	for i := range ex.Calls {
		writeCall(w, &ex.Calls[i])
	}
	switch {
	case ex.Error != nil:
		fmt.Fprintln(w)
		writeErrorBlock(w, ex.Error)
	case ex.Result != nil:
		writeResult(w, ex.Result)
	}
}

func writeGuards(w io.Writer, guards []engine.GuardTrace) {
	fmt.Fprintln(w)
	if len(guards) == 0 {
		fmt.Fprintln(w, "guards: none")
		return
	}
	fmt.Fprintln(w, "guards:")
	for _, g := range guards {
		if g.Skipped {
			fmt.Fprintf(w, "  %s\n", skippedLine(g))
			continue
		}
		fmt.Fprintf(w, "  %s\n", condLine(g, g.Code))
		if g.When != nil {
			fmt.Fprintf(w, "      %s\n", condLine(*g.When, "when"))
		}
	}
}

// skippedLine renders a guard its when condition skipped.
func skippedLine(g engine.GuardTrace) string {
	why := "its when is false"
	if g.When != nil && g.When.Error != "" {
		why = "its when could not be evaluated: " + oneLine(g.When.Error)
	}
	line := fmt.Sprintf("- %s  %s  (%s)  skipped: %s", g.Code, oneLine(g.Expr), g.Source, why)
	if g.When != nil {
		line += fmt.Sprintf("\n      when  %s  (%s)", oneLine(g.When.Expr), g.When.Source)
	}
	return line
}

// condLine renders a guard or condition: mark, name, expression, position
// and value.
func condLine(g engine.GuardTrace, name string) string {
	switch {
	case g.Error != "":
		return fmt.Sprintf("! %s  %s  (%s)  error: %s", name, oneLine(g.Expr), g.Source, oneLine(g.Error))
	case g.Value != nil && *g.Value:
		return fmt.Sprintf("✓ %s  %s  (%s)  = true", name, oneLine(g.Expr), g.Source)
	case g.Value != nil:
		return fmt.Sprintf("✗ %s  %s  (%s)  = false", name, oneLine(g.Expr), g.Source)
	}
	return fmt.Sprintf("? %s  %s  (%s)  not evaluated", name, oneLine(g.Expr), g.Source)
}

func writeCall(w io.Writer, c *engine.CallTrace) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "call %s (%s): %s\n", c.Name, c.Source, callState(c))
	if c.When != nil {
		fmt.Fprintf(w, "  %s\n", condLine(*c.When, "when"))
	}
	if t := c.Transition; t != nil {
		verdict := "allowed"
		if !t.Allowed {
			verdict = "refused by the status table"
		}
		fmt.Fprintf(w, "  status %s → %s: %s\n", t.From, t.To, verdict)
	}
	width := 0
	for _, fd := range c.Fields {
		width = max(width, len(fd.Location))
	}
	for _, fd := range c.Fields {
		fmt.Fprintf(w, "  %s\n", fieldLine(fd, width))
	}
}

func callState(c *engine.CallTrace) string {
	switch {
	case c.Made:
		return "made"
	case c.When != nil && c.When.Value != nil && !*c.When.Value:
		return "skipped: its condition is false"
	case c.Transition != nil && !c.Transition.Allowed:
		return "not made: the status move is refused"
	}
	return "not made"
}

// fieldLine renders one output value: location ← expression = value (pos).
func fieldLine(fd engine.FieldTrace, width int) string {
	loc := fd.Location + strings.Repeat(" ", width-len(fd.Location))
	switch {
	case fd.Omitted:
		return fmt.Sprintf("%s   omitted: no value  (%s)", loc, fd.Source)
	case fd.Expr != "":
		return fmt.Sprintf("%s ← %s = %s  (%s)", loc, oneLine(fd.Expr), compactJSON(fd.Value), fd.Source)
	}
	return fmt.Sprintf("%s   = %s  (%s)", loc, compactJSON(fd.Value), fd.Source)
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(none)"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func writeResult(w io.Writer, res *engine.Result) {
	fmt.Fprintln(w)
	if res.Outcome == engine.OutcomeIgnore {
		fmt.Fprintf(w, "outcome: ignore: %s\n", res.Reason)
		return
	}
	fmt.Fprintf(w, "outcome: %s, %s\n", res.Outcome, plural(len(res.Calls), "call"))
	for i, c := range res.Calls {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "request %d: %s\n", i+1, c.Name)
		writeRequest(w, c)
	}
}

// writeRequest renders a call as an HTTP request: method and URL, headers
// sorted by name, then the indented body.
func writeRequest(w io.Writer, c engine.Call) {
	fmt.Fprintf(w, "  %s %s\n", c.Method, c.URL)
	for name, v := range c.Headers.All() {
		fmt.Fprintf(w, "  %s: %s\n", name, v)
	}
	if len(c.Body) > 0 {
		var b bytes.Buffer
		if err := json.Indent(&b, c.Body, "  ", "  "); err != nil {
			b.Reset()
			b.Write(c.Body)
		}
		fmt.Fprintf(w, "\n  %s\n", b.String())
	}
	writeEncodedBody(w, c)
	if c.MarketplaceStatus != "" {
		fmt.Fprintf(w, "  (leads to marketplace status %s)\n", c.MarketplaceStatus)
	}
}

// writeErrorBlock renders an error for a person: kind and code, message,
// then where (the event's JSON pointer, the mapping rule) and any more
// problems.
func writeErrorBlock(w io.Writer, e *engine.Error) {
	fmt.Fprintf(w, "error: %s: %s\n", e.Kind, e.Code)
	fmt.Fprintf(w, "  %s\n", oneLine(e.Message))
	if e.MarketplaceCode != "" {
		fmt.Fprintf(w, "  marketplace code: %s\n", e.MarketplaceCode)
	}
	if e.Path != "" {
		fmt.Fprintf(w, "  at %s\n", e.Path)
	}
	if !e.Source.IsZero() {
		fmt.Fprintf(w, "  rule %s\n", e.Source)
	}
	for _, d := range e.Details {
		fmt.Fprintf(w, "  also: %s: %s (at %s)\n", d.Code, oneLine(d.Message), d.Path)
	}
}

// writeEncodedBody renders a body that is not JSON: its text, lines
// indented (CR LF shown as line ends), or the size and start of its base64.
func writeEncodedBody(w io.Writer, c engine.Call) {
	switch {
	case c.BodyText != "":
		text := strings.ReplaceAll(c.BodyText, "\r\n", "\n")
		fmt.Fprintf(w, "\n  %s\n", strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n  "))
	case c.BodyBase64 != "":
		shown := c.BodyBase64
		if len(shown) > 76 {
			shown = shown[:76] + "..."
		}
		fmt.Fprintf(w, "\n  (%d bytes that are not text, base64: %s; translate prints them all)\n", len(c.Encoded), shown)
	}
}
