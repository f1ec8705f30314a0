//go:build !unix

package proc

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/net/bpf"
)

// errNoExec is the error of running a process where netsim exec
// cannot: it needs Unix pipes, poll(2) and exec(2) (and Linux's seccomp for
// its sandbox).
var errNoExec = fmt.Errorf("netsim exec runs programs on Linux (and, without its sandbox, other Unix systems), not on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// supported reports why processes cannot run here.
func supported() error { return errNoExec }

// SeccompFilter returns the seccomp program [Launch] installs: on Linux
// only; elsewhere an error.
func SeccompFilter() ([]bpf.Instruction, error) { return nil, errNoExec }

// installSeccomp fails: seccomp is Linux's.
func installSeccomp() error { return errNoExec }

// execProgram fails: there is no exec(2) here.
func execProgram(string, []string, []string) error { return errNoExec }

// start fails: see errNoExec.
func (p *process) start() error { return fmt.Errorf("%w: %w", ErrStart, errNoExec) }

// readRequest is never reached: start failed.
func (p *process) readRequest() (*Request, error) { return nil, io.EOF }

// writeReply is never reached: start failed.
func (p *process) writeReply(*Reply) error { return errNoExec }

// wait has no child to wait for.
func (p *process) wait() {}
