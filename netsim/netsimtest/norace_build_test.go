//go:build !race

package netsimtest_test

// raceBuild is true in a test binary built with -race.
const raceBuild = false
