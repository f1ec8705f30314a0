// Package explain says, in plain words, why each frame of a run was sent
// and how its numbers follow from earlier frames, from what the simulator
// knew when the frame left (see [Cause]), in English or Russian.
//
// The cause of a frame (which socket call, which arrived frames, which
// timer, what the TCP stack counted) comes from the [Cause] the simulator
// fills; the numbers (relative sequence and acknowledgment numbers as
// Wireshark shows them, lengths, the frames they refer to) come from the
// frames themselves, which the [Explainer] follows in capture order. A
// frame whose cause is unknown is described without a reason.
package explain

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Lang is the language of the explanations.
type Lang string

// The languages.
const (
	English Lang = "en"
	Russian Lang = "ru"
)

// Langs lists the supported languages.
var Langs = []Lang{English, Russian}

// ErrLang is the error of an unsupported language.
var ErrLang = fmt.Errorf("explain: unsupported language (want en or ru)")

// ParseLang returns the language named s ("en", "ru"; "" is English).
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "en":
		return English, nil
	case "ru":
		return Russian, nil
	}
	return "", fmt.Errorf("%w: %q", ErrLang, s)
}

// Frame is one frame as it enters a link, with what caused it.
type Frame struct {
	Number int           // 1-based, in capture order
	Time   time.Duration // virtual time since the start
	Link   string        // the capture interface (link) name
	Data   []byte        // the Ethernet frame
	Note   string        // the wire's note ("lost: loss 3% on a-b a→b"), "" if none
	Cause  Cause
}

// Explainer follows the frames of one run, in order, and explains each.
// It is not safe for concurrent use (netsim calls it under its capture lock).
type Explainer struct {
	lang  Lang
	conns map[connKey]*conn
	// Per frame number: what the frame was (for "answers the SYN of frame
	// 1") and its TTL (for a router's TTL 64 → 63).
	tags []frameTag
	ttls []uint8
	// The destination address of the last frames, by number modulo
	// len(dsts) (arrivals refer to recent frames).
	dsts [4096]struct {
		n   int
		dst netip.Addr
	}
}

// frameTag is what an earlier frame was, for frames that answer it.
type frameTag uint8

const (
	tagNone frameTag = iota
	tagSYN
	tagData
	tagFIN
	tagKeepalive
	tagZWP
	tagUDP
	tagARPRequest
	tagDupAck
	tagNeighbor  // an ARP reply or NDP neighbor advertisement
	tagAck       // a TCP segment with nothing but an acknowledgment
	tagTooBig    // ICMP fragmentation needed, ICMPv6 packet too big
	tagSYNWaited // a SYN that says itself that it waited for ARP (stored as tagSYN)
	tagOther
)

// New returns an Explainer writing in lang (English if lang is neither).
func New(lang Lang) *Explainer {
	if lang != Russian {
		lang = English
	}
	return &Explainer{lang: lang, conns: map[connKey]*conn{}}
}

// Lang returns the language x writes in.
func (x *Explainer) Lang() Lang { return x.lang }

// Explain returns the frame's comments, in order: the explanation, then
// the wire's note (f.Note, kept as the wire wrote it) if any, then the
// sender's state (SenderState.Comment) if known. Frames must come in
// capture order: the explanation of a frame refers to earlier ones.
func (x *Explainer) Explain(f Frame) []string {
	p := parseFrame(f.Data)
	text, tag := x.explain(f, &p)
	if s := x.noteText(f.Note); s != "" {
		text += " " + s
	}
	x.remember(f.Number, tag, p.ttl)
	if f.Number > 0 {
		e := &x.dsts[f.Number%len(x.dsts)]
		e.n, e.dst = f.Number, p.dst
	}
	out := []string{text}
	if f.Note != "" {
		out = append(out, f.Note)
	}
	if f.Cause.Sender != nil {
		out = append(out, f.Cause.Sender.Comment())
	}
	return out
}

// Text returns the explanation alone (the first of Explain's comments).
func (x *Explainer) Text(f Frame) string { return x.Explain(f)[0] }

// maxGap bounds the per-frame tables against absurd frame numbers.
const maxGap = 1 << 20

