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
// (translate and explain).
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
	cmd.Flags().StringVarP(&f.marketplace, "marketplace", "m", "", "use the mapping of marketplace `NAME` instead of the event's marketplace field")
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
JSON. The marketplace comes from the event's marketplace field; -m overrides it.

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
		return reportTranslateError(stdout, stderr, err)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failf(stderr, "cannot write output: %v", err)
	}
	return nil
}

// reportTranslateError prints err the contract's way: an *engine.Error as
// error JSON plus one line; anything else is the engine failing (exit 2).
func reportTranslateError(stdout, stderr io.Writer, err error) error {
	var te *engine.Error
	if !errors.As(err, &te) {
		return failf(stderr, "%v", err)
	}
	return reportError(stdout, stderr, errorOutput{Error: te}, te)
}

// prepareEvent does what translate and explain share: read the event, load
// the mappings, and gather the options (marketplace, environment, variables).
func prepareEvent(cmd *cobra.Command, f *eventFlags, args []string) (*engine.Engine, []byte, engine.TranslateOptions, error) {
	stderr := cmd.ErrOrStderr()
	var opts engine.TranslateOptions
	given, err := parseVars(stderr, f.common.vars)
	if err != nil {
		return nil, nil, opts, err
	}
	raw, err := readInput(cmd, args)
	if err != nil {
		return nil, nil, opts, err
	}
	eng, err := loadEngine(stderr, f.common.mappings)
	if err != nil {
		return nil, nil, opts, err
	}
	id := f.marketplace
	if id == "" {
		id = gjson.GetBytes(raw, "marketplace").String()
	}
	opts = engine.TranslateOptions{
		Marketplace: f.marketplace,
		Environment: f.env,
		Vars:        withEnvVars(given, id, declaredVars(eng, id)),
	}
	return eng, raw, opts, nil
}

// readInput reads the file named by the only argument, or standard input
// when there is none or it is "-".
func readInput(cmd *cobra.Command, args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		raw, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, failf(cmd.ErrOrStderr(), "cannot read standard input: %v", err)
		}
		return raw, nil
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, failf(cmd.ErrOrStderr(), "cannot read %s: %v", args[0], err)
	}
	return raw, nil
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

// withEnvVars adds, for each variable the marketplace's mapping declares
// that no --var flag gave, its value from the environment variable
// ROTA_VAR_<MARKETPLACE>_<NAME> (upper case, '-' as '_'), when set.
func withEnvVars(given map[string]string, marketplace string, declared []string) map[string]string {
	out := make(map[string]string, len(given))
	for k, v := range given {
		out[k] = v
	}
	for _, name := range declared {
		if _, ok := out[name]; ok {
			continue
		}
		if v, ok := os.LookupEnv(engine.VarEnvName(marketplace, name)); ok {
			out[name] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// declaredVars returns the variable names the marketplace's mapping
// declares; none when the marketplace is unknown.
func declaredVars(eng *engine.Engine, marketplace string) []string {
	return eng.Variables(marketplace)
}
