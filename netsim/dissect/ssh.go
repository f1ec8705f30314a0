package dissect

import "bytes"

// SSH on TCP port 22: netsim does not decode SSH, but it follows where
// tshark 4.0's ssh dissector asks TCP for more data, because those
// segments show as TCP ("[TCP segment of a reassembled PDU]"). Each
// direction starts unknown, where the dissector takes each segment as an
// encrypted packet; after the "SSH-" version line it reads binary packets
// by their packet_length and waits for a whole one; after SSH_MSG_NEWKEYS
// (21) they are encrypted and taken a segment at a time again.
const (
	sshUnknown uint8 = iota
	sshPlain
	sshEncrypted
)

// sshLen returns the length of the SSH message at the start of b for a
// direction in state st, false when b holds less than it.
func sshLen(st uint8, b []byte) (int, bool) {
	if bytes.HasPrefix(b, []byte("SSH-")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return i + 1, true
		}
		return 0, false
	}
	if st != sshPlain {
		return len(b), true
	}
	if len(b) < 4 {
		return 0, false
	}
	return 4 + int(be32(b)), true
}

// sshMessage moves a direction's state past a complete message b.
func sshMessage(st *uint8, b []byte) {
	switch {
	case bytes.HasPrefix(b, []byte("SSH-")):
		*st = sshPlain
	case *st == sshPlain && len(b) > 5 && b[5] == 21:
		*st = sshEncrypted
	}
}
