package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMarketplaceFlagWarns: -m still overrides the event's marketplace
// (the CLI contract), and says so on stderr when the event names another;
// stdout is the same result.
func TestMarketplaceFlagWarns(t *testing.T) {
	other := "testdata/events/other_marketplace.json"
	shipped := filepath.Join(examples, "shipped.json")
	tests := []struct {
		name    string
		args    []string
		warning string
	}{
		{"translate, another marketplace", []string{"translate", "-m", "skyhub", other}, `rota: warning: the event names marketplace "elsewhere"; translating it with the "skyhub" mapping, as -m asks` + "\n"},
		{"explain, another marketplace", []string{"explain", "-m", "skyhub", other}, `rota: warning: the event names marketplace "elsewhere"; translating it with the "skyhub" mapping, as -m asks` + "\n"},
		{"the same marketplace", []string{"translate", "-m", "skyhub", shipped}, ""},
		{"no -m", []string{"translate", shipped}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := rota(t, "", tt.args...)
			o.wantCode(t, exitOK)
			if o.stderr != tt.warning {
				t.Errorf("stderr %q, want %q", o.stderr, tt.warning)
			}
		})
	}
}

// TestRefusalKindOnStderr: invalid, rejected and unsupported events all
// exit 1 (the contract); the stderr line names the kind right after
// "rota: ", and stdout's error.kind says the same, so a script tells them
// apart without parsing prose.
func TestRefusalKindOnStderr(t *testing.T) {
	tests := []struct {
		name, file, kind string
	}{
		{"unsupported", filepath.Join(examples, "delivery_failed.json"), "unsupported"},
		{"invalid event", "testdata/events/missing_field.json", "invalid_event"},
		{"rejected", "testdata/events/canceled_after_delivery.json", "rejected"},
		{"unknown marketplace", "testdata/events/unknown_marketplace.json", "unknown_marketplace"},
	}
	for _, verb := range [][]string{{"translate"}, {"explain"}, {"send", "--dry-run"}} {
		for _, tt := range tests {
			t.Run(verb[0]+"/"+tt.name, func(t *testing.T) {
				o := rota(t, "", append(verb, tt.file)...)
				o.wantCode(t, exitRefused)
				if verb[0] == "translate" {
					if e := decodeError(t, o.stdout).Error; e.Kind != tt.kind {
						t.Errorf("error.kind %q, want %q", e.Kind, tt.kind)
					}
				}
				if !strings.HasPrefix(o.stderr, "rota: "+tt.kind+": ") || strings.Count(o.stderr, "\n") != 1 {
					t.Errorf("stderr %q, want one line starting with %q", o.stderr, "rota: "+tt.kind+": ")
				}
			})
		}
	}
}
