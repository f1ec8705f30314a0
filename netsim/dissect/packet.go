package dissect

import "netsim.dev/netsim/pcapread"

// Proto is a bit set of the protocols present in a packet.
type Proto uint32

// Protocols a Packet can contain.
const (
	ProtoEth Proto = 1 << iota
	ProtoSLL
	ProtoNull
	ProtoIP
	ProtoIPv6
	ProtoTCP
	ProtoUDP
	ProtoARP
	ProtoICMP
	ProtoICMPv6
	ProtoDNS  // DNS, mDNS or LLMNR (Packet.DNS)
	ProtoHTTP // HTTP/1.x (Packet.HTTP)
	ProtoTLS  // TLS records (Packet.TLS; nil when the frame only starts a record)
	ProtoData
	ProtoVLAN
)

// Packet is one decoded frame. Byte slices point into the frame's data
// (or into reassembly buffers) and are valid until the next Dissect call
// on the same Packet.
type Packet struct {
	Number    int    // frame.number
	Time      int64  // capture time, ns since the epoch (frame.time_epoch)
	TimeRel   int64  // ns since the first frame (frame.time_relative)
	TimeDelta int64  // ns since the previous frame (frame.time_delta)
	Precision int    // digits of timestamp resolution
	Len       int    // frame.len: length on the wire
	Interface int    // frame.interface_id
	HasIface  bool   // the capture names interfaces (pcapng)
	IfName    string // frame.interface_name, "" when unknown
	IfDesc    string // frame.interface_description, "" when unknown
	// TimeDeltaDisplayed is the time since the previous frame shown
	// (frame.time_delta_displayed). The Dissector sets it to TimeDelta;
	// a reader that filters frames sets it to the time since the last
	// frame it printed.
	TimeDeltaDisplayed int64
	Link               pcapread.LinkType
	Frame              []byte   // the captured bytes (frame.cap_len = len(Frame))
	Comments           []string // frame.comment

	Protos Proto // which layers below are valid

	Eth    Ethernet
	SLL    SLL
	Null   Null
	IP     IPv4
	IPv6   IPv6
	TCP    TCP
	UDP    UDP
	ARP    ARP
	ICMP   ICMP
	ICMPv6 ICMPv6
	// Application layers (nil when absent); see app.go.
	DNS  *DNS
	HTTP []*HTTP
	TLS  *TLS
	// Reassembled is set when the frame completes a message reassembled
	// from several TCP segments.
	Reassembled *Reassembly
	// Data is the payload handed to Wireshark's "data" dissector
	// (data.data); valid when Protos has ProtoData.
	Data []byte

	// Malformed is set when a layer was cut short.
	Malformed bool

	// Inner is the packet an ICMP or ICMPv6 error quotes (its IP header
	// and the start of its transport header), decoded as Wireshark does:
	// its fields are further occurrences of ip.*, udp.*, tcp.* and so on.
	// Nil when the packet is not an ICMP error.
	Inner *Packet
	// Tunnel is the encapsulation header (GRE, ERSPAN, VXLAN, Geneve, IP
	// in IP) after the last layer above, nil when none; Encap is the
	// packet it carries, decoded as Wireshark does: its layers are further
	// occurrences of the fields, and its innermost layers make the summary
	// line (tunnel.go). Nil when the tunnel carries nothing decoded.
	Tunnel *Tunnel
	Encap  *Packet
	// inError is set on a quoted packet.
	inError bool
	// inTunnel is set on a packet a tunnel carries (Encap); depth counts
	// the tunnels around it.
	inTunnel bool
	// inGTP is set on a packet a GTP tunnel carries: tshark does not
	// decode GTP inside GTP.
	inGTP bool
	depth uint8

	stack [16]byte // protocol order for frame.protocols
	nstk  int
	raw   [idMax][]byte // each protocol's bytes, to the end of its data
	// truncated is set when a header declares more bytes than were
	// captured.
	truncated bool
	vlans     [maxVLANTags]VLAN // the VLAN tags, outermost first (VLANs)
	nvlan     int
	msdu      []byte   // an A-MSDU subframe's header (destination, source, length), nil when none
	l2tags    []L2Tag  // 802.1ah and VN-Tag tags, outermost first (L2Tags)
	vlanShort bool     // the innermost VLAN tag is cut short
	arpShort  bool     // the ARP addresses are cut short
	ext6      ipv6Exts // IPv6 extension headers
	badNet    uint8    // 4 or 6: the IP header the link layer announced is bogus or cut short
	badNetB   []byte   // its bytes
	// arpDup is the address of "duplicate use of ADDR detected!", or nil.
	arpDup []byte
	names  *MACNames // MAC address names (Dissector.SetMACNames)
	// expertMalformed is set when a dissector added an expert item of the
	// Malformed group without throwing (the frame matches _ws.malformed
	// but its Info has no "[Malformed Packet]").
	expertMalformed bool
	// cutProto names the protocol whose header the snap length cut
	// (tshark's "[Packet size limited during capture: TCP truncated]");
	// see truncated.go.
	cutProto string
}

