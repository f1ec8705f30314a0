package dissect

// Gryphon on TCP port 7000: netsim does not decode Gryphon, but tshark 4.0
// hands that port to its gryphon dissector, which reassembles its PDUs
// (an 8-byte header whose bytes 4-5 give the body length, padded to 4
// bytes) with tcp_dissect_pdus: a segment that does not complete a PDU
// shows as TCP, "[TCP segment of a reassembled PDU]", and its payload is
// not data. netsim's own captures meet it (the tcp-nagle scenario's
// server listens on 7000).

// gryphonPort is the TCP port tshark gives to the gryphon dissector.
const gryphonPort = 7000

// gryphonLen returns the length of the Gryphon PDU at the start of b
// (header, body and padding), or false when b does not yet hold its
// header.
func gryphonLen(b []byte) (int, bool) {
	if len(b) < 8 {
		return 0, false
	}
	n := int(b[4])<<8 | int(b[5])
	return 8 + (n+3)&^3, true
}
