package netsim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync/atomic"
	"unicode"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"netsim.dev/netsim/internal/frame"
	"netsim.dev/netsim/internal/link"
	"netsim.dev/netsim/internal/sock"
	"netsim.dev/netsim/internal/wire"
)

// loopbackMTU is the MTU of Linux's lo, which gives the same MSS (65495).
const loopbackMTU = 65536

// loopbackNIC is the NIC ID of every host's loopback interface.
const loopbackNIC tcpip.NICID = 1

// Host is a machine on the network: its own TCP/IP stack (ports, routes,
// connections), a loopback interface with 127.0.0.1/8 and ::1, and the
// Ethernet interfaces that [Network.Connect] gives it.
type Host struct {
	net     *Network
	name    string
	index   int
	stack   *stack.Stack
	env     *sock.Env
	lo      *Link
	nics    []*hostNIC
	inbox   []arrival // frames arrived at this instant, not yet delivered
	spare   []arrival // inbox's next buffer (deliverArrivals reuses them)
	deliver func()    // deliverArrivals, as an event's function
	groups  grouping  // deliverArrivals' scratch
	forward bool      // the host is a router (SetForwarding)
	explain hostExplain
	// queued is set when the stack queues a TCP segment to its processor
	// goroutines (see watchedTCP): quiesce has work to wait for.
	queued atomic.Bool
}

// arrival is a frame that reached one of the host's ports.
type arrival struct {
	port  *link.Port
	frame *frame.Frame // a reference the host holds until delivery
	num   int          // its capture number (with explanations; else 0)
}

// hostNIC is one of a host's Ethernet interfaces.
type hostNIC struct {
	id    tcpip.NICID
	name  string
	port  *link.Port
	addrs []netip.Prefix
}

// AddHost adds a host called name. Its random choices come from a stream of
// its own, derived from the seed and the name, so adding a host does not
// change what the others do. The name is what Dial ("name:80") and the
// resolvers take: it has only letters, digits, '.', '-' and '_', is not an
// IP address, and is no other host's, switch's or link's name, nor another
// host's in another case. After [Network.Close] it fails with an error
// matching [ErrNetworkClosed].
func (n *Network) AddHost(name string) (*Host, error) {
	if n.closed {
		return nil, fmt.Errorf("AddHost %q: %w", name, ErrNetworkClosed) // "AddHost \"x\": netsim: network closed: ..."
	}
	if err := n.checkHostName(name); err != nil {
		return nil, err
	}
	h := &Host{net: n, name: name, index: len(n.hosts) + 1}
	seed := deriveSeed(n.opts.Seed, "host", name)
	v6 := ipv6.Options{AllowExternalLoopbackTraffic: true}
	if n.opts.IPv6DAD {
		v6.DADConfigs = stack.DADConfigurations{DupAddrDetectTransmits: 1, RetransmitTimer: 1e9}
	}
	h.stack = stack.New(stack.Options{
		NetworkProtocols: []stack.NetworkProtocolFactory{
			ipv4.NewProtocolWithOptions(ipv4.Options{AllowExternalLoopbackTraffic: true}),
			ipv6.NewProtocolWithOptions(v6),
			arp.NewProtocol,
		},
		TransportProtocols: []stack.TransportProtocolFactory{
			h.tcpProtocol(), udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6,
		},
		Clock:      n.clock.Stack(h.index),
		RandSource: mrand.NewSource(int64(binary.LittleEndian.Uint64(seed[:8]))),
		SecureRNG:  rand.NewChaCha8(deriveSeed(n.opts.Seed, "host-secure", name)),
	})
	// TCP receive buffers start at Linux's tcp_rmem maximum (6 MiB, a 3 MiB
	// window): the size Linux's receive-buffer autotuning reaches within a
	// few round trips of a bulk transfer. gVisor's own default (1 MiB, a
	// 512 KiB window) is fixed here, because its autotuning runs only when
	// the socket layer reports each read (Endpoint.ModerateRecvBuf), and
	// netsim's sockets do not; a 16 MiB transfer over a 20 ms RTT then took
	// 70 round trips instead of the 15 that slow start predicts. The window
	// scale (7) and the SYN's window are unchanged; send buffers keep
	// gVisor's defaults, which autotune up to Linux's tcp_wmem maximum
	// (4 MiB).
	rcvBuf := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4096, Default: 6 << 20, Max: 6 << 20}
	if err := h.stack.SetTransportProtocolOption(tcp.ProtocolNumber, &rcvBuf); err != nil {
		h.stack.Close()
		return nil, fmt.Errorf("netsim: AddHost %q: TCP receive buffer: %s", name, err)
	}
	h.env = &sock.Env{Sim: n.sim, Stack: h.stack, Host: name}
	if err := h.addLoopback(); err != nil {
		h.stack.Close()
		return nil, fmt.Errorf("netsim: AddHost %q: %w", name, err)
	}
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	return h, nil
}

