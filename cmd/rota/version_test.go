package main

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

// stampedBuild is build information as go build stamps it from a
// checkout with uncommitted changes.
const stampedBuild = `path	github.com/rotahq/rota/cmd/rota
mod	github.com/rotahq/rota	(devel)	
build	vcs=git
build	vcs.revision=0123456789abcdef0123456789abcdef01234567
build	vcs.time=2026-12-07T20:00:00Z
build	vcs.modified=true
`

func TestBuildVersion(t *testing.T) {
	stamped, err := debug.ParseBuildInfo(stampedBuild)
	if err != nil {
		t.Fatal(err)
	}
	stamped.GoVersion = "go1.26.8" // ParseBuildInfo leaves it to ReadBuildInfo
	tagged := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rotahq/rota", Version: "v1.2.3"}}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want versionInfo
		text string
	}{
		{"checkout with changes", stamped, true,
			versionInfo{Module: "github.com/rotahq/rota", Version: "(devel)", Commit: "0123456789abcdef0123456789abcdef01234567", CommitTime: "2026-12-07T20:00:00Z", Modified: true, Go: "go1.26.8"},
			"rota (devel) commit 0123456789abcdef0123456789abcdef01234567 (modified) go1.26.8"},
		{"go install of a tag", tagged, true,
			versionInfo{Module: "github.com/rotahq/rota", Version: "v1.2.3", Go: "go1.26.8"},
			"rota v1.2.3 go1.26.8"},
		{"no build information", nil, false,
			versionInfo{Module: "github.com/rotahq/rota", Version: "(unknown)"},
			"rota (unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildVersion(tt.info, tt.ok)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.text {
				t.Errorf("text %q, want %q", got.String(), tt.text)
			}
		})
	}
}

// TestVersionCommand: the test binary's own build information, as text
// and as JSON.
func TestVersionCommand(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	want := buildVersion(info, ok)

	text := rota(t, "", "version")
	text.wantCode(t, exitOK)
	if text.stdout != want.String()+"\n" || !strings.HasPrefix(text.stdout, "rota ") {
		t.Errorf("stdout %q, want %q", text.stdout, want.String()+"\n")
	}

	js := rota(t, "", "version", "--format", "json")
	js.wantCode(t, exitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil {
		t.Fatalf("%v in %s", err, js.stdout)
	}
	for _, key := range []string{"module", "version", "modified", "go"} {
		if _, ok := got[key]; !ok {
			t.Errorf("JSON %s lacks %q", js.stdout, key)
		}
	}
	if got["version"] != want.Version || got["module"] != want.Module {
		t.Errorf("got %v, want version %q of %q", got, want.Version, want.Module)
	}

	bad := rota(t, "", "version", "--format", "yaml")
	bad.wantCode(t, exitUsage)
}
