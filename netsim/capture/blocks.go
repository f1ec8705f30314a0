package capture

import (
	"encoding/binary"
	"time"
)

// The file formats, written by hand: classic pcap's file and record
// headers, and pcapng's blocks, all little-endian. Byte for byte what
// gopacket's pcapgo wrote for the same calls (netsim used it before), so
// that captures did not change; but without pcapgo, whose package
// gopacket/layers brought 5 MB of pointer-holding tables that every
// garbage collection of a netsim process scanned, and an init.
const (
	linkTypeEthernet = 1

	pcapMagicMicros = 0xa1b2c3d4
	pcapVersionMaj  = 2
	pcapVersionMin  = 4

	blockSection    = 0x0A0D0D0A // Section Header Block
	blockInterface  = 0x00000001 // Interface Description Block
	blockEnhanced   = 0x00000006 // Enhanced Packet Block
	blockSecrets    = 0x0000000A // Decryption Secrets Block
	byteOrderMagic  = 0x1A2B3C4D
	ngVersionMaj    = 1
	ngVersionMin    = 0
	optEnd          = 0
	optComment      = 1
	optShbUserAppl  = 4
	optIfName       = 2
	optIfDescr      = 3
	optIfTsresol    = 9
	epbHeaderLength = 28 // block type, length, interface, timestamp (2), lengths (2)
)

var le = binary.LittleEndian

// pad4 is the padding that brings n bytes to a multiple of 4.
func pad4(n int) int { return (4 - n&3) & 3 }

// optionsLen is the length of the options (each padded to 32 bits, and
// the end-of-options option) holding values; 0 for none.
func optionsLen(values ...string) int {
	n := 0
	for _, v := range values {
		n += 4 + len(v) + pad4(len(v))
	}
	if n > 0 {
		n += 4
	}
	return n
}

// appendOption appends one string option, padded to 32 bits.
func appendOption(b []byte, code uint16, v string) []byte {
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, pad4(len(v)))...)
}

// appendEnd appends the end-of-options option.
func appendEnd(b []byte) []byte { return le.AppendUint32(b, optEnd) }

// appendPCAPHeader appends classic pcap's file header: microsecond
// timestamps, UTC, link type Ethernet.
func appendPCAPHeader(b []byte, snapLen int) []byte {
	b = le.AppendUint32(b, pcapMagicMicros)
	b = le.AppendUint16(b, pcapVersionMaj)
	b = le.AppendUint16(b, pcapVersionMin)
	b = le.AppendUint32(b, 0) // time zone: UTC
	b = le.AppendUint32(b, 0) // sigfigs
	b = le.AppendUint32(b, uint32(snapLen))
	return le.AppendUint32(b, linkTypeEthernet)
}

// appendPCAPRecord appends a pcap record header for captured bytes of a
// frame of length bytes seen at ts.
func appendPCAPRecord(b []byte, ts time.Time, captured, length int) []byte {
	b = le.AppendUint32(b, uint32(ts.Unix()))
	b = le.AppendUint32(b, uint32(ts.Nanosecond()/1000))
	b = le.AppendUint32(b, uint32(captured))
	return le.AppendUint32(b, uint32(length))
}

// appendSection appends a pcapng Section Header Block naming its
// application, of unspecified section length.
func appendSection(b []byte, application string) []byte {
	n := 24 + optionsLen(application) + 4
	b = le.AppendUint32(b, blockSection)
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint32(b, byteOrderMagic)
	b = le.AppendUint16(b, ngVersionMaj)
	b = le.AppendUint16(b, ngVersionMin)
	b = le.AppendUint64(b, ^uint64(0)) // section length: unspecified
	b = appendOption(b, optShbUserAppl, application)
	b = appendEnd(b)
	return le.AppendUint32(b, uint32(n))
}

// appendInterface appends a pcapng Interface Description Block: link type
// Ethernet, nanosecond timestamps, a name and a description when not
// empty.
func appendInterface(b []byte, name, description string, snapLen int) []byte {
	var opts []string
	if name != "" {
		opts = append(opts, name)
	}
	if description != "" {
		opts = append(opts, description)
	}
	// if_tsresol: one byte, padded like a string of one byte.
	n := 16 + optionsLen(append(opts, "\x09")...) + 4
	b = le.AppendUint32(b, blockInterface)
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint16(b, linkTypeEthernet)
	b = le.AppendUint16(b, 0) // reserved
	b = le.AppendUint32(b, uint32(snapLen))
	if name != "" {
		b = appendOption(b, optIfName, name)
	}
	if description != "" {
		b = appendOption(b, optIfDescr, description)
	}
	b = le.AppendUint16(b, optIfTsresol)
	b = le.AppendUint16(b, 1)
	b = append(b, 9, 0, 0, 0) // 10^-9 s
	b = appendEnd(b)
	return le.AppendUint32(b, uint32(n))
}

// epbLength returns an Enhanced Packet Block's total length for captured
// bytes and comments (the empty ones left out by the caller).
func epbLength(captured int, comments []string) int {
	return epbHeaderLength + captured + pad4(captured) + optionsLen(comments...) + 4
}

// appendEPBHeader appends the start of an Enhanced Packet Block of total
// length n, up to its packet data.
func appendEPBHeader(b []byte, n, iface int, ts time.Time, captured, length int) []byte {
	t := ts.UnixNano()
	b = le.AppendUint32(b, blockEnhanced)
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint32(b, uint32(iface))
	b = le.AppendUint32(b, uint32(t>>32))
	b = le.AppendUint32(b, uint32(t))
	b = le.AppendUint32(b, uint32(captured))
	return le.AppendUint32(b, uint32(length))
}

// appendEPBTail appends what follows an Enhanced Packet Block's packet
// data: its padding, the comments, and the trailing length n.
func appendEPBTail(b []byte, n, captured int, comments []string) []byte {
	b = append(b, make([]byte, pad4(captured))...)
	for _, c := range comments {
		b = appendOption(b, optComment, c)
	}
	if len(comments) > 0 {
		b = appendEnd(b)
	}
	return le.AppendUint32(b, uint32(n))
}

// secretsLength returns a Decryption Secrets Block's total length for a
// payload of n bytes.
func secretsLength(n int) int { return 8 + 8 + n + pad4(n) + 4 }
