// Package tsharktest finds and runs tshark for tests that compare netsim
// with Wireshark. Without tshark such tests skip, unless the environment
// sets NETSIM_REQUIRE_TSHARK=1 (as CI does): then they fail.
package tsharktest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Path returns the tshark executable ($TSHARK, else tshark on PATH). When
// there is none it skips the test, or fails it if NETSIM_REQUIRE_TSHARK=1.
func Path(t testing.TB) string {
	t.Helper()
	name := os.Getenv("TSHARK")
	if name == "" {
		name = "tshark"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("NETSIM_REQUIRE_TSHARK") == "1" {
			t.Fatalf("tshark not found (%v) and NETSIM_REQUIRE_TSHARK=1", err)
		}
		t.Skipf("tshark not found (%v); set NETSIM_REQUIRE_TSHARK=1 to make this a failure", err)
	}
	return p
}

// Run runs tshark with args and returns its standard output; it fails the
// test if tshark exits with an error, showing its standard error.
func Run(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := Command(t, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(bytes.TrimSpace(ee.Stderr))
		}
		t.Fatalf("tshark %q: %v\n%s", args, err, msg)
	}
	return out
}

// Command returns an exec.Cmd for tshark with args, for callers that need
// to set the environment or read standard error themselves.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(Path(t), args...)
}
