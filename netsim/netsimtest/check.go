package netsimtest

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// flagCheckRuns is -netsim.check=N: how many runs [Check] and [Measure]
// make, whatever their callers say.
var flagCheckRuns = flag.String("netsim.check", "", "run each netsimtest.Check and netsimtest.Measure body `N` times (alternating GOMAXPROCS 1 and 8) instead of the number its test gives; overrides $NETSIM_CHECK")

// EnvCheckRuns is the environment variable read when -netsim.check is not
// given.
const EnvCheckRuns = "NETSIM_CHECK"

// CheckResult is what [Check] and [Measure] found.
type CheckResult struct {
	// Runs is the number of runs made.
	Runs int
	// Distinct is the number of distinct captures among them: 1 is
	// deterministic. The captures of every network a run made with [New]
	// count together, in the order made.
	Distinct int
	// Counts is how many runs gave each distinct capture, in the order
	// each first appeared.
	Counts []int
	// Diff describes the first difference between the first run and the
	// first run that differs from it; nil when Distinct is 1.
	Diff *Difference

	capsA, capsB [][]byte // the captures Diff compares
}

// String says "1 capture in 20 runs" or "3 captures in 20 runs (15+3+2)".
func (r CheckResult) String() string {
	s := fmt.Sprintf("%d capture(s) in %d runs", r.Distinct, r.Runs)
	if r.Distinct > 1 {
		parts := make([]string, len(r.Counts))
		for i, c := range r.Counts {
			parts[i] = strconv.Itoa(c)
		}
		s += " (" + strings.Join(parts, "+") + ")"
	}
	return s
}

// Difference is the first frame at which two runs' captures differ, what
// differs, the likely cause and its fix.
type Difference struct {
	// RunA and RunB are the runs compared (1-based), and their GOMAXPROCS.
	RunA, RunB             int
	ProcsA, ProcsB         int
	Network                int    // which network of the run (1-based, in the order New made them)
	Frame                  int    // the first differing frame (1-based)
	A, B                   string // the two frames, one line each as tshark prints them ("" past the end)
	Stream                 string // the frame's stream in RunA: "tcp 10.0.0.1:49152 <-> 10.0.0.2:80"
	What                   string // what differs: "the source port", "segmentation: 512 vs 1024 payload bytes", "the time"
	Cause                  string // the likely cause
	Fix                    string // what to change
	FileA, FileB           string // the two captures, saved for Wireshark by Check ("" from Measure)
	framesA, framesB, same int
}

// String is the report.
func (d *Difference) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runs %d (GOMAXPROCS %d) and %d (GOMAXPROCS %d) first differ at frame %d of network %d", d.RunA, d.ProcsA, d.RunB, d.ProcsB, d.Frame, d.Network)
	fmt.Fprintf(&b, "\n\trun %d: %s\n\trun %d: %s", d.RunA, orEnd(d.A), d.RunB, orEnd(d.B))
	if d.Stream != "" {
		fmt.Fprintf(&b, "\n\tstream: %s", d.Stream)
	}
	fmt.Fprintf(&b, "\n\twhat differs: %s\n\tlikely cause: %s\n\tfix: %s", d.What, d.Cause, d.Fix)
	if d.FileA != "" {
		fmt.Fprintf(&b, "\n\tcaptures: %s %s", d.FileA, d.FileB)
	}
	return b.String()
}

func orEnd(s string) string {
	if s == "" {
		return "(no such frame: the capture ends before it)"
	}
	return strings.TrimSpace(s)
}

// checkRuns returns the number of runs: -netsim.check, $NETSIM_CHECK, or n.
func checkRuns(n int) (int, error) {
	v, from := lookup(flagCheckRuns, "netsim.check", EnvCheckRuns)
	if v == "" {
		return n, nil
	}
	k, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || k < 1 {
		return 0, fmt.Errorf("netsim: %s: not a number of runs (a positive integer)", from)
	}
	return k, nil
}

