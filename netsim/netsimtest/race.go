//go:build race

package netsimtest

// raceEnabled is true in a binary built with -race, so that the
// reproduction command [Seeds] logs builds the same way.
const raceEnabled = true
