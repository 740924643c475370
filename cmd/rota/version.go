package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print rota's version: the module version and the commit it was built from",
		Long: `Version prints the module version rota was built from (a release tag when
installed with go install MODULE@VERSION, else (devel)) and the VCS commit,
with "(modified)" when the work tree had changes; --format json prints
{"module", "version", "commit", "commitTime", "modified", "go"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf(cmd.ErrOrStderr(), "--format %q: want text or json", format)
			}
			info, ok := debug.ReadBuildInfo()
			v := buildVersion(info, ok)
			if format == "json" {
				if err := writeJSON(cmd.OutOrStdout(), v); err != nil {
					return failf(cmd.ErrOrStderr(), "cannot write output: %v", err)
				}
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), v.String())
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// versionInfo is what rota version prints: where the binary comes from.
type versionInfo struct {
	// Module is the main module's path.
	Module string `json:"module"`
	// Version is the module version: a release tag, or (devel) for a build
	// from a checkout.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, when known.
	Commit string `json:"commit,omitempty"`
	// CommitTime is the commit's time (RFC 3339), when known.
	CommitTime string `json:"commitTime,omitempty"`
	// Modified is true when the work tree had changes not committed.
	Modified bool `json:"modified"`
	// Go is the Go version the binary was built with.
	Go string `json:"go"`
}

// buildVersion reads the version from the build information the Go
// toolchain stamps into the binary (ok false: none, as in some test
// binaries).
func buildVersion(info *debug.BuildInfo, ok bool) versionInfo {
	if !ok || info == nil {
		return versionInfo{Module: "github.com/rotahq/rota", Version: "(unknown)"}
	}
	v := versionInfo{Module: info.Main.Path, Version: info.Main.Version, Go: info.GoVersion}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the text form: "rota VERSION [commit REV [(modified)]] GO".
func (v versionInfo) String() string {
	parts := []string{"rota", v.Version}
	if v.Commit != "" {
		parts = append(parts, "commit", v.Commit)
		if v.Modified {
			parts = append(parts, "(modified)")
		}
	}
	if v.Go != "" {
		parts = append(parts, v.Go)
	}
	return strings.Join(parts, " ")
}
