package scenario_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"netsim.dev/demo"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/scenario"
)

// record is a frame as a test compares it: when, on which interface,
// which bytes, with which comments.
type record struct {
	at       time.Time
	iface    int
	data     []byte
	comments []string
}

// readCapture reads a pcap or pcapng capture's frames.
func readCapture(t *testing.T, b []byte) []record {
	t.Helper()
	var out []record
	if len(b) >= 4 && string(b[:4]) == "\x0a\x0d\x0d\x0a" {
		r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		for {
			data, ci, opts, err := r.ReadPacketDataWithOptions()
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, record{ci.Timestamp, ci.InterfaceIndex, data, opts.Comments})
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{at: ci.Timestamp, data: data})
	}
}

// blockTypes lists the types of a pcapng file's blocks, in order (little
// endian, as netsim writes).
func blockTypes(t *testing.T, b []byte) []uint32 {
	t.Helper()
	var types []uint32
	for len(b) >= 12 {
		typ := binary.LittleEndian.Uint32(b)
		n := binary.LittleEndian.Uint32(b[4:])
		if n < 12 || int(n) > len(b) {
			t.Fatalf("bad pcapng block length %d", n)
		}
		types = append(types, typ)
		b = b[n:]
	}
	return types
}

// goldenPath returns the path of a shipped scenario's golden capture.
func goldenPath(name string) string {
	dir := filepath.Join("..", "..", "testdata", "scenarios")
	if name == "tls13-https" && strings.HasPrefix(runtime.Version(), "go1.27") {
		return filepath.Join(dir, name+".go1.27.pcapng")
	}
	for _, ext := range []string{".pcap", ".pcapng"} {
		if _, err := os.Stat(filepath.Join(dir, name+ext)); err == nil {
			return filepath.Join(dir, name+ext)
		}
	}
	return ""
}

// TestExplainKeepsGoldenFrames runs every shipped scenario with
// explanations (in pcapng) and checks that its frames are its golden
// capture's, byte for byte and at the same instants, each with an
// explanation, the golden's own comments (the wire's notes) kept; and that
// a second run gives the same bytes.
func TestExplainKeepsGoldenFrames(t *testing.T) {
	on, ng := true, capture.PCAPNG
	for _, info := range demo.Scenarios() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			path := goldenPath(info.Name)
			if path == "" {
				t.Fatalf("no golden capture for %s", info.Name)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := demo.LookupScenario(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			var runs [2]bytes.Buffer
			for i := range runs {
				if _, err := s.Run(scenario.RunOptions{Capture: &runs[i], Explain: &on, Format: &ng, NoExpect: true}); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(runs[0].Bytes(), runs[1].Bytes()) {
				t.Error("two runs with explanations differ")
			}
			wantFrames, got := readCapture(t, want), readCapture(t, runs[0].Bytes())
			pcap := !strings.HasSuffix(path, ".pcapng")
			if !pcap && !slices.Equal(blockTypes(t, want), blockTypes(t, runs[0].Bytes())) {
				t.Errorf("the blocks (frames, interfaces, keys) come in another order than the golden's:\n%x\n%x", blockTypes(t, want), blockTypes(t, runs[0].Bytes()))
			}
			if len(got) != len(wantFrames) {
				t.Fatalf("%d frames, the golden has %d", len(got), len(wantFrames))
			}
			for i, g := range got {
				w := wantFrames[i]
				at := g.at
				if pcap {
					at = at.Truncate(time.Microsecond) // pcap's resolution
				}
				if !at.Equal(w.at) || !bytes.Equal(g.data, w.data) || !pcap && g.iface != w.iface {
					t.Fatalf("frame %d differs from the golden's", i+1)
				}
				if len(g.comments) == 0 || strings.HasPrefix(g.comments[0], "tcp sender:") {
					t.Errorf("frame %d: no explanation (comments %q)", i+1, g.comments)
				}
				for _, c := range w.comments {
					if !slices.Contains(g.comments, c) {
						t.Errorf("frame %d: the golden's comment %q is gone (comments %q)", i+1, c, g.comments)
					}
				}
			}
		})
	}
}

func TestExplainOptions(t *testing.T) {
	s, err := demo.LookupScenario("book-udp") // format: pcap
	if err != nil {
		t.Fatal(err)
	}
	on := true
	_, err = s.Run(scenario.RunOptions{Capture: io.Discard, Explain: &on})
	if !errors.Is(err, netsim.ErrExplainPCAP) {
		t.Errorf("explain with pcap: %v, want ErrExplainPCAP", err)
	}
	ng := capture.PCAPNG
	_, err = s.Run(scenario.RunOptions{Capture: io.Discard, Explain: &on, Format: &ng, Lang: "fr"})
	if !errors.Is(err, netsim.ErrLanguage) {
		t.Errorf("lang fr: %v, want ErrLanguage", err)
	}
	var ru bytes.Buffer
	if _, err := s.Run(scenario.RunOptions{Capture: &ru, Explain: &on, Format: &ng, Lang: "ru"}); err != nil {
		t.Fatal(err)
	}
	f := readCapture(t, ru.Bytes())
	if len(f) != 1 || len(f[0].comments) == 0 || !strings.Contains(f[0].comments[0], "sendto()") || !strings.ContainsAny(f[0].comments[0], "абвгдежз") {
		t.Errorf("book-udp in Russian: %v", f)
	}
}

// TestExplainKey checks capture.explain: it turns explanations on (and
// RunOptions.Explain off again), and it is an error with format: pcap.
func TestExplainKey(t *testing.T) {
	const src = `
capture: {explain: true}
hosts: [{name: h}]
programs:
  - host: h
    steps: [bind: "127.0.0.1:5000", send: {to: "127.0.0.1:5001", text: hi}]
`
	s, err := scenario.Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Capture.Explain {
		t.Fatal("capture.explain not parsed")
	}
	var b bytes.Buffer
	if _, err := s.Run(scenario.RunOptions{Capture: &b}); err != nil {
		t.Fatal(err)
	}
	f := readCapture(t, b.Bytes())
	if len(f) == 0 || !strings.Contains(strings.Join(f[0].comments, " "), "sendto()") {
		t.Errorf("capture.explain: frames %v, want an explanation naming sendto()", f)
	}
	off := false
	b.Reset()
	if _, err := s.Run(scenario.RunOptions{Capture: &b, Explain: &off}); err != nil {
		t.Fatal(err)
	}
	for _, r := range readCapture(t, b.Bytes()) {
		if len(r.comments) > 0 {
			t.Errorf("RunOptions.Explain false: comments %q", r.comments)
		}
	}
	_, err = scenario.Parse("y.yaml", []byte(strings.Replace(src, "{explain: true}", "{format: pcap, explain: true}", 1)))
	if err == nil || !strings.Contains(err.Error(), "y.yaml:2:") || !strings.Contains(err.Error(), "capture.explain") {
		t.Errorf("explain with pcap: %v, want an error at y.yaml:2 naming capture.explain", err)
	}
	_, err = scenario.Parse("z.yaml", []byte(strings.Replace(src, "{explain: true}", "{explain: yes please}", 1)))
	if err == nil || !strings.Contains(err.Error(), "explain") {
		t.Errorf("explain: yes please: %v, want an error", err)
	}
}
