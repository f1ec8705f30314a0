package dissect

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

func TestHexDump(t *testing.T) {
	var buf bytes.Buffer
	if err := HexDump(&buf, []byte("\x2c\x37\x42 0123456789abcdefXYZ")); err != nil {
		t.Fatal(err)
	}
	want := "0000  2c 37 42 20 30 31 32 33 34 35 36 37 38 39 61 62   ,7B 0123456789ab\n" +
		"0010  63 64 65 66 58 59 5a                              cdefXYZ\n\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestTreeSpellsOutFlags(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	var p Packet
	for i := 0; i < 4; i++ {
		d.Dissect(&frames[i], &p)
	}
	var buf bytes.Buffer
	if err := Tree(&buf, &p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Frame 4: 69 bytes on wire", ".... .... 1... = Push: Set", ".... .... ..0. = Syn: Not set",
		"Sequence Number: 1    (relative sequence number)", "Data: 2c3742", "    Protocol: TCP (6)", "    Type: IPv4 (0x0800)",
		"        [Bytes in flight: 3]"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("tree lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestTruncatedNeverPanics decodes every prefix of every frame.
func TestTruncatedNeverPanics(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		for n := 0; n <= len(f.Data); n++ {
			g := f
			g.Data = f.Data[:n]
			d := New()
			var p Packet
			d.Dissect(&g, &p)
			_ = Summary(&p)
			if err := Tree(io.Discard, &p); err != nil {
				t.Fatal(err)
			}
			for _, fld := range Fields() {
				_ = FieldString(&p, fld.Name)
			}
		}
	}
}
