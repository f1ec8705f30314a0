package netsim

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"netsim.dev/netsim/internal/frame"
	"netsim.dev/netsim/internal/link"
	"netsim.dev/netsim/internal/wire"
)

// LinkConfig describes one direction of a link: what the network does to
// the frames that cross it. The zero value is a perfect Ethernet cable: a
// 10 µs delay, no loss, no rate limit, an MTU of 1500. [LinkConfig.Validate]
// says which values are valid.
type LinkConfig struct {
	// Delay is the one-way propagation delay, at most MaxDuration; 0 means
	// DefaultLinkDelay. (A delay is never zero: with every frame at the
	// same instant gVisor's RACK loss detection sees losses that are not
	// there.)
	Delay time.Duration
	// Jitter adds a uniform random amount in [-Jitter, +Jitter] to each
	// frame's delay (never below zero in all), at most MaxDuration. As
	// with netem, frames then keep no order: one whose delay came out
	// shorter can overtake an earlier one. The capture notes
	// the frame that overtakes (the one the receiver gets out of order),
	// not the frames it overtook: "overtook an earlier frame: jitter ±1ms on
	// LINK", so `frame.comment contains "overtook"` finds every frame that
	// jitter reordered, with or without Reorder.
	Jitter time.Duration
	// Loss is the probability that a frame is lost, from 0 to 1.
	Loss float64
	// LossBurst, above 1, makes losses come in bursts of that many frames
	// on average (a Gilbert-Elliott channel) at the same long-run rate. At
	// least one frame gets through between two bursts, so Loss can be at
	// most LossBurst/(LossBurst+1).
	LossBurst float64
	// Dup is the probability that a frame arrives twice.
	Dup float64
	// Reorder is the probability that a frame skips the delay and so
	// overtakes the frames sent before it (netem's reorder): the link's
	// delay, which is DefaultLinkDelay when Delay is zero, so a longer
	// Delay lets it overtake more of them.
	// Such a frame is noted "reordered: reorder 5% on LINK".
	//
	// Each impairment draws from a random stream of its own a fixed number
	// of times per frame, whether or not another impairment took the frame
	// away first: changing Loss changes which frames are lost, not which of
	// the others are duplicated, corrupted, reordered or jittered.
	Reorder float64
	// Corrupt is the probability that one bit of a frame's IP payload is
	// flipped: the receiver drops it on its checksum, tshark shows it bad.
	Corrupt float64
	// Rate, when positive, is the link's rate in bit/s (negative is an
	// error): frames take len*8/Rate to serialise and queue behind each
	// other.
	Rate int64
	// Queue is how many frames may wait when Rate is set, beyond which
	// frames are dropped (drop-tail); 0 means DefaultQueue.
	Queue int
	// MTU is the largest IP packet the link carries, from 576 to 65535
	// (IPv6 needs at least 1280); 0 means DefaultMTU. Both ends use the larger of
	// the two directions' MTUs.
	MTU int
	// Down drops every frame: a partition.
	Down bool
}