func (x *Explainer) remember(n int, tag frameTag, ttl int) {
	if n <= 0 || n > len(x.tags)+maxGap {
		return
	}
	for len(x.tags) < n {
		x.tags = append(x.tags, tagNone)
		x.ttls = append(x.ttls, 0)
	}
	x.tags[n-1] = tag
	if ttl >= 0 {
		x.ttls[n-1] = uint8(ttl)
	}
}

// dstOf returns the destination address of frame n, if it is recent.
func (x *Explainer) dstOf(n int) (netip.Addr, bool) {
	if n <= 0 {
		return netip.Addr{}, false
	}
	e := x.dsts[n%len(x.dsts)]
	return e.dst, e.n == n && e.dst.IsValid()
}

func (x *Explainer) tagOf(n int) frameTag {
	if n <= 0 || n > len(x.tags) {
		return tagNone
	}
	return x.tags[n-1]
}

// arrivedWith returns the first frame of c.Arrived tagged t, or 0.
func (x *Explainer) arrivedWith(c Cause, t frameTag) int {
	for _, n := range c.Arrived {
		if x.tagOf(n) == t {
			return n
		}
	}
	return 0
}

func firstArrived(c Cause) int {
	if len(c.Arrived) > 0 {
		return c.Arrived[0]
	}
	return 0
}

// explain builds the explanation proper and says what the frame was.
func (x *Explainer) explain(f Frame, p *packet) (string, frameTag) {
	c := f.Cause
	text, tag := x.explainPacket(f, p)
	waitedSaid := tag == tagSYNWaited
	if waitedSaid {
		tag = tagSYN
	}
	if c.Forwarded {
		// A router or switch passes the frame on: the connection's state
		// still follows it (the frames of this link are the conversation
		// seen here) and the frame keeps its kind for later answers, but
		// the reason is the forwarding.
		return x.forwarded(c, p), tag
	}
	// A packet that waited for the neighbour's MAC address goes out when
	// the ARP reply (or NDP advertisement) arrives.
	if c.Kind == KindArrival && !waitedSaid && !p.frag && p.proto != protoARP && !(p.proto == protoICMPv6 && p.icmpType >= 133 && p.icmpType <= 137) {
		if n := x.arrivedWith(c, tagNeighbor); n > 0 {
			text += " " + x.t("waited.neighbor", n)
		}
	}
	return text, tag
}

func (x *Explainer) explainPacket(f Frame, p *packet) (string, frameTag) {
	c := f.Cause
	switch p.proto {
	case protoTCP:
		return x.tcp(f, p)
	case protoUDP:
		return x.udp(c, p), tagUDP
	case protoARP:
		return x.arp(c, p)
	case protoICMP:
		return x.icmp(c, p, x.quotedFrame(f, p)), x.icmpTag(p)
	case protoICMPv6:
		return x.icmp6(c, p, x.quotedFrame(f, p)), x.icmpTag(p)
	case protoIP:
		if p.frag {
			return x.t("fragment", p.src, p.dst), tagOther
		}
		return x.t("ip", p.src, p.dst, p.ipProto), tagOther
	}
	return x.t("other"), tagOther
}

// quotedFrame returns the arrived frame an ICMP error is about: the one
// whose TCP segment the message quotes (a router sends one message per
// packet it could not pass on), else the first arrived frame.
func (x *Explainer) quotedFrame(f Frame, p *packet) int {
	in := p.inner
	if in != nil && in.proto == protoTCP && len(f.Cause.Arrived) > 1 {
		q := packet{src: in.src, dst: in.dst, sport: in.sport, dport: in.dport}
		if c := x.findConn(f.Link, &q); c != nil {
			d := &c.side[c.sideOf(&q)]
			for _, n := range f.Cause.Arrived {
				if seq, ok := d.seqOfFrame(n); ok && seq == in.seq {
					return n
				}
			}
		}
	}
	return firstArrived(f.Cause)
}

// icmpTag says what an ICMP message is to frames that answer it.
func (x *Explainer) icmpTag(p *packet) frameTag {
	switch {
	case p.proto == protoICMP && p.icmpType == 3 && p.icmpCode == 4, p.proto == protoICMPv6 && p.icmpType == 2:
		return tagTooBig
	case p.proto == protoICMPv6 && p.icmpType == 135:
		return tagARPRequest
	case p.proto == protoICMPv6 && p.icmpType == 136:
		return tagNeighbor
	}
	return tagOther
}

