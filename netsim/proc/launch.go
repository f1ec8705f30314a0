package proc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
)

// Launch makes the calling program a launcher for [Config.Launcher]: call
// it first in main (and in TestMain). In a process a [Runner] started (the
// environment has NETSIM_PROC_LAUNCH=1), it installs the seccomp filter
// that refuses every socket but AF_UNIX (see [SeccompFilter]) and then
// executes the program named by the arguments; it never returns (a
// failure exits with status 127 after one line on standard error).
// Elsewhere it returns at once.
func Launch() {
	if os.Getenv(EnvLaunch) != "1" {
		return
	}
	os.Unsetenv(EnvLaunch)
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "netsim exec: launcher: "+format+"\n", a...)
		os.Exit(127)
	}
	if len(os.Args) < 2 {
		fail("no program")
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	runtime.LockOSThread()
	if err := installSeccomp(); err != nil {
		fail("%v", err)
	}
	env := slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, EnvLaunch+"=") })
	err = execProgram(path, os.Args[1:], env)
	fail("%s: %v", os.Args[1], err)
}
