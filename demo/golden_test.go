package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

var update = flag.Bool("update", false, "rewrite the golden captures in ../testdata instead of comparing with them (go test ./demo -run Golden -update)")

// goldenDir holds the golden captures, one per demo: testdata/DEMO.pcap at
// the top of the module.
const goldenDir = "../testdata"

// runCapture runs the demo called name and returns its pcap bytes.
func runCapture(t testing.TB, name string, p Params) []byte {
	t.Helper()
	d, ok := Lookup(name)
	if !ok {
		t.Fatalf("no demo %q", name)
	}
	var buf bytes.Buffer
	p.Capture = &buf
	if _, err := d.Run(p); err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goldenCase is one golden capture: a demo with parameters.
type goldenCase struct {
	file string // under testdata/
	demo string
	p    Params
}

// lossy impairs both directions of every link with each impairment at once.
var lossy = netsim.LinkConfig{Delay: 5 * time.Millisecond, Jitter: time.Millisecond, Loss: 0.05, Dup: 0.02, Reorder: 0.05, Corrupt: 0.01}

var goldenCases = []goldenCase{
	{"tcp.pcap", "tcp", Params{}},
	{"tcp-multi.pcap", "tcp-multi", Params{}},
	{"udp.pcap", "udp", Params{}},
	{"tcp-lossy.pcapng", "tcp", Params{Link: netsim.LinkConfig{Loss: 0.3}, Seed: 4, Format: capture.PCAPNG}},
	{"transfer.pcap", "transfer", Params{Size: 20000}},
	{"transfer6.pcap", "transfer", Params{Size: 20000, IPv6: true}},
	{"transfer-lossy.pcapng", "transfer", Params{Size: 100000, Link: lossy, Format: capture.PCAPNG}},
	{"transfer6-lossy.pcapng", "transfer", Params{Size: 100000, IPv6: true, Link: lossy, Format: capture.PCAPNG}},
	{"transfer-hops.pcapng", "transfer", Params{Size: 20000, Hops: 2, Format: capture.PCAPNG, Interfaces: []string{"all"}}},
}

// TestGolden compares every golden case's capture with its file. A mismatch
// names the first frame that differs and where (see diffCaptures); the
// capture that differs is saved (in $NETSIM_ARTIFACTS if set, else in the
// test's artifact directory, kept by go test -artifacts) so that it can be
// opened in Wireshark; `go test ./demo -update` rewrites the golden files,
// on purpose.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			got := runCapture(t, c.demo, c.p)
			path := filepath.Join(goldenDir, c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (%d bytes, sha256 %s)", path, len(got), sum(got))
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden capture: %v (run 'go test ./demo -update' to create it)", err)
			}
			if msg := diffCaptures(filepath.Join("testdata", c.file), got, want); msg != "" {
				// Saved where it survives the test: $NETSIM_ARTIFACTS, or
				// the test's artifact directory, kept by go test -artifacts.
				out, keep := filepath.Join(t.ArtifactDir(), c.file), " (kept with go test -artifacts)"
				if dir := os.Getenv("NETSIM_ARTIFACTS"); dir != "" {
					out, keep = filepath.Join(dir, c.file), ""
				}
				saved := "got saved to " + out + keep
				if err := os.WriteFile(out, got, 0o644); err != nil {
					saved = "got not saved: " + err.Error()
				}
				t.Fatalf("%s\n(%s; open both in Wireshark, or compare netsim read -r on each)", msg, saved)
			}
		})
	}
}

// TestDeterministic runs every golden case many times in one process: one
// sha256 each.
func TestDeterministic(t *testing.T) {
	runs := 25
	if testing.Short() {
		runs = 5
	}
	for _, c := range goldenCases {
		p := c.p
		p.Seed += 42
		first := sum(runCapture(t, c.demo, p))
		for i := 1; i < runs; i++ {
			if got := sum(runCapture(t, c.demo, p)); got != first {
				t.Fatalf("%s run %d: sha256 %s, run 0: %s", c.file, i, got, first)
			}
		}
	}
}

