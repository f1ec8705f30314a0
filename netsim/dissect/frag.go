package dissect

import "sort"

// IPv4 and IPv6 reassembly, as Wireshark does by default (ip.defragment,
// ipv6.defragment): the frame that completes a datagram carries the
// reassembled transport layer.

type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

type fragBuf struct {
	data   []byte
	ranges [][2]int
	total  int // -1 until the last fragment is seen
	count  int
	done   bool
	doneAt int
	pieces []Fragment
}

// Fragment is one fragment of a reassembled datagram: the frame that
// carried it, its offset in the datagram and its length, in bytes.
type Fragment struct {
	Frame, Offset, Len int
}

type fragTable struct {
	m map[fragKey]*fragBuf
}

// maxDatagram bounds a reassembled datagram.
const maxDatagram = 65535 + 8

// add records a fragment and reports the whole datagram when this frame
// completes it.
func (t *fragTable) add(frame int, k fragKey, off int, more bool, payload []byte) ([]byte, int, bool) {
	fb := t.m[k]
	if fb == nil || fb.done {
		fb = &fragBuf{total: -1}
		t.m[k] = fb
	}
	end := off + len(payload)
	if end > maxDatagram {
		return nil, 0, false
	}
	if end > len(fb.data) {
		fb.data = append(fb.data, make([]byte, end-len(fb.data))...)
	}
	copy(fb.data[off:end], payload)
	fb.ranges = addRange(fb.ranges, off, end)
	fb.count++
	i := sort.Search(len(fb.pieces), func(i int) bool { return fb.pieces[i].Offset > off })
	fb.pieces = append(fb.pieces, Fragment{})
	copy(fb.pieces[i+1:], fb.pieces[i:])
	fb.pieces[i] = Fragment{Frame: frame, Offset: off, Len: len(payload)}
	if !more {
		fb.total = end
	}
	if fb.total < 0 || !covered(fb.ranges, fb.total) {
		return nil, 0, false
	}
	fb.done = true
	fb.doneAt = frame
	return fb.data[:fb.total], fb.count, true
}

// addRange inserts [off, end) into ranges, which are kept sorted and
// merged (overlapping or touching ranges become one), so that a datagram
// sent in many tiny fragments costs linear time per fragment.
func addRange(ranges [][2]int, off, end int) [][2]int {
	i := sort.Search(len(ranges), func(i int) bool { return ranges[i][1] >= off })
	j := i
	for j < len(ranges) && ranges[j][0] <= end {
		off = min(off, ranges[j][0])
		end = max(end, ranges[j][1])
		j++
	}
	if i == j {
		ranges = append(ranges, [2]int{})
		copy(ranges[i+1:], ranges[i:])
		ranges[i] = [2]int{off, end}
		return ranges
	}
	ranges[i] = [2]int{off, end}
	return append(ranges[:i+1], ranges[j:]...)
}

// covered reports whether ranges (sorted and merged) cover [0, total).
func covered(ranges [][2]int, total int) bool {
	return len(ranges) > 0 && ranges[0][0] == 0 && ranges[0][1] >= total
}
