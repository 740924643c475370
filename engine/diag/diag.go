// Package diag holds the positions, findings and rendering that every stage of
// the engine uses to tell a person where a problem is and what to do about it.
//
// A Diagnostic is one finding about a mapping file (lint) with a stable Code,
// a Severity and a Pos (file:line:col). Diagnostics sort by position so output
// is deterministic. Besides the flattening of JSON Schema failures
// (SchemaFailures), the package has no dependencies on the rest of the
// engine.
package diag

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; a zero Pos
// means "no position known".
//
// A Pos is written as text, in JSON too, as file:line:col (String), and
// read back from that form (UnmarshalText), so that a struct field of type
// Pos shows in output exactly as the position strings people and tools
// read; tag such a field omitzero to leave an unknown position out.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsZero reports whether p carries no position.
func (p Pos) IsZero() bool { return p.Line == 0 && p.File == "" }

// String renders p as file:line:col, omitting what is unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// MarshalText writes p as String does.
func (p Pos) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads the forms String writes: file:line:col, file:line or
// file. A trailing number is taken for the line or column, so a file name
// that itself ends in :<digits> does not round-trip.
func (p *Pos) UnmarshalText(text []byte) error {
	*p = Pos{File: string(text)}
	var nums []int
	for len(nums) < 2 {
		i := strings.LastIndexByte(p.File, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(p.File[i+1:])
		if err != nil || n <= 0 {
			break
		}
		nums, p.File = append(nums, n), p.File[:i]
	}
	switch len(nums) {
	case 2:
		p.Line, p.Col = nums[1], nums[0]
	case 1:
		p.Line = nums[0]
	}
	return nil
}

// Less orders positions by file, line and column.
func (p Pos) Less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity says whether a finding stops a mapping from loading.
type Severity string

// Severities, from most to least serious.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one finding about a mapping file.
type Diagnostic struct {
	Pos      Pos      `json:"-"`
	Severity Severity `json:"severity"`
	Code     Code     `json:"code"`
	Message  string   `json:"message"`
	// Snippet is the source line with a caret under Pos.Col, when known.
	Snippet string `json:"snippet,omitempty"`
}

// String renders d as `file:line:col: severity: code: message`.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", d.Pos, d.Severity, d.Code, d.Message)
}

// List is a set of diagnostics. It implements error so that loading can
// return every problem at once; use errors.As to get it back.
type List []Diagnostic

// Error summarises the list: the first finding and how many more there are.
func (l List) Error() string {
	errs := l.Errors()
	if len(errs) == 0 {
		return "no errors"
	}
	if len(errs) == 1 {
		return errs[0].String()
	}
	return fmt.Sprintf("%s (and %d more errors)", errs[0], len(errs)-1)
}

// Errors returns the findings of severity Error, in order.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// HasErrors reports whether any finding has severity Error.
func (l List) HasErrors() bool { return len(l.Errors()) > 0 }

// Sort orders the list by position, then code, then message, and drops exact
// duplicates (the same finding reached twice).
func (l List) Sort() List {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Pos != b.Pos {
			return a.Pos.Less(b.Pos)
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	out := l[:0]
	for i, d := range l {
		if i > 0 && d.Pos == l[i-1].Pos && d.Code == l[i-1].Code && d.Message == l[i-1].Message {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Format renders every finding on its own line, followed by its snippet when
// withSnippets is set.
func (l List) Format(withSnippets bool) string {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String())
		b.WriteByte('\n')
		if withSnippets && d.Snippet != "" {
			b.WriteString(d.Snippet)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Snippet returns the given 1-based line of src and a caret under col, each
// prefixed with " | ", or "" when the line does not exist. To quote one file
// many times, use SplitLines once and Lines.Snippet.
func Snippet(src []byte, line, col int) string {
	return SplitLines(src).Snippet(line, col)
}
