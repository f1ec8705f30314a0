package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim/pcapread"
)

// countFrames reads the capture at path to its end and returns how many
// frames it holds.
func countFrames(t *testing.T, path string) int {
	t.Helper()
	r, err := pcapread.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("%s: frame %d: %v", filepath.Base(path), n+1, err)
		}
		n++
	}
}

var interruptedLine = regexp.MustCompile(`(?m)^netsim run: interrupted after ([0-9]+) frames; wrote (.+) \(partial\)$`)

// TestSignal: SIGINT or SIGTERM a second into `netsim run transfer --size
// 2GiB` ends the run with the shell's status for the signal (130, 143, 129),
// one line on stderr, and the frames so far as a valid capture under the
// requested name (or on standard output with -w -); no temporary file.
func TestSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		for _, to := range []string{"file", "stdout"} {
			t.Run(fmt.Sprintf("%v/%s", sig, to), func(t *testing.T) {
				dir := t.TempDir()
				capturePath := filepath.Join(dir, "X.pcapng")
				args := []string{"run", "transfer", "--size", "2GiB", "-w", "X.pcapng"}
				if to == "stdout" {
					args[len(args)-1] = "-"
				}
				cmd := exec.Command(netsimBin, args...)
				cmd.Dir = dir
				// The demo's own lines go to stdout with -w FILE and to
				// stderr with -w -; the capture to stdout goes to a file.
				progress, err := cmd.StdoutPipe()
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if to == "stdout" {
					f, ferr := os.Create(capturePath)
					if ferr != nil {
						t.Fatal(ferr)
					}
					defer f.Close()
					cmd.Stdout = f
					cmd.Stderr = nil
					progress, err = cmd.StderrPipe()
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				lines := bufio.NewReader(progress)
				first, err := lines.ReadString('\n')
				if !strings.Contains(first, "1 connection(s) of 2147483648 bytes") {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("first line %q (%v)", first, err)
				}
				time.Sleep(time.Second)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				rest, _ := io.ReadAll(lines)
				err = cmd.Wait()
				if to == "stdout" {
					stderr.Write(rest)
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
					t.Fatalf("%v: %v, want exit status %d; stderr %q", sig, err, 128+int(sig), stderr.String())
				}
				m := interruptedLine.FindStringSubmatch(stderr.String())
				if m == nil {
					t.Fatalf("stderr %q should say the run was interrupted", stderr.String())
				}
				want := map[string]string{"file": "X.pcapng", "stdout": "standard output"}[to]
				if m[2] != want {
					t.Errorf("stderr names %q, want %q", m[2], want)
				}
				n, _ := strconv.Atoi(m[1])
				got := countFrames(t, capturePath)
				if got == 0 || got != n {
					t.Errorf("capture holds %d frames; stderr says %d; want the same, more than 0", got, n)
				}
				if names := entries(t, dir); len(names) != 1 {
					t.Errorf("directory holds %v, want only X.pcapng", names)
				}
			})
		}
	}
}

// TestReadSignal: SIGINT, SIGTERM or SIGHUP while `netsim read -r -`
// draws a picture into a file (--ladder -o, --graph tsg -o) ends it with
// the signal's exit status and one line saying nothing was written, and
// leaves no temporary file (the ladder's output is opened before the
// capture is read). The capture never ends: the test writes frames to
// standard input until netsim exits; the first write, larger than a pipe
// holds, returns only once netsim reads, by which time it catches the
// signals.
func TestReadSignal(t *testing.T) {
	pcap := golden(t, "tcp")
	header, records := pcap[:24], pcap[24:]
	var chunk []byte
	for len(chunk) < 256<<10 {
		chunk = append(chunk, records...)
	}
	for _, c := range []struct {
		sig  syscall.Signal
		args []string
		want string
	}{
		{syscall.SIGINT, []string{"--ladder=svg", "-o", "x.svg"}, `^netsim read: interrupted \(SIGINT\) after [0-9]+ frames; nothing written \(the ladder is drawn once every frame is read\)\n$`},
		{syscall.SIGTERM, []string{"--ladder", "-o", "x.txt"}, `^netsim read: interrupted \(SIGTERM\) after [0-9]+ frames; nothing written`},
		{syscall.SIGHUP, []string{"--graph", "tsg", "-o", "x.svg"}, `^netsim read: interrupted \(SIGHUP\); nothing written \(the graph is drawn once the capture is read\)\n$`},
	} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(netsimBin, append([]string{"read", "-r", "-"}, c.args...)...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := in.Write(append(header, chunk...)); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			go func() {
				for {
					if _, err := in.Write(chunk); err != nil {
						return
					}
				}
			}()
			err = cmd.Wait()
			in.Close()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(c.sig) {
				t.Fatalf("%v, want exit status %d; stderr %q", err, 128+int(c.sig), stderr.String())
			}
			if !regexp.MustCompile(c.want).MatchString(stderr.String()) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr %q, want one line matching %s", stderr.String(), c.want)
			}
			if names := entries(t, dir); len(names) != 0 {
				t.Errorf("directory holds %v, want nothing", names)
			}
		})
	}
}
