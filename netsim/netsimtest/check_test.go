package netsimtest_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/pcapread"
)

// exchange dials server:9000 from client (from local address laddr, if
// not "") and sends msg.
func exchange(t *testing.T, laddr string, client, server *netsim.Host, msg []byte) {
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan int)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- -1
			return
		}
		buf := make([]byte, 4096)
		k := 0
		for {
			n, err := c.Read(buf)
			k += n
			if err != nil {
				break
			}
		}
		c.Close()
		done <- k
	}()
	dial := func() (net.Conn, error) { return client.Dial("tcp", "server:9000") }
	if laddr != "" {
		dial = func() (net.Conn, error) { return client.DialFrom(context.Background(), "tcp", laddr, "server:9000") }
	}
	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	c.Write(msg)
	c.Close()
	if k := <-done; k != len(msg) {
		t.Errorf("server read %d bytes, want %d", k, len(msg))
	}
}

// TestCheckDeterministic: a deterministic body gives one capture over its
// runs, at GOMAXPROCS 1 and 8.
func TestCheckDeterministic(t *testing.T) {
	r := netsimtest.Check(t, 4, func(t *testing.T) {
		n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
		netsimtest.Run(t, n, func(t *testing.T) {
			exchange(t, "", client, server, []byte("hello"))
		})
	})
	if r.Runs != 4 || r.Distinct != 1 || r.Diff != nil || r.String() != "1 capture(s) in 4 runs" {
		t.Errorf("Check = %+v (%v), want 1 capture in 4 runs", r, r)
	}
}

// TestCheckDiagnosis: Measure names the first differing frame, what
// differs, the likely cause and the fix, for bodies made to differ from
// one run to the next as the causes it knows would make them.
func TestCheckDiagnosis(t *testing.T) {
	for _, c := range []struct {
		name  string
		laddr func(run int) string
		msg   func(run int) []byte
		wants []string
		want  string // the figures
	}{
		{
			name:  "port",
			laddr: func(run int) string { return []string{"10.0.0.1:40000", "10.0.0.1:40001"}[run%2] },
			msg:   func(int) []byte { return []byte("hello") },
			wants: []string{"the port of a new connection: 10.0.0.1:40001 in run 1, 10.0.0.1:40000 in run 2", "concurrent dials at one virtual instant", "netsim.WithLabel", "stream: tcp 10.0.0.1:"},
			want:  "2 capture(s) in 3 runs (2+1)",
		},
		{
			name:  "segmentation",
			laddr: func(int) string { return "" },
			msg:   func(run int) []byte { return make([]byte, 100+run%2) },
			wants: []string{"segmentation: 101 payload bytes in run 1, 100 in run 2", "concurrent writers on one socket", "stagger the writers"},
			want:  "2 capture(s) in 3 runs (2+1)",
		},
		{
			name:  "tls",
			laddr: func(int) string { return "" },
			msg:   func(run int) []byte { return []byte{23, 3, 3, 0, 1, byte(run)} },
			wants: []string{"the payload's bytes, from byte 5 of 6 (a TLS record)", "unseeded randomness", "cryptotest.SetGlobalRandom"},
			want:  "3 capture(s) in 3 runs (1+1+1)",
		},
		{
			name:  "order",
			laddr: func(int) string { return "" },
			msg:   func(run int) []byte { return []byte{'a', 'b', byte('a' + run%2)} },
			wants: []string{"the payload's bytes, from byte 2 of 3", "concurrent work at one virtual instant", "not randomness", "a virtual millisecond apart"},
			want:  "2 capture(s) in 3 runs (2+1)",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := 0
			r := netsimtest.Measure(t, 3, func(t *testing.T) {
				run++
				n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
				netsimtest.Run(t, n, func(t *testing.T) {
					exchange(t, c.laddr(run), client, server, c.msg(run))
				})
			})
			if r.Diff == nil || r.String() != c.want {
				t.Fatalf("Measure = %v, want %s", r, c.want)
			}
			text := r.Diff.String()
			for _, want := range append(c.wants, "runs 1 (GOMAXPROCS 1) and 2 (GOMAXPROCS 8) first differ at frame", "run 1: ") {
				if !strings.Contains(text, want) {
					t.Errorf("the diagnosis does not say %q:\n%s", want, text)
				}
			}
		})
	}
}

