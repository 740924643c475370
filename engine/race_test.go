//go:build race

package engine_test

// raceEnabled: the race detector is on, and sync.Pool drops items at random,
// so allocation counts are not the program's.
const raceEnabled = true
