package proc_test

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"netsim.dev/netsim/proc"
)

// TestMain makes the test binary the launcher of the processes it starts
// (Config.Launcher), and fails the tests if a goroutine outlives them.
func TestMain(m *testing.M) {
	proc.Launch()
	goleak.VerifyTestMain(m)
}

var (
	pythonOnce sync.Once
	pythonPath string
)

// python returns the real interpreter's path (pyenv's python3 is a shell
// script that costs 800 ms a start), or skips the test when there is
// none, unless NETSIM_REQUIRE_PYTHON=1, which fails it.
func python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			pythonPath = strings.TrimSpace(string(out))
		}
	})
	if pythonPath == "" {
		if os.Getenv("NETSIM_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 is missing and NETSIM_REQUIRE_PYTHON=1")
		}
		t.Skip("python3 is missing (NETSIM_REQUIRE_PYTHON=1 makes this a failure)")
	}
	return pythonPath
}

// launcher is the test binary, whose TestMain calls proc.Launch.
func launcher(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
