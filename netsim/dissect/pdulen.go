package dissect

import "encoding/binary"

// Protocols over TCP that netsim does not decode but whose message
// boundaries it follows, as it does SSH's (ssh.go): tshark 4.0's
// dissectors for them ask TCP for whole messages by a length in their
// header, so the segments of a longer message show as TCP ("[TCP segment
// of a reassembled PDU]"). A message that completes is shown as TCP by
// netsim (tshark names the protocol: out of issue #15's scope).
//
//   - NetBIOS session service (TCP 139, and 445 where SMB runs directly
//     over it with a 24-bit length): a 4-byte header.
//   - LDAP (TCP 389, 3268): a BER SEQUENCE, or a SASL buffer after a
//     4-byte length.
//   - TPKT (TCP 102, and 3389 for RDP): version 3 and a 16-bit length.
//   - Kerberos (TCP 88): a 4-byte record mark.
//   - WebSocket frames, after an HTTP 101 response upgrading to it: a
//     2-byte header with a 7-bit length, or 16 or 64 bits after it, and a
//     masking key when the mask bit is set.
//   - DCE/RPC connection-oriented PDUs (TCP 135, and any port where the
//     payload starts like one, as tshark's heuristic finds them): the
//     fragment length in the 16-byte common header, in the byte order
//     its data representation gives.

// pduPorts maps the TCP ports of these protocols to their app constant.
var pduPorts = map[uint16]uint8{139: appNBSS, 445: appNBSS, 389: appLDAP, 3268: appLDAP,
	102: appTPKT, 3389: appTPKT, 88: appKRB, 135: appDCERPC}

// nbssTypes are the NetBIOS session service's message types, named as the
// Info column shows them.
var nbssTypes = map[byte]string{0x00: "Session message", 0x81: "Session request",
	0x82: "Positive session response", 0x83: "Negative session response",
	0x84: "Retarget session response", 0x85: "Session keep-alive"}

// pduLen returns the length of the message of protocol proto at the start
// of b, false when b holds too little of its header to tell. Data that
// does not start a message of the protocol counts as one message of its
// own length.
func pduLen(proto uint8, cifs bool, b []byte) (int, bool) {
	switch proto {
	case appNBSS:
		if len(b) < 4 {
			return 0, false
		}
		if _, ok := nbssTypes[b[0]]; !ok {
			return len(b), true
		}
		if cifs {
			return 4 + int(b[1])<<16 | int(binary.BigEndian.Uint16(b[2:])), true
		}
		return 4 + int(b[1]&1)<<16 | int(binary.BigEndian.Uint16(b[2:])), true
	case appLDAP:
		if len(b) < 2 {
			return 0, false
		}
		if b[0] != 0x30 {
			if len(b) < 4 {
				return 0, false
			}
			if n := binary.BigEndian.Uint32(b); n <= 1<<24 {
				return 4 + int(n), true
			}
			return len(b), true
		}
		if b[1] < 0x80 {
			return 2 + int(b[1]), true
		}
		k := int(b[1] & 0x7f)
		if k == 0 || k > 4 {
			return len(b), true
		}
		if len(b) < 2+k {
			return 0, false
		}
		n := 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		return 2 + k + n, true
	case appTPKT:
		if len(b) < 4 {
			return 0, false
		}
		if b[0] != 3 || binary.BigEndian.Uint16(b[2:]) < 4 { // tshark does not check the reserved byte
			return len(b), true
		}
		return int(binary.BigEndian.Uint16(b[2:])), true
	case appKRB:
		if len(b) < 4 {
			return 0, false
		}
		return 4 + int(binary.BigEndian.Uint32(b)&0x7fffffff), true
	case appWS:
		if len(b) < 2 {
			return 0, false
		}
		n, hdr := uint64(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return 0, false
			}
			n, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return 0, false
			}
			n, hdr = binary.BigEndian.Uint64(b[2:]), 10
		}
		if b[1]&0x80 != 0 {
			hdr += 4 // the masking key
		}
		return hdr + int(min(n, 1<<40)), true
	case appDCERPC:
		if len(b) < 10 {
			return 0, false
		}
		if !dcerpcHeuristic(b) {
			return len(b), true
		}
		if b[4]&0x10 != 0 {
			return int(binary.LittleEndian.Uint16(b[8:])), true
		}
		return int(binary.BigEndian.Uint16(b[8:])), true
	}
	return len(b), true
}

// pduFirstInfo is the Info text a segment that starts an incomplete
// message of proto shows before "[TCP segment of a reassembled PDU]":
// what the dissector wrote before asking for more, "" for TCP's own Info,
// and cleared true when the dissector cleared the column.
func pduFirstInfo(proto uint8, b []byte) (info string, cleared bool) {
	switch proto {
	case appNBSS:
		if len(b) > 0 {
			return nbssTypes[b[0]], false
		}
	case appTPKT, appKRB:
		return "", true
	}
	return "", false
}

// dcerpcHeuristic reports whether b starts like a connection-oriented
// DCE/RPC PDU: version 5.0 or 5.1, a known packet type, an integer data
// representation of either byte order and a fragment length of at least
// the 16-byte header.
func dcerpcHeuristic(b []byte) bool {
	if len(b) < 16 || b[0] != 5 || b[1] > 1 || b[2] > 19 || b[4]&0xe0 != 0 {
		return false
	}
	n := binary.BigEndian.Uint16(b[8:])
	if b[4]&0x10 != 0 {
		n = binary.LittleEndian.Uint16(b[8:])
	}
	return n >= 16
}