func (x *Explainer) forwarded(c Cause, p *packet) string {
	by := c.Host
	if by == "" {
		by = "?"
	}
	n := firstArrived(c)
	if n <= 0 || n > len(x.ttls) {
		if p.ttl >= 0 {
			return x.t("fwd.plain", by, p.ttl)
		}
		return x.t("fwd.switch.plain", by)
	}
	if p.ttl < 0 || int(x.ttls[n-1]) == p.ttl {
		// A switch passes frames on as they are.
		return x.t("fwd.switch", by, n)
	}
	return x.t("fwd", by, n, int(x.ttls[n-1]), p.ttl)
}

// who names the program making a call: "client (sender)", or the
// program, the host, the address when the role is unknown.
func (x *Explainer) who(role string, c Cause, addr string) string {
	prog := c.Call.Program
	if role != "" {
		r := x.t(role)
		if prog != "" && prog != role {
			return r + " (" + prog + ")"
		}
		return r
	}
	switch {
	case prog != "":
		return prog
	case c.Host != "":
		return c.Host
	}
	return addr
}

// stack names the stack that sent a frame on its own: "server's stack"
// ("стек сервера").
func (x *Explainer) stack(role string, c Cause, addr string) string {
	if _, ok := roleGen[role]; ok {
		return x.t("stack.role", x.roleGen(role))
	}
	if c.Host != "" {
		return x.t("stack.host", c.Host)
	}
	return x.t("stack.addr", addr)
}

// noteText turns the wire's note into sentences: the frame lost, dropped,
// corrupted, duplicated, reordered.
func (x *Explainer) noteText(note string) string {
	if note == "" {
		return ""
	}
	var out []string
	for _, part := range strings.Split(note, "; ") {
		what, rest, _ := strings.Cut(part, ": ")
		cond, where, _ := strings.Cut(rest, " on ")
		switch what {
		case "lost":
			var why string
			switch {
			case cond == "link down":
				why = x.t("why.down", where)
			case strings.HasPrefix(cond, "loss ") && strings.Contains(cond, " in bursts of "):
				pct, burst, _ := strings.Cut(strings.TrimPrefix(cond, "loss "), " in bursts of ")
				why = x.t("why.burst", pct, burst, where)
			case strings.HasPrefix(cond, "loss "):
				why = x.t("why.loss", strings.TrimPrefix(cond, "loss "), where)
			default:
				why = rest
			}
			out = append(out, x.t("lost", why))
		case "dropped":
			var n int
			fmt.Sscanf(cond, "queue full (%d frames)", &n)
			out = append(out, x.t("dropped.queue", n, where))
		case "corrupted":
			pct, _, _ := strings.Cut(strings.TrimPrefix(cond, "corrupt "), " ")
			out = append(out, x.t("corrupted", x.t("why.corrupt", pct, where)))
		case "duplicated":
			out = append(out, x.t("duplicated"))
		case "reordered", "overtook an earlier frame":
			out = append(out, x.t("reordered"))
		}
	}
	return strings.Join(out, " ")
}

// lostNote reports whether the wire's note says the frame never arrives.
func lostNote(note string) bool {
	for _, part := range strings.Split(note, "; ") {
		if strings.HasPrefix(part, "lost:") || strings.HasPrefix(part, "dropped:") || strings.HasPrefix(part, "corrupted:") {
			return true
		}
	}
	return false
}

func (x *Explainer) udp(c Cause, p *packet) string {
	dst := netip.AddrPortFrom(p.dst, p.dport).String()
	if p.more && p.udpLen > p.length {
		return x.t("udp.frag", x.bytes(p.udpLen), p.sport, p.dport)
	}
	if c.Kind == KindCall && c.Call.Op != "" {
		return x.t("udp.call", x.bytes(p.length), x.who("", c, ""), c.Call.Op, dst)
	}
	return x.t("udp", x.bytes(p.length), p.sport, p.dport)
}

