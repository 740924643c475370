package main

import (
	"slices"
	"strings"

	"github.com/rotahq/rota/conformance"
	"github.com/rotahq/rota/schemas"
	"github.com/spf13/cobra"
)

// schemaFiles are the schemas rota schema prints, by the name the verb
// takes: the files embedded in the binary.
var schemaFiles = map[string]string{
	"mapping": schemas.Mapping,
	"case":    conformance.CaseSchema,
	"event":   schemas.CanonicalEvent,
}

func schemaNames() []string {
	names := make([]string, 0, len(schemaFiles))
	for name := range schemaFiles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema mapping|case|event",
		Short: "Print a JSON Schema built into rota: mapping files, conformance case files, the canonical event",
		Long: `Schema prints one of the JSON Schemas built into rota, for editors and
validators outside this repository: mapping (mapping files), case
(conformance case files) or event (the canonical order event). Every
reference in them is internal, so a saved copy works on its own:

  rota schema mapping > mapping.schema.json

and, at the top of a mapping file next to it:

  # yaml-language-server: $schema=./mapping.schema.json`,
		ValidArgs: schemaNames(),
		Args:      cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, ok := schemaFiles[args[0]]
			if !ok {
				return usageErrorf(cmd.ErrOrStderr(), "schema %q: want one of %s", args[0], strings.Join(schemaNames(), ", "))
			}
			raw, err := schemas.FS.ReadFile(file)
			if err != nil {
				return failf(cmd.ErrOrStderr(), "cannot read the built-in schema %s: %v", file, err)
			}
			if _, err := cmd.OutOrStdout().Write(raw); err != nil {
				return failf(cmd.ErrOrStderr(), "cannot write output: %v", err)
			}
			return nil
		},
	}
}
