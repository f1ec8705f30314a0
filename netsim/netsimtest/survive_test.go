package netsimtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/pcapread"
)

// childEnv tells TestCrashChild, run as a child process by
// TestCaptureSurvives, how to die.
const childEnv = "NETSIM_TEST_CRASH"

// outside is a channel made outside every bubble: a goroutine of a bubble
// that waits on it is not durably blocked, so the bubble hangs.
var outside = make(chan struct{})

// TestCrashChild runs a TCP exchange and then dies as $NETSIM_TEST_CRASH
// says: panic, exit (os.Exit in the middle of Run, as gRPC's
// logger.Fatal does) or hang (until -test.timeout kills the binary).
func TestCrashChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("run as a child process by TestCaptureSurvives")
	}
	n, client, server := twoHosts(t, netsim.Options{Seed: 3}, netsim.LinkConfig{Delay: time.Millisecond})
	netsimtest.Run(t, n, func(t *testing.T) {
		c1, c2, _ := tcpPipe(t, client, server)
		c1.Write([]byte("ping"))
		buf := make([]byte, 4)
		if _, err := c2.Read(buf); err != nil {
			t.Fatal(err)
		}
		switch mode {
		case "panic":
			panic("the test panics in the middle of Run")
		case "exit":
			os.Exit(3)
		case "hang":
			<-outside
		}
	})
}

// TestCaptureSurvives: a test binary that panics, calls os.Exit or is
// killed by -test.timeout in the middle of Run leaves a capture that
// pcapread and tshark open, with every frame up to that moment, at the
// path the test's log gave when the network was made.
func TestCaptureSurvives(t *testing.T) {
	modes := []string{"panic", "exit", "hang"}
	if testing.Short() {
		modes = modes[:2] // hang costs the child's -test.timeout of wall time
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// The hanging child is killed by its -test.timeout: long enough
			// for its exchange on a loaded machine under -race.
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v", "-test.timeout=8s")
			cmd.Env = append(os.Environ(), childEnv+"="+mode, netsimtest.CaptureDirEnv+"="+dir)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the child passed; it should have died:\n%s", out)
			}
			path := filepath.Join(dir, "TestCrashChild.pcapng")
			if !strings.Contains(string(out), "netsim: capturing to "+path) {
				t.Errorf("the child's log does not give the capture's path %s:\n%s", path, out)
			}
			frames, err := pcapread.ReadFile(path)
			if err != nil {
				t.Fatalf("pcapread: %v\nchild:\n%s", err, out)
			}
			// ARP request and reply, SYN, SYN/ACK, ACK, the data and its ACK.
			if len(frames) < 7 {
				t.Errorf("pcapread: %d frames, want at least 7", len(frames))
			}
			rows := tsharktest.Fields(t, path, `tcp.payload == "ping"`, "frame.number")
			if len(rows) != 1 {
				t.Errorf("tshark: %d frames carry the data, want 1 (%v)", len(rows), rows)
			}
		})
	}
}
