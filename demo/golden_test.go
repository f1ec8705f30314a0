package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden captures in ../testdata instead of comparing with them")

// goldenDir holds the golden captures, one per demo: testdata/DEMO.pcap at
// the top of the module.
const goldenDir = "../testdata"

// capture runs the demo called name and returns its pcap bytes.
func capture(t testing.TB, name string, p Params) []byte {
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

// TestGolden compares every demo's capture with its golden file. A capture
// that differs is saved beside the test's output so that it can be opened in
// Wireshark; `go test ./demo -update` rewrites the golden files, on purpose.
func TestGolden(t *testing.T) {
	for _, d := range List() {
		t.Run(d.Name, func(t *testing.T) {
			got := capture(t, d.Name, Params{})
			path := filepath.Join(goldenDir, d.Name+".pcap")
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
			if !bytes.Equal(got, want) {
				out := filepath.Join(t.TempDir(), d.Name+".pcap")
				if dir := os.Getenv("NETSIM_ARTIFACTS"); dir != "" {
					out = filepath.Join(dir, d.Name+".pcap")
				}
				_ = os.WriteFile(out, got, 0o644)
				t.Fatalf("capture of %s differs from %s (got sha256 %s, %d bytes; want %s, %d bytes); got saved to %s",
					d.Name, path, sum(got), len(got), sum(want), len(want), out)
			}
		})
	}
}

// TestDeterministic runs every demo many times in one process: one sha256.
func TestDeterministic(t *testing.T) {
	const runs = 25
	for _, d := range List() {
		first := sum(capture(t, d.Name, Params{Seed: 42}))
		for i := 1; i < runs; i++ {
			if got := sum(capture(t, d.Name, Params{Seed: 42})); got != first {
				t.Fatalf("%s run %d: sha256 %s, run 0: %s", d.Name, i, got, first)
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
		s := sum(capture(t, "tcp", Params{Seed: seed}))
		if prev, ok := seen[s]; ok {
			t.Fatalf("seeds %d and %d gave the same capture", prev, seed)
		}
		seen[s] = seed
	}
}