// checkEnv makes TestCheckFailsChild run (as a child of TestCheckFails).
const checkEnv = "NETSIM_TEST_CHECK_FAILS"

// TestCheckFailsChild checks a body whose payload differs in every run.
func TestCheckFailsChild(t *testing.T) {
	if os.Getenv(checkEnv) == "" {
		t.Skip("run as a child process by TestCheckFails")
	}
	run := 0
	netsimtest.Check(t, 2, func(t *testing.T) {
		run++
		n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
		netsimtest.Run(t, n, func(t *testing.T) {
			exchange(t, "", client, server, []byte{byte(run)})
		})
	})
}

// TestCheckFails: Check fails the test with the diagnosis and saves both
// captures, which open; -netsim.check=3 makes three runs.
func TestCheckFails(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckFailsChild$", "-test.v", "-netsim.check=3")
	cmd.Env = append(os.Environ(), checkEnv+"=1", netsimtest.CaptureDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err == nil {
		t.Fatalf("the child passed:\n%s", text)
	}
	for _, want := range []string{"--- FAIL: TestCheckFailsChild", "netsim: not deterministic: 3 capture(s) in 3 runs (1+1+1)", "unseeded randomness", "run=3"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%s", want, text)
		}
	}
	for _, k := range []string{"1", "2"} {
		path := filepath.Join(dir, "TestCheckFailsChild.run"+k+".pcapng")
		if !strings.Contains(text, path) {
			t.Errorf("the output does not name %s:\n%s", path, text)
		}
		if frames, err := pcapread.ReadFile(path); err != nil || len(frames) < 7 {
			t.Errorf("%s: %d frames, %v", path, len(frames), err)
		}
	}
}

// TestCheckParallelBodyChild is a Check whose body calls t.Parallel (run
// as a child process by TestCheckParallelBody).
func TestCheckParallelBodyChild(t *testing.T) {
	if os.Getenv(checkEnv) == "" {
		t.Skip("run as a child process by TestCheckParallelBody")
	}
	netsimtest.Check(t, 2, func(t *testing.T) {
		t.Parallel()
		n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
		netsimtest.Run(t, n, func(t *testing.T) {
			exchange(t, "", client, server, []byte{1})
		})
	})
}

// TestCheckParallelBody: a body that calls t.Parallel fails the test with
// a message that says so; it used to say the body "made no network with
// netsimtest.New", which it did, later, after Check had returned.
func TestCheckParallelBody(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckParallelBodyChild$", "-test.v")
	cmd.Env = append(os.Environ(), checkEnv+"=1", netsimtest.CaptureDirEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err == nil {
		t.Fatalf("the child passed:\n%s", text)
	}
	if !strings.Contains(text, "body called t.Parallel") || strings.Contains(text, "made no network") {
		t.Errorf("the output does not say that the body called t.Parallel:\n%s", text)
	}
}

// TestRunClosedNetworkChild gives Run a network the test closed (run as a
// child process by TestRunClosedNetwork).
func TestRunClosedNetworkChild(t *testing.T) {
	if os.Getenv(checkEnv) == "" {
		t.Skip("run as a child process by TestRunClosedNetwork")
	}
	n, _, _ := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{})
	n.Close()
	netsimtest.Run(t, n, func(t *testing.T) {})
}

// TestRunClosedNetwork: Run on a network closed before it fails the test
// saying so; it said only "netsim: network closed: use of closed network
// connection".
func TestRunClosedNetwork(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunClosedNetworkChild$", "-test.v")
	cmd.Env = append(os.Environ(), checkEnv+"=1", netsimtest.CaptureDirEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "netsimtest.Run: the network was closed before Run") {
		t.Errorf("child: %v, want a failure saying the network was closed before Run:\n%s", err, out)
	}
}
