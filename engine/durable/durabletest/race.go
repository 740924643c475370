//go:build race

package durabletest

// raceDetector reports whether the race detector is on (go test -race).
const raceDetector = true
