package pcapread

import (
	"encoding/binary"
	"io"
	"math/bits"
)

// pcapng block types.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 1
	blockOPB = 2 // obsolete packet block
	blockSPB = 3
	blockEPB = 6
)

const (
	byteOrderMagic = 0x1A2B3C4D
	maxBlockLen    = 16 << 20 // as Wireshark: larger blocks are rejected
)

// readNGFirst reads the first section header block.
func (r *Reader) readNGFirst() error {
	_, _, err := r.readBlock()
	if err == io.EOF {
		return formatErr(0, "file is empty")
	}
	return err
}

// readBlock reads one whole block and returns its type and body (the bytes
// between the length fields). A section header block is handled here:
// it sets the byte order and resets the interface list.
func (r *Reader) readBlock() (uint32, []byte, error) {
	if typ, body, ok := r.peekBlock(); ok {
		return typ, body, nil
	}
	start := r.off
	hb, err := r.read(8, "pcapng block header")
	if err != nil {
		return 0, nil, err
	}
	// Both byte orders' values, taken now: the next reads may move the
	// bytes.
	typ, typBE := binary.LittleEndian.Uint32(hb), binary.BigEndian.Uint32(hb)
	lenLE, lenBE := binary.LittleEndian.Uint32(hb[4:]), binary.BigEndian.Uint32(hb[4:])
	if typ == blockSHB {
		bom, err := r.br.Peek(4)
		if err != nil {
			return 0, nil, formatErr(start, "section header block cut short")
		}
		switch {
		case binary.LittleEndian.Uint32(bom) == byteOrderMagic:
			r.order, r.big = binary.LittleEndian, false
		case binary.BigEndian.Uint32(bom) == byteOrderMagic:
			r.order, r.big = binary.BigEndian, true
		default:
			return 0, nil, formatErr(start+8, "section header block has a bad byte-order magic 0x%08x", binary.BigEndian.Uint32(bom))
		}
	} else if r.order == nil {
		return 0, nil, formatErr(start, "pcapng block before the section header")
	}
	length := lenLE
	if r.big {
		typ, length = typBE, lenBE
	}
	switch {
	case length < 12:
		return 0, nil, formatErr(start, "block length %d is less than the minimum 12", length)
	case length%4 != 0:
		return 0, nil, formatErr(start, "block length %d is not a multiple of 4", length)
	case length > maxBlockLen:
		return 0, nil, formatErr(start, "block length %d is larger than the maximum %d", length, maxBlockLen)
	}
	rest, err := r.read(int(length)-8, "pcapng block")
	if err == io.EOF {
		return 0, nil, formatErr(start, "pcapng block cut short after its header")
	}
	if err != nil {
		return 0, nil, err
	}
	body := rest[:len(rest)-4]
	if trailer := r.u32(rest[len(rest)-4:]); trailer != length {
		return 0, nil, formatErr(start, "block length %d does not match its trailing copy %d", length, trailer)
	}
	if typ == blockSHB {
		if len(body) < 16 {
			return 0, nil, formatErr(start, "section header block too short (%d bytes)", length)
		}
		if major := r.order.Uint16(body[4:]); major != 1 {
			return 0, nil, formatErr(start, "unsupported pcapng version %d.%d", major, r.order.Uint16(body[6:]))
		}
		r.ifaces = r.ifaces[:0]
	}
	return typ, body, nil
}

// peekBlock is readBlock's common case, one Peek and one Discard for the
// whole block: a well-formed block other than a section header, within
// the buffer, in a section whose byte order is known. Otherwise it reads
// nothing and ok is false, and readBlock reads the block (and reports
// what is wrong with it).
func (r *Reader) peekBlock() (typ uint32, body []byte, ok bool) {
	if r.order == nil {
		return 0, nil, false
	}
	hb, err := r.br.Peek(8)
	if err != nil {
		return 0, nil, false
	}
	var length uint32
	if r.big {
		typ, length = binary.BigEndian.Uint32(hb), binary.BigEndian.Uint32(hb[4:])
	} else {
		typ, length = binary.LittleEndian.Uint32(hb), binary.LittleEndian.Uint32(hb[4:])
	}
	if typ == blockSHB || length < 12 || length%4 != 0 || int(length) > r.br.Size() {
		return 0, nil, false
	}
	b, err := r.br.Peek(int(length))
	if err != nil || r.u32(b[length-4:]) != length {
		return 0, nil, false
	}
	r.br.Discard(int(length))
	r.off += int64(length)
	return typ, b[8 : length-4], true
}