// checkHostName rejects what checkName rejects, and a name that Dial and
// the resolvers could not reach: one with characters other than letters,
// digits, '.', '-' and '_' (the rule of scenario files), an IP address, or
// one that differs from another host's only in case (host names resolve
// as DNS names, in any case).
func (n *Network) checkHostName(name string) error {
	if err := n.checkName("host", name); err != nil {
		return err
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' {
			return fmt.Errorf("netsim: host name %q: a host name has only letters, digits, '.', '-' and '_' (Dial takes it as NAME:PORT and resolvers as a DNS name)", name)
		}
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("netsim: host name %q is an IP address: Dial would take it as that address", name)
	}
	for _, h := range n.hosts {
		if strings.EqualFold(h.name, name) {
			return fmt.Errorf("netsim: host name %q differs from host %q only in case: host names resolve as DNS names, in any case", name, h.name)
		}
	}
	return nil
}

// checkName rejects an empty name or one already used by a host, switch or
// link.
func (n *Network) checkName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("netsim: empty %s name", kind)
	}
	if n.byName[name] != nil || n.switches[name] != nil || n.links[name] != nil {
		return fmt.Errorf("netsim: the name %q is taken already", name)
	}
	return nil
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Loopback returns the host's loopback interface as a link, whose one
// direction can be impaired like any other link's.
func (h *Host) Loopback() *Link { return h.lo }

// addLoopback gives the host its lo: a port whose frames come back to itself
// after the loopback delay, captured once when sent.
func (h *Host) addLoopback() error {
	n := h.net
	name := h.name + ":lo"
	iface, err := n.addInterface(name, "loopback of host "+h.name)
	if err != nil {
		return err
	}
	var port *link.Port
	pt := &capturePoint{iface: iface, link: name, host: h}
	dir := wire.NewDir(clockAdapter{n}, name, deriveSeed(n.opts.Seed, "link", name),
		wire.Config{Delay: n.opts.LoopbackDelay},
		func(frame []byte, note string, origin int) int { return n.record(pt, frame, note, origin) },
		func(f *frame.Frame, num int) { h.arrive(port, f, num) })
	port = link.New(link.Config{MTU: loopbackMTU, Transmit: dir.SendFrame, HeapFrames: n.explain != nil})
	if err := h.stack.CreateNICWithOptions(loopbackNIC, port, stack.NICOptions{Name: "lo", QDisc: port}); err != nil {
		return fmt.Errorf("create lo: %s", err)
	}
	addrs := []tcpip.ProtocolAddress{
		{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), PrefixLen: 8}},
		{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}},
	}
	for _, a := range addrs {
		if err := h.stack.AddProtocolAddress(loopbackNIC, a, stack.AddressProperties{}); err != nil {
			return fmt.Errorf("add %s to lo: %s", a.AddressWithPrefix, err)
		}
	}
	lo4, _ := tcpip.NewSubnet(tcpip.AddrFrom4([4]byte{127, 0, 0, 0}), tcpip.MaskFromBytes([]byte{255, 0, 0, 0}))
	lo6 := header.IPv6Loopback.WithPrefix().Subnet()
	h.stack.AddRoute(tcpip.Route{Destination: lo4, NIC: loopbackNIC})
	h.stack.AddRoute(tcpip.Route{Destination: lo6, NIC: loopbackNIC})
	h.lo = &Link{n: n, name: name, ab: dir}
	return nil
}

