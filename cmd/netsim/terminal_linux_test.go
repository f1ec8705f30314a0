//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// The tests of what netsim does on a terminal, over a pseudo-terminal
// opened as Linux opens one.

// openPTY opens a pseudo-terminal and returns its terminal side; what the
// terminal is sent is drained, so that no write waits.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	master, tty := openPTYPair(t)
	go io.Copy(io.Discard, master)
	return tty
}

// TestOutputTerminal: -w - (or /dev/stdout) when standard output is a
// terminal is refused (exit 2, one line): a capture's bytes on a terminal
// are noise that may change its state. A pipe or a file still takes it,
// and a ladder (text) may still go to the terminal.
func TestOutputTerminal(t *testing.T) {
	tty := openPTY(t)
	for _, args := range [][]string{
		{"run", "tcp", "-w", "-"},
		{"run", "tcp", "-w", "/dev/stdout"},
		{"run", "book-tcp", "-w", "-"},
		{"exec", "-w", "-", "--", "python3", "-c", "pass"},
	} {
		var stderr bytes.Buffer
		code := 0
		if args[0] == "exec" {
			// As a process: exec's launcher is the running executable.
			cmd := exec.Command(netsimBin, args...)
			cmd.Stdout, cmd.Stderr = tty, &stderr
			if err := cmd.Run(); err != nil {
				code = -1
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
			}
		} else {
			code = mainArgs(args, nil, tty, &stderr)
		}
		want := "netsim " + args[0] + ": -w " + args[slices.Index(args, "-w")+1] + ": standard output is a terminal, and a capture is binary: pipe it (-w - | tshark -r -) or name a file\n"
		if code != 2 || stderr.String() != want {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", args, code, stderr.String(), want)
		}
	}
	var stderr bytes.Buffer
	if code := mainArgs([]string{"run", "tcp", "-q", "--ladder"}, nil, tty, &stderr); code != 0 {
		t.Errorf("run tcp --ladder to a terminal: exit %d: %s", code, stderr.String())
	}
	var stdout bytes.Buffer
	if code := mainArgs([]string{"run", "tcp", "-q", "-w", "-"}, nil, &stdout, &stderr); code != 0 || !bytes.Equal(stdout.Bytes(), golden(t, "tcp")) {
		t.Errorf("run tcp -w - to a buffer: exit %d, %d bytes: %s", code, stdout.Len(), stderr.String())
	}
}

// TestReadTerminal: read -r - with standard input a terminal is refused
// (it waited for a capture to be typed in), listing or drawing.
func TestReadTerminal(t *testing.T) {
	tty := openPTY(t)
	for _, args := range [][]string{{"read", "-r", "-"}, {"read", "-r", "-", "--graph", "tsg"}, {"read", "-r", "-", "--ladder"}} {
		var stdout, stderr bytes.Buffer
		code := mainArgs(args, tty, &stdout, &stderr)
		want := "netsim read: -r -: standard input is a terminal: pipe a capture into it (netsim run tcp -w - | netsim read -r -) or name a file\n"
		if code != 2 || stderr.String() != want {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", args, code, stderr.String(), want)
		}
	}
}

// openPTYPair opens a pseudo-terminal and returns both sides: what is
// written to master is what a user types on tty.
func openPTYPair(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// TestRunStdinTerminalHint: run - (and check -) with standard input a
// terminal says on stderr, before it waits, that it reads a scenario there
// and how to end it (it waited silently); from a pipe or file, or with -q,
// it says nothing.
func TestRunStdinTerminalHint(t *testing.T) {
	for _, cmd := range []string{"run", "check"} {
		master, tty := openPTYPair(t)
		go io.Copy(io.Discard, master) // the echo
		// The user types the scenario, then Ctrl-D on a line of its own.
		if _, err := master.Write([]byte(bookTCP + "\x04")); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := mainArgs([]string{cmd, "-"}, tty, &stdout, &stderr)
		first, _, _ := bytes.Cut(stderr.Bytes(), []byte("\n"))
		want := "netsim " + cmd + ": reading a scenario from standard input (the terminal); end it with Ctrl-D on a line of its own"
		if code != 0 || string(first) != want {
			t.Errorf("%s - on a terminal: exit %d, stderr %q; want first line %q", cmd, code, stderr.String(), want)
		}
	}
	var stderr bytes.Buffer
	if code := mainArgs([]string{"run", "-", "-q"}, bytes.NewReader([]byte(bookTCP)), io.Discard, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("run - from a pipe: exit %d, stderr %q; want nothing", code, stderr.String())
	}
	code, _, stderrS := cli(bookTCP, "run", "-")
	if code != 0 || bytes.Contains([]byte(stderrS), []byte("reading a scenario")) {
		t.Errorf("run - from a reader: exit %d, stderr %q; want no hint", code, stderrS)
	}
}
