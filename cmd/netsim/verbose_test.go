package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"netsim.dev/internal/tsharktest"
)

var updateVerbose = flag.Bool("update", false, "rewrite the golden outputs of netsim read -V in testdata/verbose")

// verboseCorpus lists the captures `netsim read -V` is checked on: the
// goldens of the demos and the scenarios, and the Linux reference captures.
func verboseCorpus(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"../../testdata/*.pcap*", "../../testdata/scenarios/*.pcap*", "../../testdata/reference/*.pcap"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) < 30 {
		t.Fatalf("only %d captures in the corpus", len(files))
	}
	return files
}

// verboseAppProtocols are the application dissectors tshark runs and
// netsim does not have: the comparison switches them off in tshark, so that
// both show their bytes as data (gryphon claims TCP port 7000, which
// tcp-nagle uses).
var verboseAppProtocols = []string{"dns", "http", "tls", "gryphon"}

// verboseFloor is the share of tshark's lines (per mille) netsim's -V must
// print, over the whole corpus; per capture, verboseCaptureFloor.
const (
	verboseFloor        = 900
	verboseCaptureFloor = 850
)

var hexLine = regexp.MustCompile(`^[0-9a-f]{4}  [0-9a-f]{2}( |$)`)

// splitFrames cuts a tshark -V (or netsim read -V) output into frames: a
// frame begins at a "Packet comments" heading or at a "Frame N:" heading
// that does not follow its own comments. Blank lines and the hex dumps
// tshark adds for extra data sources are dropped.
func splitFrames(out string) [][]string {
	var frames [][]string
	var cur []string
	pendingComments := false
	for _, l := range strings.Split(out, "\n") {
		if l == "" || hexLine.MatchString(l) {
			continue
		}
		switch {
		case l == "Packet comments":
			if cur != nil {
				frames = append(frames, cur)
			}
			cur, pendingComments = []string{l}, true
			continue
		case strings.HasPrefix(l, "Frame ") && !strings.HasPrefix(l, " "):
			if !pendingComments && cur != nil {
				frames = append(frames, cur)
				cur = nil
			}
			pendingComments = false
		}
		cur = append(cur, l)
	}
	if cur != nil {
		frames = append(frames, cur)
	}
	return frames
}

// compareVerbose checks that every line of ours is a line of tshark's, in
// tshark's order, and returns how many of tshark's lines ours has, and the
// first discrepancies.
func compareVerbose(ours, theirs [][]string) (covered, total int, problems []string) {
	if len(ours) != len(theirs) {
		problems = append(problems, fmt.Sprintf("%d frames, tshark %d", len(ours), len(theirs)))
	}
	for i := 0; i < len(ours) && i < len(theirs); i++ {
		o, th := ours[i], theirs[i]
		total += len(th)
		j := 0
		for _, l := range o {
			k := j
			for k < len(th) && th[k] != l {
				k++
			}
			if k == len(th) {
				ctx := ""
				if j < len(th) {
					ctx = th[j]
				}
				problems = append(problems, fmt.Sprintf("frame %d: %q is not a line of tshark's after %q (next tshark line %q)", i+1, l, prevLine(th, j), ctx))
				continue
			}
			covered++
			j = k + 1
		}
	}
	for i := len(ours); i < len(theirs); i++ {
		total += len(theirs[i])
	}
	return covered, total, problems
}

func prevLine(th []string, j int) string {
	if j == 0 {
		return ""
	}
	return th[j-1]
}

// TestReadVerboseMatchesTshark runs tshark -V and netsim read -V on every
// capture of the corpus and compares them line by line.
func TestReadVerboseMatchesTshark(t *testing.T) {
	files := verboseCorpus(t)
	args := []string{"-V"}
	for _, p := range verboseAppProtocols {
		args = append(args, "--disable-protocol", p)
	}
	var mu sync.Mutex
	var sumCovered, sumTotal int
	t.Cleanup(func() {
		if sumTotal > 0 {
			t.Logf("corpus: netsim prints %d of tshark's %d lines (%.1f%%)", sumCovered, sumTotal, 100*float64(sumCovered)/float64(sumTotal))
			if sumCovered*1000 < sumTotal*verboseFloor {
				t.Errorf("coverage %d/%d below the floor of %d‰", sumCovered, sumTotal, verboseFloor)
			}
		}
	})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			theirs := tsharktest.Run(t, append(append([]string{}, args...), "-r", file)...)
			code, ours, errs := runRead(t, nil, "-V", "-r", file)
			if code != 0 {
				t.Fatalf("netsim read -V: exit %d: %s", code, errs)
			}
			covered, total, problems := compareVerbose(splitFrames(ours), splitFrames(theirs))
			for i, p := range problems {
				if i == 10 {
					t.Errorf("... %d more", len(problems)-10)
					break
				}
				t.Error(p)
			}
			t.Logf("%s: %d of %d lines (%.1f%%)", filepath.Base(file), covered, total, 100*float64(covered)/float64(total))
			if covered*1000 < total*verboseCaptureFloor {
				t.Errorf("coverage %d/%d below the floor of %d‰", covered, total, verboseCaptureFloor)
			}
			mu.Lock()
			sumCovered += covered
			sumTotal += total
			mu.Unlock()
		})
	}
}

// TestReadVerboseGolden keeps netsim read -V's output for the corpus in
// testdata/verbose (go test ./cmd/netsim -run VerboseGolden -update).
func TestReadVerboseGolden(t *testing.T) {
	for _, file := range verboseCorpus(t) {
		name := filepath.Base(file)
		golden := filepath.Join("testdata", "verbose", strings.TrimSuffix(strings.TrimSuffix(name, ".pcapng"), ".pcap")+".txt")
		if strings.Contains(file, "/reference/") {
			golden = filepath.Join("testdata", "verbose", "reference-"+filepath.Base(golden))
		}
		code, out, errs := runRead(t, nil, "-V", "-r", file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		if *updateVerbose {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if out != string(want) {
			t.Errorf("%s: netsim read -V differs from %s (run with -update if the change is meant)", file, golden)
		}
	}
}
