package dissect

import "bytes"

// convKey identifies a conversation by its two endpoints, in a canonical
// order so that both directions map to the same key.
type convKey struct {
	a, b   [16]byte
	pa, pb uint16
	v6     bool
}

// makeConvKey returns the canonical key and whether the packet's source is
// endpoint a.
func makeConvKey(src, dst []byte, sport, dport uint16) (convKey, bool) {
	var k convKey
	k.v6 = len(src) == 16
	c := bytes.Compare(src, dst)
	fwd := c < 0 || (c == 0 && sport <= dport)
	if fwd {
		copy(k.a[:], src)
		copy(k.b[:], dst)
		k.pa, k.pb = sport, dport
	} else {
		copy(k.a[:], dst)
		copy(k.b[:], src)
		k.pa, k.pb = dport, sport
	}
	return k, fwd
}
