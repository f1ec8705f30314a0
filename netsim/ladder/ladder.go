// Package ladder draws ladder diagrams (message sequence charts) of a
// packet capture: one column per host, one arrow per frame, time running
// down the page. It reads any capture that [pcapread] reads, not only
// netsim's, and renders the diagram as terminal text ([Ladder.WriteText]),
// SVG for web pages and lab sheets ([Ladder.WriteSVG]) and a Mermaid
// sequenceDiagram ([Ladder.WriteMermaid]).
//
// Columns are hosts by IP address, in the order they first appear; when
// both ends of a conversation share an address, as on the loopback
// interface 127.0.0.1, the columns are address:port instead. TCP arrows
// carry the flags, the relative sequence and acknowledgment numbers as
// Wireshark computes them ([dissect] does), the segment length and
// tshark's analysis notes (retransmission, duplicate ACK, ...). A frame the
// network dropped, which netsim marks with a pcapng comment starting
// "lost:" or "dropped", ends mid-way with a cross.
//
// Build a ladder with [Read], or feed a [Builder] the packets of a
// [dissect.Dissector] that sees every frame (so that sequence numbers stay
// relative to the stream's start) and [Builder.Add] only those to draw, as
// `netsim read -Y FILTER --ladder` does.
package ladder

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// Ladder is a ladder diagram: its columns and its arrows, in capture order.
type Ladder struct {
	// Hosts are the columns, left to right, in order of first appearance.
	Hosts []string
	// Messages are the arrows, in capture order.
	Messages []Message
	// Skipped counts the frames added that had no address to draw them
	// between (not IP, ARP or Ethernet).
	Skipped int
}

// Message is one arrow of a [Ladder]: one frame.
type Message struct {
	// Frame is the frame's number in the capture (frame.number).
	Frame int
	// Time is the frame's time in nanoseconds since the capture's first
	// frame (frame.time_relative).
	Time int64
	// Precision is the number of decimal digits of the capture's
	// timestamps, for printing Time as tshark does.
	Precision int
	// From and To index [Ladder.Hosts]; they are equal for a frame a host
	// sends to itself.
	From, To int
	// Proto is the protocol column: TCP, UDP, ICMP, ARP, ...
	Proto string
	// Label is what the arrow says, e.g. "[SYN, ACK] Seq=0 Ack=1 Len=0".
	Label string
	// Lost is set when a comment says the network dropped the frame: it
	// never reached To.
	Lost bool
	// Comments are the frame's pcapng comments (netsim's explanations and
	// the network's notes).
	Comments []string
	// Interface is the name of the capture interface the frame was seen
	// on (pcapng if_name), or "". When a ladder holds frames of more than
	// one named interface (netsim's -i all: one frame per link it crosses),
	// each label starts with "@NAME".
	Interface string

	// TCP holds the segment's numbers when Proto is TCP.
	TCP *TCPSegment

	srcPort, dstPort int // -1: none
	stream           int // TCP or UDP stream, -1: none
	udp              bool
}

// TCPSegment is the part of a TCP header a ladder shows, with Wireshark's
// relative sequence numbers.
type TCPSegment struct {
	SrcPort, DstPort uint16 // tcp.srcport, tcp.dstport
	Flags            uint16 // the 12 flag bits, FIN = 0x001 ... AE = 0x100
	Seq, Ack, Len    uint32 // relative tcp.seq, tcp.ack, tcp.len
	Stream           uint32 // tcp.stream
}

// IsLost reports whether a frame comment says the network dropped the
// frame: netsim writes "lost: ..." and "dropped: ..." ("dropped (the
// duplicate)" is about a copy; the frame itself arrived).
func IsLost(comment string) bool {
	c := strings.ToLower(strings.TrimSpace(comment))
	switch {
	case strings.HasPrefix(c, "lost"):
		return true
	case strings.HasPrefix(c, "dropped (the duplicate)"):
		return false
	case strings.HasPrefix(c, "dropped"):
		return true
	}
	return false
}

// Builder builds a [Ladder] one packet at a time. The zero value is ready
// to use.
type Builder struct {
	l    Ladder
	cols map[string]int
	done bool
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{} }