// Has reports whether all protocols in p are present.
func (pk *Packet) Has(p Proto) bool { return pk.Protos&p == p }

func (pk *Packet) push(p Proto, id byte, b []byte) {
	pk.Protos |= p
	if int(id) < len(pk.raw) {
		pk.raw[id] = b
	}
	if pk.nstk < len(pk.stack) {
		pk.stack[pk.nstk] = id
		pk.nstk++
	}
}

// Ethernet is an Ethernet II header.
type Ethernet struct {
	Dst, Src [6]byte
	Type     uint16
}

// SLL is a Linux cooked-capture header (v1 or v2).
type SLL struct {
	PktType  uint16
	HaType   uint16
	AddrLen  uint16
	Addr     [8]byte
	Protocol uint16
	V2       bool
}

// Null is a BSD loopback header.
type Null struct {
	Family uint32
}

// IPv4 is an IPv4 header.
type IPv4 struct {
	Version  uint8
	HdrLen   uint8 // bytes
	DSField  uint8
	Len      uint16
	ID       uint16
	Flags    uint8  // the 3 flag bits: 0x4 reserved, 0x2 DF, 0x1 MF
	FragOff  uint16 // in bytes
	TTL      uint8
	Proto    uint8
	Checksum uint16
	Src, Dst [4]byte
	// Fragmented is set for a fragment whose datagram is not (yet)
	// reassembled in this frame: its payload is shown as data.
	Fragmented bool
	// Reassembled is set on the frame that completes a fragmented
	// datagram; the transport layer was decoded from the whole datagram.
	Reassembled bool
	// FragCount is the number of fragments of a reassembled datagram.
	FragCount int
	// Fragments are the fragments of a reassembled datagram, by offset.
	Fragments []Fragment
	// ReassembledData is the reassembled datagram's payload.
	ReassembledData []byte
	// ReassembledIn is the frame that completed this fragment's datagram
	// (0 when unknown at this point of a one-pass read).
	ReassembledIn int
	// hdrCut is set when the snap length cut the header after hdrCap
	// bytes (truncated.go).
	hdrCut bool
	hdrCap int
}

// IPv6 is an IPv6 fixed header.
type IPv6 struct {
	TClass   uint8
	Flow     uint32
	PLen     uint16
	Next     uint8
	HopLimit uint8
	Src, Dst [16]byte
	// Proto is the upper-layer protocol after any extension headers.
	Proto uint8
	// HasFrag is set when a fragment header is present; FragOff (bytes),
	// More and Ident are its fields.
	HasFrag bool
	More    bool
	FragOff uint16
	Ident   uint32
	// Fragmented is set for a fragment whose datagram is not (yet)
	// reassembled in this frame; Reassembled on the frame that completes
	// one (ipv6.defragment, Wireshark's default).
	Fragmented  bool
	Reassembled bool
	// Fragments and ReassembledData describe a reassembled datagram, as
	// for IPv4.
	Fragments       []Fragment
	ReassembledData []byte
	// hdrCut is set when the snap length cut the header after hdrCap
	// bytes (truncated.go).
	hdrCut bool
	hdrCap int
}

// TCP analysis flags (tcp.analysis.*).
const (
	TCPRetransmission uint32 = 1 << iota
	TCPLostPacket
	TCPAckLostPacket
	TCPKeepAlive
	TCPDuplicateAck
	TCPZeroWindow
	TCPZeroWindowProbe
	TCPZeroWindowProbeAck
	TCPKeepAliveAck
	TCPOutOfOrder
	TCPFastRetransmission
	TCPWindowUpdate
	TCPWindowFull
	TCPReusedPorts
	TCPSpuriousRetransmission
)