// Check runs body runs times (at least 2; -netsim.check=N or
// $NETSIM_CHECK=N overrides runs), as subtests run=1, run=2..., odd runs
// at GOMAXPROCS 1 and even runs at 8, and fails t when the captures of the
// networks body made with [New] differ between runs. The failure names the
// first differing frame, its stream, what differs (bytes, segmentation,
// ports, timing), the likely cause (concurrent dials at one instant,
// concurrent writers on one socket, unseeded randomness, HTTP/2 stream IDs
// given in goroutine order, the same messages on other connections as a
// worker pool's shared queue makes them) and the fix
// (netsim.WithLabel, a virtual millisecond between the concurrent work,
// testing/cryptotest.SetGlobalRandom), and saves both captures. body is a
// whole test: it calls New and Run itself, as a [Seeds] body does:
//
//	netsimtest.Check(t, 20, func(t *testing.T) {
//		n := netsimtest.New(t, netsim.Options{Seed: 1})
//		// hosts, links
//		netsimtest.Run(t, n, func(t *testing.T) { ... })
//	})
//
// Check changes GOMAXPROCS for the whole process: the test must not be
// parallel (nor body call t.Parallel). Check calls t.Run, so it must not be
// called inside Run's bubble.
func Check(t *testing.T, runs int, body func(t *testing.T)) CheckResult {
	t.Helper()
	r := Measure(t, runs, body)
	if r.Distinct > 1 {
		r.Diff.FileA, r.Diff.FileB = saveRun(t, r.capsA, r.Diff.RunA), saveRun(t, r.capsB, r.Diff.RunB)
		t.Errorf("netsim: not deterministic: %v; %v", r, r.Diff)
	}
	return r
}

// Measure is [Check] that does not fail t when the captures differ: it
// returns the figures (how many distinct captures in how many runs, and
// the first difference; the captures are not saved), for a test that
// documents how deterministic a library is. A run that fails fails t, and Measure stops there.
func Measure(t *testing.T, runs int, body func(t *testing.T)) CheckResult {
	t.Helper()
	runs, err := checkRuns(runs)
	if err != nil {
		t.Fatal(err)
	}
	runs = max(runs, 2)
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	res := CheckResult{}
	var first [][]byte
	var sums []string
	firstDiff := 0
	var diffCaps [][]byte
	for i := range runs {
		p := procsOf(i + 1)
		runtime.GOMAXPROCS(p)
		run := new(seedRun)
		var sub *testing.T
		returned := false
		ok := t.Run("run="+strconv.Itoa(i+1), func(t *testing.T) {
			sub = t
			seedRuns.Store(t, run)
			t.Cleanup(func() { seedRuns.Delete(t) })
			body(t)
			returned = true
		})
		if !ok {
			return res
		}
		if !returned && !sub.Skipped() {
			// t.Run returned while body was paused in t.Parallel: it
			// would run after Check, at whatever GOMAXPROCS then is.
			t.Fatalf("netsim: %s: body called t.Parallel: Check runs the body's runs one after another, at GOMAXPROCS 1 and 8 in turn; remove the call", t.Name())
		}
		res.Runs++
		caps := run.bytes()
		sum := hashAll(caps)
		k := indexOf(sums, sum)
		if k < 0 {
			sums = append(sums, sum)
			res.Counts = append(res.Counts, 0)
			k = len(sums) - 1
		}
		res.Counts[k]++
		switch {
		case i == 0:
			first = caps
		case firstDiff == 0 && k != 0:
			firstDiff, diffCaps = i+1, caps
		}
	}
	res.Distinct = len(sums)
	if len(first) == 0 {
		t.Errorf("netsim: %s: body made no network with netsimtest.New: nothing to compare", t.Name())
	}
	if firstDiff > 0 {
		res.Diff = diff(first, diffCaps, 1, firstDiff)
		res.capsA, res.capsB = first, diffCaps
		if res.Diff.Cause == causeRand && res.Distinct < res.Runs {
			// Randomness would make every run differ; captures that
			// repeat are orders the scheduler picks.
			res.Diff.Cause = causeMix + " (not randomness: some runs gave the same capture)"
			res.Diff.Fix = fixMix
		}
	}
	return res
}

// procsOf is run k's GOMAXPROCS: 1 for odd runs, 8 for even ones.
func procsOf(k int) int {
	if k%2 == 1 {
		return 1
	}
	return 8
}

// bytes returns a copy of each capture of the run.
func (run *seedRun) bytes() [][]byte {
	run.mu.Lock()
	defer run.mu.Unlock()
	out := make([][]byte, len(run.captures))
	for i, b := range run.captures {
		out[i] = bytes.Clone(b.Bytes())
	}
	return out
}

