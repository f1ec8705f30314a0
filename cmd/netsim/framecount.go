package main

import (
	"encoding/binary"
	"io"
)

// frameCounter passes a pcap or pcapng stream on to w and counts the
// frames in it (pcap records; pcapng packet blocks), so that the summary
// says how many frames the written capture holds: the network's count
// includes links the capture leaves out.
type frameCounter struct {
	w       io.Writer
	frames  int
	head    []byte // the header being gathered
	skip    uint64 // bytes of the current record or block still to pass
	started bool   // the file header was read
	pcapng  bool
	order   binary.ByteOrder
	bad     bool // not a stream this reads: the count is unknown
}

func (c *frameCounter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.count(b[:n])
	return n, err
}

// Frames is the number of frames written, or -1 if the stream was not
// one it could follow.
func (c *frameCounter) Frames() int {
	if c == nil || c.bad || !c.started || c.skip > 0 || len(c.head) > 0 {
		return -1
	}
	return c.frames
}

// pcapng block types: section header, packet (obsolete), simple packet,
// enhanced packet.
const (
	ngSHB = 0x0A0D0D0A
	ngPB  = 2
	ngSPB = 3
	ngEPB = 6
)

func (c *frameCounter) count(b []byte) {
	for len(b) > 0 && !c.bad {
		if c.skip > 0 {
			k := min(uint64(len(b)), c.skip)
			c.skip -= k
			b = b[k:]
			continue
		}
		need := 12 // the start of a file, and of any pcapng block
		if c.started && !c.pcapng {
			need = 16 // a pcap record's header
		}
		k := min(need-len(c.head), len(b))
		c.head, b = append(c.head, b[:k]...), b[k:]
		if len(c.head) < need {
			return
		}
		c.header()
		c.head = c.head[:0]
	}
}

// header reads the gathered header and sets what to skip.
func (c *frameCounter) header() {
	h := c.head
	if !c.started {
		c.started = true
		if binary.LittleEndian.Uint32(h) == ngSHB {
			c.pcapng = true
		} else {
			switch binary.LittleEndian.Uint32(h) {
			case 0xa1b2c3d4, 0xa1b23c4d:
				c.order = binary.LittleEndian
			case 0xd4c3b2a1, 0x4d3cb2a1:
				c.order = binary.BigEndian
			default:
				c.bad = true
			}
			c.skip = 24 - 12
			return
		}
	}
	if !c.pcapng {
		c.frames++
		c.skip = uint64(c.order.Uint32(h[8:]))
		return
	}
	if binary.LittleEndian.Uint32(h) == ngSHB { // a section: its byte order
		switch binary.LittleEndian.Uint32(h[8:]) {
		case 0x1A2B3C4D:
			c.order = binary.LittleEndian
		case 0x4D3C2B1A:
			c.order = binary.BigEndian
		default:
			c.bad = true
			return
		}
	}
	typ, n := c.order.Uint32(h), c.order.Uint32(h[4:])
	if n < 12 || n%4 != 0 {
		c.bad = true
		return
	}
	if typ == ngPB || typ == ngSPB || typ == ngEPB {
		c.frames++
	}
	c.skip = uint64(n) - 12
}
