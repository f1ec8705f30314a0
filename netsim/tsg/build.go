package tsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// Errors [Read] returns for captures it cannot draw; match them with
// [errors.Is].
var (
	// ErrNoTCP: the capture has no TCP segment to draw.
	ErrNoTCP = errors.New("tsg: no TCP stream in the capture")
	// ErrNoStream: [Options.Stream] names a stream the capture does not have.
	ErrNoStream = errors.New("tsg: no such TCP stream")
	// ErrEmptySpan: [Options.From]-[Options.To] holds no frame of the
	// stream drawn; the error is a [*SpanError], which says when the
	// stream's frames and the capture's are.
	ErrEmptySpan = errors.New("tsg: no frame of the stream in the span")
	// ErrInvalidOptions is the error of [Read] and [ReadFile] given
	// [Options] out of range; the message names the field.
	ErrInvalidOptions = errors.New("tsg: invalid options")
)

// SpanError is the error of [Read] when [Options.From]-[Options.To] lies
// wholly before or after the frames of the stream drawn (a graph without
// anything on it). It matches [ErrEmptySpan]. Times are since the
// capture's first frame.
type SpanError struct {
	// Stream is the tcp.stream index drawn.
	Stream int
	// From and To are the span asked for.
	From, To time.Duration
	// First and Last are the times of the stream's first and last frames.
	First, Last time.Duration
	// End is the time of the capture's last frame (its span is 0-End).
	End time.Duration
}

func (e *SpanError) Error() string {
	return fmt.Sprintf("tsg: no frame of tcp.stream %d in %v-%v: the stream spans %v-%v, the capture 0s-%v",
		e.Stream, e.From, e.To, e.First, e.Last, e.End)
}

// Unwrap returns [ErrEmptySpan].
func (e *SpanError) Unwrap() error { return ErrEmptySpan }

// Direction picks which side of a TCP stream is the sender drawn: its
// segments are the graph's bars, the other side's ACKs its ACK line.
type Direction int

// Directions.
const (
	// Auto draws the direction that carries more payload bytes (the
	// client's on a tie).
	Auto Direction = iota
	// Client draws the segments of the side that sent the first SYN (the
	// side that sent the stream's first frame when no SYN was captured).
	Client
	// Server draws the segments of the other side.
	Server
)

// String returns "auto", "client" or "server" ("Direction(N)" for a
// value that is none of them).
func (d Direction) String() string {
	switch d {
	case Auto:
		return "auto"
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// ParseDirection parses "auto", "client" or "server" (as [Direction.String]
// writes them).
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "client":
		return Client, nil
	case "server":
		return Server, nil
	}
	return Auto, fmt.Errorf("tsg: direction %q: want auto, client or server", s)
}

// Options choose what [Read] draws. The zero value draws stream 0, in the
// direction that carries more payload bytes; [DefaultOptions] lets [Read]
// choose the stream too.
type Options struct {
	// Stream is the tcp.stream index to draw (as tshark numbers streams,
	// from 0), or [AnyStream] for the stream whose chosen direction
	// carries the most payload bytes.
	Stream int
	// Direction picks the side of the stream whose segments are drawn.
	Direction Direction
	// Title replaces the graph's title (which names the stream) when not
	// empty.
	Title string
	// From and To, when To is after From, draw only that span of time
	// since the capture's first frame (tshark's frame.time_relative),
	// to look closely at part of a long transfer.
	From, To time.Duration
}

// AnyStream is the [Options.Stream] value that lets [Read] choose.
const AnyStream = -1

// DefaultOptions returns the options of `netsim read --graph tsg`: any
// stream, the direction that carries the most data.
func DefaultOptions() Options { return Options{Stream: AnyStream} }

