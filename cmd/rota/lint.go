package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/mappings"
	"github.com/spf13/cobra"
)

type lintFlags struct {
	format   string
	snippets bool
}

func newLintCmd() *cobra.Command {
	var f lintFlags
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check mapping files: YAML syntax, schema, expressions, paths, statuses, endpoints",
		Long: `Lint checks mapping files and folders (default: the bundled mappings) and
prints every finding, sorted, as file:line:col: severity: code: message.
A summary line goes to stderr.

Lint reports every independent problem in one run: the schema's findings
and, in the parts the schema accepts, the expression, status, path and
other findings; at most 100 per file (a last finding says how many more).
A PATH that is not a mapping file (*.yaml, *.yml), or a folder without one
at its top, is a usage error.

Exit codes: 0 clean (warnings allowed); 1 errors found; 2 usage or
unreadable input.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd, &f, args)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&f.snippets, "snippets", false, "print the source line and a caret under each finding (text format)")
	return cmd
}

// lintFinding is one finding in lint's JSON output.
type lintFinding struct {
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Column   int           `json:"column"`
	Severity diag.Severity `json:"severity"`
	Code     diag.Code     `json:"code"`
	Message  string        `json:"message"`
}

// lintReport is lint's JSON output.
type lintReport struct {
	Findings []lintFinding `json:"findings"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
}

func runLint(cmd *cobra.Command, f *lintFlags, paths []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.format != "text" && f.format != "json" {
		return usageErrorf(stderr, "--format %q: want text or json", f.format)
	}
	if err := checkLintPaths(paths); err != nil {
		return usageErrorf(stderr, "%v", err)
	}
	var ds diag.List
	if len(paths) == 0 {
		ds = engine.LintFS(mappings.FS, "mappings")
	} else {
		ds = engine.Lint(paths...)
	}
	rep := newLintReport(ds)
	var err error
	if f.format == "json" {
		err = writeJSON(stdout, rep)
	} else {
		_, err = fmt.Fprint(stdout, ds.Format(f.snippets))
	}
	if err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	fmt.Fprintf(stderr, "%s, %s\n", plural(rep.Errors, "error"), plural(rep.Warnings, "warning"))
	return exitWith(lintExitCode(ds))
}

// checkLintPaths refuses a path lint would check nothing in: a file that
// is not a mapping file, or a folder without one at its top. Paths that
// cannot be read are left to lint, which reports them as findings.
func checkLintPaths(paths []string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			continue
		case !st.IsDir() && !engine.IsMappingFile(filepath.Base(p)):
			return fmt.Errorf("%s is not a mapping file: rota lint takes mapping files (*.yaml, *.yml) or folders that hold them", p)
		case st.IsDir() && !holdsMappingFile(p):
			return fmt.Errorf("no mapping files (*.yaml, *.yml) in %s: rota lint takes mapping files or folders that hold them (not in subfolders)", p)
		}
	}
	return nil
}

// holdsMappingFile reports whether dir holds a mapping file at its top.
func holdsMappingFile(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() && engine.IsMappingFile(e.Name()) {
			return true
		}
	}
	return false
}

func newLintReport(ds diag.List) lintReport {
	rep := lintReport{Findings: make([]lintFinding, 0, len(ds))}
	for _, d := range ds {
		rep.Findings = append(rep.Findings, lintFinding{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col,
			Severity: d.Severity, Code: d.Code, Message: d.Message})
		if d.Severity == diag.Error {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	return rep
}

// lintExitCode is 2 when a path could not be read, 1 when any finding is an
// error, else 0.
func lintExitCode(ds diag.List) int {
	for _, d := range ds {
		if d.Code == diag.Unreadable {
			return exitUsage
		}
	}
	if ds.HasErrors() {
		return exitRefused
	}
	return exitOK
}
