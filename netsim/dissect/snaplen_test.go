package dissect_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// update reports -update (declared in the package's internal tests, which
// share this test binary): it also rewrites the tshark goldens under
// testdata/snaplen.
func update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// snapDir holds captures cut short by a snap length (editcap -F pcap -s N
// of the repository's captures and of small tcpdump test files), each with
// tshark 4.0's summary lines (NAME.txt) and the frames each filter of
// filters.txt selects (filters.golden).
const snapDir = "testdata/snaplen"

// snapKnown are the lines netsim does not print as tshark does, by
// capture and frame: a heuristic dissector reading the cut payload
// (WireGuard on UDP 24099), a quoted UDP payload tshark reads past the
// cut, and TCP Fast Open options netsim does not decode.
var snapKnown = map[string][]int{
	"icmp-errors-s64.pcap": {16, 59},
	"tfo-s64.pcap":         {1, 2, 3, 13},
	"transfer6-s40.pcap":   {1}, // a multicast MAC tshark names from its manuf table
}

// snapFilterFloor is the share (per mille) of the (capture, filter) pairs
// of filters.golden that must select the frames tshark selects.
const snapFilterFloor = 980

func snapCaptures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(snapDir, "*.pcap"))
	if err != nil || len(files) < 10 {
		t.Fatalf("snap-length captures: %v (%d found)", err, len(files))
	}
	return files
}

func dissectFile(t *testing.T, file string) []dissect.Packet {
	t.Helper()
	frames, err := pcapread.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := dissect.New()
	// MAC names as tshark shows them (Broadcast): Wireshark's installed
	// files, or else the repository's small manuf fixture.
	names := dissect.SystemMACNames()
	if names == nil {
		if names, err = dissect.LoadMACNames("testdata/manuf"); err != nil {
			t.Fatal(err)
		}
	}
	d.SetMACNames(names, true)
	pkts := make([]dissect.Packet, len(frames))
	for i := range frames {
		d.Dissect(&frames[i], &pkts[i])
	}
	return pkts
}

func snapFilters(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(snapDir, "filters.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestSnapLenMatchesTshark checks netsim's summary lines and filter
// selections on cut captures against tshark's, stored as goldens.
func TestSnapLenMatchesTshark(t *testing.T) {
	if update() {
		updateSnapGoldens(t)
	}
	filters := snapFilters(t)
	golden, err := os.ReadFile(filepath.Join(snapDir, "filters.golden"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(golden), "\n"), "\n") {
		parts := strings.SplitN(l, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("filters.golden: bad line %q", l)
		}
		want[parts[0]+"\t"+parts[1]] = parts[2]
	}
	lines, same, pairs, agree := 0, 0, 0, 0
	for _, file := range snapCaptures(t) {
		name := filepath.Base(file)
		pkts := dissectFile(t, file)
		b, err := os.ReadFile(strings.TrimSuffix(file, ".pcap") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		theirs := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(theirs) != len(pkts) {
			t.Errorf("%s: %d frames, tshark %d", name, len(pkts), len(theirs))
			continue
		}
		for i := range pkts {
			lines++
			ours := dissect.Summary(&pkts[i])
			switch {
			case ours == theirs[i]:
				same++
			case !slices.Contains(snapKnown[name], i+1):
				t.Errorf("%s frame %d:\n netsim %s\n tshark %s", name, i+1, ours, theirs[i])
			}
		}
		for _, expr := range filters {
			flt, err := dfilter.Compile(expr)
			if err != nil {
				t.Fatalf("%q: %v", expr, err)
			}
			var sel []string
			for i := range pkts {
				if flt.Match(&pkts[i]) {
					sel = append(sel, fmt.Sprint(i+1))
				}
			}
			w, ok := want[name+"\t"+expr]
			if !ok {
				// filters.golden covers the pairs tshark was run on.
				continue
			}
			pairs++
			if got := strings.Join(sel, ","); got == w {
				agree++
			} else {
				t.Logf("%s %q: netsim selects [%s], tshark [%s]", name, expr, got, w)
			}
		}
	}
	t.Logf("summary lines: %d of %d as tshark's; filter pairs: %d of %d", same, lines, agree, pairs)
	if pairs == 0 || agree*1000 < pairs*snapFilterFloor {
		t.Errorf("%d of %d (capture, filter) pairs select tshark's frames, want %d per mille", agree, pairs, snapFilterFloor)
	}
}

// TestSnapLenGoldensAreTsharks checks that the goldens are what tshark
// prints now (it fails instead of skipping without tshark when
// NETSIM_REQUIRE_TSHARK=1).
func TestSnapLenGoldensAreTsharks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on every cut capture")
	}
	tsharktest.Path(t)
	for _, file := range snapCaptures(t) {
		b, err := os.ReadFile(strings.TrimSuffix(file, ".pcap") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		if got := tsharktest.Run(t, "-r", file); got != string(b) {
			t.Errorf("%s: the golden is not tshark's output: run go test -run TestSnapLenMatchesTshark -update", file)
		}
	}
}

func updateSnapGoldens(t *testing.T) {
	tsharktest.Path(t)
	filters := snapFilters(t)
	var sb strings.Builder
	for _, file := range snapCaptures(t) {
		out := tsharktest.Run(t, "-r", file)
		if err := os.WriteFile(strings.TrimSuffix(file, ".pcap")+".txt", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		// One tshark -Y per filter: tsharktest.Select's tap listeners
		// miss the frames in which a dissector threw, the very frames
		// these captures are about.
		for _, expr := range filters {
			sel := strings.Fields(tsharktest.Run(t, "-r", file, "-Y", expr, "-T", "fields", "-e", "frame.number"))
			fmt.Fprintf(&sb, "%s\t%s\t%s\n", filepath.Base(file), expr, strings.Join(sel, ","))
		}
	}
	if err := os.WriteFile(filepath.Join(snapDir, "filters.golden"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