// wire returns the configuration a wire takes: c with its defaults applied
// (DefaultLinkDelay, DefaultQueue, DefaultMTU).
func (c LinkConfig) wire() wire.Config {
	if c.Delay == 0 {
		c.Delay = DefaultLinkDelay
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	return wire.Config(c)
}

// Validate returns a [*ConfigError] for the first field out of range, in
// the order LinkConfig declares them: "LinkConfig.Loss: 1.5 is not between
// 0 and 1". [Network.Connect] and [Link.Set] call it.
func (c LinkConfig) Validate() error {
	if err := c.check(); err != nil {
		return err
	}
	return nil
}

func (c LinkConfig) check() *ConfigError {
	bad := func(field string, v any, reason string, args ...any) *ConfigError {
		return &ConfigError{Field: "LinkConfig." + field, Value: v, Reason: fmt.Sprintf(reason, args...)}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"Delay", c.Delay}, {"Jitter", c.Jitter}} {
		switch {
		case d.v < 0:
			return bad(d.field, d.v, "negative")
		case d.v > MaxDuration:
			return bad(d.field, d.v, "more than %v", MaxDuration)
		}
	}
	notProbability := func(p float64) bool { return !(p >= 0 && p <= 1) } // NaN too
	switch {
	case notProbability(c.Loss):
		return bad("Loss", c.Loss, "not between 0 and 1")
	case math.IsNaN(c.LossBurst) || math.IsInf(c.LossBurst, 0):
		return bad("LossBurst", c.LossBurst, "not a finite number")
	case c.LossBurst < 0:
		return bad("LossBurst", c.LossBurst, "negative")
	case c.LossBurst > 1 && c.Loss > c.LossBurst/(c.LossBurst+1):
		// Between two bursts at least one frame gets through, so bursts of
		// B frames on average lose at most B of every B+1 frames.
		return bad("Loss", c.Loss, "more than bursts of %g frames on average (LossBurst) can lose: at most %g in %g, as one frame at least gets through between two bursts",
			c.LossBurst, c.LossBurst, c.LossBurst+1)
	case notProbability(c.Dup):
		return bad("Dup", c.Dup, "not between 0 and 1")
	case notProbability(c.Reorder):
		return bad("Reorder", c.Reorder, "not between 0 and 1")
	case notProbability(c.Corrupt):
		return bad("Corrupt", c.Corrupt, "not between 0 and 1")
	case c.Rate < 0:
		return bad("Rate", c.Rate, "negative")
	case c.Queue < 0:
		return bad("Queue", c.Queue, "negative")
	case c.MTU != 0 && (c.MTU < minMTU || c.MTU > maxMTU):
		return bad("MTU", c.MTU, "out of range %d-%d", minMTU, maxMTU)
	}
	return nil
}

// The MTUs a link takes: IPv4's minimum datagram every host must accept
// (RFC 791) to the largest IP packet.
const minMTU, maxMTU = 576, 65535

// Link carries frames between two ends: a host's interface or a switch
// port. Each direction has its own LinkConfig. A link is a capture point:
// every frame is recorded once, when it enters the link.
type Link struct {
	n      *Network
	name   string
	ab, ba *wire.Dir // ba is nil on a host's loopback
	mtu    int
}

// Name returns the link's name, which is also its capture interface's name.
func (l *Link) Name() string { return l.name }

// Set changes the link's directions for frames sent from now on: ab for
// frames from the first end given to Connect to the second, ba for the other
// way. On a loopback link ba is ignored. Call it from a task or from a
// function given to [Network.At].
func (l *Link) Set(ab, ba LinkConfig) error {
	if err := ab.Validate(); err != nil {
		return fmt.Errorf("netsim: link %s: %w", l.ab.Name(), err)
	}
	if l.ba != nil {
		if err := ba.Validate(); err != nil {
			return fmt.Errorf("netsim: link %s: %w", l.ba.Name(), err)
		}
	}
	l.ab.SetConfig(ab.wire())
	l.n.logf("netsim: link %s now: %s", l.ab.Name(), ab.describe())
	if l.ba != nil {
		l.ba.SetConfig(ba.wire())
		l.n.logf("netsim: link %s now: %s", l.ba.Name(), ba.describe())
	}
	return nil
}

// LinkStats counts what one direction of a link did to its frames.
type LinkStats struct {
	// Sent counts the frames that entered the direction.
	Sent int
	// Lost counts frames lost to Loss or to the link being down; Dropped
	// those dropped by a full queue.
	Lost, Dropped int
	// Duplicated, Reordered and Corrupted count frames so treated.
	Duplicated, Reordered, Corrupted int
}

// Stats returns the counts of each direction (ba is zero on loopback).
func (l *Link) Stats() (ab, ba LinkStats) {
	return dirStats(l.ab), dirStats(l.ba)
}

func dirStats(d *wire.Dir) LinkStats {
	if d == nil {
		return LinkStats{}
	}
	s := d.Stats()
	return LinkStats{Sent: s.Sent, Lost: s.Lost, Dropped: s.Dropped, Duplicated: s.Duplicated, Reordered: s.Reordered, Corrupted: s.Corrupted}
}

// Links returns the network's links (hosts' loopbacks excluded) in the order
// they were connected.
func (n *Network) Links() []*Link {
	return append([]*Link(nil), n.linkOrder...)
}

