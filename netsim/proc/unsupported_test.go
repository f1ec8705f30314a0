package proc_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// TestUnsupported: every feature netsim exec does not support is refused
// at its first use with a clear error, never run on the real network.
func TestUnsupported(t *testing.T) {
	for _, c := range []struct{ feature, want string }{
		{"thread", "Unsupported: netsim exec: threads are not supported"},
		{"threadingserver", "Unsupported: netsim exec: threads are not supported"},
		{"fork", "Unsupported: netsim exec: fork, subprocess and os.system are not supported"},
		{"subprocess", "Unsupported: netsim exec: fork, subprocess"},
		{"system", "Unsupported: netsim exec: fork, subprocess"},
		{"exec", "Unsupported: netsim exec: fork, subprocess"},
		// select, selectors, asyncio and non-blocking sockets are served:
		// poll_test.go.
		{"_socket", "Unsupported: netsim exec: _socket.socket bypasses the shim"},
		{"fromfd", "Unsupported: netsim exec: socket.fromfd is not supported"},
		{"raw", "Unsupported: netsim exec: socket type 3 is not supported"},
		{"packet", "Unsupported: netsim exec: socket family 17 is not supported"},
		{"libc", "refused: PermissionError: [Errno 1] Operation not permitted"},
		{"unix", "unix ok b'x'"},
	} {
		t.Run(c.feature, func(t *testing.T) {
			if testing.Short() && c.feature != "thread" && c.feature != "libc" && c.feature != "unix" {
				t.Skip("-short: one interpreter a feature")
			}
			_, out, _, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"unsupported.py", c.feature})
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output %q, want %q", out, c.want)
			}
		})
	}
}

// TestWatchdog: a process that blocks outside the shim (a read from a
// pipe nobody writes) is killed after the watchdog's wall time and named.
func TestWatchdog(t *testing.T) {
	_, out, res, err := runPy(t, proc.Config{Watchdog: 2 * time.Second}, netsim.LinkConfig{}, []string{"block.py"})
	var he *proc.HangError
	if !errors.As(err, &he) || !errors.Is(err, proc.ErrHung) {
		t.Fatalf("error %v, want a *HangError\n%s", err, out)
	}
	if he.Process != "block" || !strings.Contains(he.After, "sleep") {
		t.Errorf("%+v: want process block, after sleep", he)
	}
	if res[0].ExitCode != 128+9 {
		t.Errorf("exit status %d, want 137 (killed)", res[0].ExitCode)
	}
	t.Log(err)
}

// TestDeadlock: a receiver with no sender: the run's error names the
// process and the call it waits in.
func TestDeadlock(t *testing.T) {
	_, out, _, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"../book/tcp_recv.py"})
	var de *proc.DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("error %v, want a *DeadlockError\n%s", err, out)
	}
	want := "deadlock at 20µs: tcp_recv waits in accept(fd 1000 tcp 127.0.0.1:24000)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestExitStatus: a sender with no receiver gets ConnectionRefusedError and
// exits 1; the run's error is a *ExitError.
func TestExitStatus(t *testing.T) {
	_, out, res, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"../book/tcp_send.py"})
	var ee *proc.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || ee.Process != "tcp_send" || !errors.Is(err, proc.ErrFailed) {
		t.Fatalf("error %v, want tcp_send's exit status 1\n%s", err, out)
	}
	if !strings.HasSuffix(out, "tcp_send: ConnectionRefusedError: [Errno 111] Connection refused\n") || strings.Contains(out, "_netsim.py") {
		t.Errorf("output %q: want the program's traceback only", out)
	}
	if res[0].ExitCode != 1 || res[0].Calls < 3 {
		t.Errorf("result %+v", res[0])
	}
}

// TestNoShim: python -I skips the shim (it ignores PYTHONPATH): the
// program's socket is refused by the seccomp filter, and the error says
// why.
func TestNoShim(t *testing.T) {
	py := python(t)
	var out bytes.Buffer
	n, err := proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)},
		proc.Process{Argv: []string{py, "-I", "testdata/book/tcp_send.py"}})
	var ee *proc.ExitError
	if !errors.As(err, &ee) || !ee.NoShim || !strings.Contains(out.String(), "PermissionError: [Errno 1] Operation not permitted") {
		t.Errorf("error %v, output %q", err, out.String())
	}
}
