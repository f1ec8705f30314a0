package dissect

import "strconv"

// UDP length checks, as tshark 4.0's udp dissector makes them.
const (
	udpLenOK    = iota
	udpLenShort // Length < 8: "[BAD UDP LENGTH n < 8]", nothing decoded after it
	udpLenLong  // Length beyond the IP payload: "[BAD UDP LENGTH n > IP PAYLOAD LENGTH]"
	udpJumbo    // IPv6 Length 0: an RFC 2675 jumbogram, as long as the IPv6 payload
)

// udpLength checks the UDP header's Length against the IP payload's
// length on the wire (reported) and returns where the datagram's payload
// ends, at most reported bytes from its start; false when nothing follows
// the header. captured is how many bytes of the datagram the frame holds.
// A datagram whose Length goes past the IP payload is shown with the bytes
// the IP payload has, without a "[Malformed Packet]": Wireshark never
// lets the payload's tvbuff run past the IP payload's.
func (p *Packet) udpLength(v6 bool, reported, captured int) (int, bool) {
	u := &p.UDP
	u.ulen = int(u.Length)
	if u.ulen == 0 && v6 {
		u.ulen, u.lenErr = reported, udpJumbo
	}
	if u.ulen < 8 {
		u.lenErr = udpLenShort
		return 0, false
	}
	// pinfo->fragmented: the IP header says the datagram is in pieces.
	fragmented := p.IP.Flags&1 != 0 || p.IP.FragOff != 0 || p.IPv6.HasFrag && (p.IPv6.More || p.IPv6.FragOff != 0)
	if u.ulen > reported && !fragmented && !p.inError {
		u.lenErr = udpLenLong
	}
	end := min(u.ulen, reported)
	if end > captured && !p.snapCut() && !p.inError {
		end = captured
	}
	return end, end > 8
}

// udpInfo is the Info column of a UDP datagram no application protocol
// names.
func udpInfo(u *UDP) string {
	if u.info != "" {
		return u.info
	}
	s := strconv.Itoa(int(u.SrcPort)) + " → " + strconv.Itoa(int(u.DstPort))
	switch u.lenErr {
	case udpLenShort:
		return s + " [BAD UDP LENGTH " + strconv.Itoa(u.ulen) + " < 8]"
	case udpLenLong:
		s += " [BAD UDP LENGTH " + strconv.Itoa(u.ulen) + " > IP PAYLOAD LENGTH]"
	}
	s += " Len=" + strconv.Itoa(u.ulen-8)
	if u.lenErr == udpJumbo {
		s += " [Jumbogram]"
	}
	return s
}
