package netsim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"netsim/netsim/internal/link"
	"netsim/netsim/internal/sock"
	"netsim/netsim/internal/wire"
)

// loopbackMTU is the MTU of Linux's lo, which gives the same MSS (65495).
const loopbackMTU = 65536

// loopbackNIC is the NIC ID of every host's loopback interface.
const loopbackNIC tcpip.NICID = 1

// Host is a machine on the network: its own TCP/IP stack (ports, routes,
// connections), a loopback interface with 127.0.0.1/8 and ::1, and the
// Ethernet interfaces that Network.Connect gives it.
type Host struct {
	net   *Network
	name  string
	index int
	stack *stack.Stack
	env   *sock.Env
	lo    *Link
	nics  []*hostNIC
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
// change what the others do.
func (n *Network) AddHost(name string) (*Host, error) {
	if err := n.checkName("host", name); err != nil {
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
			tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6,
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
	dir := wire.NewDir(clockAdapter{n}, name, deriveSeed(n.opts.Seed, "link", name),
		wire.Config{Delay: n.opts.LoopbackDelay},
		func(frame []byte, note string) { n.record(iface, frame, note) },
		func(frame []byte) {
			port.Deliver(frame)
			h.quiesce()
		})
	port = link.New(link.Config{MTU: loopbackMTU, Transmit: dir.Send})
	if err := h.stack.CreateNICWithOptions(loopbackNIC, port, stack.NICOptions{Name: "lo"}); err != nil {
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

// quiesce waits until the host's stack has finished reacting to the last
// event: every TCP processor goroutine drains its queue before it pauses.
func (h *Host) quiesce() {
	h.stack.Pause()
	h.stack.Resume()
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
