package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rotahq/rota/engine"
)

// writeJSON prints v as JSON: two-space indent, a trailing newline, object
// keys in a stable order (struct fields as declared, map keys sorted), HTML
// characters left as they are. json.RawMessage values (a call's body) are
// printed as the JSON they hold, indented with the rest.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// errorOutput is the error document of the CLI contract. Response is the
// answer the marketplace understands, which only inbound routes (ingest)
// declare.
type errorOutput struct {
	Error    *engine.Error    `json:"error"`
	Response *engine.Response `json:"response,omitempty"`
}

// reportError prints err the contract's way and returns the error that ends
// the run with the contract's exit code: an *engine.Error as the error JSON
// on stdout and one line for a person on stderr; anything else is the engine
// failing (exit 2).
func reportError(stdout, stderr io.Writer, err error) error {
	var e *engine.Error
	if !errors.As(err, &e) {
		return failf(stderr, "%v", err)
	}
	if err := writeJSON(stdout, errorOutput{Error: e, Response: e.Response}); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	fmt.Fprintln(stderr, errorLine(e))
	return exitError{code: errorExitCode(e)}
}

// errorLine renders e on one line:
//
//	rota: rejected: state_not_changeable: message (mappings/napse.yaml:57:11)
//
// ending with the mapping rule that decided, or else the JSON pointer of the
// offending value, and how many more problems the error's details hold.
func errorLine(e *engine.Error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rota: %s: %s: %s", e.Kind, e.Code, oneLine(e.Message))
	switch {
	case !e.Source.IsZero():
		fmt.Fprintf(&b, " (%s)", e.Source)
	case e.Path != "":
		fmt.Fprintf(&b, " (at %s)", e.Path)
	}
	switch n := len(e.Details); n {
	case 0:
	case 1:
		b.WriteString("; and 1 more problem")
	default:
		fmt.Fprintf(&b, "; and %d more problems", n)
	}
	return escapeControls(b.String(), false)
}

// escapeControls writes the control characters of s (C0, DEL, C1, and bytes
// that are not UTF-8) as \xHH or \uHHHH, so that text taken from an event
// or a marketplace answer cannot drive the terminal (ESC sequences) or
// forge lines on stderr. With keepLines, line feeds and tabs stay.
func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if isControl(r, keepLines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case isControl(r, keepLines) && r < 0x80:
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r, keepLines):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isControl(r rune, keepLines bool) bool {
	if keepLines && (r == '\n' || r == '\t') {
		return false
	}
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError
}

// oneLine folds line breaks (and the indentation around them) into single
// spaces, so that a message or a multi-line expression stays on one line.
// Spaces within a line are kept as they are.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}

// plural renders a count with its noun: "1 error", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
