// Package link is the bottom of netsim's hosts: a NIC's link endpoint that
// hands every frame the stack sends to the simulator, and delivers the frames
// the simulator gives it back to the stack.
//
// A Port frames packets in Ethernet. On a LAN it asks the stack to resolve
// neighbours (ARP, NDP) and fills in real MAC addresses; as a loopback
// interface it writes zero MAC addresses with no resolution, which is what
// Linux's lo shows in a capture.
//
// Captures carry valid checksums, as on a wire. On a loopback port the
// stack computes them all. An Ethernet port (Config.OwnChecksums) tells the
// stack it offloads transport checksums and computes them itself, for the
// packets its host originates only: gVisor's forwarding recomputes the
// TCP/UDP checksum of every packet it forwards through a NIC without that
// offload (ipv4.go and ipv6.go, forwardPacketWithRoute:
// `if route.RequiresTXTransportChecksum() { newPkt.CalculateTransportChecksum() }`),
// which turns a frame corrupted before a router into a valid one with bad
// bytes, and garbles forwarded fragments (it reads any fragment's first bytes
// as a transport header). A real router leaves the transport checksum alone.
package link

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"netsim.dev/netsim/internal/frame"
)

// Port is a stack.LinkEndpoint whose frames go to a transmit function, and
// its own stack.QueueingDiscipline.
type Port struct {
	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	mtu        uint32
	addr       tcpip.LinkAddress
	resolve    bool
	own        bool
	heap       bool
	transmit   func(f *frame.Frame, origin int)
	forwarding atomic.Bool // the host forwards: see SetForwarding
	// rxChecked is set while DeliverFrame hands the stack a frame whose
	// checksums are known to be right: Capabilities then reports receive
	// checksum offload, which the stack reads for that packet.
	rxChecked atomic.Bool

	fragMu  sync.Mutex
	pending []*datagram // local datagrams whose last fragment is still to come (their frames held)
}

var (
	_ stack.LinkEndpoint       = (*Port)(nil)
	_ stack.QueueingDiscipline = (*Port)(nil)
)

// Config describes a Port.
type Config struct {
	// MTU is the largest IP packet the port carries (65536 on loopback, 1500
	// on an Ethernet LAN). The Ethernet header comes on top.
	MTU uint32
	// MAC is the port's link address; empty on loopback.
	MAC tcpip.LinkAddress
	// Resolve makes the stack resolve neighbours' link addresses (ARP, NDP)
	// before sending. Loopback ports do not.
	Resolve bool
	// OwnChecksums makes the port report TX checksum offload to the stack
	// and compute the TCP and UDP checksums of the packets its host
	// originates itself (of a fragmented datagram, once its last fragment
	// is written), leaving the checksums of forwarded packets as they
	// arrived. Ethernet ports want it; see the package doc.
	OwnChecksums bool
	// Transmit receives every frame the stack sends, Ethernet header
	// included, lent for the call: to keep it, take a reference
	// ([frame.Frame.Ref]). It must not call back into the stack: it is
	// called with stack locks held, on whatever goroutine the stack sends
	// from. origin is 0 for a frame the host originates; for one it
	// forwards (a router's, on a port with OwnChecksums), 1 + the number
	// given to [Port.DeliverNumbered] with the frame it arrived in.
	Transmit func(f *frame.Frame, origin int)
	// HeapFrames makes the port's frames ordinary garbage-collected
	// memory ([frame.Heap]) instead of pooled buffers, for holders that
	// keep frames without counting references (lesson mode keeps them for
	// its explanations).
	HeapFrames bool
}

// New returns a Port.
func New(c Config) *Port {
	return &Port{mtu: c.MTU, addr: c.MAC, resolve: c.Resolve, own: c.OwnChecksums, heap: c.HeapFrames, transmit: c.Transmit}
}

// Deliver hands a received frame (Ethernet header included) to the stack,
// which copies it: the caller keeps the frame.
func (p *Port) Deliver(frame []byte) { p.DeliverNumbered(frame, 0) }

