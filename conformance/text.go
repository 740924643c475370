package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for a person: per case file an ok or FAIL
// line per case (a failure with the case's position, the mapping rule
// involved and a diff of expected and actual), per mapping its checks, the
// coverage matrix, guard coverage, the notes (cases and checks that did not
// run, the copy of the mappings tested), and the closing line "N passed, N
// failed". It returns the first write error.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Files {
		writeFile(bw, f)
	}
	for _, m := range r.Mappings {
		writeMapping(bw, m)
	}
	r.writeMatrix(bw)
	r.writeGuards(bw)
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "note: %s\n", n)
	}
	fmt.Fprintf(bw, "%d passed, %d failed\n", r.Passed, r.Failed)
	return bw.Flush()
}

func writeFile(w io.Writer, f FileResult) {
	fmt.Fprintln(w, f.Path)
	for _, c := range f.Cases {
		if c.Passed {
			fmt.Fprintf(w, "  ok    %s\n", c.Name)
			continue
		}
		fmt.Fprintf(w, "  FAIL  %s  (%s)\n", c.Name, c.Pos)
		writeFailure(w, c.Failure)
	}
	fmt.Fprintln(w)
}

func writeFailure(w io.Writer, f *Failure) {
	const pad = "        "
	fmt.Fprintln(w, indent(f.Message, pad))
	if !f.Source.IsZero() {
		fmt.Fprintf(w, "%smapping: %s\n", pad, f.Source)
	}
	if f.Diff != "" {
		fmt.Fprintln(w, indent(f.Diff, pad))
	}
}

func writeMapping(w io.Writer, m MappingResult) {
	fmt.Fprintf(w, "%s (%s)\n", m.File, m.Marketplace)
	for _, c := range m.Checks {
		verdict := "ok  "
		if !c.Passed {
			verdict = "FAIL"
		}
		line := fmt.Sprintf("  %s  %s", verdict, c.Name)
		if c.Note != "" {
			line += ": " + c.Note
		}
		fmt.Fprintln(w, line)
		for _, p := range c.Problems {
			fmt.Fprintln(w, indent(p.String(), "        "))
		}
	}
	fmt.Fprintln(w)
}

func (r *Report) writeMatrix(w io.Writer) {
	if len(r.Matrix.Marketplaces) == 0 {
		return
	}
	fmt.Fprintln(w, "coverage matrix (event type × marketplace)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  \t%s\n", strings.Join(r.Matrix.Marketplaces, "\t"))
	for i, typ := range r.Matrix.EventTypes {
		fmt.Fprintf(tw, "  %s\t%s\n", typ, strings.Join(r.Matrix.Cells[i], "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func (r *Report) writeGuards(w io.Writer) {
	if len(r.Mappings) == 0 || r.partial {
		return
	}
	fmt.Fprintln(w, "guard coverage (times found true / false by cases)")
	for _, m := range r.Mappings {
		fmt.Fprintf(w, "  %s: %d/%d covered both ways\n", m.Marketplace, coveredCount(m.Guards), len(m.Guards))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, g := range m.Guards {
			mark := "ok  "
			if !g.Covered() {
				mark = "MISS"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s %s\t%d/%d\t%s\n", mark, g.EventType, g.Kind, g.Name, g.True, g.False, g.Source)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// WriteJSON writes the report as one indented JSON document (the Report's
// fields). It returns the first write error.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