func (r *Reader) nextNG() error {
	for {
		start := r.off
		typ, body, err := r.readBlock()
		if err != nil {
			return err
		}
		switch typ {
		case blockIDB:
			if err := r.parseIDB(start, body); err != nil {
				return err
			}
		case blockEPB:
			if len(body) < 20 {
				return formatErr(start, "enhanced packet block too short (%d bytes)", len(body)+12)
			}
			id := r.u32(body)
			ts := uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:]))
			capLen := r.u32(body[12:])
			orig := r.u32(body[16:])
			return r.packet(start, id, ts, true, capLen, orig, body[20:])
		case blockOPB:
			if len(body) < 20 {
				return formatErr(start, "packet block too short (%d bytes)", len(body)+12)
			}
			id := uint32(r.order.Uint16(body))
			ts := uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:]))
			capLen := r.u32(body[12:])
			orig := r.u32(body[16:])
			return r.packet(start, id, ts, true, capLen, orig, body[20:])
		case blockSPB:
			if len(body) < 4 {
				return formatErr(start, "simple packet block too short (%d bytes)", len(body)+12)
			}
			if len(r.ifaces) == 0 {
				return formatErr(start, "simple packet block without an interface description block")
			}
			orig := r.u32(body)
			capLen := min(orig, uint32(len(body)-4))
			if s := r.ifaces[0].SnapLen; s > 0 && capLen > uint32(s) {
				capLen = uint32(s)
			}
			return r.packet(start, 0, 0, false, capLen, orig, body[4:])
		case blockDSB:
			r.dsb(body) // secrets.go
		}
		// Other blocks (statistics, name resolution, ...) are skipped.
	}
}

// packet fills r.frame from a packet block; rest is the data and options.
func (r *Reader) packet(start int64, id uint32, ts uint64, hasTS bool, capLen, orig uint32, rest []byte) error {
	if int(id) >= len(r.ifaces) {
		return formatErr(start, "packet block names interface %d but only %d are described", id, len(r.ifaces))
	}
	if capLen > MaxSnapLen {
		return formatErr(start, "captured length %d is larger than the maximum %d", capLen, MaxSnapLen)
	}
	if int(capLen) > len(rest) {
		return formatErr(start, "captured length %d exceeds the block's %d data bytes", capLen, len(rest))
	}
	iface := &r.ifaces[id]
	f := &r.frame
	f.Interface = int(id)
	f.HasInterface = true
	f.LinkType = iface.LinkType
	f.Precision = iface.Precision
	f.OrigLen = int(orig)
	f.Data = rest[:capLen]
	f.Time = 0
	if hasTS {
		f.Time = iface.toNanos(ts)
	}
	f.Comments = f.Comments[:0]
	padded := (int(capLen) + 3) &^ 3
	if padded <= len(rest) {
		r.options(rest[padded:], func(code uint16, v []byte) {
			if code == 1 {
				f.Comments = append(f.Comments, string(v))
			}
		})
	}
	if len(f.Comments) == 0 {
		f.Comments = nil
	}
	return nil
}

func (r *Reader) parseIDB(start int64, body []byte) error {
	if len(body) < 8 {
		return formatErr(start, "interface description block too short (%d bytes)", len(body)+12)
	}
	iface := Interface{
		LinkType:    LinkType(r.order.Uint16(body)),
		SnapLen:     int(min(r.u32(body[4:]), MaxSnapLen)),
		Precision:   6,
		unitsPerSec: 1e6,
	}
	var bad error
	r.options(body[8:], func(code uint16, v []byte) {
		switch code {
		case 2:
			iface.Name = string(v)
		case 3:
			iface.Description = string(v)
		case 9:
			if len(v) < 1 {
				return
			}
			res := v[0]
			if res&0x80 != 0 {
				p := res & 0x7f
				if p > 63 {
					bad = formatErr(start, "interface timestamp resolution 2^-%d is out of range", p)
					return
				}
				iface.unitsPerSec, iface.pow2 = 0, p
				iface.Precision = int((uint(p)*30103 + 99999) / 100000) // ceil(p*log10(2))
			} else {
				if res > 19 {
					bad = formatErr(start, "interface timestamp resolution 10^-%d is out of range", res)
					return
				}
				u := uint64(1)
				for i := byte(0); i < res; i++ {
					u *= 10
				}
				iface.unitsPerSec = u
				iface.Precision = int(res)
			}
		case 14:
			if len(v) == 8 {
				iface.tsOffset = int64(r.order.Uint64(v))
			}
		}
	})
	if bad != nil {
		return bad
	}
	if iface.Precision > 9 {
		iface.Precision = 9
	}
	r.ifaces = append(r.ifaces, iface)
	return nil
}

// options calls fn for each option in b until opt_endofopt or the end of b.
func (r *Reader) options(b []byte, fn func(code uint16, v []byte)) {
	for len(b) >= 4 {
		code := r.order.Uint16(b)
		n := int(r.order.Uint16(b[2:]))
		if code == 0 {
			return
		}
		b = b[4:]
		if n > len(b) {
			return
		}
		fn(code, b[:n])
		pad := (n + 3) &^ 3
		if pad > len(b) {
			return
		}
		b = b[pad:]
	}
}

// toNanos converts a pcapng timestamp in the interface's units to
// nanoseconds since the epoch.
func (iface *Interface) toNanos(ts uint64) int64 {
	var ns uint64
	switch {
	case iface.unitsPerSec == 0:
		// Binary fraction: seconds = ts >> p.
		p := iface.pow2
		sec := ts >> p
		frac := ts & (1<<p - 1)
		var fracNs uint64
		if p > 0 {
			hi, lo := bits.Mul64(frac, 1e9) // (frac*1e9) >> p fits in 64 bits
			fracNs = hi<<(64-p) | lo>>p
		}
		ns = sec*1e9 + fracNs
	case iface.unitsPerSec <= 1e9:
		ns = ts * (1e9 / iface.unitsPerSec)
	default:
		ns = ts / (iface.unitsPerSec / 1e9)
	}
	return int64(ns) + iface.tsOffset*1e9
}
