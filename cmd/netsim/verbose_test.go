package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
)

// verboseCorpus lists the captures `netsim read -V` is checked on: the
// goldens of the demos and the scenarios, the Linux reference captures, and
// the display-filter corpus (other link types, ICMP echo and errors, a
// capture cut short, comments).
func verboseCorpus(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"../../testdata/*.pcap*", "../../testdata/scenarios/*.pcap*", "../../testdata/reference/*.pcap", "../../netsim/dfilter/testdata/corpus/*.pcap*"} {
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
// both show their bytes as data. (gryphon, on TCP port 7000, which
// tcp-nagle uses, is no longer one: netsim follows its PDU boundaries.)
// Both read captures with TLS secrets (tls13-https) from a copy without
// them (withoutSecrets): the tree of decrypted TLS is compared in
// TestReadVerboseDecryptedTLS.
var verboseAppProtocols []string

// withoutSecrets returns file, or for a pcapng capture with Decryption
// Secrets Blocks a copy in a temporary directory without them, so that
// tshark shows TLS encrypted, as netsim does.
func withoutSecrets(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || binary.BigEndian.Uint32(b) != 0x0a0d0d0a {
		return file
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b[8:]) == 0x1a2b3c4d {
		order = binary.BigEndian
	}
	var out []byte
	found := false
	for off := 0; off+12 <= len(b); {
		n := int(order.Uint32(b[off+4:]))
		if n < 12 || off+n > len(b) {
			t.Fatalf("%s: bad pcapng block at %d", file, off)
		}
		if order.Uint32(b[off:]) == 0x0a {
			found = true
		} else {
			out = append(out, b[off:off+n]...)
		}
		off += n
	}
	if !found {
		return file
	}
	stripped := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(stripped, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return stripped
}

// verboseFloor is the share of tshark's lines (per mille) netsim's -V must
// print, over the whole corpus; per capture, verboseCaptureFloor. netsim
// prints all 104,266 of tshark's lines on the 41 captures of the corpus
// (with the application dissectors off): the floors leave room for a new
// capture with a field netsim does not decode, not for regressions.
const (
	verboseFloor        = 999
	verboseCaptureFloor = 990
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
func compareVerbose(ours, theirs [][]string) (covered, total int, problems, missing []string) {
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
			if k < len(th) {
				missing = append(missing, th[j:k]...)
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
		missing = append(missing, th[j:]...)
	}
	for i := len(ours); i < len(theirs); i++ {
		total += len(theirs[i])
	}
	return covered, total, problems, missing
}

var digits = regexp.MustCompile(`[0-9]+`)

// missingSummary groups tshark's lines that netsim does not print by
// shape (digits replaced), most frequent first.
func missingSummary(missing []string) string {
	count := map[string]int{}
	for _, l := range missing {
		count[digits.ReplaceAllString(l, "N")]++
	}
	shapes := make([]string, 0, len(count))
	for s := range count {
		shapes = append(shapes, s)
	}
	sort.Slice(shapes, func(i, j int) bool {
		if count[shapes[i]] != count[shapes[j]] {
			return count[shapes[i]] > count[shapes[j]]
		}
		return shapes[i] < shapes[j]
	})
	var sb strings.Builder
	for _, s := range shapes {
		fmt.Fprintf(&sb, "\n%6d %s", count[s], s)
	}
	return sb.String()
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
			plain := withoutSecrets(t, file)
			theirs := tsharktest.Run(t, append(append([]string{}, args...), "-r", plain)...)
			code, ours, errs := runRead(t, nil, "-V", "-r", plain)
			if code != 0 {
				t.Fatalf("netsim read -V: exit %d: %s", code, errs)
			}
			covered, total, problems, missing := compareVerbose(splitFrames(ours), splitFrames(theirs))
			for i, p := range problems {
				if i == 10 {
					t.Errorf("... %d more", len(problems)-10)
					break
				}
				t.Error(p)
			}
			t.Logf("%s: %d of %d lines (%.1f%%)", filepath.Base(file), covered, total, 100*float64(covered)/float64(total))
			if testing.Verbose() && len(missing) > 0 {
				t.Logf("tshark's lines netsim leaves out:%s", missingSummary(missing))
			}
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

// verboseGoldens are the captures whose netsim read -V output is kept in
// testdata/verbose: the book's demos and their Linux references, a few
// scenarios, the other link types (about 470 KB in all).
var verboseGoldens = []string{
	"../../testdata/tcp.pcap", "../../testdata/tcp-multi.pcap", "../../testdata/udp.pcap",
	"../../testdata/reference/linux-lo-tcp.pcap", "../../testdata/reference/linux-lo-tcp-multi.pcap",
	"../../testdata/reference/linux-lo-udp.pcap",
	"../../testdata/scenarios/tcp-rto.pcapng", "../../testdata/scenarios/tcp-refused.pcapng",
	"../../testdata/scenarios/tcp-keepalive.pcapng", "../../testdata/scenarios/udp-closed-port.pcapng",
	"../../testdata/scenarios/arp-switch.pcapng", "../../testdata/scenarios/udp-fragments.pcapng",
	"../../netsim/dfilter/testdata/corpus/sll.pcap", "../../netsim/dfilter/testdata/corpus/null.pcap",
	"../../netsim/dfilter/testdata/corpus/raw-nano-be.pcap",
}

// TestReadVerboseGolden keeps netsim read -V's output for verboseGoldens in
// testdata/verbose (go test ./cmd/netsim -run VerboseGolden -update). The
// arrival times are in UTC here (tshark and netsim -V use the local zone).
func TestReadVerboseGolden(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC
	for _, file := range verboseGoldens {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".pcapng"), ".pcap")
		switch {
		case strings.Contains(file, "/reference/"):
			name = "reference-" + name
		case strings.Contains(file, "/corpus/"):
			name = "corpus-" + name
		}
		golden := filepath.Join("testdata", "verbose", name+".txt")
		// MAC names from the fixture, not the machine's Wireshark files.
		code, out, errs := runRead(t, nil, "--manuf", "../../netsim/dissect/testdata/manuf", "-V", "-r", file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		if *update {
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

// TestReadVerboseFilteredMatchesTshark checks -V with a display filter:
// "Time delta from previous displayed frame" counts from the last frame
// printed, as tshark's does.
func TestReadVerboseFilteredMatchesTshark(t *testing.T) {
	for _, c := range []struct{ file, filter string }{
		{"../../testdata/tcp.pcap", "tcp.flags.fin == 1 || tcp.len > 0"},
		{"../../testdata/scenarios/tcp-rto.pcapng", "tcp.analysis.retransmission"},
	} {
		theirs := tsharktest.Run(t, "-V", "-r", c.file, "-Y", c.filter)
		code, ours, errs := runRead(t, nil, "-V", "-r", c.file, "-Y", c.filter)
		if code != 0 {
			t.Fatalf("netsim read -V -Y: exit %d: %s", code, errs)
		}
		covered, total, problems, _ := compareVerbose(splitFrames(ours), splitFrames(theirs))
		for _, p := range problems {
			t.Errorf("%s -Y %q: %s", c.file, c.filter, p)
		}
		if covered != total || total == 0 {
			t.Errorf("%s -Y %q: %d of %d lines", c.file, c.filter, covered, total)
		}
		if !strings.Contains(ours, "[Time delta from previous displayed frame: 0.000020000 seconds]") && strings.HasSuffix(c.file, "tcp.pcap") {
			t.Errorf("%s -Y %q: no displayed-frame delta of 20µs (frame 4 to 6):\n%s", c.file, c.filter, ours)
		}
	}
}

// TestReadAnalysisFieldsMatchTshark checks the analysis values -V shows as
// fields (-T fields, and display filters) against tshark's.
func TestReadAnalysisFieldsMatchTshark(t *testing.T) {
	fields := []string{"frame.number", "tcp.completeness", "tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt",
		"tcp.analysis.bytes_in_flight", "tcp.analysis.push_bytes_sent", "tcp.analysis.rto", "tcp.analysis.rto_frame",
		"tcp.time_relative", "tcp.time_delta"}
	for _, file := range []string{"../../testdata/tcp.pcap", "../../testdata/transfer-lossy.pcapng",
		"../../testdata/scenarios/tcp-rto.pcapng", "../../testdata/scenarios/tcp-fast-retransmit.pcapng",
		"../../testdata/scenarios/pmtu-ipv4.pcapng", "../../netsim/dfilter/testdata/corpus/tcp-mix.pcap",
		"../../netsim/dfilter/testdata/corpus/icmp-errors.pcap"} {
		var want strings.Builder
		for _, row := range tsharktest.Fields(t, file, "", fields...) {
			want.WriteString(strings.Join(row, "\t") + "\n")
		}
		args := []string{"-r", file, "-T", "fields"}
		for _, f := range fields {
			args = append(args, "-e", f)
		}
		code, got, errs := runRead(t, nil, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		if got != want.String() {
			gl, wl := strings.Split(got, "\n"), strings.Split(want.String(), "\n")
			for i := 0; i < len(gl) && i < len(wl); i++ {
				if gl[i] != wl[i] {
					t.Errorf("%s: netsim %q, tshark %q", file, gl[i], wl[i])
					break
				}
			}
			if len(gl) != len(wl) {
				t.Errorf("%s: %d lines, tshark %d", file, len(gl), len(wl))
			}
		}
	}
}
