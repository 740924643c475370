package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rotahq/rota/conformance"
	"github.com/rotahq/rota/engine"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

type testFlags struct {
	format   string
	junit    string
	mappings string
	cases    string
	seed     int64
	runs     int
}

func newTestCmd() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the conformance suite against mappings (default: all bundled)",
		Long: `Test runs the conformance suite: every case under conformance/cases, and
the checks every mapping must pass (lint, every event type answered, request
schemas, guard coverage, statuses and transitions, a seeded property run,
no secret-looking literals). PATH names mapping files or a folder of them;
--mappings DIR runs the bundled cases against mapping files elsewhere.
Output ends with the line "N passed, N failed".

Run it from the repository root, or give the case folder with --cases.

Exit codes: 0 all passed; 1 any failed; 2 usage or unreadable input.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE`")
	fl.StringVar(&f.mappings, "mappings", "", "test the mapping files in `DIR` instead of the bundled ones")
	fl.StringVar(&f.cases, "cases", conformance.DefaultCases, "read case files from `DIR`")
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
	if err := selectPaths(&opts, paths); err != nil {
		return failf(stderr, "%v", err)
	}
	if _, err := os.Stat(opts.Cases); err != nil {
		return failf(stderr, "no case folder %s: run rota test from the repository root, or give --cases DIR", opts.Cases)
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

// selectPaths turns PATH arguments into the mapping folder and the
// marketplaces to test: a folder is tested whole, files by their id.
func selectPaths(o *conformance.Options, paths []string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, pathless(err))
		}
		dir := p
		if !st.IsDir() {
			if !engine.IsMappingFile(filepath.Base(p)) {
				return fmt.Errorf("%s is not a mapping file: rota test takes mapping files (*.yaml, *.yml) or folders of them", p)
			}
			dir = filepath.Dir(p)
			id, err := marketplaceOf(p)
			if err != nil {
				return err
			}
			o.Only = append(o.Only, id)
		}
		if o.Mappings != "" && filepath.Clean(o.Mappings) != filepath.Clean(dir) {
			return fmt.Errorf("mapping files must come from one folder (%s and %s)", o.Mappings, dir)
		}
		if !isBundledDir(dir) {
			o.Mappings = dir
		}
	}
	return nil
}

// isBundledDir reports whether dir is the repository's mappings folder,
// which the bundled (embedded) mappings already are.
func isBundledDir(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	wd, _ := os.Getwd()
	return abs == filepath.Join(wd, "mappings")
}

func marketplaceOf(file string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", file, pathless(err))
	}
	var head struct {
		Marketplace string `yaml:"marketplace"`
	}
	if err := yaml.Unmarshal(src, &head); err != nil || head.Marketplace == "" {
		return "", fmt.Errorf("%s: no marketplace id (run rota lint %s)", file, file)
	}
	return head.Marketplace, nil
}