// DeliverFrame is [Port.DeliverNumbered] for a frame: when f.ChecksumsOK
// says its checksums are right, the stack does not check them again (for
// every other frame it does, and drops those that fail); when f shares
// its payload with the stack that sent it ([frame.Frame.SetPayload]), the
// stack gets a clone of those views and a copy of the headers only,
// except on a router's port (see payload). The caller keeps its
// reference; a port's frames are delivered one at a time.
func (p *Port) DeliverFrame(f *frame.Frame, num int) {
	if f.ChecksumsOK {
		p.rxChecked.Store(true)
		defer p.rxChecked.Store(false)
	}
	if !p.forwarding.Load() {
		if at, pl, ok := f.Payload(); ok {
			b := buffer.MakeWithView(buffer.NewViewWithData(f.B[:at]))
			b.Merge(&pl)
			p.deliver(f.B, b, num)
			return
		}
	}
	p.DeliverNumbered(f.B, num)
}

// maxNumber is the largest number a packet's mark carries (31 bits).
const maxNumber = wireMark - 1

// DeliverNumbered is Deliver for a frame with a number (netsim's capture
// number, 0 for none): on a port with OwnChecksums, the packets the host
// forwards from it reach Transmit with that number as their origin, even
// when they leave in a later step (after neighbour resolution). Numbers
// beyond 2^31-1 are given as 0.
func (p *Port) DeliverNumbered(frame []byte, num int) {
	if len(frame) < header.EthernetMinimumSize || !p.IsAttached() {
		return
	}
	p.deliver(frame, p.payload(frame), num)
}

// deliver hands the stack a frame whose bytes b holds (taking it over).
func (p *Port) deliver(frame []byte, b buffer.Buffer, num int) {
	p.mu.RLock()
	d := p.dispatcher
	p.mu.RUnlock()
	if d == nil || len(frame) < header.EthernetMinimumSize {
		b.Release()
		return
	}
	// Every packet from a wire carries wireMark, which gVisor copies to the
	// packet it forwards (DeepCopyForForwarding) and to each fragment of it.
	var mark uint32
	if p.own {
		mark = wireMark
		if num > 0 && num <= maxNumber {
			mark |= uint32(num)
		}
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: b, Mark: mark})
	defer pkt.DecRef()
	hdr, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if !ok {
		return
	}
	eth := header.Ethernet(hdr)
	switch dst := eth.DestinationAddress(); {
	case dst == header.EthernetBroadcastAddress:
		pkt.PktType = tcpip.PacketBroadcast
	case header.IsMulticastEthernetAddress(dst):
		pkt.PktType = tcpip.PacketMulticast
	case dst == p.addr || !p.resolve:
		pkt.PktType = tcpip.PacketHost
	default:
		pkt.PktType = tcpip.PacketOtherHost
	}
	d.DeliverNetworkPacket(eth.Type(), pkt)
}

// SetForwarding tells the port whether its host forwards packets (is a
// router), which changes where Deliver puts the frames it receives.
func (p *Port) SetForwarding(on bool) { p.forwarding.Store(on) }

// payload copies a received frame into a buffer for the stack.
//
// Normally the bytes go to chunks of gVisor's process-wide buffer pool, in
// two views: the headers (Ethernet, IP, and TCP or UDP) in one, the
// payload in the other (see splitAt). gVisor's IPv4 and IPv6 HandlePacket
// keep a view of the network header (parseAndValidate returns
// NetworkHeader().View(), a clone sharing the chunk) and then read the
// header again (NetworkHeader().Slice(), a PullUp), and PullUp copies a
// chunk shared by two views before returning it (buffer.go, PullUp:
// `if v.sharesChunk() { v.chunk = v.chunk.Clone() }`): with the whole
// frame in one chunk, every received frame was copied twice, 64 KiB each
// at MTU 65535; with the headers in a chunk of their own, the clone is of
// those few bytes. Each view also fits a pooled chunk (at most
// buffer.MaxChunkSize, 64 KiB) where a whole frame of a 65,535-byte packet
// does not, and was allocated from the Go heap. On
// a router's port, IPv4 frames go to a chunk larger than
// buffer.MaxChunkSize, which gVisor allocates from the Go heap and never
// returns to the pool: gVisor's IPv4 forwarding reads the TTL after it has
// released the packet's chunk (ipv4.go, forwardPacketWithRoute takes
// `h := header.IPv4(pkt.NetworkHeader().Slice())`, then DeepCopyForForwarding
// clones the buffer, so the next NetworkHeader().Slice() copies the shared
// chunk (buffer.PullUp, copy-on-write) and the clone's Release returns the
// old one to the pool, and only then `ttl := h.TTL()`). With a pooled chunk,
// another network running at the same time can take that chunk and write
// its own frame into it first: the forwarded packet then leaves with a TTL
// taken from some other packet, and -race reports the race. A heap chunk
// stays as it was for as long as h refers to it. IPv6 forwarding reads the
// hop limit before the copy and needs none of this.
func (p *Port) payload(frame []byte) buffer.Buffer {
	if !p.forwarding.Load() || header.Ethernet(frame).Type() != header.IPv4ProtocolNumber {
		at := splitAt(frame)
		if at == 0 {
			return buffer.MakeWithData(frame)
		}
		b := buffer.MakeWithView(buffer.NewViewWithData(frame[:at]))
		b.Append(buffer.NewViewWithData(frame[at:]))
		return b
	}
	v := buffer.NewView(max(len(frame), buffer.MaxChunkSize+1))
	v.Write(frame)
	return buffer.MakeWithView(v)
}