// Graph is a time-sequence graph of one direction of one TCP stream:
// everything [Graph.SVG] and [Graph.PNG] draw, in capture units. Times are
// nanoseconds since the capture's first frame (tshark's
// frame.time_relative); sequence numbers are relative to the sender's
// initial sequence number (tshark's tcp.seq), so the SYN is at 0 and the
// first data byte at 1.
type Graph struct {
	// Stream is the tcp.stream index drawn.
	Stream int
	// Sender and Receiver are the two ends, as "10.0.0.1:38900" (IPv6 in
	// brackets).
	Sender, Receiver string
	// Title is the graph's title.
	Title string
	// Segments are the sender's segments that occupy sequence space
	// (payload, SYN or FIN), in capture order.
	Segments []Segment
	// Acks are the receiver's acknowledgments, in capture order: the ACK
	// line and, with each one's window, the receive-window line.
	Acks []Ack
	// Cwnd is the sender's congestion window as netsim's stack reported it
	// in the frames' "tcp sender:" comments; empty for other captures.
	Cwnd []CwndSample
	// Bytes is the number of payload bytes the sender sent, retransmissions
	// included.
	Bytes int64
	// From and To are the span of time drawn, in ns since the capture's
	// first frame, when To > From ([Options.From]); otherwise all of it.
	From, To int64
}

// Segment is one segment of the sender drawn as a bar from Seq to End.
type Segment struct {
	Frame int   // frame number in the capture
	Time  int64 // ns since the capture's first frame
	Seq   int64 // relative sequence number of the first byte (or of the SYN or FIN)
	End   int64 // Seq + payload length, + 1 for a SYN or a FIN
	Len   int   // payload bytes
	SYN   bool  // the segment carries a SYN
	FIN   bool  // the segment carries a FIN
	// Retransmission is set when part of the segment's range was sent
	// before in the capture.
	Retransmission bool
	// Lost is the netsim comment saying the network lost or dropped the
	// frame ("lost: loss 5% on client-server client→server"), or "".
	Lost string
}

// Ack is one acknowledgment from the receiver.
type Ack struct {
	Frame  int   // frame number in the capture
	Time   int64 // ns since the capture's first frame
	Ack    int64 // relative acknowledgment number (the sender's sequence space)
	Window int64 // the advertised receive window in bytes, scaled
	// Lost is the netsim comment saying the ACK never arrived, or "".
	Lost string
	// SACK holds the ACK's selective-acknowledgment blocks, relative
	// [left, right) ranges the receiver holds beyond Ack (tcp.options.sack_le,
	// sack_re).
	SACK [][2]int64
}

// CwndSample is the sender's state from one "tcp sender:" comment.
type CwndSample struct {
	Frame    int   // the frame whose comment it is
	Time     int64 // ns since the capture's first frame
	Una      int64 // relative oldest unacknowledged sequence number
	Cwnd     int64 // congestion window, bytes
	Ssthresh int64 // slow-start threshold, bytes; 0 when none yet
}

// SenderPrefix starts the comment netsim writes on a frame with the
// sending stack's TCP state, which [Read] draws the congestion window from:
//
//	tcp sender: cwnd=14480 ssthresh=none mss=1448 rto=200ms srtt=1.2ms wnd=65408 outstanding=2 una=1893000001 nxt=1893000004
const SenderPrefix = "tcp sender:"

