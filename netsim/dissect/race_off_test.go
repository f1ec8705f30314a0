//go:build !race

package dissect

// raceEnabled is set when the tests run under the race detector.
const raceEnabled = false
