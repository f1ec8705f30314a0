//go:build !linux && unix

package proc

import (
	"errors"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// errNoSeccomp is the error of the seccomp filter where there is none.
var errNoSeccomp = errors.New("seccomp: Linux only (netsim exec --no-sandbox runs without the filter)")

// SeccompFilter returns the seccomp program [Launch] installs: on Linux
// only; elsewhere an error.
func SeccompFilter() ([]bpf.Instruction, error) { return nil, errNoSeccomp }

// installSeccomp fails: seccomp is Linux's.
func installSeccomp() error { return errNoSeccomp }

// newPipe makes a pipe whose ends close on exec.
func newPipe(p []int) error {
	if err := unix.Pipe(p); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}

// childAttr is how children start: in a process group of their own.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
