package pcapread

import (
	"encoding/binary"
	"io"
)

const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
)

func (r *Reader) readPcapHeader() error {
	h, err := r.read(24, "pcap file header")
	if err == io.EOF {
		return formatErr(0, "file is empty")
	}
	if err != nil {
		return err
	}
	le, be := binary.LittleEndian.Uint32(h), binary.BigEndian.Uint32(h)
	switch {
	case le == magicMicro:
		r.order = binary.LittleEndian
	case le == magicNano:
		r.order, r.nano = binary.LittleEndian, true
	case be == magicMicro:
		r.order, r.big = binary.BigEndian, true
	case be == magicNano:
		r.order, r.nano, r.big = binary.BigEndian, true, true
	default:
		return formatErr(0, "not a pcap or pcapng file (magic number 0x%08x)", be)
	}
	major := r.order.Uint16(h[4:])
	if major != 2 {
		return formatErr(4, "unsupported pcap version %d.%d", major, r.order.Uint16(h[6:]))
	}
	snap := r.order.Uint32(h[16:])
	iface := Interface{
		LinkType:  LinkType(r.order.Uint32(h[20:]) & 0xffff),
		SnapLen:   int(min(snap, MaxSnapLen)),
		Precision: 6,
	}
	if r.nano {
		iface.Precision = 9
	}
	r.ifaces = []Interface{iface}
	r.frame.LinkType = iface.LinkType
	r.frame.Precision = iface.Precision
	return nil
}

func (r *Reader) nextPcap() error {
	start := r.off
	var h, data []byte
	// The common case: header and data in one Peek and one Discard.
	if b, err := r.br.Peek(16); err == nil {
		if n := 16 + int(r.u32(b[8:])); n <= r.br.Size() {
			if b, err := r.br.Peek(n); err == nil {
				h, data = b[:16], b[16:n]
				r.br.Discard(n)
				r.off += int64(n)
			}
		}
	}
	if h == nil {
		var err error
		h, err = r.read(16, "pcap record header")
		if err != nil {
			return err
		}
	}
	sec := int64(r.u32(h))
	frac := int64(r.u32(h[4:]))
	incl := r.u32(h[8:])
	orig := r.u32(h[12:])
	if data == nil {
		if incl > MaxSnapLen {
			return formatErr(start, "record %d: captured length %d is larger than the maximum %d", r.number+1, incl, MaxSnapLen)
		}
		var err error
		data, err = r.read(int(incl), "packet data")
		if err == io.EOF {
			return formatErr(start, "record %d: packet data missing", r.number+1)
		}
		if err != nil {
			return err
		}
	}
	if r.nano {
		r.frame.Time = sec*1e9 + frac
	} else if frac < 1e6 {
		r.frame.Time = sec*1e9 + frac*1e3
	} else {
		// An invalid microsecond field: Wireshark's wiretap multiplies
		// it by 1000 in 32 bits (ts.nsecs is an int), and tshark shows
		// the time that gives.
		r.frame.Time = sec*1e9 + int64(int32(uint32(frac)*1000))
	}
	r.frame.OrigLen = int(orig)
	r.frame.Data = data
	return nil
}
