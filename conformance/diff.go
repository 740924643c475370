package conformance

import "strings"

// diffContext is how many unchanged lines are kept around each change.
const diffContext = 3

// lineDiff returns a unified-style diff of two texts: a header, then every
// line prefixed with "  " (both), "- " (expected only) or "+ " (actual
// only); long unchanged runs are cut down to diffContext lines around the
// changes. It returns "" when the texts are equal.
func lineDiff(expected, actual string) string {
	a, b := splitLines(expected), splitLines(actual)
	ops := diffOps(a, b)
	if !hasChange(ops) {
		return ""
	}
	var out strings.Builder
	out.WriteString("--- expected\n+++ actual\n")
	for i, op := range ops {
		if op.kind == ' ' && !nearChange(ops, i) {
			if i == 0 || ops[i-1].kind != ' ' || nearChange(ops, i-1) {
				out.WriteString("  ...\n")
			}
			continue
		}
		out.WriteString(string(op.kind) + " " + op.text + "\n")
	}
	return out.String()
}

type diffOp struct {
	kind byte // ' ', '-' or '+'
	text string
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// diffOps aligns a and b on a longest common subsequence of lines.
func diffOps(a, b []string) []diffOp {
	lcs := lcsTable(a, b)
	var ops []diffOp
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, diffOp{'-', a[i]})
	}
	for ; j < len(b); j++ {
		ops = append(ops, diffOp{'+', b[j]})
	}
	return ops
}

// lcsTable[i][j] is the length of the longest common subsequence of a[i:]
// and b[j:].
func lcsTable(a, b []string) [][]int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t
}

func hasChange(ops []diffOp) bool {
	for _, op := range ops {
		if op.kind != ' ' {
			return true
		}
	}
	return false
}

// nearChange reports whether ops[i] is within diffContext lines of a change.
func nearChange(ops []diffOp, i int) bool {
	for k := max(0, i-diffContext); k <= min(len(ops)-1, i+diffContext); k++ {
		if ops[k].kind != ' ' {
			return true
		}
	}
	return false
}