func (x *Explainer) arp(c Cause, p *packet) (string, frameTag) {
	switch p.arpOp {
	case 1:
		if p.ethUnicast {
			// Sent to the MAC address the host already has: gVisor's
			// neighbour unreachability detection (RFC 4861, for ARP
			// too) probes an entry it learned and used, once its delay
			// timer runs out.
			return x.t("arp.probe", p.dst, x.timerDur("dur", c)), tagARPRequest
		}
		return x.t("arp.req", p.dst, p.src) + " " + x.neighborWhy(c, p), tagARPRequest
	case 2:
		mac := net.HardwareAddr(p.arpMAC[:]).String()
		if n := x.arrivedWith(c, tagARPRequest); n > 0 {
			return x.t("arp.reply", p.src, mac, n), tagNeighbor
		}
		return x.t("arp.reply.plain", p.src, mac), tagNeighbor
	}
	return x.t("other"), tagOther
}

// neighborWhy says why a host asks for a neighbour's MAC address: the
// socket call or the frame it needs to send something for.
func (x *Explainer) neighborWhy(c Cause, p *packet) string {
	switch {
	case c.Kind == KindCall && c.Call.Op != "":
		return x.t("neighbor.call", x.who("", c, "?"), c.Call.Op)
	case c.Kind == KindArrival && firstArrived(c) > 0:
		n := firstArrived(c)
		dst, ok := x.dstOf(n)
		switch {
		case p.proto != protoARP:
			// An NDP solicitation comes from any of the host's
			// addresses: who the frame was for does not tell.
			return x.t("neighbor.either", n)
		case ok && dst != p.src:
			return x.t("neighbor.forward", n)
		}
		return x.t("neighbor.arrival", n)
	}
	return x.t("neighbor")
}

func (x *Explainer) icmp(c Cause, p *packet, n int) string {
	switch p.icmpType {
	case 3:
		switch {
		case p.icmpCode == 3 && p.inner != nil:
			if m := x.arrivedWith(c, tagUDP); m > 0 {
				return x.t("icmp.port", m, p.inner.dport)
			}
			return x.t("icmp.port.plain", p.inner.dport)
		case p.icmpCode == 4 && n > 0:
			return x.t("icmp.frag", n, p.mtu)
		case p.icmpCode == 4:
			return x.t("icmp.frag.plain", p.mtu)
		case n > 0:
			return x.t("icmp.unreach", int(p.icmpCode), n)
		}
	case 11:
		if n > 0 {
			return x.t("icmp.ttl", n)
		}
		return x.t("icmp.ttl.plain")
	case 8:
		return x.t("icmp.echo", p.dst)
	case 0:
		return x.t("icmp.echoreply", p.src)
	}
	return x.t("icmp", int(p.icmpType), int(p.icmpCode))
}

func (x *Explainer) icmp6(c Cause, p *packet, n int) string {
	switch p.icmpType {
	case 1:
		switch {
		case p.icmpCode == 4 && p.inner != nil:
			if m := x.arrivedWith(c, tagUDP); m > 0 {
				return x.t("icmp.port", m, p.inner.dport)
			}
			return x.t("icmp.port.plain", p.inner.dport)
		case n > 0:
			return x.t("icmp.unreach", int(p.icmpCode), n)
		}
	case 2:
		if n > 0 {
			return x.t("icmp.toobig", n, p.mtu)
		}
		return x.t("icmp.toobig.plain", p.mtu)
	case 3:
		if n > 0 {
			return x.t("icmp.ttl", n)
		}
		return x.t("icmp.ttl.plain")
	case 128:
		return x.t("icmp.echo", p.dst)
	case 129:
		return x.t("icmp.echoreply", p.src)
	case 133:
		return x.t("ndp.rs")
	case 134:
		return x.t("ndp.ra")
	case 135:
		if p.inner != nil {
			if p.src.IsUnspecified() {
				return x.t("ndp.dad", p.inner.dst)
			}
			if p.dst.IsGlobalUnicast() || p.dst.IsLinkLocalUnicast() {
				return x.t("ndp.probe", p.inner.dst, x.timerDur("dur", c))
			}
			return x.t("ndp.ns", p.inner.dst) + " " + x.neighborWhy(c, p)
		}
	case 136:
		if p.inner != nil {
			return x.t("ndp.na", p.inner.dst)
		}
	case 131, 143:
		return x.t("mld")
	}
	return x.t("icmp6", int(p.icmpType), int(p.icmpCode))
}
