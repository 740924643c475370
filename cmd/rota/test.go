package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/rotahq/rota/conformance"
	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
)

type testFlags struct {
	format   string
	junit    string
	mappings string
	cases    string
	run      string
	seed     int64
	runs     int
}

func newTestCmd() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the conformance suite against mappings (default: all bundled)",
		Long: `Test runs the conformance suite: the cases of a case folder, and the
checks every mapping must pass (lint, every event type answered, request
schemas, guard coverage, statuses and transitions, a seeded property run,
no secret-looking literals).

PATH names mapping files or a folder of them; --mappings DIR names a folder.
Named files are always read from disk, wherever they are. With neither, the
mappings built into rota are tested (a note says so). Only the cases of the
marketplaces tested run; cases found for other marketplaces, or for a
mapping that does not load, are listed once in a note (its load error fails
its lint check), not failed.

Cases come from --cases DIR (default conformance/cases, from the repository
root): a folder of case files, one folder per marketplace
(DIR/<marketplace>/*.yaml). Keep your own next to your mappings and run
    rota test --cases my-cases my-mappings/acme.yaml
--run REGEX runs only the cases whose name, or full name
<marketplace>/<file>/<case name>, matches (as go test -run); the checks
other than lint need every case and do not run then.

Output ends with the line "N passed, N failed".

Exit codes: 0 all passed; 1 any failed; 2 usage or unreadable input.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE`")
	fl.StringVar(&f.mappings, "mappings", "", "test the mapping files in `DIR` instead of the bundled ones")
	fl.StringVar(&f.cases, "cases", conformance.DefaultCases, "read case files from `DIR` (DIR/<marketplace>/*.yaml)")
	fl.StringVar(&f.run, "run", "", "run only the cases whose name or marketplace/file/name matches `REGEX`")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the property run (the same seed generates the same events)")
	fl.IntVar(&f.runs, "property-runs", 0, "generated events per event type (0: the default; negative: skip)")
	return cmd
}

func runTest(cmd *cobra.Command, f *testFlags, paths []string) error {
	stderr := cmd.ErrOrStderr()
	if f.format != "text" && f.format != "json" {
		return usageErrorf(stderr, "--format %q: want text or json", f.format)
	}
	opts := conformance.Options{Mappings: f.mappings, Cases: f.cases, Seed: f.seed, PropertyRuns: f.runs}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			return usageErrorf(stderr, "--run %q: %v", f.run, err)
		}
		opts.Run = re
	}
	if err := selectPaths(&opts, paths); err != nil {
		return failf(stderr, "%v", err)
	}
	if _, err := os.Stat(opts.Cases); err != nil {
		return failf(stderr, "no case folder %s: run rota test from the repository root, or give your own with --cases DIR", opts.Cases)
	}
	rep, err := conformance.Run(opts)
	var inputErr *conformance.InputError
	if rep == nil || (err != nil && !errors.As(err, &inputErr)) {
		return failf(stderr, "%v", err)
	}
	if err := writeTestReport(rep, f, cmd); err != nil {
		return failf(stderr, "%v", err)
	}
	if !rep.OK() {
		return exitWith(exitRefused)
	}
	return nil
}

func writeTestReport(rep *conformance.Report, f *testFlags, cmd *cobra.Command) error {
	if f.junit != "" {
		out, err := os.Create(f.junit)
		if err != nil {
			return err
		}
		werr := rep.WriteJUnit(out)
		if cerr := out.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return werr
		}
	}
	if f.format == "json" {
		return rep.WriteJSON(cmd.OutOrStdout())
	}
	return rep.WriteText(cmd.OutOrStdout())
}

// selectPaths turns PATH arguments into the mapping folder to read from
// disk and the files of it to test: a folder is tested whole, files by
// name. Every PATH is read from disk, wherever it is.
func selectPaths(o *conformance.Options, paths []string) error {
	whole := false
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, pathless(err))
		}
		dir := p
		if st.IsDir() {
			whole = true
		} else {
			if !engine.IsMappingFile(filepath.Base(p)) {
				return fmt.Errorf("%s is not a mapping file: rota test takes mapping files (*.yaml, *.yml) or folders of them", p)
			}
			dir = filepath.Dir(p)
			o.Files = append(o.Files, filepath.Base(p))
		}
		if o.Mappings != "" && filepath.Clean(o.Mappings) != filepath.Clean(dir) {
			return fmt.Errorf("mapping files must come from one folder (%s and %s)", o.Mappings, dir)
		}
		o.Mappings = dir
	}
	if whole {
		o.Files = nil
	}
	return nil
}
