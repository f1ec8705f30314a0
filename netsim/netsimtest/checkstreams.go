package netsimtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// Two orders that netsim does not own, told apart by what the runs'
// connections carry rather than by the first differing frame:
//   - the same HTTP/2 requests under other stream IDs: the library numbers
//     a request's stream under its own lock (net/http's HTTP/2 client,
//     gRPC's http2Client.NewStream), in the order the requests' goroutines
//     reach it, before any socket call;
//   - the same messages on other connections: goroutines alike took work
//     (jobs from a shared queue, connections from a pool) in the order the
//     scheduler picked; netsim orders the connections they made, not which
//     job each one carries.

// Causes and fixes of those orders.
const (
	causeH2IDs  = "HTTP/2 stream IDs given in goroutine order: the library numbers each request's stream under its own lock (net/http's HTTP/2 client, gRPC's http2Client.NewStream), in the order the concurrent requests' goroutines reach it, before any socket call; netsim sees the connection's bytes only after that order is decided, and no simulator can change it"
	fixH2IDs    = "start the concurrent requests a virtual millisecond apart (time.Sleep(time.Millisecond) times the request's index), or make them from one goroutine; what the requests carry is the same in every run"
	causeH2Mix  = "frames of concurrent HTTP/2 streams interleaved in another order: the library's writer (net/http's, gRPC's loopy writer) sends them in the order the streams' goroutines queued them (a server's handlers finishing at one virtual instant race for it)"
	fixH2Mix    = "stagger the concurrent requests (or the handlers' work) by a virtual millisecond; each stream carries the same in every run"
	causeShared = "the same messages on other connections: goroutines alike took their work (jobs from a shared queue or channel, connections from a pool) in the order the scheduler picked; netsim orders the connections they make, not which job each one carries"
	fixShared   = "hand each worker its jobs by index (partition the jobs before starting the workers, or a channel per worker), or start the workers a virtual millisecond apart; the set of messages is the same in every run"
)

// conn is one TCP connection of a run: its two byte streams, reassembled.
type conn struct {
	client, server string // "10.0.0.1:49152", the side that sent the SYN first
	up, down       []byte // client to server, server to client
	// segs are the payloads of its segments, each once (retransmissions
	// left out), in the order of the stream, client's first: the
	// messages, as far as the sender wrote them whole.
	segs []string
}

// conns reassembles the TCP connections of a run's frames, in the order
// their first frame appears. Each direction holds its bytes from the first
// one to the first gap.
func conns(fs []frameInfo) []*conn {
	type chunk struct {
		off  uint32
		data []byte
	}
	byDir := map[string][]chunk{}
	var out []*conn
	seen := map[string]*conn{}
	for _, f := range fs {
		if f.proto != "tcp" {
			continue
		}
		k := connKey(f.src, f.dst)
		if seen[k] == nil {
			c := &conn{client: f.src, server: f.dst}
			if f.syn && f.ack { // a SYN-ACK first: the other side dialled
				c.client, c.server = f.dst, f.src
			}
			seen[k] = c
			out = append(out, c)
		}
		if len(f.payload) > 0 && f.seq >= 1 {
			d := f.src + ">" + f.dst
			byDir[d] = append(byDir[d], chunk{f.seq - 1, f.payload})
		}
	}
	segs := func(cs []chunk) []string {
		seen := map[uint32]bool{}
		var out []string
		for _, c := range cs {
			if !seen[c.off] {
				seen[c.off] = true
				out = append(out, string(c.data))
			}
		}
		return out
	}
	join := func(cs []chunk) []byte {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].off < cs[j].off })
		var b []byte
		for _, c := range cs {
			if int(c.off) > len(b) {
				break
			}
			if end := int(c.off) + len(c.data); end > len(b) {
				b = append(b, c.data[len(b)-int(c.off):]...)
			}
		}
		return b
	}
	for _, c := range out {
		c.up = join(byDir[c.client+">"+c.server])
		c.down = join(byDir[c.server+">"+c.client])
		c.segs = append(segs(byDir[c.client+">"+c.server]), segs(byDir[c.server+">"+c.client])...)
		if bytes.HasPrefix(c.down, []byte(h2Preface)) { // no SYN seen, and the other side spoke first
			c.client, c.server, c.up, c.down = c.server, c.client, c.down, c.up
		}
	}
	return out
}

func connKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

// explainStreams looks at the whole connections of runs a and b for an
// order netsim does not own: HTTP/2 streams numbered or interleaved in
// goroutine order on the connection of frame x, or the same messages on
// other connections. ok is false when neither fits.
func explainStreams(fa, fb []frameInfo, x frameInfo, runA, runB int) (what, cause, fix string, ok bool) {
	ca, cb := conns(fa), conns(fb)
	k := connKey(x.src, x.dst)
	var a, b *conn
	for _, c := range ca {
		if connKey(c.client, c.server) == k {
			a = c
		}
	}
	for _, c := range cb {
		if connKey(c.client, c.server) == k {
			b = c
		}
	}
	if a != nil && b != nil && bytes.HasPrefix(a.up, []byte(h2Preface)) && bytes.HasPrefix(b.up, []byte(h2Preface)) {
		if what, cause, fix, ok := explainH2(a, b, runA, runB); ok {
			return what, cause, fix, true
		}
	}
	if what, ok := explainShared(ca, cb, runA, runB); ok {
		return what, causeShared, fixShared, true
	}
	if what, ok := explainMoved(ca, cb, runA, runB); ok {
		return what, causeShared, fixShared, true
	}
	return "", "", "", false
}

// explainShared reports whether runs a and b carry the same connections'
// contents, each pair of byte streams on another connection.
func explainShared(ca, cb []*conn, runA, runB int) (string, bool) {
	if len(ca) != len(cb) || len(ca) < 2 {
		return "", false
	}
	content := func(c *conn) string { return string(c.up) + "\x00" + string(c.down) }
	var sa, sb []string
	for i := range ca {
		sa, sb = append(sa, content(ca[i])), append(sb, content(cb[i]))
	}
	if slices.Equal(sa, sb) {
		return "", false
	}
	ssa, ssb := slices.Clone(sa), slices.Clone(sb)
	slices.Sort(ssa)
	slices.Sort(ssb)
	if !slices.Equal(ssa, ssb) {
		return "", false
	}
	for i := range ca {
		if sa[i] == sb[i] {
			continue
		}
		j := slices.Index(sa, sb[i])
		return fmt.Sprintf("what the connections carry: connection %d (%s -> %s) carries in run %d what connection %d (%s -> %s) carries in run %d (%d bytes sent, %d received); the %d connections carry the same in both runs, on other connections",
			i+1, cb[i].client, cb[i].server, runB, j+1, ca[j].client, ca[j].server, runA, len(cb[i].up), len(cb[i].down), len(ca)), true
	}
	return "", false
}

// explainMoved reports whether runs a and b send the same messages (the
// payloads of their segments) on the same number of connections, some on
// other connections, and names the first message moved.
func explainMoved(ca, cb []*conn, runA, runB int) (string, bool) {
	if len(ca) != len(cb) || len(ca) < 2 {
		return "", false
	}
	var all [2][]string
	where := map[string]int{} // a message of run a -> its connection
	for i := range ca {
		all[0] = append(all[0], ca[i].segs...)
		all[1] = append(all[1], cb[i].segs...)
		for _, m := range ca[i].segs {
			if _, ok := where[m]; !ok {
				where[m] = i
			}
		}
	}
	slices.Sort(all[0])
	slices.Sort(all[1])
	if !slices.Equal(all[0], all[1]) {
		return "", false
	}
	for i := range cb {
		for _, m := range cb[i].segs {
			j := where[m]
			if j == i || slices.Contains(ca[i].segs, m) {
				continue
			}
			return fmt.Sprintf("which connection carries which message: %s (%d bytes) goes on connection %d (%s -> %s) in run %d and on connection %d (%s -> %s) in run %d; the %d connections carry the same messages in both runs, some on other connections",
				quoteStart(m), len(m), i+1, cb[i].client, cb[i].server, runB, j+1, ca[j].client, ca[j].server, runA, len(ca)), true
		}
	}
	return "", false
}

