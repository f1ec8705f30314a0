package netsimtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// CaptureDirEnv names the directory where [New] writes the captures of
// tests as they run, in place of $TMPDIR/netsim-captures.
const CaptureDirEnv = "NETSIM_CAPTURE_DIR"

// liveCapture is the file a network made by [New] writes its capture to,
// frame by frame (netsim.Options.CaptureFlushEach): after a panic, an
// os.Exit or a go test -timeout, the file holds every frame captured up to
// that moment, a valid pcapng file.
type liveCapture struct {
	path string
	f    *os.File
	// artifact: the file is in t.ArtifactDir(), kept whatever happens.
	artifact bool
	// interrupted is set while Run runs a test body, cleared when it
	// returns: a body that panicked leaves it set, and the file is kept.
	mu          sync.Mutex
	interrupted bool
}

// liveNames counts the captures each test made, for their file names.
var liveNames sync.Map // *testing.common (as testing.TB) -> *int

// captureDir is where captures go unless -artifacts is given: one
// directory per test binary, so that the packages that go test runs at
// once do not share one.
func captureDir() string {
	if d := os.Getenv(CaptureDirEnv); d != "" {
		return d
	}
	bin := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	return filepath.Join(os.TempDir(), "netsim-captures", bin)
}

// fileName makes a test's name a file name: "TestX/seed=3" gives
// "TestX_seed=3".
func fileName(test string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ' ', ':', '*', '?', '"', '<', '>', '|', 0:
			return '_'
		}
		return r
	}, test)
}

// openLiveCapture creates the file of t's next capture: with -artifacts
// in t.ArtifactDir(), else in [captureDir], named after the test
// (TestX.pcapng, then TestX-2.pcapng for a second network), replacing the
// file of an earlier run of the same test.
func openLiveCapture(t testing.TB) (*liveCapture, error) {
	v, _ := liveNames.LoadOrStore(t, new(int))
	k := v.(*int)
	*k++ // New is called from the test's goroutine
	if *k == 1 {
		t.Cleanup(func() { liveNames.Delete(t) })
	}
	var dir, name string
	artifact := artifacts()
	if artifact {
		dir, name = t.ArtifactDir(), "netsim"
	} else {
		dir, name = captureDir(), fileName(t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("netsim: capture directory: %w", err)
		}
	}
	if *k > 1 {
		name += fmt.Sprintf("-%d", *k)
	}
	path := filepath.Join(dir, name+".pcapng")
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("netsim: capture file: %w", err)
	}
	return &liveCapture{path: path, f: f, artifact: artifact}, nil
}

// Write writes capture bytes through to the file.
func (c *liveCapture) Write(p []byte) (int, error) { return c.f.Write(p) }

// setInterrupted records whether a test body is running in Run.
func (c *liveCapture) setInterrupted(b bool) {
	c.mu.Lock()
	c.interrupted = b
	c.mu.Unlock()
}

// finish closes the file when the test ends: it is kept, and its path
// logged, when the test failed, a body in Run did not return, or
// -artifacts is given; else removed.
func (c *liveCapture) finish(t testing.TB) {
	if err := c.f.Close(); err != nil {
		t.Errorf("netsim: capture file %s: %v", c.path, err)
	}
	c.mu.Lock()
	interrupted := c.interrupted
	c.mu.Unlock()
	if c.artifact || t.Failed() || interrupted {
		t.Logf("netsim: capture saved to %s (wireshark %s, or netsim read -r %s)", c.path, c.path, c.path)
		return
	}
	if err := os.Remove(c.path); err != nil {
		t.Logf("netsim: cannot remove the capture of a passed test: %v", err)
	}
}

// lives maps each network made by New to its live capture.
var lives sync.Map // *netsim.Network -> *liveCapture
