package ladder

import (
	"bytes"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// FuzzLadder builds and draws the ladder of arbitrary capture bytes: it
// must never panic, whatever the frames hold.
func FuzzLadder(f *testing.F) {
	for _, path := range []string{
		"../../testdata/tcp.pcap", "../../testdata/udp.pcap", "../../testdata/tcp-lossy.pcapng",
		"../../testdata/scenarios/udp-closed-port.pcapng", "../../testdata/scenarios/pmtu-ipv6.pcapng",
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapread.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		l, _ := Read(r)
		for _, opt := range []Options{{}, {Notes: true, Width: 20}, {Width: 1}} {
			for _, fm := range []Format{Text, SVG, Mermaid} {
				if err := l.Write(io.Discard, fm, opt); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// TestMutatedCaptures runs FuzzLadder's body over seeded mutations of the
// corpus (flipped bytes, cut tails, spliced records), so that every go
// test run exercises malformed input, not only go test -fuzz.
func TestMutatedCaptures(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	var seeds [][]byte
	for _, path := range []string{"../../testdata/tcp.pcap", "../../testdata/tcp-lossy.pcapng", "../../testdata/scenarios/udp-closed-port.pcapng", "../../testdata/scenarios/pmtu-ipv6.pcapng"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	drawn := 0
	for i := range n {
		data := bytes.Clone(seeds[i%len(seeds)])
		for range 1 + rng.IntN(8) {
			switch rng.IntN(3) {
			case 0:
				data[rng.IntN(len(data))] = byte(rng.Uint32())
			case 1:
				data = data[:max(rng.IntN(len(data)), 1)]
			case 2:
				at := rng.IntN(len(data))
				other := seeds[rng.IntN(len(seeds))]
				from := rng.IntN(len(other))
				data = append(data[:at:at], other[from:min(from+rng.IntN(200), len(other))]...)
			}
		}
		r, err := pcapread.NewReader(bytes.NewReader(data))
		if err != nil {
			continue
		}
		l, _ := Read(r)
		drawn += len(l.Messages)
		for _, opt := range []Options{{}, {Notes: true, Width: 20}} {
			for _, fm := range []Format{Text, SVG, Mermaid} {
				var buf bytes.Buffer
				if err := l.Write(&buf, fm, opt); err != nil {
					t.Fatal(err)
				}
				if fm == SVG {
					if err := wellFormed(buf.Bytes()); err != nil {
						t.Fatalf("mutation %d: the SVG is not well-formed XML: %v", i, err)
					}
				}
			}
		}
	}
	if drawn == 0 {
		t.Fatal("no mutation drew a frame: the test exercises nothing")
	}
	t.Logf("%d mutations, %d arrows drawn", n, drawn)
}

// wellFormed reports whether b is well-formed XML.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestSVGWellFormed: names, labels and comments with XML's syntax, control
// characters and invalid UTF-8 still give well-formed XML.
func TestSVGWellFormed(t *testing.T) {
	l := &Ladder{Hosts: []string{"<a&b>", "\"c\"\x01"}, Messages: []Message{
		{Frame: 1, From: 0, To: 1, Label: "x<y>&z \xff\xfe", Comments: []string{"]]> <!-- \x00 \uFFFE"}, Lost: true},
		{Frame: 2, From: 1, To: 1, Label: "&amp;", Comments: []string{"ok"}},
	}}
	var buf bytes.Buffer
	if err := l.WriteSVG(&buf, Options{Notes: true}); err != nil {
		t.Fatal(err)
	}
	if err := wellFormed(buf.Bytes()); err != nil {
		t.Errorf("%v:\n%s", err, buf.String())
	}
}
