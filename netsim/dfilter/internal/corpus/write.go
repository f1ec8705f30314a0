package corpus

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapWriter returns a classic pcap encoder.
func pcapWriter(bigEndian, nano bool, linkType uint32) func(c *Capture) []byte {
	return func(c *Capture) []byte {
		var order binary.ByteOrder = binary.LittleEndian
		if bigEndian {
			order = binary.BigEndian
		}
		var buf bytes.Buffer
		h := make([]byte, 24)
		magic := uint32(0xa1b2c3d4)
		if nano {
			magic = 0xa1b23c4d
		}
		order.PutUint32(h, magic)
		order.PutUint16(h[4:], 2)
		order.PutUint16(h[6:], 4)
		order.PutUint32(h[16:], 262144)
		order.PutUint32(h[20:], linkType)
		buf.Write(h)
		for _, p := range c.Packets {
			r := make([]byte, 16)
			order.PutUint32(r, uint32(p.Time/1e9))
			frac := p.Time % 1e9
			if !nano {
				frac /= 1000
			}
			order.PutUint32(r[4:], uint32(frac))
			order.PutUint32(r[8:], uint32(len(p.Data)))
			order.PutUint32(r[12:], uint32(len(p.Data)))
			buf.Write(r)
			buf.Write(p.Data)
		}
		return buf.Bytes()
	}
}

// pcapngWriter encodes the packets as pcapng with three interfaces.
func pcapngWriter(c *Capture) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, TimestampResolution: 6, SnapLength: 262144},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "netsim corpus"}})
	if err != nil {
		panic(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{Name: "lo", LinkType: layers.LinkTypeRaw, TimestampResolution: 6, SnapLength: 262144}); err != nil {
		panic(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{Name: "tap0", LinkType: layers.LinkTypeEthernet, TimestampResolution: 9, SnapLength: 262144}); err != nil {
		panic(err)
	}
	for _, p := range c.Packets {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.Time), CaptureLength: len(p.Data), Length: len(p.Data), InterfaceIndex: p.Iface}
		var opts pcapgo.NgPacketOptions
		if p.Comment != "" {
			opts.Comments = []string{p.Comment}
		}
		if err := w.WritePacketWithOptions(ci, p.Data, opts); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