// Add draws packet p as an arrow. p must come from a [dissect.Dissector]
// fed every frame of the capture in order (frames left out of the ladder
// too), so that its relative sequence numbers are Wireshark's. Add copies
// what it keeps: p may be reused afterwards. A packet with no address is
// counted in [Ladder.Skipped].
func (b *Builder) Add(p *dissect.Packet) {
	if b.cols == nil {
		b.cols = make(map[string]int)
	}
	m := Message{
		Frame: p.Number, Time: p.TimeRel, Precision: p.Precision,
		Proto: p.Protocol(), srcPort: -1, dstPort: -1, stream: -1,
		Interface: p.IfName,
	}
	for _, c := range p.Comments {
		m.Comments = append(m.Comments, c)
		if IsLost(c) {
			m.Lost = true
		}
	}
	src, dst, ok := endpoints(p, &m)
	if !ok {
		b.l.Skipped++
		return
	}
	m.From, m.To = b.col(src), b.col(dst)
	b.l.Messages = append(b.l.Messages, m)
}

// col returns the column of host name, adding it.
func (b *Builder) col(name string) int {
	if i, ok := b.cols[name]; ok {
		return i
	}
	b.cols[name] = len(b.l.Hosts)
	b.l.Hosts = append(b.l.Hosts, name)
	return len(b.l.Hosts) - 1
}

// Ladder returns the diagram built so far, with every arrow's label.
// The Builder must not be used after.
func (b *Builder) Ladder() *Ladder {
	if !b.done {
		b.done = true
		b.labels()
	}
	return &b.l
}

// endpoints returns the columns of p's source and destination, and fills
// m's protocol fields.
func endpoints(p *dissect.Packet, m *Message) (src, dst string, ok bool) {
	var sa, da netip.Addr
	switch {
	case p.Has(dissect.ProtoIP):
		sa, da = netip.AddrFrom4(p.IP.Src), netip.AddrFrom4(p.IP.Dst)
	case p.Has(dissect.ProtoIPv6):
		sa, da = netip.AddrFrom16(p.IPv6.Src), netip.AddrFrom16(p.IPv6.Dst)
	case p.Has(dissect.ProtoARP):
		s, ok1 := netip.AddrFromSlice(p.ARP.SrcProto)
		d, ok2 := netip.AddrFromSlice(p.ARP.DstProto)
		m.Label = p.Info()
		if ok1 && ok2 {
			return s.String(), d.String(), true
		}
		fallthrough
	default:
		s, d := p.Addresses()
		if s == "" || d == "" {
			return "", "", false
		}
		if m.Label == "" {
			m.Label = p.Info()
		}
		return s, d, true
	}
	sport, dport := -1, -1
	switch {
	case p.Has(dissect.ProtoTCP):
		t := &p.TCP
		sport, dport = int(t.SrcPort), int(t.DstPort)
		m.TCP = &TCPSegment{SrcPort: t.SrcPort, DstPort: t.DstPort, Flags: t.Flags,
			Seq: t.Seq, Ack: t.Ack, Len: t.Len, Stream: t.Stream}
		m.stream = int(t.Stream)
		m.Label = tcpLabel(t)
	case p.Has(dissect.ProtoUDP):
		u := &p.UDP
		sport, dport = int(u.SrcPort), int(u.DstPort)
		m.stream, m.udp = int(u.Stream), true
		m.Label = "Len=" + strconv.Itoa(max(int(u.Length)-8, 0))
	case p.Inner != nil:
		// An ICMP error goes from the quoted packet's destination back to
		// its source: on one address, those are ports.
		in := p.Inner
		switch {
		case in.Has(dissect.ProtoTCP):
			sport, dport = int(in.TCP.DstPort), int(in.TCP.SrcPort)
		case in.Has(dissect.ProtoUDP):
			sport, dport = int(in.UDP.DstPort), int(in.UDP.SrcPort)
		}
		m.Label = p.Info()
	default:
		m.Label = p.Info()
	}
	m.srcPort, m.dstPort = sport, dport
	if t, ok := solicitedTarget(p, da); ok {
		da = t // a neighbour solicitation goes to the host it asks for
	}
	if sa == da && sport >= 0 {
		return netip.AddrPortFrom(sa, uint16(sport)).String(), netip.AddrPortFrom(da, uint16(dport)).String(), true
	}
	return sa.String(), da.String(), true
}

