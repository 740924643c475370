package main

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rotahq/rota/conformance/sim"
	"github.com/rotahq/rota/engine"
	"github.com/rotahq/rota/mappings"
)

// TestBundledMappingHasExamplesAndStory: what docs/contributing-a-marketplace.md
// asks of every bundled mapping and this package can see: an example event
// for every event type the mapping makes calls for, named after the type,
// a simulator, and a documented story that the simulator accepts.
func TestBundledMappingHasExamplesAndStory(t *testing.T) {
	names, err := fs.Glob(mappings.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no bundled mappings (%v)", err)
	}
	storied := map[string]bool{}
	for _, st := range stories {
		storied[st.marketplace] = true
	}
	simDoc, err := os.ReadFile("../../docs/simulator.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		src, _ := fs.ReadFile(mappings.FS, name)
		_, m, ds := engine.LoadMapping(name, src)
		if m == nil {
			t.Fatalf("%s: %v", name, ds)
		}
		mk := m.Marketplace
		t.Run(mk, func(t *testing.T) {
			for _, rule := range m.Events {
				if len(rule.Calls) == 0 {
					continue
				}
				file := "examples/events/" + mk + "/" + strings.TrimPrefix(rule.Type, "order.") + ".json"
				if _, err := os.Stat("../../" + file); err != nil {
					t.Errorf("%s makes calls for %s but has no example: add %s, an event of the order the other examples tell", mk, rule.Type, file)
				}
			}
			if !slices.Contains(sim.Marketplaces, mk) {
				t.Errorf("%s has no simulator: write one in Go under conformance/sim, from the marketplace's documents, not from the mapping", mk)
			}
			if !storied[mk] {
				t.Errorf("%s has no story in stories (stories_test.go): list its example events in the order they happen and where the simulator ends", mk)
			}
			if !strings.Contains(string(simDoc), "--base-url http://127.0.0.1:8787/"+mk+" ") {
				t.Errorf("docs/simulator.md gives no command sending %s's story to the simulator: add one to its walk-through", mk)
			}
		})
	}
}