// TestSeedsDiffer checks that the seed reaches the stack: other seeds give
// other ephemeral ports and initial sequence numbers, so other bytes, while
// the conversation keeps its shape (checked with tshark in tshark_test.go).
func TestSeedsDiffer(t *testing.T) {
	seen := map[string]int64{}
	for _, seed := range []int64{0, 1, 2, 3, 1 << 40, -5} {
		s := sum(runCapture(t, "tcp", Params{Seed: seed}))
		if prev, ok := seen[s]; ok {
			t.Fatalf("seeds %d and %d gave the same capture", prev, seed)
		}
		seen[s] = seed
	}
}

// TestTransferBurst: --conns beyond gVisor's 256-packet ARP queue still
// completes every connection (the SYNs dropped while the neighbour was
// unresolved go out again at the 1 s SYN timeout), and a client that fails
// is reported, not waited for forever.
func TestTransferBurst(t *testing.T) {
	var out bytes.Buffer
	d, _ := Lookup("transfer")
	st, err := d.Run(Params{Conns: 300, Size: 1024, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if st.LastFrame < time.Second {
		t.Errorf("300 connections took %v of simulated time: the 44 SYNs beyond the ARP queue should wait for the 1 s SYN timeout", st.LastFrame)
	}
	if !strings.Contains(out.String(), "300 of them with crc32") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestPartition: --partition takes every link down for a span of virtual
// time; TCP retransmits through it and the data arrives intact.
func TestPartition(t *testing.T) {
	var out bytes.Buffer
	d, _ := Lookup("transfer")
	p := Params{Size: 20000, Link: netsim.LinkConfig{Delay: 10 * time.Millisecond}, Partition: [2]time.Duration{15 * time.Millisecond, time.Second}, Out: &out}
	st, err := d.Run(p)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lost := 0
	for _, s := range st.Impaired {
		lost += s.Lost
	}
	if lost == 0 || st.LastFrame < time.Second {
		t.Errorf("a partition from 15 ms to 1 s lost %d frames and the run ended at %v", lost, st.LastFrame)
	}
	if _, err := d.Run(Params{Partition: [2]time.Duration{time.Second, time.Second}}); err == nil {
		t.Error("an empty partition was accepted")
	}
}

// TestTransferChecksum: the CRC-32 both ends of the transfer demo print is
// that of the payload generator's bytes (internal/payload, computed here
// on their own from its definition: ChaCha8's first 64 KiB from the seed,
// block k keyed with k·0x9E3779B97F4A7C15), at MTU 1500 (64 KiB writes) and at MTU 65535 (1 MiB
// writes), and for a size that is not a multiple of either write.
func TestTransferChecksum(t *testing.T) {
	for _, c := range []struct {
		size int64
		mtu  int
	}{{300_000, 0}, {3<<20 + 12345, 65535}} {
		var out bytes.Buffer
		d, _ := Lookup("transfer")
		if _, err := d.Run(Params{Size: c.size, Seed: 7, Link: netsim.LinkConfig{MTU: c.mtu}, Out: &out}); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		var key [32]byte
		copy(key[:], "netsim transfer 7")
		block := make([]byte, 64<<10)
		rand.NewChaCha8(key).Read(block)
		want := make([]byte, c.size)
		for i := range want {
			k := uint64(i / len(block))
			want[i] = block[i%len(block)] ^ byte(k*0x9E3779B97F4A7C15>>(8*(i%8)))
		}
		sum := fmt.Sprintf("%08x", crc32.ChecksumIEEE(want))
		for _, line := range []string{
			fmt.Sprintf("client: sent %d bytes, crc32 %s\n", c.size, sum),
			fmt.Sprintf("server: received %d bytes, crc32 %s\n", c.size, sum),
		} {
			if !strings.Contains(out.String(), line) {
				t.Errorf("size %d, MTU %d: no line %q in\n%s", c.size, c.mtu, line, out.String())
			}
		}
	}
}
