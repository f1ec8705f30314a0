package dissect

// IPv4 reassembly, as Wireshark does by default (ip.defragment): the frame
// that completes a datagram carries the reassembled transport layer.

type fragKey struct {
	src, dst [4]byte
	id       uint16
	proto    uint8
}

type fragBuf struct {
	data   []byte
	ranges [][2]int
	total  int // -1 until the last fragment is seen
	count  int
	done   bool
	doneAt int
}

type fragTable struct {
	m map[fragKey]*fragBuf
}

// maxDatagram bounds a reassembled datagram.
const maxDatagram = 65535 + 8

// add records a fragment and reports the whole datagram when this frame
// completes it.
func (t *fragTable) add(frame int, ip *IPv4, payload []byte) ([]byte, int, bool) {
	k := fragKey{ip.Src, ip.Dst, ip.ID, ip.Proto}
	fb := t.m[k]
	if fb == nil || fb.done {
		fb = &fragBuf{total: -1}
		t.m[k] = fb
	}
	off := int(ip.FragOff)
	end := off + len(payload)
	if end > maxDatagram {
		return nil, 0, false
	}
	if end > len(fb.data) {
		fb.data = append(fb.data, make([]byte, end-len(fb.data))...)
	}
	copy(fb.data[off:end], payload)
	fb.ranges = append(fb.ranges, [2]int{off, end})
	fb.count++
	if ip.Flags&1 == 0 {
		fb.total = end
	}
	if fb.total < 0 || !covered(fb.ranges, fb.total) {
		return nil, 0, false
	}
	fb.done = true
	fb.doneAt = frame
	return fb.data[:fb.total], fb.count, true
}

// covered reports whether ranges cover [0, total).
func covered(ranges [][2]int, total int) bool {
	pos := 0
	for pos < total {
		adv := false
		for _, r := range ranges {
			if r[0] <= pos && r[1] > pos {
				pos = r[1]
				adv = true
			}
		}
		if !adv {
			return false
		}
	}
	return true
}
