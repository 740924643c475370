package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/engine/diag"
	"github.com/rotahq/rota/mappings"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
)

// eventFlags are the flags of the verbs that translate one canonical event
// (translate, explain and send).
type eventFlags struct {
	marketplace string
	env         string
	common      commonFlags
}

// commonFlags are the flags every translating verb has.
type commonFlags struct {
	mappings string
	vars     []string
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mappings, "mappings", "", "load mapping files from `DIR` instead of the bundled ones")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "a run-time variable the mapping declares, as `NAME=VALUE` (repeatable; also read from ROTA_VAR_<MARKETPLACE>_<NAME>)")
}

func (f *eventFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.marketplace, "marketplace", "m", "", "use the mapping of marketplace `NAME` instead of the event's marketplace field (a warning on stderr says so when the event names another)")
	cmd.Flags().StringVar(&f.env, "env", "", "the mapping environment `NAME` to target (default production)")
	f.common.register(cmd)
}

func newTranslateCmd() *cobra.Command {
	var f eventFlags
	cmd := &cobra.Command{
		Use:   "translate [FILE|-]",
		Short: "Translate one canonical event into the marketplace call(s) and print them as JSON",
		Long: `Translate reads one canonical event (from FILE, or standard input when FILE
is - or absent) and prints the outbound call(s) its marketplace expects, as
JSON. The marketplace comes from the event's marketplace field; -m overrides it
(with a warning on stderr when the event names another marketplace).

Exit codes: 0 send or ignore; 1 the event is invalid, rejected by a rule,
unsupported, or names an unknown marketplace (error JSON on stdout, one line
on stderr); 2 usage, unreadable input, broken mappings, configuration.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTranslate(cmd, &f, args)
		},
	}
	f.register(cmd)
	return cmd
}

func runTranslate(cmd *cobra.Command, f *eventFlags, args []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	eng, raw, opts, err := prepareEvent(cmd, f, args)
	if err != nil {
		return err
	}
	res, err := eng.Translate(raw, opts)
	if err != nil {
		return reportError(stdout, stderr, err)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	return nil
}

// prepareEvent does what the verbs that translate one canonical event
// share: read the event, load the mappings, and gather the options
// (marketplace, environment, variables).
func prepareEvent(cmd *cobra.Command, f *eventFlags, args []string) (*engine.Engine, []byte, engine.TranslateOptions, error) {
	eng, raw, given, err := f.common.load(cmd, args)
	if err != nil {
		return nil, nil, engine.TranslateOptions{}, err
	}
	id := f.marketplace
	named := gjson.GetBytes(raw, "marketplace").String()
	if id == "" {
		id = named
	} else if named != "" && named != id {
		// -m overrides the event's marketplace, as the CLI contract says; an
		// override is never silent.
		fmt.Fprintf(cmd.ErrOrStderr(), "rota: warning: the event names marketplace %q; translating it with the %q mapping, as -m asks\n", named, id)
	}
	return eng, raw, engine.TranslateOptions{
		Marketplace: f.marketplace,
		Environment: f.env,
		Vars:        runVars(eng, id, given),
	}, nil
}

// load does what every translating verb starts with: parse the --var flags,
// read the input, and load the mappings.
func (f *commonFlags) load(cmd *cobra.Command, args []string) (*engine.Engine, []byte, map[string]string, error) {
	stderr := cmd.ErrOrStderr()
	given, err := parseVars(stderr, f.vars)
	if err != nil {
		return nil, nil, nil, err
	}
	raw, err := readInput(cmd, args)
	if err != nil {
		return nil, nil, nil, err
	}
	eng, err := loadEngine(stderr, f.mappings)
	if err != nil {
		return nil, nil, nil, err
	}
	return eng, raw, given, nil
}

// readInput reads the file named by the only argument, or standard input
// when there is none or it is "-": at most one byte more than
// engine.MaxInputBytes, enough for the engine to refuse a larger input
// (too_large) without reading it all.
func readInput(cmd *cobra.Command, args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		raw, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), engine.MaxInputBytes+1))
		if err != nil {
			return nil, failf(cmd.ErrOrStderr(), "cannot read standard input: %v", err)
		}
		return raw, nil
	}
	fh, err := os.Open(args[0])
	if err != nil {
		return nil, failf(cmd.ErrOrStderr(), "cannot read %s: %v", args[0], pathless(err))
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, engine.MaxInputBytes+1))
	if err != nil {
		return nil, failf(cmd.ErrOrStderr(), "cannot read %s: %v", args[0], pathless(err))
	}
	return raw, nil
}

// pathless drops what an *fs.PathError adds to its cause ("open FILE: "),
// for messages that name the file already.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadEngine loads the bundled mappings, or those in dir. Broken mappings are
// printed to stderr, every finding with its snippet, and end the run (exit 2).
func loadEngine(stderr io.Writer, dir string) (*engine.Engine, error) {
	var (
		eng *engine.Engine
		err error
	)
	shown := "the bundled mappings"
	if dir == "" {
		eng, err = engine.Load(mappings.FS, engine.WithDisplayDir("mappings"))
	} else {
		shown = dir
		eng, err = engine.LoadPaths(dir)
	}
	if err == nil {
		return eng, nil
	}
	var ds diag.List
	if !errors.As(err, &ds) {
		return nil, failf(stderr, "cannot load %s: %v", shown, err)
	}
	fmt.Fprint(stderr, ds.Format(true))
	errs := ds.Errors()
	if len(errs) == 1 && errs[0].Code == diag.Unreadable {
		return nil, failf(stderr, "cannot load mappings: %s", errs[0].Message)
	}
	return nil, failf(stderr, "cannot load %s: %s", shown, plural(len(errs), "error"))
}

// parseVars parses --var NAME=VALUE flags.
func parseVars(stderr io.Writer, flags []string) (map[string]string, error) {
	vars := map[string]string{}
	for _, kv := range flags {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageErrorf(stderr, "--var %q: want NAME=VALUE", kv)
		}
		vars[name] = value
	}
	return vars, nil
}

// runVars completes the variables the --var flags gave (vars, which it
// extends) into those of the run: each variable the marketplace's mapping
// declares that no flag gave takes its value from the environment variable
// ROTA_VAR_<MARKETPLACE>_<NAME> (upper case, '-' as '_'), when set. It is
// nil when there are none.
func runVars(eng *engine.Engine, marketplace string, vars map[string]string) map[string]string {
	for _, name := range eng.Variables(marketplace) {
		if _, ok := vars[name]; ok {
			continue
		}
		if v, ok := os.LookupEnv(engine.VarEnvName(marketplace, name)); ok {
			vars[name] = v
		}
	}
	if len(vars) == 0 {
		return nil
	}
	return vars
}
