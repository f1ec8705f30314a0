package netsimtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/pcapread"
	"netsim.dev/netsim/sweep"
)

// seedRun collects, for the ledger, the captures of the networks that
// [New] made for one seed's subtest.
type seedRun struct {
	mu       sync.Mutex
	captures []*bytes.Buffer
}

// seedRuns maps a seed's subtest (*testing.T) to its *seedRun while a
// ledger is written.
var seedRuns sync.Map

// noteCapture tells the seed run of t, if any, about a capture New made.
func noteCapture(t any, buf *bytes.Buffer) {
	if v, ok := seedRuns.Load(t); ok {
		r := v.(*seedRun)
		r.mu.Lock()
		r.captures = append(r.captures, buf)
		r.mu.Unlock()
	}
}

// ledger is the file of -netsim.ledger.
type ledger struct {
	f *os.File
	w *sweep.Writer
}

// openLedger opens the file of -netsim.ledger or $NETSIM_LEDGER for
// appending, or returns nil when neither is given.
func openLedger() (*ledger, error) {
	name, from := lookup(flagLedger, "netsim.ledger", EnvLedger)
	if name == "" {
		return nil, nil
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("netsim: ledger (%s): %w", from, err)
	}
	return &ledger{f: f, w: sweep.NewWriter(f)}, nil
}

// add writes the record of one seed's subtest, named by the test that
// called Seeds (TestX, or TestX/sub, without testing's "#01"): pass or fail, and the
// sha256, frames and simulated time of the captures New made for it (in
// the order made; hashed together when there are several).
func (l *ledger) add(name string, seed int64, failed bool, run *seedRun, wall time.Duration) error {
	// TestX/sub#01/seed=137 -> TestX/sub: the test as -run matches it.
	parts := strings.Split(name, "/")
	parts = parts[:len(parts)-1]
	for i, p := range parts {
		parts[i] = dedupSuffix.ReplaceAllString(p, "")
	}
	test := strings.Join(parts, "/")
	rec := sweep.Record{Name: test, Seed: seed, Pass: !failed, WallNS: int64(wall), Version: version()}
	if failed {
		rec.Failure = "go test: " + name + " failed (its log says why)"
	}
	sum := run.summary()
	rec.SHA256, rec.Frames, rec.SimNS = sum.sha256, sum.frames, sum.simNS
	return l.w.Write(rec)
}

// runSummary is what the captures of one seed's run hold.
type runSummary struct {
	captures int    // networks made by New
	sha256   string // of the captures, in the order made ("" if none)
	frames   int    // in all
	simNS    int64  // the latest frame's time since netsim.DefaultStart
}

// summary reads the run's captures (the networks are closed by then).
func (run *seedRun) summary() runSummary {
	run.mu.Lock()
	defer run.mu.Unlock()
	var s runSummary
	if len(run.captures) == 0 {
		return s
	}
	s.captures = len(run.captures)
	h := sha256.New()
	for _, buf := range run.captures {
		h.Write(buf.Bytes())
		r, err := pcapread.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			continue // an empty capture: a network that never ran
		}
		frames, _ := pcapread.ReadAll(r)
		s.frames += len(frames)
		if len(frames) > 0 {
			if sim := frames[len(frames)-1].Time - netsim.DefaultStart.UnixNano(); sim > s.simNS {
				s.simNS = sim
			}
		}
	}
	s.sha256 = hex.EncodeToString(h.Sum(nil))
	return s
}

// Close closes the ledger's file.
func (l *ledger) Close() error { return l.f.Close() }

// version returns the version of module netsim.dev in this binary: the
// main module's when netsim's own tests run, else the dependency's.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if bi.Main.Path == "netsim.dev" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == "netsim.dev" {
			return d.Version
		}
	}
	return "unknown"
}
