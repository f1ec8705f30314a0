package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestSameBytesAsPcapgo: the Writer writes, byte for byte, what
// gopacket's pcapgo writes for the same headers, interfaces, frames (of
// every length mod 4, cut at the snap length or not, with and without
// comments, empty ones among them) and key logs, in both formats. pcapgo
// wrote netsim's captures before, and the golden captures were made with
// it.
func TestSameBytesAsPcapgo(t *testing.T) {
	for _, format := range []Format{PCAP, PCAPNG} {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%v/%d", format, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 1))
				snap := []int{0, 20, 64, 1515}[r.IntN(4)]
				var got, want bytes.Buffer
				w, err := New(&got, Options{Format: format, SnapLen: snap})
				if err != nil {
					t.Fatal(err)
				}
				if snap == 0 {
					snap = DefaultSnapLen
				}
				// The reference, as capture.go drove pcapgo.
				bw := bufio.NewWriterSize(&want, bufSize)
				var ng *pcapgo.NgWriter
				if format == PCAP {
					pw := pcapgo.NewWriter(bw)
					if err := pw.WriteFileHeader(uint32(snap), layers.LinkTypeEthernet); err != nil {
						t.Fatal(err)
					}
				}
				pw := pcapgo.NewWriter(bw)
				nIfaces := 1
				if format == PCAPNG {
					nIfaces = 1 + r.IntN(3)
				}
				var keyLog []byte
				if format == PCAPNG && r.IntN(2) == 0 {
					keyLog = []byte("CLIENT_RANDOM 00 11\n")
					if err := w.WriteKeyLog(keyLog); err != nil {
						t.Fatal(err)
					}
				}
				for i := range nIfaces {
					name, desc := fmt.Sprintf("if%d", i), []string{"", "a link", "link a-b"}[r.IntN(3)]
					if _, err := w.AddInterface(name, desc); err != nil {
						t.Fatal(err)
					}
					if format == PCAP {
						continue
					}
					intf := pcapgo.NgInterface{Name: name, Description: desc, LinkType: layers.LinkTypeEthernet, SnapLength: uint32(snap)}
					if ng == nil {
						ng, err = pcapgo.NewNgWriterInterface(bw, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "netsim"}})
						if err != nil {
							t.Fatal(err)
						}
						if keyLog != nil {
							if err := ng.WriteDecryptionSecretsBlock(TLSKeyLog, keyLog); err != nil {
								t.Fatal(err)
							}
						}
					} else if _, err := ng.AddInterface(intf); err != nil {
						t.Fatal(err)
					}
				}
				ts := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
				for range 30 {
					ts = ts.Add(time.Duration(r.IntN(3_000_000_000)))
					frame := make([]byte, 14+r.IntN(1600))
					for i := range frame {
						frame[i] = byte(r.Uint32())
					}
					id := r.IntN(nIfaces)
					var comments []string
					for range r.IntN(3) {
						comments = append(comments, []string{"", "lost", "duplicated: dup 1%", "x"}[r.IntN(4)])
					}
					if format == PCAPNG && r.IntN(8) == 0 {
						k := []byte(fmt.Sprintf("SERVER_TRAFFIC_SECRET_0 %x\n", r.Uint32()))[:1+r.IntN(20)]
						if err := w.WriteKeyLog(k); err != nil {
							t.Fatal(err)
						}
						if err := ng.WriteDecryptionSecretsBlock(TLSKeyLog, k); err != nil {
							t.Fatal(err)
						}
					}
					if err := w.WriteFrameComments(id, ts, frame, comments); err != nil {
						t.Fatal(err)
					}
					data := frame[:min(len(frame), snap)]
					ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(frame), InterfaceIndex: id}
					if format == PCAP {
						if err := pw.WritePacket(ci, data); err != nil {
							t.Fatal(err)
						}
						continue
					}
					var opts pcapgo.NgPacketOptions
					for _, c := range comments {
						if c != "" {
							opts.Comments = append(opts.Comments, c)
						}
					}
					if err := ng.WritePacketWithOptions(ci, data, opts); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if err := bw.Flush(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					g, x := got.Bytes(), want.Bytes()
					i := 0
					for i < min(len(g), len(x)) && g[i] == x[i] {
						i++
					}
					t.Fatalf("%d bytes, pcapgo %d; first difference at byte %d", len(g), len(x), i)
				}
			})
		}
	}
}

// TestNoInterfacePcapgo: a pcapng Writer flushed with no interface writes
// the section header and a placeholder interface, as pcapgo did.
func TestNoInterfacePcapgo(t *testing.T) {
	var got, want bytes.Buffer
	w, err := New(&got, Options{Format: PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	intf := pcapgo.NgInterface{Name: "none", Description: "no interface was captured", LinkType: layers.LinkTypeEthernet, SnapLength: DefaultSnapLen}
	ng, err := pcapgo.NewNgWriterInterface(&want, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "netsim"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ng.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("got % x\nwant % x", got.Bytes(), want.Bytes())
	}
}