// Link returns the link called name (a host's loopback is "HOST:lo"), or nil.
func (n *Network) Link(name string) *Link {
	if l := n.links[name]; l != nil {
		return l
	}
	if host, ok := strings.CutSuffix(name, ":lo"); ok && n.byName[host] != nil {
		return n.byName[host].lo
	}
	return nil
}

// End is one end of a link: an interface of a host, with its addresses, or
// a port of a switch. Make one with [Host.Iface] or [Switch.Port].
type End struct {
	host  *Host
	sw    *Switch
	iface string
	addrs []netip.Prefix
	err   error
}

// Iface names an Ethernet interface of the host and its addresses in CIDR
// form ("10.0.0.1/24", "fd00::1/64"), for [Network.Connect]. The host gets an
// on-link route for each address's subnet. Connect rejects an empty name,
// "lo" (the loopback's), an address that is not in CIDR form or not one an
// interface can have (unspecified, multicast, broadcast, loopback,
// IPv4-mapped), and an address given twice or already on the host.
func (h *Host) Iface(name string, addrs ...string) End {
	e := End{host: h, iface: name}
	fail := func(format string, args ...any) End {
		e.err = fmt.Errorf("host %s interface %q: "+format, append([]any{h.name, name}, args...)...)
		return e
	}
	switch name {
	case "":
		return fail("empty interface name")
	case "lo":
		return fail("lo is the loopback's name")
	}
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return fail("address %q: want CIDR form like 10.0.0.1/24", a)
		}
		ip := p.Addr()
		switch {
		case ip.Is4In6():
			return fail("address %s: an IPv4-mapped IPv6 address; give the IPv4 address", a)
		case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLoopback(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			return fail("address %s: not a unicast address an interface can have", a)
		}
		for _, q := range e.addrs {
			if q.Addr() == ip {
				return fail("address %s given twice", ip)
			}
		}
		e.addrs = append(e.addrs, p)
	}
	return e
}

