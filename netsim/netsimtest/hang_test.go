package netsimtest_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// trapEnv tells TestTrapChild, run as a child process by TestTrapsReported,
// which trap to fall into.
const trapEnv = "NETSIM_TEST_TRAP"

// TestTrapChild falls into one of the traps of test mode: leak (a
// goroutine left blocked when the test returns), blocked (every goroutine
// blocked outside netsim), mutex (a Read under a mutex another goroutine
// wants), realsocket (a Read on a socket of the machine, made outside the
// bubble).
func TestTrapChild(t *testing.T) {
	mode := os.Getenv(trapEnv)
	if mode == "" {
		t.Skip("run as a child process by TestTrapsReported")
	}
	var real net.Conn
	if mode == "realsocket" {
		// A real connection, made outside the bubble (inside, net.Dial
		// is refused), on which nothing comes.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if real, err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer real.Close()
	}
	n, client, server := twoHosts(t, netsim.Options{Seed: 5}, netsim.LinkConfig{Delay: time.Millisecond})
	netsimtest.Run(t, n, func(t *testing.T) {
		c1, _, _ := tcpPipe(t, client, server)
		switch mode {
		case "leak":
			stuck := make(chan struct{})
			go func() { <-stuck }() // leakedGoroutine
		case "blocked":
			<-make(chan struct{})
		case "mutex":
			var mu sync.Mutex
			go func() {
				mu.Lock()
				c1.Read(make([]byte, 1)) // nothing comes
				mu.Unlock()
			}()
			time.Sleep(time.Millisecond)
			mu.Lock()
		case "realsocket":
			real.Read(make([]byte, 1))
		}
	})
}

// TestTrapNext runs after TestTrapChild in the child: it says that the
// test binary went on.
func TestTrapNext(t *testing.T) {
	if os.Getenv(trapEnv) == "" {
		t.Skip("run as a child process by TestTrapsReported")
	}
	t.Log("the test binary went on")
}

// TestTrapsReported: each trap fails the test with netsim's report (the
// goroutines, the parked calls, what to change, the capture's path), not
// synctest's panic or a silent hang; the capture is kept. The binary goes
// on to its next test but where a goroutine waits on a real socket, which
// something outside the bubble could wake: it ends there.
func TestTrapsReported(t *testing.T) {
	const wentOn = "the test binary went on"
	for mode, wants := range map[string][]string{
		"leak":       {"--- FAIL: TestTrapChild", "1 goroutine(s) of the synctest bubble still blocked after the test returned", "Close what the test started", "TestTrapChild.func1.", "chan receive (durable)", wentOn},
		"blocked":    {"--- FAIL: TestTrapChild", "every goroutine of the synctest bubble is blocked and nothing is pending", "TestTrapChild.func1", wentOn},
		"mutex":      {"--- FAIL: TestTrapChild", "no progress for", "waits for a lock (sync.Mutex.Lock)", "parked calls:", "Read tcp 10.0.0.1:", "TestTrapChild.func1.", "the bubble is left behind", wentOn},
		"realsocket": {"--- FAIL: TestTrapChild", "no progress for", "waits on a real socket of the machine", "use the host's DialContext"},
	} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^(TestTrapChild|TestTrapNext)$", "-test.v", "-test.timeout=60s", "-netsim.hang=1s")
			cmd.Env = append(os.Environ(), trapEnv+"="+mode, netsimtest.CaptureDirEnv+"="+dir)
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err == nil {
				t.Fatalf("the child passed:\n%s", text)
			}
			path := filepath.Join(dir, "TestTrapChild.pcapng")
			wants = append(wants, "capture: "+path)
			for _, want := range wants {
				if !strings.Contains(text, want) {
					t.Errorf("the report does not say %q:\n%s", want, text)
				}
			}
			if mode == "realsocket" && strings.Contains(text, wentOn) {
				t.Errorf("the binary went on after a stall on a real socket:\n%s", text)
			}
			for _, bad := range []string{"panic:", "test timed out"} {
				if strings.Contains(text, bad) {
					t.Errorf("the output says %q:\n%s", bad, text)
				}
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the capture was not kept: %v", err)
			}
		})
	}
}