// solicitedTarget returns the address an IPv6 neighbour solicitation
// asks about when it is sent to that address's solicited-node multicast
// group (ff02::1:ffXX:XXXX), so that its arrow goes to the host that
// answers, as an ARP request's does.
func solicitedTarget(p *dissect.Packet, dst netip.Addr) (netip.Addr, bool) {
	if !p.Has(dissect.ProtoICMPv6) || p.ICMPv6.Type != 135 || !dst.IsMulticast() {
		return netip.Addr{}, false
	}
	rest, ok := strings.CutPrefix(p.Info(), "Neighbor Solicitation for ")
	if !ok {
		return netip.Addr{}, false
	}
	t, err := netip.ParseAddr(strings.Fields(rest + " ")[0])
	if err != nil || !t.Is6() {
		return netip.Addr{}, false
	}
	// The group is ff02::1:ff plus the target's last 24 bits.
	g, tb := dst.As16(), t.As16()
	if g[11] != 1 || g[12] != 0xff || g[13] != tb[13] || g[14] != tb[14] || g[15] != tb[15] {
		return netip.Addr{}, false
	}
	return t, true
}

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"}

// tcpLabel is a segment's arrow text: flags, relative numbers, length and
// tshark's analysis notes.
func tcpLabel(t *dissect.TCP) string {
	var sb strings.Builder
	var fl []string
	for i, n := range flagNames {
		if t.Flags&(1<<i) != 0 {
			fl = append(fl, n)
		}
	}
	if t.Short {
		return "[?] (header cut short)"
	}
	if len(fl) == 0 {
		fl = append(fl, "<None>")
	}
	fmt.Fprintf(&sb, "[%s] Seq=%d", strings.Join(fl, ", "), t.Seq)
	if t.Flags&0x10 != 0 {
		fmt.Fprintf(&sb, " Ack=%d", t.Ack)
	}
	fmt.Fprintf(&sb, " Len=%d", t.Len)
	a := t.Analysis
	for _, x := range []struct {
		m uint32
		s string
	}{
		{dissect.TCPRetransmission, "retransmission"},
		{dissect.TCPFastRetransmission, "fast retransmission"},
		{dissect.TCPSpuriousRetransmission, "spurious retransmission"},
		{dissect.TCPOutOfOrder, "out of order"},
		{dissect.TCPKeepAlive, "keep-alive"},
		{dissect.TCPKeepAliveAck, "keep-alive ACK"},
		{dissect.TCPZeroWindowProbe, "zero window probe"},
		{dissect.TCPZeroWindow, "zero window"},
		{dissect.TCPWindowUpdate, "window update"},
		{dissect.TCPWindowFull, "window full"},
	} {
		if a&x.m != 0 {
			sb.WriteString(" (" + x.s + ")")
		}
	}
	if a&dissect.TCPDuplicateAck != 0 && t.DupAckNum != 0 {
		fmt.Fprintf(&sb, " (dup ACK #%d)", t.DupAckNum)
	}
	return sb.String()
}

// labels finishes the arrows' labels: UDP, and TCP when the ladder holds
// more than one connection, name their ports unless the columns already
// do; frames of several interfaces name theirs.
func (b *Builder) labels() {
	streams, ifaces := map[int]bool{}, map[string]bool{}
	for i := range b.l.Messages {
		m := &b.l.Messages[i]
		if m.TCP != nil {
			streams[m.stream] = true
		}
		ifaces[m.Interface] = true
	}
	for i := range b.l.Messages {
		m := &b.l.Messages[i]
		switch ports := m.srcPort >= 0 && !isAddrPort(b.l.Hosts[m.From]); {
		case m.udp && ports:
			m.Label = fmt.Sprintf("UDP %d → %d %s", m.srcPort, m.dstPort, m.Label)
		case m.udp:
			m.Label = "UDP " + m.Label
		case m.TCP != nil && ports && len(streams) > 1:
			m.Label = fmt.Sprintf("%d → %d %s", m.srcPort, m.dstPort, m.Label)
		}
		if len(ifaces) > 1 && m.Interface != "" {
			m.Label = "@" + m.Interface + " " + m.Label
		}
	}
}