// Connect joins ends a and b with a link called name. cfg gives the
// direction a→b and then b→a; with one LinkConfig both directions get it,
// with none both are perfect. After [Network.Close] it fails with an
// error matching [ErrNetworkClosed].
func (n *Network) Connect(name string, a, b End, cfg ...LinkConfig) (*Link, error) {
	if n.closed {
		return nil, fmt.Errorf("Connect %q: %w", name, ErrNetworkClosed)
	}
	var ab, ba LinkConfig
	switch len(cfg) {
	case 0:
	case 1:
		ab, ba = cfg[0], cfg[0]
	case 2:
		ab, ba = cfg[0], cfg[1]
	default:
		return nil, fmt.Errorf("netsim: Connect %s: %d link configs, want at most 2", name, len(cfg))
	}
	for _, e := range []End{a, b} {
		if e.err != nil {
			return nil, fmt.Errorf("netsim: Connect %s: %w", name, e.err)
		}
		switch {
		case e.host == nil && e.sw == nil:
			return nil, fmt.Errorf("netsim: Connect %s: an End made neither by Host.Iface nor by Switch.Port", name)
		case e.host != nil && e.host.net != n:
			return nil, fmt.Errorf("netsim: Connect %s: host %s belongs to another network", name, e.host.name)
		case e.sw != nil && e.sw.n != n:
			return nil, fmt.Errorf("netsim: Connect %s: switch %s belongs to another network", name, e.sw.name)
		}
		if e.host != nil {
			for _, nic := range e.host.nics {
				if nic.name == e.iface {
					return nil, fmt.Errorf("netsim: Connect %s: host %s has an interface %s already", name, e.host.name, e.iface)
				}
			}
		}
	}
	if a.host != nil && a.host == b.host && a.iface == b.iface {
		return nil, fmt.Errorf("netsim: Connect %s: both ends are interface %s of host %s", name, a.iface, a.host.name)
	}
	if err := n.checkAddrs(a, b); err != nil {
		return nil, fmt.Errorf("netsim: Connect %s: %w", name, err)
	}
	if err := n.checkName("link", name); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		c        LinkConfig
		from, to End
	}{{ab, a, b}, {ba, b, a}} {
		if err := d.c.Validate(); err != nil {
			return nil, fmt.Errorf("netsim: link %s %s→%s: %w", name, d.from.label(), d.to.label(), err)
		}
	}
	mtu := max(ab.MTU, ba.MTU)
	if mtu == 0 {
		mtu = DefaultMTU
	}
	// A Connect that fails changes nothing: the ends attached so far are
	// detached again, and the capture gets the link's interface only once
	// both ends are in place.
	l := &Link{n: n, name: name, mtu: mtu}
	ptA := &capturePoint{link: name, host: a.host, sw: a.sw} // a's frames, a→b
	ptB := &capturePoint{link: name, host: b.host, sw: b.sw}
	recordA := func(frame []byte, note string, origin int) int { return n.record(ptA, frame, note, origin) }
	recordB := func(frame []byte, note string, origin int) int { return n.record(ptB, frame, note, origin) }
	var sendA, sendB func(*frame.Frame, int)
	recvA, errA := n.attach(a, l, func(f *frame.Frame, origin int) { sendA(f, origin) })
	if errA != nil {
		return nil, fmt.Errorf("netsim: Connect %s: %w", name, errA)
	}
	recvB, errB := n.attach(b, l, func(f *frame.Frame, origin int) { sendB(f, origin) })
	if errB != nil {
		n.detach(a)
		return nil, fmt.Errorf("netsim: Connect %s: %w", name, errB)
	}
	iface, err := n.addInterface(name, "link "+name)
	if err != nil {
		n.detach(b)
		n.detach(a)
		return nil, err
	}
	ptA.iface, ptB.iface = iface, iface
	l.ab = wire.NewDir(clockAdapter{n}, name+" "+a.label()+"→"+b.label(), deriveSeed(n.opts.Seed, "link", name, "ab"), ab.wire(), recordA, recvB)
	l.ba = wire.NewDir(clockAdapter{n}, name+" "+b.label()+"→"+a.label(), deriveSeed(n.opts.Seed, "link", name, "ba"), ba.wire(), recordB, recvA)
	sendA, sendB = l.ab.SendFrame, l.ba.SendFrame
	n.links[name] = l
	n.linkOrder = append(n.linkOrder, l)
	for _, e := range []End{a, b} {
		if e.sw != nil {
			e.sw.addHostAddrs(a, b)
		}
	}
	n.logf("netsim: link %s: %s to %s, %s→%s %s, %s→%s %s", name, a.describe(), b.describe(),
		a.label(), b.label(), ab.describe(), b.label(), a.label(), ba.describe())
	return l, nil
}

// checkAddrs rejects an address that would be on two interfaces of a
// segment or a host: on both ends of the link, on another interface of the
// same host, or on another host connected to the same switch.
func (n *Network) checkAddrs(a, b End) error {
	for _, p := range a.addrs {
		for _, q := range b.addrs {
			if p.Addr() == q.Addr() {
				return fmt.Errorf("address %s is on both ends (%s and %s)", p.Addr(), a.describe(), b.describe())
			}
		}
	}
	for _, e := range []End{a, b} {
		if e.host == nil {
			continue
		}
		for _, p := range e.addrs {
			for _, nic := range e.host.nics {
				for _, q := range nic.addrs {
					if p.Addr() == q.Addr() {
						return fmt.Errorf("address %s of %s: host %s has it on interface %s already", p.Addr(), e.describe(), e.host.name, nic.name)
					}
				}
			}
		}
	}
	for _, pair := range [][2]End{{a, b}, {b, a}} {
		sw, e := pair[0].sw, pair[1]
		if sw == nil {
			continue
		}
		for _, p := range e.addrs {
			if other, ok := sw.addrs[p.Addr()]; ok {
				return fmt.Errorf("address %s of %s: %s on switch %s has it already", p.Addr(), e.describe(), other, sw.name)
			}
		}
	}
	return nil
}

// describe names the end for messages: "host client eth0", "switch sw".
func (e End) describe() string {
	if e.host != nil {
		return "host " + e.host.name + " " + e.iface
	}
	return "switch " + e.sw.name
}

