package netsimtest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/pcapread"
)

// helperEnv makes TestDeadlockHelper run: it is the test that
// TestDeadlockFailsTheTest runs in a child process, and expects to fail.
const helperEnv = "NETSIMTEST_DEADLOCK_HELPER"

// TestDeadlockHelper deadlocks: after a handshake, both ends Read.
func TestDeadlockHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("run by TestDeadlockFailsTheTest in a child process")
	}
	n := netsimtest.New(t, netsim.Options{})
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := h.Listen("tcp", "127.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				_, err = c.Read(make([]byte, 1))
			}
			done <- err
		}()
		c, err := h.Dial("tcp", "127.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("client Read = %v, want net.ErrClosed", err)
		}
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Errorf("server Read = %v, want net.ErrClosed", err)
		}
	})
}

// A test that deadlocks fails with netsim's report (not synctest's panic),
// and its capture is saved.
func TestDeadlockFailsTheTest(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadlockHelper$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "TMPDIR="+tmp, netsimtest.CaptureDirEnv+"=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the deadlocking test ended with %v, want exit status 1; output:\n%s", err, &out)
	}
	text := out.String()
	for _, want := range []string{"--- FAIL: TestDeadlockHelper", "netsim: deadlock at", "parked calls:", "Read tcp 127.0.0.1:80", "Read tcp 127.0.0.1:", "synctest bubble", "capture saved to "} {
		if !strings.Contains(text, want) {
			t.Errorf("output does not contain %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"panic:", "client Read =", "server Read =", "goleak"} {
		if strings.Contains(text, bad) {
			t.Errorf("output contains %q:\n%s", bad, text)
		}
	}
	_, after, ok := strings.Cut(text, "capture saved to ")
	if !ok {
		return
	}
	path, _, _ := strings.Cut(after, " ")
	if !strings.HasPrefix(path, tmp) {
		t.Fatalf("capture saved to %q, outside TMPDIR %q", path, tmp)
	}
	frames, err := pcapread.ReadFile(path)
	if err != nil {
		t.Fatalf("saved capture: %v", err)
	}
	// The handshake (3 frames) and nothing after the deadlock.
	if len(frames) != 3 {
		t.Errorf("saved capture holds %d frames, want the 3 of the handshake", len(frames))
	}
}
