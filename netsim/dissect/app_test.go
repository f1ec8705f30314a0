package dissect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/pcapread"
)

var updateApp = update // -update also rewrites testdata/app/*.summary from tshark

// appCaptures are the captures with DNS, HTTP and TLS in testdata/app:
// netsim's dns and http scenarios, the tls13-https scenario with its
// secrets removed (editcap --discard-all-secrets), and DNS captures from
// tcpdump's test corpus.
func appCaptures(t *testing.T) []string {
	t.Helper()
	var m []string
	for _, pat := range []string{"testdata/app/*.pcap", "testdata/app/*.pcapng"} {
		x, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, x...)
	}
	if len(m) < 5 {
		t.Fatalf("testdata/app: only %d captures", len(m))
	}
	return m
}

func summaries(t *testing.T, file string) []string {
	t.Helper()
	frames, err := pcapread.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	// Names as tshark shows them (Broadcast in ARP requests): Wireshark's
	// installed files, or else the repository's small manuf fixture.
	names := SystemMACNames()
	if names == nil {
		if names, err = LoadMACNames("testdata/manuf"); err != nil {
			t.Fatal(err)
		}
	}
	d.SetMACNames(names, true)
	var p Packet
	var out []string
	for i := range frames {
		d.Dissect(&frames[i], &p)
		out = append(out, Summary(&p))
	}
	return out
}

// TestAppSummaries compares the summary lines of the application
// protocol captures with tshark's, recorded in testdata/app/*.summary
// (-update rewrites them) and, unless -short, with live tshark.
func TestAppSummaries(t *testing.T) {
	for _, c := range appCaptures(t) {
		t.Run(filepath.Base(c), func(t *testing.T) {
			t.Parallel()
			golden := c + ".summary"
			var want string
			if *updateApp || !testing.Short() {
				want = tsharktest.Run(t, "-r", c)
				if *updateApp {
					if err := os.WriteFile(golden, []byte(want), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if want != "" && want != string(b) {
				t.Errorf("%s differs from live tshark: run with -update", golden)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			got := summaries(t, c)
			if len(got) != len(lines) {
				t.Fatalf("%d frames, tshark %d", len(got), len(lines))
			}
			for i := range got {
				if got[i] != lines[i] {
					t.Errorf("frame %d:\n ours:   %s\n tshark: %s", i+1, got[i], lines[i])
				}
			}
		})
	}
}