// describe lists what a direction does, for the log: "delay 10ms, loss 2%".
func (c LinkConfig) describe() string {
	w := c.wire()
	parts := []string{"delay " + w.Delay.String()}
	if c.Jitter > 0 {
		parts = append(parts, "jitter ±"+c.Jitter.String())
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", c.Loss}, {"dup", c.Dup}, {"reorder", c.Reorder}, {"corrupt", c.Corrupt}} {
		if p.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %g%%", p.name, p.v*100))
		}
	}
	if c.LossBurst > 1 {
		parts = append(parts, fmt.Sprintf("loss bursts of %g", c.LossBurst))
	}
	if c.Rate > 0 {
		parts = append(parts, fmt.Sprintf("rate %d bit/s, queue %d", c.Rate, w.Queue))
	}
	parts = append(parts, fmt.Sprintf("mtu %d", w.MTU))
	if c.Down {
		parts = append(parts, "down")
	}
	return strings.Join(parts, ", ")
}

func (e End) label() string {
	if e.host != nil {
		return e.host.name
	}
	return e.sw.name
}

// attach plugs end e into link l: send is where e's outgoing frames go; the
// returned function takes the frames that arrive at e. Both lend the frame
// for the call (see package frame).
func (n *Network) attach(e End, l *Link, send func(*frame.Frame, int)) (func(*frame.Frame, int), error) {
	if e.sw != nil {
		return e.sw.addPort(send), nil
	}
	return e.host.addNIC(e, l.mtu, send)
}

// detach undoes the last attach of end e, after a Connect failed.
func (n *Network) detach(e End) {
	if e.sw != nil {
		e.sw.ports = e.sw.ports[:len(e.sw.ports)-1]
		return
	}
	h := e.host
	nic := h.nics[len(h.nics)-1]
	h.nics = h.nics[:len(h.nics)-1]
	_ = h.stack.RemoveNIC(nic.id) // removes its addresses and routes too
}

// addNIC creates an Ethernet interface on the host.
func (h *Host) addNIC(e End, mtu int, send func(*frame.Frame, int)) (func(*frame.Frame, int), error) {
	for _, nic := range h.nics {
		if nic.name == e.iface {
			return nil, fmt.Errorf("host %s has an interface %s already", h.name, e.iface)
		}
	}
	id := tcpip.NICID(len(h.nics) + 2) // 1 is lo
	port := link.New(link.Config{MTU: uint32(mtu), MAC: deriveMAC(h.name, e.iface), Resolve: true, OwnChecksums: true,
		HeapFrames: h.net.explain != nil,
		Transmit: func(f *frame.Frame, origin int) {
			if b := h.fixPacketTooBig(f.B); &b[0] != &f.B[0] {
				f = frame.Heap(b)
			}
			send(f, origin)
		}})
	port.SetForwarding(h.forward)
	if err := h.stack.CreateNICWithOptions(id, port, stack.NICOptions{Name: e.iface, QDisc: port}); err != nil {
		return nil, fmt.Errorf("host %s: create interface %s: %s", h.name, e.iface, err)
	}
	for _, p := range e.addrs {
		proto := ipv4.ProtocolNumber
		if p.Addr().Is6() {
			proto = ipv6.ProtocolNumber
		}
		pa := tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: tcpip.AddressWithPrefix{
			Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}}
		if err := h.stack.AddProtocolAddress(id, pa, stack.AddressProperties{}); err != nil {
			_ = h.stack.RemoveNIC(id)
			return nil, fmt.Errorf("host %s: add %s to %s: %s", h.name, p, e.iface, err)
		}
		h.stack.AddRoute(tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: id})
	}
	h.nics = append(h.nics, &hostNIC{id: id, name: e.iface, port: port, addrs: e.addrs})
	return func(f *frame.Frame, num int) { h.arrive(port, f, num) }, nil
}