// WritePackets implements stack.LinkWriter: each packet becomes one frame.
func (p *Port) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	for _, pkt := range pkts.AsSlice() {
		p.writePacket(pkt)
	}
	return pkts.Len(), nil
}

// WritePacket implements stack.QueueingDiscipline, for the NIC to hand
// the port its packets one at a time: give the port as the NIC's QDisc
// (stack.NICOptions). gVisor's default discipline wraps each packet in a
// PacketBufferList of its own for WritePackets, an allocation per frame.
func (p *Port) WritePacket(pkt *stack.PacketBuffer) tcpip.Error {
	p.writePacket(pkt)
	return nil
}

// writePacket makes one frame of pkt and transmits it (or the frames of
// its datagram, see originated).
func (p *Port) writePacket(pkt *stack.PacketBuffer) {
	f := p.newFrame(pkt.Size())
	// The packet's bytes, copied from its views (as AsSlices lists them,
	// without allocating the list).
	b := f.B[:0]
	views, skip := pkt.AsViewList()
	for v := views.Front(); v != nil; v = v.Next() {
		s := v.AsSlice()
		if skip >= len(s) {
			skip -= len(s)
			continue
		}
		b = append(b, s[skip:]...)
		skip = 0
	}
	// The frame's IP header, read once for share and originated.
	ip, ipOK := parseIP(f.B)
	p.share(f, pkt, ip, ipOK)
	if p.own && !pkt.NetworkPacketInfo.IsForwardedPacket && pkt.Mark&wireMark == 0 {
		one, many := p.originated(f, ip, ipOK)
		if one != nil {
			p.transmit(one, 0)
			one.Release()
		}
		for _, g := range many {
			p.transmit(g, 0)
			g.Release()
		}
		return
	}
	origin := 0
	if p.own && pkt.Mark&wireMark != 0 {
		origin = 1 + int(pkt.Mark&maxNumber)
	}
	p.transmit(f, origin)
	f.Release()
}

// minShared is the smallest payload a frame shares with its sending stack
// rather than having it copied on receipt: below it, cloning gVisor's
// views costs about what copying the bytes does.
const minShared = 512

// share gives a frame just made of pkt the views of pkt's payload
// ([frame.Frame.SetPayload]), when the payload follows the frame's
// headers as a receiving port would split them (splitAt: Ethernet, IP, and
// TCP or UDP, not a fragment) and is worth it. Not for heap frames, which
// their holders keep beyond delivery. ip and ok are parseIP's of f.B.
func (p *Port) share(f *frame.Frame, pkt *stack.PacketBuffer, ip ipPacket, ok bool) {
	n := pkt.Data().Size()
	if p.heap || n < minShared || !ok || ip.fragment {
		return
	}
	if at := len(f.B) - n; headersEnd(f.B, ip) == at {
		f.SetPayload(at, pkt.Data().ToBuffer())
	}
}

