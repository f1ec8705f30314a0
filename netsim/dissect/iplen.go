package dissect

import "strconv"

// ipv4Length returns the length of the IPv4 datagram b starts, as tshark
// 4.0's ip dissector takes it, or false when the header's Total Length is
// bogus (less than the header), which ends the dissection with "Bogus IP
// length" before the addresses are read.
//
// A Total Length of 0 is taken as TCP segmentation offload (TSO, the ip
// dissector's default): the datagram runs to the end of the frame. A Total
// Length beyond the frame on the wire is cut to the frame (Wireshark only
// ever shrinks a tvbuff to the IP datagram), so it is not malformed in
// itself: the layers above see what the frame has.
func (p *Packet) ipv4Length(b []byte) (int, bool) {
	ip := &p.IP
	wire := len(b) + max(0, p.Len-len(p.Frame))
	n := int(ip.Len)
	if n == 0 {
		n = wire
		ip.Len = uint16(min(n, 0xffff))
	}
	if n < int(ip.HdrLen) {
		if !p.inError {
			p.badNet, p.badNetB = 4, b
			p.push(0, idIP, nil)
		}
		return 0, false
	}
	return min(n, wire), true
}

// bogusIPLenInfo is the Info column of a packet whose IPv4 header b
// (version 4, a valid header length) has a Total Length less than its
// header length, "" for another header.
func bogusIPLenInfo(b []byte) string {
	if len(b) < 20 || b[0]>>4 != 4 || b[0]&0xf < 5 {
		return ""
	}
	n, h := int(b[2])<<8|int(b[3]), int(b[0]&0xf)*4
	if n == 0 || n >= h {
		return ""
	}
	return "Bogus IP length (" + strconv.Itoa(n) + ", less than header length " + strconv.Itoa(h) + ")"
}
