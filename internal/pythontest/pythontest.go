// Package pythontest finds the python3 interpreter for tests that run
// Python programs (netsim exec's): it skips a test when there is none,
// and fails it instead when NETSIM_REQUIRE_PYTHON=1 (CI sets it).
package pythontest

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
)

// Python returns the real interpreter's path, found once by asking
// python3 for sys.executable (pyenv's python3 is a shell script that costs
// about 800 ms a start), or skips t when there is none, unless
// NETSIM_REQUIRE_PYTHON=1, which fails it.
func Python(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			path = strings.TrimSpace(string(out))
		}
	})
	if path == "" {
		Missing(t, "python3")
	}
	return path
}

// Missing skips t for want of program, or fails it when
// NETSIM_REQUIRE_PYTHON=1.
func Missing(t testing.TB, program string) {
	t.Helper()
	if os.Getenv("NETSIM_REQUIRE_PYTHON") == "1" {
		t.Fatalf("%s is missing and NETSIM_REQUIRE_PYTHON=1", program)
	}
	t.Skipf("%s is missing (NETSIM_REQUIRE_PYTHON=1 makes this a failure)", program)
}