// quoteStart quotes the start of a message.
func quoteStart(m string) string {
	if len(m) > 40 {
		return fmt.Sprintf("%q…", m[:40])
	}
	return fmt.Sprintf("%q", m)
}

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2Frame is one HTTP/2 frame.
type h2Frame struct {
	typ, flags uint8
	stream     uint32
	payload    []byte
}

const (
	h2Data         = 0
	h2Headers      = 1
	h2Continuation = 9
)

// h2Frames splits a byte stream of HTTP/2 frames (after the client's
// preface) up to its first incomplete frame.
func h2Frames(b []byte) []h2Frame {
	var out []h2Frame
	for len(b) >= 9 {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if len(b) < 9+n {
			break
		}
		out = append(out, h2Frame{typ: b[3], flags: b[4], stream: binary.BigEndian.Uint32(b[5:9]) & 0x7fffffff, payload: b[9 : 9+n]})
		b = b[9+n:]
	}
	return out
}

// h2Stream is what one HTTP/2 stream carried in one direction.
type h2Stream struct {
	id     uint32
	header string // ":method :path" or ":status"
	data   []byte
}

// describe is the stream's content, without its ID.
func (s *h2Stream) describe() string {
	d := s.header
	if d == "" {
		d = "no headers"
	}
	if len(s.data) > 0 {
		d += fmt.Sprintf(", %d bytes of DATA", len(s.data))
	}
	return d
}

// h2Streams decodes one direction's frames into its streams, in the order
// each stream first appears (stream 0, the connection's, left out).
func h2Streams(frames []h2Frame) []*h2Stream {
	var out []*h2Stream
	byID := map[uint32]*h2Stream{}
	var block []byte
	var cur *h2Stream
	var fields []string
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if strings.HasPrefix(f.Name, ":") && f.Name != ":authority" && f.Name != ":scheme" {
			fields = append(fields, f.Value)
		}
	})
	get := func(id uint32) *h2Stream {
		s := byID[id]
		if s == nil {
			s = &h2Stream{id: id}
			byID[id] = s
			out = append(out, s)
		}
		return s
	}
	for _, f := range frames {
		if f.stream == 0 {
			continue
		}
		switch f.typ {
		case h2Data:
			p := f.payload
			if f.flags&0x8 != 0 && len(p) > 0 { // PADDED
				p = p[1 : len(p)-min(int(p[0]), len(p)-1)]
			}
			s := get(f.stream)
			s.data = append(s.data, p...)
		case h2Headers, h2Continuation:
			p := f.payload
			if f.typ == h2Headers {
				pad := 0
				if f.flags&0x8 != 0 && len(p) > 0 {
					pad, p = int(p[0]), p[1:]
				}
				if f.flags&0x20 != 0 && len(p) >= 5 { // PRIORITY
					p = p[5:]
				}
				p = p[:len(p)-min(pad, len(p))]
				cur, block = get(f.stream), nil
			}
			block = append(block, p...)
			if f.flags&0x4 != 0 && cur != nil { // END_HEADERS
				fields = fields[:0]
				dec.Write(block)
				dec.Close() // the end of a header block
				if cur.header == "" {
					cur.header = strings.Join(fields, " ")
				}
				cur = nil
			}
		default:
			get(f.stream)
		}
	}
	return out
}

