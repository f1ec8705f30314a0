package pcapread

// LinkType is a capture's link-layer header type (LINKTYPE_* in the pcap and
// pcapng specifications).
type LinkType uint32

// Link types this package's users decode.
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte address family, host byte order
	LinkEthernet LinkType = 1   // IEEE 802.3 Ethernet
	LinkRaw12    LinkType = 12  // raw IP (DLT_RAW on most BSDs)
	LinkRaw14    LinkType = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkRaw      LinkType = 101 // raw IP: the packet begins with an IPv4 or IPv6 header
	LinkLoop     LinkType = 108 // OpenBSD loopback: 4-byte address family, network byte order
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Frame is one captured packet.
type Frame struct {
	// Number is the 1-based position of the frame in the capture.
	Number int
	// Time is the capture time in nanoseconds since the Unix epoch.
	Time int64
	// Precision is the number of decimal digits of the capture's timestamp
	// resolution (6 for microseconds, 9 for nanoseconds); tshark prints
	// times with that many digits.
	Precision int
	// OrigLen is the length of the packet on the wire; len(Data) is the
	// captured length, which may be smaller.
	OrigLen int
	// LinkType is the link-layer header type of Data.
	LinkType LinkType
	// Interface is the index of the capture interface (0 for classic pcap).
	Interface int
	// HasInterface is set when the file records interfaces (pcapng).
	HasInterface bool
	// Data holds the captured bytes. A Reader reuses it: it stays valid only
	// until the next call to Next.
	Data []byte
	// Comments are the packet's pcapng opt_comment options, if any.
	Comments []string
}

// Interface describes one capture interface of a file.
type Interface struct {
	// Name is the pcapng if_name option, or "" when absent.
	Name string
	// Description is the pcapng if_description option, or "".
	Description string
	// LinkType is the interface's link-layer header type.
	LinkType LinkType
	// SnapLen is the maximum captured length per packet (0: unlimited).
	SnapLen int
	// Precision is the number of decimal digits of the timestamp resolution.
	Precision int

	// unitsPerSec is the timestamp unit of pcapng timestamps (0 when the
	// resolution is a power of two: see pow2).
	unitsPerSec uint64
	pow2        uint8
	tsOffset    int64 // if_tsoffset in seconds
}
