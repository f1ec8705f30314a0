package pcapread_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// FuzzReader feeds arbitrary bytes to the reader and decodes every frame it
// returns: reader and dissector must produce frames or an error, never
// panic or loop.
func FuzzReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.pcap*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapread.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		d := dissect.New()
		var p dissect.Packet
		var sink bytes.Buffer
		for i := 0; i < 100000; i++ {
			fr, err := r.Next()
			if err != nil {
				if err != io.EOF && err.Error() == "" {
					t.Fatal("empty error")
				}
				return
			}
			if len(fr.Data) > pcapread.MaxSnapLen {
				t.Fatalf("frame of %d bytes", len(fr.Data))
			}
			d.SetInterfaces(r.Interfaces())
			d.Dissect(fr, &p)
			sink.Reset()
			sink.WriteString(dissect.Summary(&p))
			dissect.Tree(&sink, &p)
			for _, fld := range dissect.Fields() {
				sink.WriteString(dissect.FieldString(&p, fld.Name))
			}
		}
	})
}