// newFrame returns a frame of size bytes for the port to fill.
func (p *Port) newFrame(size int) *frame.Frame {
	if p.heap {
		return frame.Heap(make([]byte, size))
	}
	return frame.New(size)
}

// splitAt returns where a received frame's headers end (Ethernet, IP, and
// a TCP or UDP header when the packet is not a fragment), for payload to
// put the bytes after them in a view of their own; 0 when the frame is
// too small to be worth it or its headers do not parse.
func splitAt(frame []byte) int {
	if len(frame) < 512 {
		return 0
	}
	ip, ok := parseIP(frame)
	if !ok {
		return 0
	}
	return headersEnd(frame, ip)
}

// headersEnd is splitAt for a frame whose IP header parseIP has read, at
// any length.
func headersEnd(frame []byte, ip ipPacket) int {
	const eth = header.EthernetMinimumSize
	at := ip.payload
	switch {
	case ip.fragment:
	case ip.proto == uint8(header.TCPProtocolNumber):
		if at+header.TCPMinimumSize <= len(frame) {
			at += int(header.TCP(frame[at:]).DataOffset())
		}
	case ip.proto == uint8(header.UDPProtocolNumber):
		at += header.UDPMinimumSize
	}
	if at <= eth || at >= len(frame) {
		return 0
	}
	return at
}

// MTU implements stack.LinkEndpoint.
func (p *Port) MTU() uint32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.mtu
}

// SetMTU implements stack.LinkEndpoint.
func (p *Port) SetMTU(mtu uint32) {
	p.mu.Lock()
	p.mtu = mtu
	p.mu.Unlock()
}

// MaxHeaderLength implements stack.LinkEndpoint.
func (*Port) MaxHeaderLength() uint16 { return header.EthernetMinimumSize }

// LinkAddress implements stack.LinkEndpoint.
func (p *Port) LinkAddress() tcpip.LinkAddress {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.addr
}

// SetLinkAddress implements stack.LinkEndpoint.
func (p *Port) SetLinkAddress(addr tcpip.LinkAddress) {
	p.mu.Lock()
	p.addr = addr
	p.mu.Unlock()
}

// Capabilities implements stack.LinkEndpoint. With OwnChecksums, TX
// checksum offload (the port computes them). RX offload only while
// DeliverFrame delivers a frame whose checksums are known to be right:
// gVisor's NIC reads it for each packet it receives (nic.go,
// DeliverNetworkPacket: `pkt.RXChecksumValidated = ...Capabilities()&
// CapabilityRXChecksumOffload != 0`), and nowhere else; every other frame
// has its checksums checked on receipt.
func (p *Port) Capabilities() stack.LinkEndpointCapabilities {
	var c stack.LinkEndpointCapabilities
	if p.rxChecked.Load() {
		c |= stack.CapabilityRXChecksumOffload
	}
	if p.resolve {
		c |= stack.CapabilityResolutionRequired
	}
	if p.own {
		c |= stack.CapabilityTXChecksumOffload
	}
	return c
}

// Attach implements stack.LinkEndpoint.
func (p *Port) Attach(d stack.NetworkDispatcher) {
	p.mu.Lock()
	p.dispatcher = d
	p.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (p *Port) IsAttached() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.dispatcher != nil
}

// Wait implements stack.LinkEndpoint. A Port has no goroutines.
func (*Port) Wait() {}

// ARPHardwareType implements stack.LinkEndpoint.
func (p *Port) ARPHardwareType() header.ARPHardwareType {
	if p.resolve {
		return header.ARPHardwareEther
	}
	return header.ARPHardwareLoopback
}

// AddHeader implements stack.LinkEndpoint: an Ethernet header, with zero MAC
// addresses on a port that does not resolve neighbours.
func (p *Port) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	clear(eth)
	f := header.EthernetFields{Type: pkt.NetworkProtocolNumber}
	if p.resolve {
		f.SrcAddr = pkt.EgressRoute.LocalLinkAddress
		f.DstAddr = pkt.EgressRoute.RemoteLinkAddress
	}
	eth.Encode(&f)
}

// ParseHeader implements stack.LinkEndpoint.
func (*Port) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

// Close implements stack.LinkEndpoint and stack.QueueingDiscipline.
func (*Port) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*Port) SetOnCloseAction(func()) {}