// arrive takes a frame that reached port. Frames that reach the host at
// one instant are delivered together, after every other event due then
// (deliverArrivals), so that the stack sees a burst as a burst: gVisor then
// acknowledges several segments at once, as it does on a real machine, where
// one ACK per segment would double the frames of a bulk transfer.
//
// The host takes a reference to the frame, given back once the frame has
// been delivered (the stack copies it).
func (h *Host) arrive(port *link.Port, f *frame.Frame, num int) {
	if len(h.inbox) == 0 {
		if h.deliver == nil {
			h.deliver = h.deliverArrivals
		}
		h.net.clock.Post(0, 0, h.deliver)
	}
	h.inbox = append(h.inbox, arrival{port, f.Ref(), num})
}

// deliverArrivals delivers the frames that arrived at this instant, one TCP
// connection at a time: a connection's segments are queued to its processor
// while the processors are paused, then the stack runs until it is
// quiescent. Connections are taken in the order of their first frame, each
// other frame on its own, in order. (Delivering two connections' segments
// at once would let two processor goroutines send at the same time, and the
// capture's order would depend on the Go scheduler.)
func (h *Host) deliverArrivals() {
	all := h.inbox
	// Frames that arrive while these are delivered go to the spare buffer;
	// this one becomes the spare when done.
	h.inbox, h.spare = h.spare[:0], nil
	if len(all) == 1 {
		h.deliverGroup(all)
	} else {
		// Group by connection, in the order of each group's first frame
		// (a burst of 10,000 SYNs is 10,000 groups).
		g := &h.groups
		sorted, starts := g.group(all)
		for i := range len(starts) - 1 {
			h.deliverGroup(sorted[starts[i]:starts[i+1]])
		}
		clear(sorted)
	}
	clear(all)
	h.spare = all[:0]
}

// grouping sorts a burst of arrivals by connection with buffers it keeps
// from one burst to the next: in steady state, no allocation.
type grouping struct {
	index  map[groupKey]int // a connection's group, during group
	of     []int            // each arrival's group
	starts []int            // where each group starts in sorted, and the end
	next   []int
	sorted []arrival
}

// groupKey identifies a TCP connection at one port.
type groupKey struct {
	port *link.Port
	flow tcpFlow
}

// group returns the arrivals of all sorted by group, a stable sort: a TCP
// connection's frames (at one port) form a group, any other frame one of
// its own, and groups come in the order of their first frame. Group i is
// sorted[starts[i]:starts[i+1]]. Both are valid until the next call.
func (g *grouping) group(all []arrival) (sorted []arrival, starts []int) {
	if g.index == nil {
		g.index = make(map[groupKey]int)
	}
	of, n := g.of[:0], 0
	for _, a := range all {
		if k, ok := flowKey(a.frame.B); ok {
			gk := groupKey{a.port, k}
			if i, found := g.index[gk]; found {
				of = append(of, i)
				continue
			}
			g.index[gk] = n
		}
		of = append(of, n)
		n++
	}
	clear(g.index)
	starts = append(g.starts[:0], make([]int, n+1)...)
	for _, i := range of {
		starts[i+1]++
	}
	for i := range n {
		starts[i+1] += starts[i]
	}
	next := append(g.next[:0], starts[:n]...)
	sorted = append(g.sorted[:0], all...)
	for j, a := range all {
		sorted[next[of[j]]] = a
		next[of[j]]++
	}
	g.of, g.starts, g.next, g.sorted = of, starts, next, sorted
	return sorted, starts
}

// deliverGroup delivers one connection's frames (or one other frame) and
// waits until the stack is quiescent. A TCP connection's segments are
// queued while the processors are paused, so that they are handled as one
// burst. One frame alone needs no pause: nothing else is queued, and the
// processor handles it as it would after one.
func (h *Host) deliverGroup(g []arrival) {
	if h.net.explain != nil {
		nums := make([]int, len(g))
		for i, a := range g {
			nums[i] = a.num
		}
		h.net.setArrival(h, nums)
	}
	if _, tcp := flowKey(g[0].frame.B); !tcp || len(g) == 1 {
		for _, a := range g {
			a.port.DeliverFrame(a.frame, a.num)
			a.frame.Release()
		}
		h.quiesce()
		return
	}
	h.stack.Pause()
	for _, a := range g {
		a.port.DeliverFrame(a.frame, a.num)
		a.frame.Release()
	}
	h.stack.Resume()
	h.quiesce()
}