func hashAll(caps [][]byte) string {
	h := sha256.New()
	for _, c := range caps {
		fmt.Fprintf(h, "%d:", len(c))
		h.Write(c)
	}
	return string(h.Sum(nil))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// saveRun writes run k's captures (the first, if several) next to the
// test's live captures (or in t.ArtifactDir() with -artifacts), and
// returns the path.
func saveRun(t *testing.T, caps [][]byte, k int) string {
	dir := captureDir()
	if artifacts() {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	var data []byte
	if len(caps) > 0 {
		data = caps[0]
	}
	path := filepath.Join(dir, fmt.Sprintf("%s.run%d.pcapng", fileName(t.Name()), k))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return ""
	}
	return path
}

// frameInfo is what the diagnosis needs of one frame.
type frameInfo struct {
	line     string
	data     []byte
	time     int64
	proto    string // "tcp", "udp", "" for others
	src, dst string // address:port
	syn, ack bool
	seq      uint32 // relative
	payload  []byte
}

// frames reads a capture for the diagnosis.
func frames(c []byte) []frameInfo {
	r, err := pcapread.NewReader(bytes.NewReader(c))
	if err != nil {
		return nil
	}
	var out []frameInfo
	dissect.Scan(r, func(p *dissect.Packet) error {
		f := frameInfo{line: dissect.Summary(p), data: bytes.Clone(p.Frame), time: p.Time}
		src, dst := p.Addresses()
		switch {
		case p.Has(dissect.ProtoTCP) && !p.TCP.Quoted:
			f.proto = "tcp"
			f.src, f.dst = fmt.Sprintf("%s:%d", src, p.TCP.SrcPort), fmt.Sprintf("%s:%d", dst, p.TCP.DstPort)
			f.syn = p.TCP.Flags&0x002 != 0
			f.ack = p.TCP.Flags&0x010 != 0
			f.seq = p.TCP.Seq
			f.payload = bytes.Clone(p.TCP.Payload)
		case p.Has(dissect.ProtoUDP):
			f.proto = "udp"
			f.src, f.dst = fmt.Sprintf("%s:%d", src, p.UDP.SrcPort), fmt.Sprintf("%s:%d", dst, p.UDP.DstPort)
			f.payload = bytes.Clone(p.UDP.Payload)
		}
		out = append(out, f)
		return nil
	})
	return out
}

// Causes and fixes the diagnosis names.
const (
	causeDial = "concurrent dials at one virtual instant that netsim cannot tell apart: it orders them by label, address, the dialling goroutine's stack and the order its creator made it, so these came from goroutines alike whose creators raced (a worker pool taking jobs from a queue, a dial made under a library's lock), or from a goroutine that dialled after a racing choice"
	fixDial   = "label each dial's context with netsim.WithLabel(ctx, \"client-3\") (net/http passes a request's context to Transport.DialContext), or start the concurrent work a virtual millisecond apart (time.Sleep(time.Millisecond) in each goroutine, by its index)"
	causeMix  = "concurrent work at one virtual instant: goroutines that race on the library's own locks (a connection pool, HTTP/2 stream IDs, a shared writer) send in the order the scheduler picks"
	fixMix    = "start the concurrent work a virtual millisecond apart (time.Sleep(time.Millisecond) times the goroutine's index), or serialise it; netsim cannot order what a library decides under its own mutex"
	causeSeg  = "concurrent writers on one socket, or a writer racing its own flush (HTTP/2's and TLS's buffered frames, a pipeline): the bytes are cut into segments at racy points"
	fixSeg    = "stagger the writers by a virtual millisecond, or make one goroutine write; the byte stream may still be the same (compare the reassembled streams)"
	causeRand = "unseeded randomness: other values at the same place of a message of the same length, as crypto/rand (TLS keys, QUIC connection IDs, a WebSocket key or mask, nonces) or math/rand make them"
	fixRand   = "call testing/cryptotest.SetGlobalRandom(t, seed) at the start of the (non-parallel) test, before Run, and seed math/rand sources from the test's seed"
	causeTime = "the same frame at another virtual instant: a goroutine reached a socket call at another time (a timer or a sleep racing a read), or the run before it differs in timing only"
	fixTime   = "look for time.Now-based decisions and timers started concurrently; stagger concurrent work by a virtual millisecond"
)

// diff diagnoses the first difference between two runs' captures.
func diff(a, b [][]byte, runA, runB int) *Difference {
	d := &Difference{RunA: runA, RunB: runB, ProcsA: procsOf(runA), ProcsB: procsOf(runB)}
	for i := 0; i < max(len(a), len(b)); i++ {
		if i < len(a) && i < len(b) && bytes.Equal(a[i], b[i]) {
			continue
		}
		d.Network = i + 1
		var fa, fb []frameInfo
		if i < len(a) {
			fa = frames(a[i])
		}
		if i < len(b) {
			fb = frames(b[i])
		}
		d.framesA, d.framesB = len(fa), len(fb)
		for j := 0; j < max(len(fa), len(fb)); j++ {
			if j < len(fa) && j < len(fb) && bytes.Equal(fa[j].data, fb[j].data) && fa[j].time == fb[j].time {
				d.same++
				continue
			}
			d.Frame = j + 1
			var x, y frameInfo
			if j < len(fa) {
				x = fa[j]
				d.A = x.line
			}
			if j < len(fb) {
				y = fb[j]
				d.B = y.line
			}
			d.diagnose(x, y, j < len(fa), j < len(fb))
			if x.proto == "tcp" && y.proto == "tcp" && x.src == y.src && x.dst == y.dst &&
				(d.Cause == causeRand || d.Cause == causeMix || d.Cause == causeSeg) {
				// An order netsim does not own, seen in what the
				// connections carry as a whole.
				if what, cause, fix, ok := explainStreams(fa, fb, x, runA, runB); ok {
					d.What, d.Cause, d.Fix = d.What+"; "+what, cause, fix
				}
			}
			return d
		}
		// Same frames, other bytes: the file headers or comments.
		d.What, d.Cause, d.Fix = "the capture files, not their frames (headers or comments)", "a difference netsim itself made", "report it: netsim's captures should not differ here"
		return d
	}
	return d
}

// diagnose fills What, Cause and Fix from the first differing frames.
func (d *Difference) diagnose(x, y frameInfo, hasX, hasY bool) {
	if x.proto != "" {
		d.Stream = x.proto + " " + x.src + " <-> " + x.dst
	} else if y.proto != "" {
		d.Stream = y.proto + " " + y.src + " <-> " + y.dst
	}
	switch {
	case !hasX || !hasY:
		d.What = fmt.Sprintf("the number of frames: run %d has %d, run %d has %d, the first %d the same", d.RunA, d.framesA, d.RunB, d.framesB, d.same)
		d.Cause, d.Fix = causeTime, fixTime
	case bytes.Equal(x.data, y.data):
		d.What = fmt.Sprintf("the time only (the same bytes %v later or earlier)", time.Duration(y.time-x.time))
		d.Cause, d.Fix = causeTime, fixTime
	case x.proto != y.proto:
		d.What = "another kind of frame at this point"
		d.Cause, d.Fix = causeMix, fixMix
	case x.proto == "tcp" && (x.src != y.src || x.dst != y.dst):
		d.What = fmt.Sprintf("the connection: %s -> %s in run %d, %s -> %s in run %d", x.src, x.dst, d.RunA, y.src, y.dst, d.RunB)
		if x.syn && y.syn {
			d.What = fmt.Sprintf("the port of a new connection: %s in run %d, %s in run %d", x.src, d.RunA, y.src, d.RunB)
			d.Cause, d.Fix = causeDial, fixDial
		} else {
			d.Cause, d.Fix = causeMix, fixMix
		}
	case x.proto == "udp" && (x.src != y.src || x.dst != y.dst):
		d.What = fmt.Sprintf("the datagram's addresses: %s -> %s in run %d, %s -> %s in run %d", x.src, x.dst, d.RunA, y.src, y.dst, d.RunB)
		d.Cause, d.Fix = causeMix, fixMix
	case len(x.payload) != len(y.payload):
		d.What = fmt.Sprintf("segmentation: %d payload bytes in run %d, %d in run %d, at the same point of the stream", len(x.payload), d.RunA, len(y.payload), d.RunB)
		d.Cause, d.Fix = causeSeg, fixSeg
		if x.proto == "udp" {
			d.What = fmt.Sprintf("the datagram's size: %d payload bytes in run %d, %d in run %d", len(x.payload), d.RunA, len(y.payload), d.RunB)
			d.Cause = "concurrent work that a protocol packs into one datagram or two (QUIC coalesces frames of several streams, and the handshake's last datagram may carry the first stream frame or not)"
			d.Fix = fixMix
		}
	case len(x.payload) > 0 && !bytes.Equal(x.payload, y.payload):
		k := 0
		for k < len(x.payload) && x.payload[k] == y.payload[k] {
			k++
		}
		d.What = fmt.Sprintf("the payload's bytes, from byte %d of %d", k, len(x.payload))
		if tlsRecord(x.payload) {
			d.What += " (a TLS record)"
		}
		d.Cause, d.Fix = causeRand, fixRand
	default:
		d.What = "the headers (sequence numbers, window, options)"
		d.Cause, d.Fix = causeMix, fixMix
	}
}

// tlsRecord reports whether p starts with a TLS record header.
func tlsRecord(p []byte) bool {
	return len(p) >= 5 && p[0] >= 20 && p[0] <= 23 && p[1] == 3
}