// TCP is a TCP header with Wireshark's derived values.
type TCP struct {
	SrcPort, DstPort uint16
	SeqRaw, AckRaw   uint32
	Seq, Ack         uint32 // relative
	NextSeq          uint32 // relative tcp.nxtseq
	HdrLen           uint8
	Flags            uint16 // 12 bits
	Window           uint16 // tcp.window_size_value
	ace              bool   // the flags show AccECN's ACE counter (tcpopts.go)
	// WinSize is the calculated window (tcp.window_size).
	WinSize uint32
	// ScaleFactor is tcp.window_size_scalefactor: the multiplier, or -1
	// (unknown) or -2 (no scaling); 0 when absent (SYN segments).
	ScaleFactor int32
	Checksum    uint16
	Urgent      uint16
	Len         uint32 // tcp.len
	Stream      uint32
	Options     []byte
	Payload     []byte
	Analysis    uint32 // TCP* analysis flags
	DupAckNum   uint32
	DupAckFrame uint32
	AckedFrame  uint32 // tcp.analysis.acks_frame
	HasAckFrame bool
	BadHdr      bool // header length < 20 or beyond the data
	Short       bool // fewer than 16 bytes: only the ports are known
	// cut is how much of the header a frame cut short by its snap length
	// holds: tcpCutFixed or tcpCutOptions (truncated.go), 0 for all.
	cut uint8
	// Quoted is set for a header quoted in an ICMP error: no sequence
	// analysis, absolute sequence numbers, no tcp.len.
	Quoted bool
	// quotedV4 is set when Quoted and the quoted IP header is IPv4.
	quotedV4 bool

	// Completeness is tcp.completeness before this segment: the
	// TCPComplete* bits of the conversation's earlier segments.
	Completeness uint8
	// TimeFirst and TimePrev are the times since the stream's first and
	// previous frames (tcp.time_relative, tcp.time_delta).
	TimeFirst, TimePrev int64
	// AckRTT is the time since the segment AckedFrame names was sent
	// (tcp.analysis.ack_rtt); valid when HasAckFrame.
	AckRTT int64
	// FirstRTT is the handshake's round-trip time (tcp.analysis.initial_rtt),
	// 0 until the handshake completes.
	FirstRTT int64
	// InFlight is tcp.analysis.bytes_in_flight, PushBytes
	// tcp.analysis.push_bytes_sent; 0 when absent.
	InFlight, PushBytes uint32
	// RTO and RTOFrame are tcp.analysis.rto and rto_frame: for a
	// retransmission, the time since the frame that last advanced the
	// sequence number, and that frame.
	RTO      int64
	RTOFrame uint32
	// FinFirst is set on a FIN from the side that closed first
	// ("This frame initiates the connection closing").
	FinFirst bool
	// SegmentOfPDU is set when the segment's data belongs to an
	// application message completed by a later segment; PDUInfo is the
	// Info text the application wrote before asking for more.
	SegmentOfPDU bool
	PDUInfo      string
	// reassemblyErr is set on an out-of-order segment inside a message
	// already reassembled ("[Reassembly error, ...]").
	reassemblyErr bool
	pduNoInfo     bool // the Info column is only "[TCP segment of a reassembled PDU]": the SSH or TLS dissector cleared it
	// SegData are the lengths of this segment's data that went to
	// reassembly ("TCP segment data").
	SegData []int
}

// TCP conversation completeness bits (tcp.completeness).
const (
	TCPCompleteSYN    uint8 = 1
	TCPCompleteSYNACK uint8 = 2
	TCPCompleteACK    uint8 = 4
	TCPCompleteData   uint8 = 8
	TCPCompleteFIN    uint8 = 16
	TCPCompleteRST    uint8 = 32
)

// UDP is a UDP header.
type UDP struct {
	SrcPort, DstPort uint16
	Length           uint16
	Checksum         uint16
	Stream           uint32
	Payload          []byte
	// TimeFirst and TimePrev are the times since the stream's first and
	// previous frames (udp.time_relative, udp.time_delta); not set on a
	// datagram quoted in an ICMP error.
	TimeFirst, TimePrev int64
	ulen                int    // the length tshark takes (udplen.go)
	lenErr              uint8  // tshark's "[BAD UDP LENGTH ...]" (udplen.go)
	info                string // the Info a port's dissector left when it gave up (generic.go)
}

// ARP is an ARP packet.
type ARP struct {
	HwType    uint16
	ProtoType uint16
	HwSize    uint8
	ProtoSize uint8
	Opcode    uint16
	SrcHw     []byte
	SrcProto  []byte
	DstHw     []byte
	DstProto  []byte
}

// ICMP is an ICMPv4 message.
type ICMP struct {
	Type, Code uint8
	Checksum   uint16
	Ident, Seq uint16 // for echo request/reply
	Echo       bool
	// RequestIn is the frame of the request a reply answers, or 0.
	RequestIn int
	// RequestTime is that request's capture time (ns since the epoch).
	RequestTime int64
}

// ICMPv6 is an ICMPv6 message.
type ICMPv6 struct {
	Type, Code uint8
	Checksum   uint16
	Ident, Seq uint16 // for echo request/reply
	Echo       bool
	// RequestIn is the frame of the request a reply answers, or 0.
	RequestIn int
	// RequestTime is that request's capture time (ns since the epoch).
	RequestTime int64
}