// ReadFile reads the capture at path and builds the graph opt asks for.
func ReadFile(path string, opt Options) (*Graph, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := Read(f, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Read reads a pcap or pcapng capture from r and builds the graph opt asks
// for. Options out of range give [ErrInvalidOptions]; a capture it cannot
// parse gives [pcapread]'s error; one without TCP gives [ErrNoTCP]; a
// missing [Options.Stream] gives [ErrNoStream].
func Read(r io.Reader, opt Options) (*Graph, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	rd, err := pcapread.NewReader(r)
	if err != nil {
		return nil, err
	}
	var segs []tcpPkt
	var end int64 // the capture's last frame's time
	err = dissect.Scan(rd, func(p *dissect.Packet) error {
		end = max(end, p.TimeRel)
		if s, ok := fromPacket(p); ok {
			segs = append(segs, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return build(segs, opt, end)
}

// check rejects options out of range, naming the field.
func (o Options) check() error {
	switch {
	case o.Stream < AnyStream:
		return fmt.Errorf("%w: Options.Stream %d is neither a tcp.stream index (0 or more) nor AnyStream (-1)", ErrInvalidOptions, o.Stream)
	case o.Direction != Auto && o.Direction != Client && o.Direction != Server:
		return fmt.Errorf("%w: Options.Direction %v: want Auto, Client or Server", ErrInvalidOptions, o.Direction)
	case o.From < 0:
		return fmt.Errorf("%w: Options.From %v is negative (a time since the capture's first frame)", ErrInvalidOptions, o.From)
	case o.To < 0:
		return fmt.Errorf("%w: Options.To %v is negative (a time since the capture's first frame)", ErrInvalidOptions, o.To)
	}
	return nil
}

// tcpPkt is what the graph needs of one TCP frame.
type tcpPkt struct {
	frame    int
	time     int64
	stream   int
	src, dst string
	seq, ack int64 // relative
	isn      uint32
	len      int
	flags    uint16
	win      int64
	lost     string
	sender   string     // the "tcp sender:" comment, if any
	sack     [][2]int64 // SACK blocks, relative as ack is
}

const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagACK = 0x10
)

func fromPacket(p *dissect.Packet) (tcpPkt, bool) {
	t := &p.TCP
	if !p.Has(dissect.ProtoTCP) || t.Quoted || t.Short || t.BadHdr {
		return tcpPkt{}, false
	}
	var src, dst string
	switch {
	case p.Has(dissect.ProtoIP):
		src = netip.AddrPortFrom(netip.AddrFrom4(p.IP.Src), t.SrcPort).String()
		dst = netip.AddrPortFrom(netip.AddrFrom4(p.IP.Dst), t.DstPort).String()
	case p.Has(dissect.ProtoIPv6):
		src = netip.AddrPortFrom(netip.AddrFrom16(p.IPv6.Src), t.SrcPort).String()
		dst = netip.AddrPortFrom(netip.AddrFrom16(p.IPv6.Dst), t.DstPort).String()
	default:
		return tcpPkt{}, false
	}
	s := tcpPkt{
		frame: p.Number, time: p.TimeRel, stream: int(t.Stream), src: src, dst: dst,
		seq: int64(t.Seq), ack: int64(t.Ack), isn: t.SeqRaw - t.Seq,
		len: int(t.Len), flags: t.Flags, win: int64(t.WinSize),
	}
	if len(t.Options) > 0 {
		s.sack = sackBlocks(t.Options, t.AckRaw-t.Ack)
	}
	for _, c := range p.Comments {
		switch {
		case strings.HasPrefix(c, "lost:") || strings.HasPrefix(c, "dropped"):
			if s.lost == "" {
				s.lost = c
			}
		case strings.HasPrefix(c, SenderPrefix):
			s.sender = c
		}
	}
	return s, true
}

// dirKey is one direction of one stream.
type dirKey struct {
	stream int
	src    string
}

func build(pkts []tcpPkt, opt Options, end int64) (*Graph, error) {
	if len(pkts) == 0 {
		return nil, ErrNoTCP
	}
	// Per stream: its client (the first SYN's sender, else the first
	// frame's) and the payload bytes of each direction.
	type streamInfo struct {
		client, server string
		synSeen        bool
		bytes          map[string]int64
	}
	streams := map[int]*streamInfo{}
	var order []int
	for _, p := range pkts {
		si := streams[p.stream]
		if si == nil {
			si = &streamInfo{client: p.src, server: p.dst, bytes: map[string]int64{}}
			streams[p.stream] = si
			order = append(order, p.stream)
		}
		if !si.synSeen && p.flags&(flagSYN|flagACK) == flagSYN {
			si.client, si.server, si.synSeen = p.src, p.dst, true
		}
		si.bytes[p.src] += int64(p.len)
	}
	sort.Ints(order)
	pick := func(stream int) dirKey {
		si := streams[stream]
		switch opt.Direction {
		case Client:
			return dirKey{stream, si.client}
		case Server:
			return dirKey{stream, si.server}
		}
		if si.bytes[si.server] > si.bytes[si.client] {
			return dirKey{stream, si.server}
		}
		return dirKey{stream, si.client}
	}
	var key dirKey
	if opt.Stream >= 0 {
		if streams[opt.Stream] == nil {
			return nil, fmt.Errorf("%w %d (the capture has %s)", ErrNoStream, opt.Stream, streamRange(order))
		}
		key = pick(opt.Stream)
	} else {
		best := int64(-1)
		for _, s := range order {
			k := pick(s)
			if b := streams[s].bytes[k.src]; b > best {
				key, best = k, b
			}
		}
	}
	si := streams[key.stream]
	g := &Graph{Stream: key.stream, Sender: key.src, Receiver: si.server}
	if key.src == si.server {
		g.Receiver = si.client
	}
	var (
		maxEnd  int64
		sentAny bool
		isn     uint32
		haveISN bool
	)
	for _, p := range pkts {
		if p.stream != key.stream {
			continue
		}
		if p.src == key.src {
			if !haveISN {
				isn, haveISN = p.isn, true
			}
			g.Bytes += int64(p.len)
			end := p.seq + int64(p.len)
			if p.flags&(flagSYN|flagFIN) != 0 {
				end++
			}
			if end > p.seq {
				s := Segment{
					Frame: p.frame, Time: p.time, Seq: p.seq, End: end, Len: p.len,
					SYN: p.flags&flagSYN != 0, FIN: p.flags&flagFIN != 0, Lost: p.lost,
				}
				s.Retransmission = sentAny && s.Seq < maxEnd
				if !sentAny || end > maxEnd {
					maxEnd = end
				}
				sentAny = true
				g.Segments = append(g.Segments, s)
			}
			if p.sender != "" && haveISN {
				if c, ok := parseSender(p.sender, isn); ok {
					c.Frame, c.Time = p.frame, p.time
					g.Cwnd = append(g.Cwnd, c)
				}
			}
			continue
		}
		if p.flags&flagACK != 0 {
			g.Acks = append(g.Acks, Ack{Frame: p.frame, Time: p.time, Ack: p.ack, Window: p.win, Lost: p.lost, SACK: p.sack})
		}
	}
	g.Title = opt.Title
	if opt.To > opt.From {
		g.From, g.To = int64(opt.From), int64(opt.To)
		if err := g.spanHolds(pkts, end); err != nil {
			return nil, err
		}
	}
	if g.Title == "" {
		g.Title = fmt.Sprintf("TCP %s → %s (tcp.stream %d)", g.Sender, g.Receiver, g.Stream)
	}
	return g, nil
}

// spanHolds returns a [*SpanError] when g's span lies wholly before or
// after the stream's frames (a span between two of them still draws the
// lines that cross it).
func (g *Graph) spanHolds(pkts []tcpPkt, end int64) error {
	e := &SpanError{Stream: g.Stream, From: time.Duration(g.From), To: time.Duration(g.To), End: time.Duration(end)}
	first := true
	for _, p := range pkts {
		if p.stream != g.Stream {
			continue
		}
		if t := time.Duration(p.time); first || t < e.First {
			e.First = t
		}
		e.Last = max(e.Last, time.Duration(p.time))
		first = false
	}
	if e.To < e.First || e.From > e.Last {
		return e
	}
	return nil
}

// streamRange names the streams of a capture for an error message.
func streamRange(order []int) string {
	if len(order) == 1 {
		return "only tcp.stream " + strconv.Itoa(order[0])
	}
	return fmt.Sprintf("tcp.stream %d to %d", order[0], order[len(order)-1])
}

// parseSender reads a "tcp sender:" comment; isn turns its absolute una
// into a relative sequence number.
func parseSender(c string, isn uint32) (CwndSample, bool) {
	var s CwndSample
	var haveCwnd, haveUna bool
	for _, f := range strings.Fields(strings.TrimPrefix(c, SenderPrefix)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "cwnd":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return s, false
			}
			s.Cwnd, haveCwnd = n, true
		case "ssthresh":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
				s.Ssthresh = n
			}
		case "una":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return s, false
			}
			// Relative to the ISN, within ±2 GiB as TCP's arithmetic has it.
			s.Una, haveUna = int64(int32(uint32(n)-isn)), true
		}
	}
	return s, haveCwnd && haveUna
}

// sackBlocks returns the SACK option's blocks (kind 5) among the TCP
// options opts, relative to base (the ACK's own base, so that they compare
// with its relative acknowledgment number). Malformed options end the
// search.
func sackBlocks(opts []byte, base uint32) [][2]int64 {
	var out [][2]int64
	for i := 0; i < len(opts); {
		kind := opts[i]
		if kind == 0 {
			break
		}
		if kind == 1 {
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			break
		}
		n := int(opts[i+1])
		if kind == 5 {
			for j := i + 2; j+8 <= i+n; j += 8 {
				l := binary.BigEndian.Uint32(opts[j:]) - base
				r := binary.BigEndian.Uint32(opts[j+4:]) - base
				out = append(out, [2]int64{int64(l), int64(r)})
			}
		}
		i += n
	}
	return out
}
