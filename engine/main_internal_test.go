package engine

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs every test of the package, internal and external, with each
// translation's copy of its input overwritten once it ends: a result or an
// error that still points into that copy then reads garbage, and the test
// checking it fails. Benchmarks run without it.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		poisonInput = true
	}
	os.Exit(m.Run())
}