// tcpFlow identifies a TCP connection in one direction: its addresses and
// ports as they sit in the frame (n bytes of b), comparable without
// allocating.
type tcpFlow struct {
	b [36]byte
	n uint8
}

// flowKey identifies the TCP connection of an Ethernet frame (addresses and
// ports, in the frame's direction); ok is false for anything else.
func flowKey(frame []byte) (key tcpFlow, ok bool) {
	const eth = 14
	if len(frame) < eth+20 {
		return key, false
	}
	switch uint16(frame[12])<<8 | uint16(frame[13]) {
	case 0x0800:
		ihl := int(frame[eth]&0x0f) * 4
		fragmented := frame[eth+6]&0x3f != 0 || frame[eth+7] != 0
		if frame[eth+9] != 6 || fragmented || len(frame) < eth+ihl+4 {
			return key, false
		}
		copy(key.b[:8], frame[eth+12:eth+20])
		copy(key.b[8:12], frame[eth+ihl:eth+ihl+4])
		key.n = 12
		return key, true
	case 0x86dd:
		if len(frame) < eth+44 || frame[eth+6] != 6 {
			return key, false
		}
		copy(key.b[:], frame[eth+8:eth+44])
		key.n = 36
		return key, true
	}
	return key, false
}

// quiesce waits until the host's stack has finished reacting to the last
// event: every TCP processor goroutine drains its queue before it pauses.
// The processors get work only through the segments the stack queues to
// them (watchedTCP), and have none left after a quiesce: with none queued
// since, there is nothing to wait for. (A stack timer that sends nothing to
// the host itself, an ARP or UDP frame delivered, then cost no pause: 30,000
// pauses of 120,000 for 10,000 connections.)
func (h *Host) quiesce() {
	if !h.queued.Swap(false) {
		return
	}
	h.stack.Pause()
	h.stack.Resume()
}

// watchedTCP is a host's TCP protocol: gVisor's, which tells the host when
// it queues an inbound segment to a processor goroutine.
type watchedTCP struct {
	stack.TransportProtocol
	q      segmentQueuer
	queued *atomic.Bool
}

// segmentQueuer is what gVisor's stack calls to hand a TCP protocol its
// inbound segments, if the protocol has it (gVisor's does: its processor
// goroutines handle them).
type segmentQueuer interface {
	QueuePacket(ep stack.TransportEndpoint, id stack.TransportEndpointID, pkt *stack.PacketBuffer)
}

// newWatchedTCP wraps p, gVisor's TCP protocol, which must queue its
// segments (a protocol that does not cannot be watched, and quiesce
// would not wait for it: a panic at start beats a nondeterministic run).
func newWatchedTCP(p stack.TransportProtocol, queued *atomic.Bool) stack.TransportProtocol {
	q, ok := p.(segmentQueuer)
	if _, sizes := p.(stack.SendBufSizeProto); !ok || !sizes {
		panic("netsim: gVisor's TCP protocol no longer queues its segments (QueuePacket) or reports its send buffer sizes")
	}
	return &watchedTCP{TransportProtocol: p, q: q, queued: queued}
}

// SendBufferSize implements stack.SendBufSizeProto, as gVisor's TCP
// protocol does (its stack asks the protocol it holds for it).
func (w *watchedTCP) SendBufferSize() tcpip.TCPSendBufferSizeRangeOption {
	return w.TransportProtocol.(stack.SendBufSizeProto).SendBufferSize()
}

// QueuePacket hands the segment to gVisor's protocol, whose processors
// will handle it: the host must quiesce. It may run on a processor
// goroutine (a segment that a host sends itself is delivered at once).
func (w *watchedTCP) QueuePacket(ep stack.TransportEndpoint, id stack.TransportEndpointID, pkt *stack.PacketBuffer) {
	w.queued.Store(true)
	w.q.QueuePacket(ep, id, pkt)
}

// deriveSeed returns 32 bytes derived from the run's seed and labels, so
// that every consumer of randomness has a stream of its own.
func deriveSeed(seed int64, labels ...string) [32]byte {
	hash := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	hash.Write(b[:])
	for _, l := range labels {
		binary.LittleEndian.PutUint64(b[:], uint64(len(l)))
		hash.Write(b[:])
		hash.Write([]byte(l))
	}
	var out [32]byte
	copy(out[:], hash.Sum(nil))
	return out
}
