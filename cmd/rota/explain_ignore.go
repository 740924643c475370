package main

import (
	"fmt"
	"io"

	"github.com/rotahq/rota/engine"
)

// writeIgnoreWhen renders the rule's ignoreWhen entries as evaluated, each
// with its position, and which one held (or that none did); it reports
// whether one held, in which case the guards were not evaluated. It writes
// nothing for a rule without ignoreWhen.
func writeIgnoreWhen(w io.Writer, entries []engine.IgnoreWhenTrace) bool {
	if len(entries) == 0 {
		return false
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ignoreWhen:")
	held := false
	for _, it := range entries {
		g := engine.GuardTrace{Expr: it.Expr, Value: it.Value, Source: it.Source, Error: it.Error}
		fmt.Fprintf(w, "  %s\n", condLine(g, fmt.Sprintf("ignoreWhen[%d]", it.Index)))
		if it.Held {
			held = true
			fmt.Fprintf(w, "      held: ignored, reason %q\n", it.Reason)
		}
	}
	switch {
	case held:
		fmt.Fprintln(w)
		fmt.Fprintln(w, "guards: not evaluated (the event is ignored)")
	case entries[len(entries)-1].Error == "":
		fmt.Fprintln(w, "  none held: the rule goes on")
	}
	return held
}