// fixPacketTooBig fills in the MTU of an ICMPv6 Packet Too Big message that
// the host sends as a router. gVisor's IPv6 forwarding sends it with an MTU
// of 0 (ipv6/icmp.go, returnError: no MTU for icmpReasonPacketTooBig, where
// IPv4's fragmentation needed carries the next hop's), and gVisor's TCP then
// takes 0 as the path MTU and sends one byte per segment. RFC 4443 (3.2) says
// the field holds the MTU of the next-hop link: the packet was too big for
// it, so that link is one of the host's interfaces with an MTU below the
// packet's length; if several are, the smallest is the safe answer. The
// frame is returned unchanged otherwise.
func (h *Host) fixPacketTooBig(frame []byte) []byte {
	const eth, ip6, icmp6 = header.EthernetMinimumSize, header.IPv6MinimumSize, header.ICMPv6PacketTooBigMinimumSize
	if len(frame) < eth+ip6+icmp6+ip6 || header.Ethernet(frame).Type() != header.IPv6ProtocolNumber {
		return frame
	}
	ip := header.IPv6(frame[eth:])
	if ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) || int(ip.PayloadLength()) != len(frame)-eth-ip6 {
		return frame
	}
	msg := header.ICMPv6(frame[eth+ip6:])
	if msg.Type() != header.ICMPv6PacketTooBig || msg.MTU() != 0 {
		return frame
	}
	quoted := header.IPv6(msg[icmp6:])
	size := int(quoted.PayloadLength()) + ip6
	mtu := 0
	for _, nic := range h.nics {
		if m := int(nic.port.MTU()); m < size && (mtu == 0 || m < mtu) {
			mtu = m
		}
	}
	if mtu == 0 {
		return frame
	}
	out := append([]byte(nil), frame...)
	ip = header.IPv6(out[eth:])
	msg = header.ICMPv6(out[eth+ip6:])
	msg.SetMTU(uint32(max(mtu, header.IPv6MinimumMTU)))
	msg.SetChecksum(0)
	msg.SetChecksum(header.ICMPv6Checksum(header.ICMPv6ChecksumParams{
		Header:      msg[:icmp6],
		Src:         ip.SourceAddress(),
		Dst:         ip.DestinationAddress(),
		PayloadCsum: checksum.Checksum(msg[icmp6:], 0),
		PayloadLen:  len(msg) - icmp6,
	}))
	return out
}

// deriveMAC gives an interface a locally administered unicast MAC address
// derived from the host's and the interface's names.
func deriveMAC(host, iface string) tcpip.LinkAddress {
	sum := sha256.Sum256([]byte("mac\x00" + host + "\x00" + iface))
	sum[0] = 0x02
	return tcpip.LinkAddress(sum[:6])
}

// AddRoute adds a route to dst (CIDR form, or "default" for 0.0.0.0/0, and
// "default6" for ::/0) through the gateway via, which must be on one of the
// host's subnets. After [Network.Close] it fails with an error matching
// [ErrNetworkClosed].
func (h *Host) AddRoute(dst, via string) error {
	if h.net.closed {
		return fmt.Errorf("host %s: AddRoute %s via %s: %w", h.name, dst, via, ErrNetworkClosed)
	}
	switch dst {
	case "default":
		dst = "0.0.0.0/0"
	case "default6":
		dst = "::/0"
	}
	prefix, err := netip.ParsePrefix(dst)
	if err != nil {
		return fmt.Errorf("netsim: host %s: route to %q: want CIDR form or default", h.name, dst)
	}
	gw, err := netip.ParseAddr(via)
	if err != nil {
		return fmt.Errorf("netsim: host %s: route via %q: not an IP address", h.name, via)
	}
	if prefix.Addr().Is4() != gw.Is4() {
		return fmt.Errorf("netsim: host %s: route to %s via %s: address families differ", h.name, dst, via)
	}
	for _, nic := range h.nics {
		for _, a := range nic.addrs {
			if a.Addr() == gw {
				// As Linux: "Nexthop has invalid gateway". gVisor would
				// take it and try to resolve itself for every packet.
				return fmt.Errorf("netsim: host %s: route via %s: that is the host's own address", h.name, via)
			}
		}
	}
	for _, nic := range h.nics {
		for _, a := range nic.addrs {
			if a.Masked().Contains(gw) {
				h.stack.AddRoute(tcpip.Route{Destination: prefixSubnet(prefix), Gateway: tcpip.AddrFromSlice(gw.AsSlice()), NIC: nic.id})
				return nil
			}
		}
	}
	return fmt.Errorf("netsim: host %s: gateway %s is on none of its subnets", h.name, via)
}