// isAddrPort reports whether a column is an address:port.
func isAddrPort(s string) bool {
	_, err := netip.ParseAddrPort(s)
	return err == nil
}

// Read builds the ladder of every remaining frame of r. On a malformed or
// truncated capture it returns the ladder of the frames read before the
// problem along with the error.
func Read(r *pcapread.Reader) (*Ladder, error) {
	b := NewBuilder()
	err := dissect.Scan(r, func(p *dissect.Packet) error {
		b.Add(p)
		return nil
	})
	return b.Ladder(), err
}

// ReadFile builds the ladder of the capture at path, as [Read].
func ReadFile(path string) (*Ladder, error) {
	r, err := pcapread.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	l, err := Read(r)
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return l, err
}

// Format is an output format of a ladder.
type Format int

// The output formats.
const (
	Text    Format = iota + 1 // terminal text: [Ladder.WriteText]
	SVG                       // an SVG picture: [Ladder.WriteSVG]
	Mermaid                   // a Mermaid sequenceDiagram: [Ladder.WriteMermaid]
)

// ErrFormat is the error of [ParseFormat] for a name it does not know.
var ErrFormat = errors.New("unknown ladder format (text, svg or mermaid)")

// ParseFormat returns the format named text, svg or mermaid (also txt and
// mmd, the usual file extensions); otherwise an error that wraps
// [ErrFormat].
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(name) {
	case "text", "txt":
		return Text, nil
	case "svg":
		return SVG, nil
	case "mermaid", "mmd":
		return Mermaid, nil
	}
	return 0, fmt.Errorf("%q: %w", name, ErrFormat)
}

// String returns the format's name: text, svg or mermaid.
func (f Format) String() string {
	switch f {
	case Text:
		return "text"
	case SVG:
		return "svg"
	case Mermaid:
		return "mermaid"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Options tune how a ladder is drawn.
type Options struct {
	// Width caps the width of the text diagram, in characters, not
	// counting the note column (0: [DefaultWidth]); see [Ladder.WriteText].
	// Labels that do not fit between their columns are shortened with "…";
	// filter the frames (or their hosts) to draw fewer columns.
	Width int
	// Notes adds a note column with each frame's comments (netsim's
	// explanations, the network's notes on lost frames). netsim's
	// machine-readable sender state ("tcp sender: cwnd=..."), meant for
	// tools, is left out.
	Notes bool
	// NoteWidth wraps the notes of the text and SVG diagrams at this many
	// characters, each comment starting a line of its own (0:
	// [DefaultNoteWidth]; negative: one line per frame, as Mermaid's).
	NoteWidth int
}

// DefaultNoteWidth is where notes wrap when [Options.NoteWidth] is 0.
const DefaultNoteWidth = 60

// DefaultWidth is the text diagram's width when [Options.Width] is 0.
const DefaultWidth = 100

// ErrInvalid is wrapped by the error of a Write method for a [Ladder]
// whose message names a host it does not have (a Ladder put together by
// hand; [Builder] makes only valid ones).
var ErrInvalid = errors.New("ladder: invalid")

// check reports a message whose From or To is not one of the hosts.
func (l *Ladder) check() error {
	for i := range l.Messages {
		m := &l.Messages[i]
		if m.From < 0 || m.From >= len(l.Hosts) || m.To < 0 || m.To >= len(l.Hosts) {
			return fmt.Errorf("%w: message %d (frame %d) goes from host %d to %d, of %d hosts", ErrInvalid, i, m.Frame, m.From, m.To, len(l.Hosts))
		}
	}
	return nil
}

// Write renders the ladder in format f.
func (l *Ladder) Write(w io.Writer, f Format, opt Options) error {
	switch f {
	case Text:
		return l.WriteText(w, opt)
	case SVG:
		return l.WriteSVG(w, opt)
	case Mermaid:
		return l.WriteMermaid(w, opt)
	}
	return fmt.Errorf("%v: %w", f, ErrFormat)
}
