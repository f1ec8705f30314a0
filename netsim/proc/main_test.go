package proc_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"netsim.dev/internal/pythontest"
	"netsim.dev/netsim/proc"
)

// TestMain makes the test binary the launcher of the processes it starts
// (Config.Launcher), and fails the tests if a goroutine outlives them.
func TestMain(m *testing.M) {
	proc.Launch()
	goleak.VerifyTestMain(m)
}

// python returns the interpreter, or skips (see package pythontest).
func python(t testing.TB) string { return pythontest.Python(t) }

// launcher is the test binary, whose TestMain calls proc.Launch.
func launcher(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
