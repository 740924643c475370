package diag

import "strings"

// Lines is a source file split into lines once, so that many findings can
// quote it cheaply. The zero Lines quotes nothing. Safe for concurrent reads.
type Lines []string

// SplitLines indexes src by line.
func SplitLines(src []byte) Lines {
	return Lines(strings.Split(string(src), "\n"))
}

// Line returns the 1-based line without its line ending, or "".
func (l Lines) Line(n int) string {
	if n < 1 || n > len(l) {
		return ""
	}
	return strings.TrimRight(l[n-1], "\r")
}

// Indent is the 1-based column of the first non-blank character of line n.
func (l Lines) Indent(n int) int {
	s := l.Line(n)
	return len(s) - len(strings.TrimLeft(s, " \t")) + 1
}

// Snippet is the line with a caret under col, or "" when the line does not
// exist.
func (l Lines) Snippet(line, col int) string {
	if line < 1 || line > len(l) {
		return ""
	}
	if col < 1 {
		col = 1
	}
	text := strings.ReplaceAll(l.Line(line), "\t", " ")
	return " | " + text + "\n | " + strings.Repeat(" ", col-1) + "^"
}