// prefixSubnet converts a prefix to gVisor's subnet.
func prefixSubnet(p netip.Prefix) tcpip.Subnet {
	p = p.Masked()
	return tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}.Subnet()
}

// SetForwarding makes the host a router: it forwards IPv4 and IPv6 packets
// between its interfaces, decrementing the TTL and answering with ICMP
// errors (time exceeded, unreachable, fragmentation needed) as a router does.
// After [Network.Close] it fails with an error matching [ErrNetworkClosed].
func (h *Host) SetForwarding(on bool) error {
	if h.net.closed {
		return fmt.Errorf("host %s: SetForwarding: %w", h.name, ErrNetworkClosed)
	}
	for _, p := range []tcpip.NetworkProtocolNumber{ipv4.ProtocolNumber, ipv6.ProtocolNumber} {
		if err := h.stack.SetForwardingDefaultAndAllNICs(p, on); err != nil {
			return fmt.Errorf("netsim: host %s: forwarding: %s", h.name, err)
		}
	}
	h.forward = on
	for _, nic := range h.nics {
		nic.port.SetForwarding(on)
	}
	return nil
}

// Addrs returns the host's addresses on its Ethernet interfaces, in the
// order they were given.
func (h *Host) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, nic := range h.nics {
		for _, a := range nic.addrs {
			out = append(out, a.Addr())
		}
	}
	return out
}

// Switch is an Ethernet switch: it learns which port each MAC address is
// behind and forwards frames there, flooding broadcasts, multicasts and
// frames to addresses it has not seen yet. It forwards at once: the links'
// configurations carry all delay.
type Switch struct {
	n     *Network
	name  string
	ports []func(f *frame.Frame, origin int)
	table map[string]int
	addrs map[netip.Addr]string // the addresses of the hosts on its ports: "host a eth0"
}

// AddSwitch adds a switch called name. After [Network.Close] it fails
// with an error matching [ErrNetworkClosed].
func (n *Network) AddSwitch(name string) (*Switch, error) {
	if n.closed {
		return nil, fmt.Errorf("AddSwitch %q: %w", name, ErrNetworkClosed)
	}
	if err := n.checkName("switch", name); err != nil {
		return nil, err
	}
	s := &Switch{n: n, name: name, table: make(map[string]int), addrs: make(map[netip.Addr]string)}
	n.switches[name] = s
	return s, nil
}

// Port returns a new port of the switch, for [Network.Connect].
func (s *Switch) Port() End { return End{sw: s} }

// Name returns the switch's name.
func (s *Switch) Name() string { return s.name }

// addHostAddrs records the addresses of the host end among a and b, which
// a link now joins to one of the switch's ports.
func (s *Switch) addHostAddrs(a, b End) {
	for _, e := range []End{a, b} {
		for _, p := range e.addrs {
			s.addrs[p.Addr()] = e.describe()
		}
	}
}

func (s *Switch) addPort(send func(*frame.Frame, int)) func(*frame.Frame, int) {
	in := len(s.ports)
	s.ports = append(s.ports, send)
	return func(f *frame.Frame, num int) { s.forward(in, f, num) }
}

// forward passes on a frame that arrived on port in, numbered num in the
// capture (0 if not, or without explanations): the frames it sends carry
// the origin 1+num. Every port it goes out of gets the same frame, lent
// for the call: each wire takes references of its own to what it carries.
func (s *Switch) forward(in int, f *frame.Frame, num int) {
	if len(f.B) < header.EthernetMinimumSize {
		return
	}
	eth := header.Ethernet(f.B)
	if src := string(eth.SourceAddress()); !header.IsMulticastEthernetAddress(tcpip.LinkAddress(src)) {
		s.table[src] = in
	}
	dst := eth.DestinationAddress()
	if out, ok := s.table[string(dst)]; ok && !header.IsMulticastEthernetAddress(dst) && dst != header.EthernetBroadcastAddress {
		if out != in {
			s.ports[out](f, 1+num)
		}
		return
	}
	for out, send := range s.ports {
		if out != in {
			send(f, 1+num)
		}
	}
}