// explainH2 compares the HTTP/2 streams of one connection in two runs.
func explainH2(a, b *conn, runA, runB int) (what, cause, fix string, ok bool) {
	upA, upB := h2Streams(h2Frames(a.up[len(h2Preface):])), h2Streams(h2Frames(b.up[len(h2Preface):]))
	downA, downB := h2Streams(h2Frames(a.down)), h2Streams(h2Frames(b.down))
	// The requests: the same ones under other IDs?
	if what, ok := permuted(upA, upB, runA, runB); ok {
		return "HTTP/2 requests under other stream IDs: " + what, causeH2IDs, fixH2IDs, true
	}
	if !sameStreams(upA, upB) {
		return "", "", "", false
	}
	if what, ok := permuted(downA, downB, runA, runB); ok {
		// The requests agree; the responses went to other streams: the
		// server answered in another order.
		return "HTTP/2 responses on other streams: " + what, causeH2Mix, fixH2Mix, true
	}
	differ := !bytes.Equal(a.up, b.up) || !bytes.Equal(a.down, b.down)
	if !differ || !sameStreams(downA, downB) {
		return "", "", "", false
	}
	what = "each HTTP/2 stream carries the same in both runs, but the frames on the connection come in another order"
	za, zb := connFrames(a), connFrames(b)
	if za != zb {
		what += fmt.Sprintf(", and the connection's own frames (stream 0) differ: %s in run %d, %s in run %d (flow control and pings follow when each stream's data was read and written)", za, runA, zb, runB)
	}
	return what, causeH2Mix, fixH2Mix, true
}

// connFrames counts the connection's own frames (stream 0: SETTINGS,
// WINDOW_UPDATE, PING, GOAWAY) of both directions, with their payloads'
// total: "3 SETTINGS, 2 WINDOW_UPDATE (+65535), 1 PING".
func connFrames(c *conn) string {
	names := map[uint8]string{4: "SETTINGS", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE"}
	count := map[uint8]int{}
	var window uint64
	for _, fs := range [][]h2Frame{h2Frames(c.up[len(h2Preface):]), h2Frames(c.down)} {
		for _, f := range fs {
			if f.stream != 0 {
				continue
			}
			count[f.typ]++
			if f.typ == 8 && len(f.payload) == 4 {
				window += uint64(binary.BigEndian.Uint32(f.payload) & 0x7fffffff)
			}
		}
	}
	var parts []string
	for _, t := range []uint8{4, 8, 6, 7} {
		if count[t] == 0 {
			continue
		}
		p := fmt.Sprintf("%d %s", count[t], names[t])
		if t == 8 {
			p += fmt.Sprintf(" (+%d)", window)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// sameStreams reports whether two runs' streams of one direction carry
// the same under the same IDs.
func sameStreams(a, b []*h2Stream) bool {
	m := map[uint32]string{}
	for _, s := range a {
		m[s.id] = s.describe() + "\x00" + string(s.data)
	}
	if len(a) != len(b) {
		return false
	}
	for _, s := range b {
		if v, ok := m[s.id]; !ok || v != s.describe()+"\x00"+string(s.data) {
			return false
		}
	}
	return true
}

// permuted reports whether two runs' streams of one direction carry the
// same contents under other IDs, and says which.
func permuted(a, b []*h2Stream, runA, runB int) (string, bool) {
	content := func(s *h2Stream) string { return s.describe() + "\x00" + string(s.data) }
	var ca, cb []string
	for _, s := range a {
		ca = append(ca, content(s))
	}
	for _, s := range b {
		cb = append(cb, content(s))
	}
	sa, sb := slices.Clone(ca), slices.Clone(cb)
	slices.Sort(sa)
	slices.Sort(sb)
	if len(a) < 2 || !slices.Equal(sa, sb) || sameStreams(a, b) {
		return "", false
	}
	list := func(ss []*h2Stream) string {
		var parts []string
		for _, s := range ss {
			parts = append(parts, fmt.Sprintf("stream %d %s", s.id, s.describe()))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprintf("run %d: %s; run %d: %s", runA, list(a), runB, list(b)), true
}
