package proc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/pcapread"
	"netsim.dev/netsim/proc"
)

var update = flag.Bool("update", false, "rewrite the golden captures in testdata")

// runBook runs scripts (file names in testdata/book, with arguments) as
// processes on the book's network and returns the capture and what they
// printed.
func runBook(t testing.TB, opts netsim.Options, scripts ...[]string) ([]byte, string, error) {
	t.Helper()
	py := python(t)
	var capBuf, out bytes.Buffer
	opts.Capture = &capBuf
	n, err := proc.DefaultNetwork(opts, false, netsim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var procs []proc.Process
	for _, s := range scripts {
		argv := append([]string{py, filepath.Join("testdata", "book", s[0])}, s[1:]...)
		procs = append(procs, proc.Process{Argv: argv})
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)}, procs...)
	return capBuf.Bytes(), out.String(), err
}

// bookRuns are the book's exchanges: the scripts, the golden capture
// (testdata/NAME.pcap), the Go demo's capture (testdata/demo-DEMO.pcap,
// a copy of the repository's testdata/DEMO.pcap), how many of the last
// frames may come later than the demo's, and what the receiver prints.
var bookRuns = []struct {
	name, demo string
	scripts    [][]string
	late       int
	out        string
}{
	// The receiver closes its listener (one more call, 20 µs) before it
	// exits and its connection is closed: its FIN and the last ACK come
	// 20 µs later than the demo's, which closes the connection first.
	{"book-tcp", "tcp", [][]string{{"tcp_recv.py"}, {"tcp_send.py"}}, 2, "tcp_recv: b',7B'\n"},
	{"book-tcp-multi", "tcp-multi", [][]string{{"tcp_recv.py"}, {"tcp_send.py", "3"}}, 2, "tcp_recv: b',7B,7B,7B'\n"},
	// UDP: the same bytes, file for file.
	{"book-udp", "udp", [][]string{{"udp_recv.py"}, {"udp_send.py"}}, 0, "udp_recv: b',7B'\n"},
}

// TestBookGolden: the book's scripts, unmodified, give the golden
// captures; each is the Go demo's frame for frame: the same bytes in every
// frame, the same times but in the last frames of TCP, which may come
// later (see bookRuns).
func TestBookGolden(t *testing.T) {
	for _, b := range bookRuns {
		t.Run(b.name, func(t *testing.T) {
			got, out, err := runBook(t, netsim.Options{}, b.scripts...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if out != b.out {
				t.Errorf("output %q, want %q", out, b.out)
			}
			golden := filepath.Join("testdata", b.name+".pcap")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("capture differs from %s (sha256 %s, golden %s)", golden, sha(got), sha(want))
			}
			demo, err := os.ReadFile(filepath.Join("testdata", "demo-"+b.demo+".pcap"))
			if err != nil {
				t.Fatal(err)
			}
			if b.late == 0 && !bytes.Equal(want, demo) {
				t.Errorf("%s is not `netsim run %s`'s capture byte for byte", golden, b.demo)
			}
			compareFrames(t, want, demo, b.late)
		})
	}
}

// compareFrames checks that capture a has demo's frames: the same count,
// the same bytes, the same times but for the last `late` frames, which may
// come later, by at most 100 µs, in order.
func compareFrames(t *testing.T, a, demo []byte, late int) {
	t.Helper()
	fa, fd := frames(t, a), frames(t, demo)
	if len(fa) != len(fd) {
		t.Fatalf("%d frames, the demo has %d", len(fa), len(fd))
	}
	for i := range fa {
		if !bytes.Equal(fa[i].Data, fd[i].Data) {
			t.Errorf("frame %d: bytes differ from the demo's", i+1)
		}
		dt := time.Duration(fa[i].Time - fd[i].Time)
		switch {
		case i < len(fa)-late && dt != 0:
			t.Errorf("frame %d: %v after the demo's, want the same time", i+1, dt)
		case dt < 0 || dt > 100*time.Microsecond:
			t.Errorf("frame %d: %v after the demo's, want 0 to 100µs", i+1, dt)
		}
	}
}

func frames(t *testing.T, b []byte) []pcapread.Frame {
	t.Helper()
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fs, err := pcapread.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestBookRepeats: 20 runs of the book's TCP exchange (3 with -short), as
// separate interpreters each time, give one capture and one output.
func TestBookRepeats(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 2 // TestBookGolden compares a third run with the golden
	}
	sums := map[string]int{}
	outs := map[string]int{}
	for range runs {
		got, out, err := runBook(t, netsim.Options{}, []string{"tcp_recv.py"}, []string{"tcp_send.py", "3"})
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		sums[sha(got)]++
		outs[out]++
	}
	if len(sums) != 1 || len(outs) != 1 {
		t.Errorf("%d runs gave %d captures and %d outputs, want 1 each: %v", runs, len(sums), len(outs), sums)
	}
	t.Logf("%d runs: %d sha256 %v", runs, len(sums), strings.Join(keys(sums), " "))
}

func keys(m map[string]int) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

// TestScriptCopies: the book's scripts here and in examples/book are
// those that made the Linux reference captures, byte for byte.
func TestScriptCopies(t *testing.T) {
	for _, name := range []string{"tcp_recv.py", "tcp_send.py", "udp_recv.py", "udp_send.py"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reference", "scripts", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{filepath.Join("testdata", "book"), filepath.Join("..", "..", "examples", "book")} {
			if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s/%s is not testdata/reference/scripts/%s (%v)", dir, name, name, err)
			}
		}
	}
}
