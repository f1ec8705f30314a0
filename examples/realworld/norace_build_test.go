//go:build !race

package realworld_test

// raceBuild is true in a test binary built with -race.
const raceBuild = false
