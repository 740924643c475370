// Package cputime reads the CPU time the process has used, so that
// benchmarks on a shared machine can report CPU time per operation next to
// wall-clock ns/op: other load on the machine inflates ns/op, CPU time
// much less.
package cputime

import "time"

// Process returns the user and system CPU time the process has used, and
// false where the platform does not tell.
func Process() (time.Duration, bool) { return process() }
