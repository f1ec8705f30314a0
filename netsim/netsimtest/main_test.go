package netsimtest_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"netsim.dev/netsim/netsimtest"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// test-mode run, its driver, gVisor's goroutines, net/http's). The
// captures of the package's tests (and of the child processes some of
// them run, which fail on purpose) go to a directory removed at the end.
func TestMain(m *testing.M) {
	dir := ""
	if _, set := os.LookupEnv(netsimtest.CaptureDirEnv); !set {
		var err error
		if dir, err = os.MkdirTemp("", "netsimtest-captures-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv(netsimtest.CaptureDirEnv, dir)
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
