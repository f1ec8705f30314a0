package proc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// runPoll runs scripts (argv tails; the script is in testdata/poll) as
// processes on one host and returns the capture's sha256, the output and
// the run's error.
func runPoll(t *testing.T, scripts ...[]string) (string, string, error) {
	t.Helper()
	py := python(t)
	var capBuf, out bytes.Buffer
	n, err := netsim.New(netsim.Options{Capture: &capBuf, HangTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddHost("localhost"); err != nil {
		t.Fatal(err)
	}
	var procs []proc.Process
	for i, s := range scripts {
		argv := append([]string{py, "testdata/poll/" + s[0]}, s[1:]...)
		procs = append(procs, proc.Process{Argv: argv, Name: fmt.Sprintf("%s%d", strings.TrimSuffix(s[0], ".py"), i)})
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)}, procs...)
	return fmt.Sprintf("%x", sha256.Sum256(capBuf.Bytes())), out.String(), err
}

// checkLines fails t unless out has every line of want, in order (other
// lines may come between).
func checkLines(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (after the lines before it):\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

// sameRuns runs scripts runs times and fails unless every run gives the
// first run's capture and output.
func sameRuns(t *testing.T, runs int, scripts ...[]string) (string, string) {
	t.Helper()
	sum, out, err := runPoll(t, scripts...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i := 2; i <= runs; i++ {
		s, o, err := runPoll(t, scripts...)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, o)
		}
		if s != sum || o != out {
			t.Fatalf("run %d: capture sha256 %s, output\n%s\nfirst run: %s\n%s", i, s, o, sum, out)
		}
	}
	return sum, out
}

// runs is how many runs the determinism tests make: 20, 3 with -short.
func runs() int {
	if testing.Short() {
		return 3
	}
	return 20
}

func TestPollAsyncioEcho(t *testing.T) {
	sum, out := sameRuns(t, runs(), []string{"asyncio_echo_server.py", "3"}, []string{"asyncio_echo_client.py", "3"})
	checkLines(t, out,
		"asyncio_echo_server0: server: listening on 127.0.0.1:8888",
		"asyncio_echo_client1: client 0: got b'echo hello from 0\\n'",
		"asyncio_echo_client1: client 2: got b'echo world from 2\\n'",
		"asyncio_echo_client1: client: localhost port 9: ConnectionRefusedError",
		"asyncio_echo_server0: server: served 3 clients")
	t.Logf("%d runs, capture sha256 %s", runs(), sum)
}

func TestPollSelectorsServer(t *testing.T) {
	sum, out := sameRuns(t, runs(),
		[]string{"selectors_server.py", "3"},
		[]string{"select_client.py", "a", "0.01"},
		[]string{"select_client.py", "b", "0.01"},
		[]string{"select_client.py", "c", "0.02"})
	checkLines(t, out, "selectors_server0: server: selector EpollSelector")
	for _, c := range []string{"a", "b", "c"} {
		checkLines(t, out,
			c+" connect_ex: EINPROGRESS",
			c+" writable: True SO_ERROR: 0",
			c+" recv before data: BlockingIOError",
			c+" poll: [(1000, 1)]",
			c+" got b'HI FROM "+strings.ToUpper(c)+"'",
			c+" connect_ex to port 9: EINPROGRESS",
			c+" readable, writable: True True SO_ERROR: ECONNREFUSED",
			c+" slept 0.250")
	}
	if strings.Count(out, "server: accepted") != 3 || strings.Count(out, "closed") != 3 {
		t.Errorf("the server did not accept and close 3 connections:\n%s", out)
	}
	t.Logf("%d runs, capture sha256 %s", runs(), sum)
}

func TestPollAsyncioTLS(t *testing.T) {
	// asyncio's TLS runs on ssl.SSLObject and MemoryBIO over the
	// simulated connection. OpenSSL draws its randomness from the kernel,
	// not from the shim's seeded os.urandom: the bytes differ from run to
	// run, so only the exchange is checked.
	_, out, err := runPoll(t, []string{"asyncio_tls.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	checkLines(t, out,
		"tls server: got b'hello tls\\n' over TLSv1.3",
		"tls client: got b'secret echo hello tls\\n'")
}

func TestPollBlockingTLS(t *testing.T) {
	// SSLContext.wrap_socket on the shim's sockets (blocking, makefile,
	// accept on a wrapped listener), served on SSLObject and MemoryBIO.
	_, out, err := runPoll(t, []string{"tls_blocking.py", "server"}, []string{"tls_blocking.py", "client"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	checkLines(t, out,
		"client: peer ((('commonName', 'localhost'),),)",
		"server: got b'hello blocking tls\\n' over TLSv1.3",
		"client: got b'secret echo hello blocking tls\\n'")
}

func TestPollAsyncioUDP(t *testing.T) {
	_, out := sameRuns(t, 2, []string{"asyncio_udp.py"})
	checkLines(t, out,
		"udp server: b'one' from 127.0.0.1:",
		"udp server: b'three' from 127.0.0.1:",
		"udp client: got [b'ONE', b'TWO', b'THREE']")
}

func TestPollDeadlockNamesTheSockets(t *testing.T) {
	_, out, err := runPoll(t, []string{"select_forever.py"})
	var de *proc.DeadlockError
	if !errors.As(err, &de) || len(de.Waiting) != 1 {
		t.Fatalf("error %v, want a deadlock of one process\n%s", err, out)
	}
	if want := "poll(fd 1000 tcp 127.0.0.1:9000, fd 1001 udp 127.0.0.1:9001)"; de.Waiting[0].Call != want {
		t.Errorf("the process waits in %q, want %q", de.Waiting[0].Call, want)
	}
}
