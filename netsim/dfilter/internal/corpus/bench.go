package corpus

import (
	"encoding/binary"
	"io"
)

// WriteBench writes a classic pcap of at least n frames: the tcp-mix
// capture's frames repeated with their TCP ports shifted on each round so
// that every round is a new set of conversations. It returns the number
// of frames written.
func WriteBench(w io.Writer, n int) (int, error) {
	base := tcpMix()
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], 1)
	if _, err := w.Write(h); err != nil {
		return 0, err
	}
	written := 0
	rec := make([]byte, 16)
	data := make([]byte, 0, 2048)
	span := base.Packets[len(base.Packets)-1].Time - base.Packets[0].Time + 1e6
	for round := 0; written < n; round++ {
		for _, p := range base.Packets {
			t := p.Time + int64(round)*span
			binary.LittleEndian.PutUint32(rec, uint32(t/1e9))
			binary.LittleEndian.PutUint32(rec[4:], uint32(t%1e9/1000))
			binary.LittleEndian.PutUint32(rec[8:], uint32(len(p.Data)))
			binary.LittleEndian.PutUint32(rec[12:], uint32(len(p.Data)))
			data = append(data[:0], p.Data...)
			shiftPorts(data, uint16(round))
			if _, err := w.Write(rec); err != nil {
				return written, err
			}
			if _, err := w.Write(data); err != nil {
				return written, err
			}
			written++
		}
	}
	return written, nil
}

// shiftPorts adds delta to the client-side (>= 45000) port of an
// Ethernet/IPv4 or IPv6 TCP or UDP frame; checksums are left as they are.
func shiftPorts(b []byte, delta uint16) {
	if len(b) < 14 {
		return
	}
	off := 14
	var proto byte
	switch binary.BigEndian.Uint16(b[12:]) {
	case 0x0800:
		if len(b) < off+20 {
			return
		}
		proto = b[off+9]
		off += int(b[off]&0xf) * 4
	case 0x86dd:
		if len(b) < off+40 {
			return
		}
		proto = b[off+6]
		off += 40
	default:
		return
	}
	if (proto != 6 && proto != 17) || len(b) < off+4 {
		return
	}
	for i := 0; i < 2; i++ {
		p := binary.BigEndian.Uint16(b[off+2*i:])
		if p >= 45000 {
			binary.BigEndian.PutUint16(b[off+2*i:], 45000+(p-45000+delta*8)%20000)
		}
	}
}
