package netsim_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
)

// Tests of the network model: switches, routers, MTUs, IPv6, partitions,
// and the errors of the topology API. Each builds a network with a pcapng
// capture of every link and checks the frames where they entered each link.

// topo is a network under test with a pcapng capture of every link.
type topo struct {
	t      *testing.T
	n      *netsim.Network
	buf    bytes.Buffer
	pk     []packet // the capture, after run
	ifaces []string // the capture's interfaces, after run
}

// packet is one captured frame, decoded.
type packet struct {
	num   int // 1-based in the capture
	link  string
	at    time.Duration // since the start
	note  string
	data  []byte
	p     gopacket.Packet
	eth   *layers.Ethernet
	ip4   *layers.IPv4
	ip6   *layers.IPv6
	tcp   *layers.TCP
	udp   *layers.UDP
	icmp4 *layers.ICMPv4
	icmp6 *layers.ICMPv6
	arp   *layers.ARP
}

func newTopo(t *testing.T, opts netsim.Options) *topo {
	t.Helper()
	tp := &topo{t: t}
	opts.Capture = &tp.buf
	opts.CaptureFormat = capture.PCAPNG
	n, err := netsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tp.n = n
	return tp
}

func (tp *topo) host(name string) *netsim.Host {
	tp.t.Helper()
	h, err := tp.n.AddHost(name)
	if err != nil {
		tp.t.Fatal(err)
	}
	return h
}

func (tp *topo) connect(name string, a, b netsim.End, cfg ...netsim.LinkConfig) *netsim.Link {
	tp.t.Helper()
	l, err := tp.n.Connect(name, a, b, cfg...)
	if err != nil {
		tp.t.Fatal(err)
	}
	return l
}

// run runs the network (failing the test on an error or, as a hang, see
// awaitRun), closes it and decodes the capture.
func (tp *topo) run() {
	t := tp.t
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- tp.n.Run() }()
	err, ok := awaitRun(tp.n, done)
	switch {
	case !ok:
		t.Fatalf("Run hangs or livelocks: %v", err)
	case err != nil:
		t.Fatalf("Run: %v", err)
	}
	if err := tp.n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r, err := pcapread.NewReader(bytes.NewReader(tp.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := pcapread.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	ifaces := r.Interfaces()
	for _, i := range ifaces {
		tp.ifaces = append(tp.ifaces, i.Name)
	}
	start := netsim.DefaultStart.UnixNano()
	for _, f := range frames {
		p := packet{num: f.Number, link: ifaces[f.Interface].Name, at: time.Duration(f.Time - start), data: f.Data}
		if len(f.Comments) > 0 {
			p.note = strings.Join(f.Comments, "\n")
		}
		p.p = gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.Default)
		p.eth, _ = p.p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		p.ip4, _ = p.p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		p.ip6, _ = p.p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		p.tcp, _ = p.p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		p.udp, _ = p.p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		p.icmp4, _ = p.p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		p.icmp6, _ = p.p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
		p.arp, _ = p.p.Layer(layers.LayerTypeARP).(*layers.ARP)
		tp.pk = append(tp.pk, p)
	}
}

// on returns the captured frames that entered link name.
func (tp *topo) on(name string) []packet {
	var out []packet
	for _, p := range tp.pk {
		if p.link == name {
			out = append(out, p)
		}
	}
	return out
}

func (p packet) String() string {
	s := fmt.Sprintf("#%d %s %v", p.num, p.link, p.at)
	for _, l := range p.p.Layers() {
		s += " " + l.LayerType().String()
	}
	if p.tcp != nil {
		s += fmt.Sprintf(" %d>%d seq %d len %d", p.tcp.SrcPort, p.tcp.DstPort, p.tcp.Seq, len(p.tcp.Payload))
	}
	if p.note != "" {
		s += " [" + p.note + "]"
	}
	return s
}

// transfer runs a server task on srv that reads one connection to EOF and a
// client task on cli that dials addr and sends size bytes; it checks that
// the server received what the client sent. done, if not nil, is called with
// the virtual time at which the server saw EOF.
func transfer(t *testing.T, n *netsim.Network, cli, srv *netsim.Host, network, addr string, size int, done func(time.Duration)) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	ln, err := srv.Listen(network, ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, uint64(size)))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	want := sha256.Sum256(data)
	n.Go(func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		defer c.Close()
		h := sha256.New()
		k, err := io.Copy(h, c)
		if err != nil {
			t.Errorf("server read: %v", err)
		}
		if got := h.Sum(nil); k != int64(size) || !bytes.Equal(got, want[:]) {
			t.Errorf("server received %d bytes with sha256 %x; client sent %d with %x", k, got, size, want)
		}
		if done != nil {
			done(n.Now().Sub(netsim.DefaultStart))
		}
	})
	n.Go(func() {
		c, err := cli.Dial(network, addr)
		if err != nil {
			t.Errorf("Dial %s: %v", addr, err)
			return
		}
		defer c.Close()
		if _, err := c.Write(data); err != nil {
			t.Errorf("client write: %v", err)
		}
	})
}

// TestSwitchLearns: three hosts on a switch. After the ARP request, which
// the switch floods, the switch has learnt where a and b are: their unicast
// frames go only to each other, and c sees the one broadcast and nothing
// else.
func TestSwitchLearns(t *testing.T) {
	tp := newTopo(t, netsim.Options{})
	sw, err := tp.n.AddSwitch("sw")
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := tp.host("a"), tp.host("b"), tp.host("c")
	la := tp.connect("a-sw", a.Iface("eth0", "192.168.1.1/24"), sw.Port())
	lb := tp.connect("b-sw", b.Iface("eth0", "192.168.1.2/24"), sw.Port())
	lc := tp.connect("c-sw", c.Iface("eth0", "192.168.1.3/24"), sw.Port())
	transfer(t, tp.n, a, b, "tcp", "192.168.1.2:7000", 20000, nil)
	tp.run()

	toC := tp.on("c-sw")
	if len(toC) == 0 {
		t.Fatal("c's link carried nothing: the ARP request was not flooded")
	}
	for _, p := range toC {
		if p.eth == nil || p.eth.DstMAC[0]&1 == 0 || p.arp == nil || p.arp.Operation != layers.ARPRequest {
			t.Errorf("c's link carried %v: want only the broadcast ARP request", p)
		}
	}
	cOut, cIn := lc.Stats()
	if cOut.Sent != 0 || cIn.Sent != len(toC) {
		t.Errorf("c's link: c sent %d frames, the switch sent c %d; want 0 and %d", cOut.Sent, cIn.Sent, len(toC))
	}
	// Every frame a sent reached b exactly once, and the other way round:
	// the switch forwards each frame to one port (or floods it once).
	aOut, aIn := la.Stats()
	bOut, bIn := lb.Stats()
	bcastA := 0
	for _, p := range tp.on("a-sw") {
		if p.eth.DstMAC[0]&1 == 1 {
			bcastA++
		}
	}
	if bIn.Sent != aOut.Sent || aIn.Sent != bOut.Sent || cIn.Sent != bcastA {
		t.Errorf("a sent %d, b got %d; b sent %d, a got %d; a's broadcasts %d, c got %d", aOut.Sent, bIn.Sent, bOut.Sent, aIn.Sent, bcastA, cIn.Sent)
	}
	// The ARP exchange precedes the first TCP frame.
	var order []string
	for _, p := range tp.on("a-sw") {
		switch {
		case p.arp != nil && p.arp.Operation == layers.ARPRequest:
			order = append(order, "who-has")
		case p.arp != nil:
			order = append(order, "is-at")
		case p.tcp != nil && p.tcp.SYN:
			order = append(order, "SYN")
		}
	}
	if len(order) < 3 || order[0] != "who-has" || order[1] != "is-at" || order[2] != "SYN" {
		t.Errorf("on a's link: %v, want who-has, is-at, SYN first", order)
	}
	t.Logf("a→b %d frames, b→a %d, flooded to c %d", aOut.Sent, bOut.Sent, cIn.Sent)
}

// chain builds client, routers r1..r(k-1), server in a line over k links
// with the given MTUs (0: the default). Link i joins node i (.1, ::1) and
// node i+1 (.2, ::2) on 10.0.i.0/24 and fd00:0:0:i::/64; every node routes
// to every subnet. It returns the nodes and the links.
func chain(tp *topo, cfgs ...netsim.LinkConfig) ([]*netsim.Host, []*netsim.Link) {
	tp.t.Helper()
	k := len(cfgs)
	nodes := make([]*netsim.Host, k+1)
	for i := range nodes {
		name := fmt.Sprintf("r%d", i)
		switch i {
		case 0:
			name = "client"
		case k:
			name = "server"
		}
		nodes[i] = tp.host(name)
	}
	v4 := func(i, h int) string { return fmt.Sprintf("10.0.%d.%d", i, h) }
	v6 := func(i, h int) string { return fmt.Sprintf("fd00:0:0:%x::%d", i, h) }
	var links []*netsim.Link
	for i, c := range cfgs {
		links = append(links, tp.connect(nodes[i].Name()+"-"+nodes[i+1].Name(),
			nodes[i].Iface(fmt.Sprintf("eth%d", min(i, 1)), v4(i, 1)+"/24", v6(i, 1)+"/64"),
			nodes[i+1].Iface("eth0", v4(i, 2)+"/24", v6(i, 2)+"/64"), c))
	}
	for i, h := range nodes {
		if i > 0 && i < k {
			if err := h.SetForwarding(true); err != nil {
				tp.t.Fatal(err)
			}
		}
		for j := range k {
			var gw4, gw6 string
			switch {
			case j < i-1:
				gw4, gw6 = v4(i-1, 1), v6(i-1, 1)
			case j > i:
				gw4, gw6 = v4(i, 2), v6(i, 2)
			default:
				continue
			}
			if err := h.AddRoute(v4(j, 0)+"/24", gw4); err != nil {
				tp.t.Fatal(err)
			}
			if err := h.AddRoute(v6(j, 0)+"/64", gw6); err != nil {
				tp.t.Fatal(err)
			}
		}
	}
	return nodes, links
}

// ipKey identifies an IP packet across links: its addresses and its
// transport payload.
func ipKey(p packet) string {
	switch {
	case p.ip4 != nil:
		return fmt.Sprintf("%v>%v id %d %x", p.ip4.SrcIP, p.ip4.DstIP, p.ip4.Id, p.ip4.Payload)
	case p.ip6 != nil:
		return fmt.Sprintf("%v>%v %x", p.ip6.SrcIP, p.ip6.DstIP, p.ip6.Payload)
	}
	return ""
}

// TestRouterDecrementsTTL: a TCP transfer through a router, over IPv4 and
// IPv6. Every packet the client sends appears on the server's link with the
// same payload and a TTL (hop limit) one lower, and the other way round.
func TestRouterDecrementsTTL(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprint("ipv6=", v6), func(t *testing.T) {
			tp := newTopo(t, netsim.Options{})
			nodes, _ := chain(tp, netsim.LinkConfig{}, netsim.LinkConfig{})
			addr := "10.0.1.2:7000"
			if v6 {
				addr = "[fd00:0:0:1::2]:7000"
			}
			transfer(t, tp.n, nodes[0], nodes[2], "tcp", addr, 30000, nil)
			tp.run()
			ttl := func(p packet) int {
				if p.ip4 != nil {
					return int(p.ip4.TTL)
				}
				if p.ip6 != nil && p.icmp6 == nil {
					return int(p.ip6.HopLimit)
				}
				return -1
			}
			matched := 0
			src := func(p packet) string {
				if p.ip4 != nil {
					return p.ip4.SrcIP.String()
				}
				return p.ip6.SrcIP.String()
			}
			for _, dir := range []struct{ first, second, from string }{
				{"client-r1", "r1-server", map[bool]string{false: "10.0.0.1", true: "fd00::1"}[v6]},
				{"r1-server", "client-r1", map[bool]string{false: "10.0.1.2", true: "fd00:0:0:1::2"}[v6]},
			} {
				later := map[string]int{}
				for _, p := range tp.on(dir.second) {
					if ttl(p) >= 0 && p.tcp != nil {
						later[ipKey(p)] = ttl(p)
					}
				}
				for _, p := range tp.on(dir.first) {
					if ttl(p) < 0 || p.tcp == nil || src(p) != dir.from {
						continue
					}
					if ttl(p) != 64 {
						t.Errorf("%v: sent with TTL %d, want 64", p, ttl(p))
					}
					got, ok := later[ipKey(p)]
					if !ok {
						t.Errorf("%v: not forwarded onto %s", p, dir.second)
						continue
					}
					if got != ttl(p)-1 {
						t.Errorf("%v: TTL %d on %s, %d on %s; want one less", p, ttl(p), dir.first, got, dir.second)
					}
					matched++
				}
			}
			if matched < 30 {
				t.Errorf("only %d packets found on both links", matched)
			}
			t.Logf("%d packets seen on both links, each with its TTL one lower on the second", matched)
		})
	}
}

// udpErr sends one datagram on a UDP socket connected to addr and returns
// the error of a read that follows (with a virtual deadline of 2 s).
func udpErr(t *testing.T, n *netsim.Network, h *netsim.Host, network, addr string) *error {
	t.Helper()
	res := new(error)
	n.Go(func() {
		c, err := h.Dial(network, addr)
		if err != nil {
			*res = err
			return
		}
		defer c.Close()
		if _, err := c.Write([]byte("ping")); err != nil {
			*res = err
			return
		}
		c.SetReadDeadline(n.Now().Add(2 * time.Second))
		_, *res = c.Read(make([]byte, 100))
	})
	return res
}

// TestRouterICMPErrors: the router's and the far host's ICMP errors reach
// the sender through the router: port unreachable from the server, network
// unreachable from the router for a subnet it has no route to, and time
// exceeded when a routing loop between two routers uses up the TTL.
func TestRouterICMPErrors(t *testing.T) {
	// err is what the socket reports: gVisor's UDP reports only port
	// unreachable (gvisor.dev/issues/5270: Linux would report "network is
	// unreachable" on a connected UDP socket too), its TCP the others as
	// well; time exceeded is a soft error for TCP, on Linux too: the SYN is
	// sent again (and again answered) until the dial times out.
	for _, c := range []struct {
		name, network, addr string
		icmp4               layers.ICMPv4TypeCode
		icmp6               layers.ICMPv6TypeCode
		from                string
		err                 string
	}{
		{"port", "udp4", "10.0.2.2:9", layers.CreateICMPv4TypeCode(3, 3), 0, "10.0.2.2", "connection refused"},
		{"port6", "udp6", "[fd00:0:0:2::2]:9", 0, layers.CreateICMPv6TypeCode(1, 4), "fd00:0:0:2::2", "connection refused"},
		{"noroute", "udp4", "10.0.99.1:9", layers.CreateICMPv4TypeCode(3, 0), 0, "10.0.0.2", "i/o timeout"},
		{"noroute6", "udp6", "[fd00:0:0:99::1]:9", 0, layers.CreateICMPv6TypeCode(1, 0), "fd00::2", "i/o timeout"},
		{"loop", "udp4", "10.0.77.1:9", layers.CreateICMPv4TypeCode(11, 0), 0, "", "i/o timeout"},
		{"loop6", "udp6", "[fd00:0:0:77::1]:9", 0, layers.CreateICMPv6TypeCode(3, 0), "", "i/o timeout"},
		{"tcp-port", "tcp4", "10.0.2.2:9", 0, 0, "", "connection refused"},
		{"tcp-noroute", "tcp4", "10.0.99.1:9", layers.CreateICMPv4TypeCode(3, 0), 0, "10.0.0.2", "network is unreachable"},
		{"tcp-noroute6", "tcp6", "[fd00:0:0:99::1]:9", 0, layers.CreateICMPv6TypeCode(1, 0), "fd00::2", "network is unreachable"},
		{"tcp-loop", "tcp4", "10.0.77.1:9", layers.CreateICMPv4TypeCode(11, 0), 0, "", "timed out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := newTopo(t, netsim.Options{})
			nodes, _ := chain(tp, netsim.LinkConfig{}, netsim.LinkConfig{}, netsim.LinkConfig{})
			client, r1, r2 := nodes[0], nodes[1], nodes[2]
			// The client's default route is r1; a routing loop for
			// 10.0.77.0/24 runs between r1 and r2.
			for _, r := range []struct {
				h        *netsim.Host
				dst, via string
			}{
				{client, "default", "10.0.0.2"}, {client, "default6", "fd00::2"},
				{r1, "10.0.77.0/24", "10.0.1.2"}, {r2, "10.0.77.0/24", "10.0.1.1"},
				{r1, "fd00:0:0:77::/64", "fd00:0:0:1::2"}, {r2, "fd00:0:0:77::/64", "fd00:0:0:1::1"},
			} {
				if err := r.h.AddRoute(r.dst, r.via); err != nil {
					t.Fatal(err)
				}
			}
			var res *error
			if strings.HasPrefix(c.network, "udp") {
				res = udpErr(t, tp.n, client, c.network, c.addr)
			} else {
				res = new(error)
				tp.n.Go(func() {
					conn, err := client.Dial(c.network, c.addr)
					if err == nil {
						conn.Close()
					}
					*res = err
				})
			}
			tp.run()
			var icmp []packet
			for _, p := range tp.on("client-r1") {
				if (p.icmp4 != nil && c.icmp4 != 0) || (p.icmp6 != nil && c.icmp6 != 0 && p.icmp6.TypeCode.Type() < 128) {
					icmp = append(icmp, p)
				}
			}
			if *res == nil || !strings.Contains((*res).Error(), c.err) {
				t.Errorf("the socket reports %v, want %q", *res, c.err)
			}
			if c.icmp4 == 0 && c.icmp6 == 0 {
				return
			}
			syns := 0
			for _, p := range tp.on("client-r1") {
				if p.tcp != nil && p.tcp.SYN {
					syns++
				}
			}
			if want := max(syns, 1); len(icmp) != want {
				t.Fatalf("ICMP errors on the client's link: %v, want %d (one per datagram or SYN)", icmp, want)
			}
			for _, p := range icmp {
				switch {
				case p.icmp4 != nil:
					if p.icmp4.TypeCode != c.icmp4 || p.ip4.DstIP.String() != "10.0.0.1" || (c.from != "" && p.ip4.SrcIP.String() != c.from) {
						t.Errorf("got %v from %v to %v, want %v from %q", p.icmp4.TypeCode, p.ip4.SrcIP, p.ip4.DstIP, c.icmp4, c.from)
					}
				default:
					if p.icmp6.TypeCode != c.icmp6 || p.ip6.DstIP.String() != "fd00::1" || (c.from != "" && p.ip6.SrcIP.String() != c.from) {
						t.Errorf("got %v from %v to %v, want %v from %q", p.icmp6.TypeCode, p.ip6.SrcIP, p.ip6.DstIP, c.icmp6, c.from)
					}
				}
			}
			what := fmt.Sprint(c.icmp4)
			if c.icmp6 != 0 {
				what = fmt.Sprint(c.icmp6)
			}
			t.Logf("%s: %d× %s from %s; the socket: %v", c.name, len(icmp), what, icmp[0].p.NetworkLayer().NetworkFlow().Src(), *res)
		})
	}
}

// TestPathMTU: a 1280-byte link between two routers on a path of 1500-byte
// links. The endpoints' MSS (1460, 1440) fits their own links, not the
// middle one: their first full-sized segments, sent with DF (IPv6 never
// fragments in routers), are answered by the first router with
// fragmentation needed (IPv4) or packet too big (IPv6) carrying MTU 1280;
// TCP lowers its segment size, and the data arrive intact.
func TestPathMTU(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprint("ipv6=", v6), func(t *testing.T) {
			tp := newTopo(t, netsim.Options{})
			nodes, _ := chain(tp, netsim.LinkConfig{}, netsim.LinkConfig{MTU: 1280}, netsim.LinkConfig{})
			addr := "10.0.2.2:7000"
			if v6 {
				addr = "[fd00:0:0:2::2]:7000"
			}
			const size = 100_000
			transfer(t, tp.n, nodes[0], nodes[3], "tcp", addr, size, nil)
			tp.run()
			var tooBig []packet
			var first, firstSmall packet
			ipLen := func(p packet) int { return len(p.data) - 14 }
			for _, p := range tp.on("client-r1") {
				if p.icmp4 != nil && p.icmp4.TypeCode == layers.CreateICMPv4TypeCode(3, 4) ||
					p.icmp6 != nil && p.icmp6.TypeCode.Type() == layers.ICMPv6TypePacketTooBig {
					tooBig = append(tooBig, p)
				}
				if p.tcp != nil && len(p.tcp.Payload) > 0 && p.tcp.SrcPort != 7000 {
					if first.p == nil {
						first = p
					}
					if ipLen(p) <= 1280 && firstSmall.p == nil && len(tooBig) > 0 {
						firstSmall = p
					}
					if len(tooBig) > 0 && ipLen(p) > 1280 && p.at > tooBig[0].at+time.Millisecond {
						t.Errorf("%v: %d bytes of IP long after the ICMP error", p, ipLen(p))
					}
				}
				if p.ip4 != nil && p.ip4.SrcIP.String() == "10.0.0.1" && p.tcp != nil && p.ip4.Flags&layers.IPv4DontFragment == 0 {
					t.Errorf("%v: TCP without DF", p)
				}
			}
			if len(tooBig) == 0 {
				t.Fatalf("no ICMP fragmentation needed / packet too big on the client's link")
			}
			mtu := 0
			if p := tooBig[0]; p.icmp4 != nil {
				mtu = int(p.icmp4.Seq) // the next-hop MTU is in the low 16 bits of the rest of the header
				if p.ip4.SrcIP.String() != "10.0.0.2" {
					t.Errorf("fragmentation needed from %v, want the first router", p.ip4.SrcIP)
				}
			} else {
				mtu = int(binary.BigEndian.Uint32(p.data[14+40+4:])) // after type, code and checksum
				if p.ip6.SrcIP.String() != "fd00::2" {
					t.Errorf("packet too big from %v, want the first router", p.ip6.SrcIP)
				}
			}
			if mtu != 1280 {
				t.Errorf("the ICMP error gives MTU %d, want 1280", mtu)
			}
			if ipLen(first) <= 1280 {
				t.Errorf("the first data segment has %d bytes of IP: the path MTU was not discovered", ipLen(first))
			}
			// Nothing was fragmented: no packet larger than 1280 crossed the
			// middle link.
			for _, p := range tp.on("r1-r2") {
				if ipLen(p) > 1280 {
					t.Errorf("%v: %d bytes of IP on the 1280-byte link", p, ipLen(p))
				}
				if p.ip4 != nil && (p.ip4.Flags&layers.IPv4MoreFragments != 0 || p.ip4.FragOffset != 0) {
					t.Errorf("%v: a fragment", p)
				}
			}
			t.Logf("%d ICMP errors (MTU %d), first data segment %d bytes of IP, after the error %v", len(tooBig), mtu, ipLen(first), firstSmall)
		})
	}
}

// TestIPv6EndToEnd: TCP and UDP over IPv6 between two hosts on a link. The
// client solicits the server's address (to its solicited-node multicast
// group), the server advertises it, and only then does the SYN go out.
func TestIPv6EndToEnd(t *testing.T) {
	tp := newTopo(t, netsim.Options{})
	a, b := tp.host("a"), tp.host("b")
	tp.connect("a-b", a.Iface("eth0", "fd00::1/64"), b.Iface("eth0", "fd00::2/64"))
	transfer(t, tp.n, a, b, "tcp6", "[fd00::2]:7000", 50000, nil)
	pc, err := b.ListenPacket("udp6", "[fd00::2]:53")
	if err != nil {
		t.Fatal(err)
	}
	tp.n.Go(func() {
		buf := make([]byte, 100)
		k, from, err := pc.ReadFrom(buf)
		if err != nil {
			t.Errorf("ReadFrom: %v", err)
			return
		}
		pc.WriteTo(buf[:k], from)
		pc.Close()
	})
	tp.n.Go(func() {
		tp.n.Sleep(time.Second)
		c, err := a.Dial("udp", "b:53") // names resolve inside the network
		if err != nil {
			t.Errorf("Dial udp b:53: %v", err)
			return
		}
		defer c.Close()
		c.Write([]byte("hello"))
		buf := make([]byte, 100)
		k, err := c.Read(buf)
		if err != nil || string(buf[:k]) != "hello" {
			t.Errorf("UDP echo over IPv6: %q, %v", buf[:k], err)
		}
		if ra := c.RemoteAddr().String(); ra != "[fd00::2]:53" {
			t.Errorf("b resolved to %s, want [fd00::2]:53", ra)
		}
	})
	tp.run()
	var order []string
	for _, p := range tp.on("a-b") {
		switch {
		case p.ip4 != nil || p.arp != nil:
			t.Errorf("%v: IPv4 or ARP on an IPv6-only link", p)
		case p.icmp6 != nil && p.icmp6.TypeCode.Type() == layers.ICMPv6TypeNeighborSolicitation:
			if dst := p.ip6.DstIP.String(); dst != "ff02::1:ff00:2" && len(order) == 0 {
				t.Errorf("the first neighbour solicitation went to %s, want the solicited-node group ff02::1:ff00:2", dst)
			}
			order = append(order, "NS")
		case p.icmp6 != nil && p.icmp6.TypeCode.Type() == layers.ICMPv6TypeNeighborAdvertisement:
			order = append(order, "NA")
		case p.tcp != nil && p.tcp.SYN && !p.tcp.ACK:
			order = append(order, "SYN")
		case p.udp != nil:
			order = append(order, "UDP")
		}
	}
	if len(order) < 3 || order[0] != "NS" || order[1] != "NA" || order[2] != "SYN" {
		t.Errorf("on the link: %v, want NS, NA, SYN first", order)
	}
	t.Logf("%v", order)
}

// TestPartition: the link goes down from t=1s to t=3s in the middle of a
// transfer (set with Network.At). Every frame sent in that window is lost
// and says so; TCP retransmits after the link comes back, and the data
// arrive intact.
func TestPartition(t *testing.T) {
	tp := newTopo(t, netsim.Options{})
	a, b := tp.host("a"), tp.host("b")
	up := netsim.LinkConfig{Delay: 10 * time.Millisecond, Rate: 1_000_000}
	l := tp.connect("a-b", a.Iface("eth0", "10.0.0.1/24"), b.Iface("eth0", "10.0.0.2/24"), up)
	down := up
	down.Down = true
	tp.n.At(time.Second, func() {
		if err := l.Set(down, down); err != nil {
			t.Error(err)
		}
	})
	tp.n.At(3*time.Second, func() {
		if err := l.Set(up, up); err != nil {
			t.Error(err)
		}
	})
	var end time.Duration
	transfer(t, tp.n, a, b, "tcp", "10.0.0.2:7000", 300_000, func(d time.Duration) { end = d })
	tp.run()
	if end < 3*time.Second {
		t.Errorf("the transfer ended at %v, inside or before the partition", end)
	}
	lost, firstAfter := 0, time.Duration(0)
	for _, p := range tp.on("a-b") {
		in := p.at >= time.Second && p.at < 3*time.Second
		isLost := strings.Contains(p.note, "lost: link down on a-b")
		if in != isLost {
			t.Errorf("%v: at %v, noted %q", p, p.at, p.note)
		}
		if isLost {
			lost++
		}
		if p.at >= 3*time.Second && firstAfter == 0 {
			firstAfter = p.at
		}
	}
	ab, ba := l.Stats()
	if lost == 0 || ab.Lost+ba.Lost != lost {
		t.Errorf("%d frames noted lost, Link.Stats %d+%d", lost, ab.Lost, ba.Lost)
	}
	t.Logf("%d frames lost in the partition; first frame after it at %v; transfer done at %v", lost, firstAfter, end)
}

// TestIPv6DAD: with Options.IPv6DAD an address is tentative for one second
// of virtual time (one probe, one retransmit timer). gVisor does not let a
// socket use a tentative address: a dial in that second fails at once with
// "network is unreachable" (as the design notes say). A dial after it
// succeeds. The probes (neighbour solicitations from ::) come
// first in the capture, and the wait costs no wall time.
func TestIPv6DAD(t *testing.T) {
	tp := newTopo(t, netsim.Options{IPv6DAD: true})
	a, b := tp.host("a"), tp.host("b")
	tp.connect("a-b", a.Iface("eth0", "fd00::1/64"), b.Iface("eth0", "fd00::2/64"))
	ln, err := b.Listen("tcp6", ":7000")
	if err != nil {
		t.Fatal(err)
	}
	tp.n.Go(func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		ln.Close()
	})
	var early error
	var earlyAt, okAt time.Duration
	wall := time.Now()
	tp.n.Go(func() {
		c, err := a.Dial("tcp6", "[fd00::2]:7000")
		early, earlyAt = err, tp.n.Now().Sub(netsim.DefaultStart)
		if err == nil {
			c.Close()
		}
		tp.n.Sleep(1100 * time.Millisecond)
		c, err = a.Dial("tcp6", "[fd00::2]:7000")
		okAt = tp.n.Now().Sub(netsim.DefaultStart)
		if err != nil {
			t.Errorf("Dial after DAD: %v", err)
			return
		}
		c.Close()
	})
	tp.run()
	if early == nil || !strings.Contains(early.Error(), "network is unreachable") {
		t.Errorf("Dial during DAD: %v, want network is unreachable", early)
	}
	if earlyAt > time.Millisecond {
		t.Errorf("the failed dial returned at %v, want at once", earlyAt)
	}
	var probes []string
	for _, p := range tp.on("a-b") {
		if p.icmp6 != nil && p.icmp6.TypeCode.Type() == layers.ICMPv6TypeNeighborSolicitation && p.ip6.SrcIP.IsUnspecified() {
			probes = append(probes, fmt.Sprint(p.at))
		}
		if p.tcp != nil && p.tcp.SYN && p.at < time.Second {
			t.Errorf("%v: a SYN before DAD completed", p)
		}
	}
	if len(probes) != 2 {
		t.Errorf("DAD probes (NS from ::) at %v, want one per host", probes)
	}
	t.Logf("dial at 0: %v (returned at %v); DAD probes at %v; dial at %v succeeded; %v of wall time", early, earlyAt, probes, okAt, time.Since(wall))
}

// TestTopologyErrors: bad input to Iface, Connect, AddRoute, AddSwitch and
// Link.Set gives an error that says what is wrong, never a panic, and
// leaves the network usable.
func TestTopologyErrors(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a, _ := n.AddHost("a")
	b, _ := n.AddHost("b")
	sw, _ := n.AddSwitch("sw")
	other, _ := netsim.New(netsim.Options{})
	defer other.Close()
	stranger, _ := other.AddHost("x")
	otherSw, _ := other.AddSwitch("osw")
	if _, err := n.Connect("ok", a.Iface("eth0", "10.0.0.1/24", "fd00::1/64"), b.Iface("eth0", "10.0.0.2/24")); err != nil {
		t.Fatal(err)
	}
	connectErrs := []struct {
		name string
		a, b netsim.End
		cfg  []netsim.LinkConfig
		want string
	}{
		{"l1", a.Iface("eth1", "10.0.1.1"), b.Iface("eth1"), nil, "CIDR"},
		{"l2", a.Iface("eth1", "nonsense/24"), b.Iface("eth1"), nil, "CIDR"},
		{"l3", a.Iface("eth1", "10.0.1.1/33"), b.Iface("eth1"), nil, "CIDR"},
		{"l4", netsim.End{}, b.Iface("eth1"), nil, "neither"},
		{"l5", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{}, {}, {}}, "3 link configs"},
		{"ok", a.Iface("eth1"), b.Iface("eth1"), nil, "taken"},
		{"a", a.Iface("eth1"), b.Iface("eth1"), nil, "taken"},
		{"", a.Iface("eth1"), b.Iface("eth1"), nil, "empty"},
		{"l6", a.Iface("eth0"), b.Iface("eth1"), nil, "interface eth0 already"},
		{"l7", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{Loss: 2}}, "link l7 a→b: LinkConfig.Loss: 2 is not between 0 and 1"},
		{"l8", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{MTU: 100}}, "LinkConfig.MTU: 100 is out of range 576-65535"},
		{"l9", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{}, {Delay: -time.Second}}, "link l9 b→a: LinkConfig.Delay: -1s is negative"},
		{"l10", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{Jitter: 1 << 62}}, "LinkConfig.Jitter"},
		{"l11", a.Iface("eth1"), b.Iface("eth1"), []netsim.LinkConfig{{Loss: 0.9, LossBurst: 5}}, "LinkConfig.Loss: 0.9 is more than bursts of 5 frames on average (LossBurst) can lose: at most 5 in 6"},
		{"l13", a.Iface("eth1", "10.0.5.1/24"), a.Iface("eth1", "10.0.5.2/24"), nil, "both ends"},
		{"l14", a.Iface("eth1", "10.0.5.1/24"), stranger.Iface("eth0"), nil, "another network"},
		{"l15", a.Iface("eth1", "10.0.5.1/24"), otherSw.Port(), nil, "another network"},
		{"l16", a.Iface("eth1", "10.0.5.1/24"), b.Iface("eth0"), nil, "host b has an interface eth0 already"},
		{"l17", sw.Port(), b.Iface("eth0"), nil, "host b has an interface eth0 already"},
		// The same address on both ends, twice on one host, or on two
		// hosts of one switch; interface names and addresses that no
		// interface can have.
		{"l18", a.Iface("eth1", "10.0.7.1/24"), b.Iface("eth1", "10.0.7.1/24"), nil, "address 10.0.7.1 is on both ends (host a eth1 and host b eth1)"},
		{"l19", a.Iface("eth1", "10.0.0.1/16"), b.Iface("eth1", "10.0.8.2/16"), nil, "address 10.0.0.1 of host a eth1: host a has it on interface eth0 already"},
		{"l20", a.Iface("eth1", "10.0.9.1/24", "10.0.9.1/24"), b.Iface("eth1"), nil, "address 10.0.9.1 given twice"},
		{"l21", a.Iface("", "10.0.9.1/24"), b.Iface("eth1"), nil, "empty interface name"},
		{"l22", a.Iface("lo", "10.0.9.1/24"), b.Iface("eth1"), nil, "lo is the loopback's name"},
		{"l23", a.Iface("eth1", "224.0.0.1/24"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l24", a.Iface("eth1", "0.0.0.0/8"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l25", a.Iface("eth1", "127.0.0.2/8"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l26", a.Iface("eth1", "::/64"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l27", a.Iface("eth1", "ff02::1/64"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l28", a.Iface("eth1", "255.255.255.255/32"), b.Iface("eth1"), nil, "not a unicast address"},
		{"l29", a.Iface("eth1", "::ffff:10.0.9.1/120"), b.Iface("eth1"), nil, "IPv4-mapped"},
		{"l30", a.Iface("eth1", "fd00::1/64"), b.Iface("eth1"), nil, "host a has it on interface eth0 already"},
	}
	for _, c := range connectErrs {
		var l *netsim.Link
		var err error
		func() {
			defer func() {
				if e := recover(); e != nil {
					t.Errorf("Connect %q (%s): panic: %v", c.name, c.want, e)
				}
			}()
			l, err = n.Connect(c.name, c.a, c.b, c.cfg...)
		}()
		if err == nil {
			t.Errorf("Connect %q: no error, want one about %q", c.name, c.want)
			continue
		}
		if l != nil {
			t.Errorf("Connect %q: a link with the error", c.name)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Connect %q: %v, want it to mention %q", c.name, err, c.want)
		}
		if !strings.HasPrefix(err.Error(), "netsim: ") {
			t.Errorf("Connect %q: %v, want the netsim: prefix", c.name, err)
		}
	}
	routeErrs := []struct{ dst, via, want string }{
		{"10.1.0.0/16", "10.9.9.9", "none of its subnets"},
		{"10.1.0.0/16", "fd00::9", "families"},
		{"fd01::/64", "10.0.0.9", "families"},
		{"10.1.0.0", "10.0.0.9", "CIDR"},
		{"", "10.0.0.9", "CIDR"},
		{"default", "nonsense", "not an IP address"},
		{"default", "", "not an IP address"},
		{"default", "10.0.0.1", "10.0.0.1"}, // its own address: Linux says "invalid gateway"
		{"default6", "fd00::1", "fd00::1"},  // likewise
	}
	for _, c := range routeErrs {
		err := a.AddRoute(c.dst, c.via)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddRoute(%q, %q): %v, want an error mentioning %q", c.dst, c.via, err, c.want)
		}
	}
	if err := a.AddRoute("default", "10.0.0.2"); err != nil {
		t.Errorf("AddRoute(default, 10.0.0.2): %v", err)
	}
	for _, name := range []string{"", "a", "ok", "sw"} {
		if _, err := n.AddSwitch(name); err == nil {
			t.Errorf("AddSwitch(%q): no error", name)
		}
	}
	l := n.Link("ok")
	if l == nil || n.Link("nope") != nil || n.Link("a:lo") == nil || n.Link("zz:lo") != nil {
		t.Errorf("Link lookups: ok %v, nope %v, a:lo %v, zz:lo %v", l, n.Link("nope"), n.Link("a:lo"), n.Link("zz:lo"))
	}
	if err := l.Set(netsim.LinkConfig{Loss: -1}, netsim.LinkConfig{}); err == nil || !strings.Contains(err.Error(), "link ok a→b: LinkConfig.Loss: -1 is not between 0 and 1") {
		t.Errorf("Set with loss -1: %v", err)
	}
	if err := l.Set(netsim.LinkConfig{}, netsim.LinkConfig{Reorder: 7}); err == nil || !strings.Contains(err.Error(), "link ok b→a: LinkConfig.Reorder: 7 is not between 0 and 1") {
		t.Errorf("Set with reorder 7: %v", err)
	}
	if got := len(n.Links()); got != 1 {
		t.Errorf("%d links after the failed Connects, want 1", got)
	}
	// A failed Connect leaves nothing behind: a's eth1 (named in most of
	// them) is free, and the switch has no port.
	if _, err := n.Connect("again", a.Iface("eth1", "10.0.6.1/24"), sw.Port()); err != nil {
		t.Errorf("Connect after the failed ones: %v", err)
	}
	if got := a.Addrs(); len(got) != 3 {
		t.Errorf("a's addresses: %v, want those of eth0 and eth1 only", got)
	}
	// The network still works after all that.
	transfer(t, n, a, b, "tcp", "10.0.0.2:7000", 1000, nil)
	if err := n.Run(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestFailedConnectLeavesNoTrace: a Connect that fails half-way (its second
// end is bad) neither leaves an interface on the first end's host, which
// would route to a link that does not exist, nor a link in the capture.
func TestFailedConnectLeavesNoTrace(t *testing.T) {
	tp := newTopo(t, netsim.Options{})
	a, b := tp.host("a"), tp.host("b")
	tp.connect("a-b", a.Iface("eth0", "10.0.0.1/24"), b.Iface("eth0", "10.0.0.2/24"))
	if _, err := tp.n.Connect("bad", a.Iface("eth1", "10.0.5.1/24"), b.Iface("eth0", "10.0.5.2/24")); err == nil {
		t.Fatal("Connect to b's eth0 a second time: no error")
	}
	// Were a's eth1 left behind, 10.0.5.0/24 would route to it.
	errp := udpErr(t, tp.n, a, "udp", "10.0.5.2:9")
	tp.run()
	if *errp == nil || !strings.Contains((*errp).Error(), "unreachable") {
		t.Errorf("UDP to 10.0.5.2: %v, want network is unreachable (no route)", *errp)
	}
	if want := "a:lo b:lo a-b"; strings.Join(tp.ifaces, " ") != want {
		t.Errorf("capture interfaces %q, want %q", tp.ifaces, want)
	}
}

// TestRouterKeepsCorruptedChecksum: a router forwards a frame corrupted on
// the link before it with its transport checksum untouched (bad), as a real
// router does, and the far host drops it: the data arrive intact. gVisor's
// forwarding recomputes the checksum unless the outgoing NIC offloads it;
// netsim's ports do, and compute their own host's checksums themselves.
func TestRouterKeepsCorruptedChecksum(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprint("ipv6=", v6), func(t *testing.T) {
			tp := newTopo(t, netsim.Options{Seed: 3})
			bad := netsim.LinkConfig{Delay: time.Millisecond, Corrupt: 0.05}
			nodes, _ := chain(tp, bad, netsim.LinkConfig{Delay: time.Millisecond})
			addr := "10.0.1.2:7000"
			if v6 {
				addr = "[fd00:0:0:1::2]:7000"
			}
			transfer(t, tp.n, nodes[0], nodes[2], "tcp", addr, 200_000, nil)
			tp.run()
			later := map[string]bool{}
			for _, p := range tp.on("r1-server") {
				later[ipKey(p)] = true
			}
			forwarded := 0
			for _, p := range tp.on("client-r1") {
				if !strings.Contains(p.note, "corrupted") || p.tcp == nil {
					continue
				}
				if src := ipKey(p); strings.HasPrefix(src, map[bool]string{false: "10.0.0.1>", true: "fd00::1>"}[v6]) {
					if !later[src] {
						t.Errorf("%v: corrupted on client-r1, not forwarded onto r1-server with the same transport bytes and checksum", p)
					}
					forwarded++
				}
			}
			if forwarded < 3 {
				t.Errorf("only %d corrupted TCP frames from the client: the test proves nothing", forwarded)
			}
			t.Logf("%d frames corrupted on client-r1 forwarded onto r1-server with their bad checksum", forwarded)
		})
	}
}

// TestFragmentedUDPThroughRouter: UDP datagrams larger than the MTU, from
// the client through the router and from the router itself, are fragmented
// by their sender and arrive whole and intact: the sending port computes the
// checksum over the whole datagram into the first fragment, and the router
// forwards fragments untouched.
func TestFragmentedUDPThroughRouter(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprint("ipv6=", v6), func(t *testing.T) {
			tp := newTopo(t, netsim.Options{})
			nodes, _ := chain(tp, netsim.LinkConfig{}, netsim.LinkConfig{})
			addr := "10.0.1.2:7001"
			if v6 {
				addr = "[fd00:0:0:1::2]:7001"
			}
			pc, err := nodes[2].ListenPacket("udp", ":7001")
			if err != nil {
				t.Fatal(err)
			}
			const size, each = 4000, 3
			want := map[string]bool{}
			got := 0
			tp.n.Go(func() {
				defer pc.Close()
				buf := make([]byte, 65536)
				for got < 2*each {
					pc.SetReadDeadline(tp.n.Now().Add(5 * time.Second))
					k, _, err := pc.ReadFrom(buf)
					if err != nil {
						t.Errorf("server: %v after %d datagrams", err, got)
						return
					}
					if !want[string(buf[:k])] {
						t.Errorf("server: a datagram of %d bytes that nobody sent", k)
					}
					got++
				}
			})
			for i, h := range nodes[:2] {
				msgs := make([][]byte, each)
				for j := range msgs {
					msgs[j] = bytes.Repeat([]byte{byte(10*i + j + 1)}, size)
					want[string(msgs[j])] = true
				}
				tp.n.Go(func() {
					c, err := h.Dial("udp", addr)
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					for _, m := range msgs {
						if _, err := c.Write(m); err != nil {
							t.Error(err)
						}
					}
				})
			}
			tp.run()
			if got != 2*each {
				t.Errorf("%d of %d datagrams arrived", got, 2*each)
			}
			frags := 0
			for _, p := range tp.on("r1-server") {
				if p.ip4 != nil && (p.ip4.Flags&layers.IPv4MoreFragments != 0 || p.ip4.FragOffset != 0) ||
					p.p.Layer(layers.LayerTypeIPv6Fragment) != nil {
					frags++
				}
			}
			if frags < 2*each*3 {
				t.Errorf("%d fragments on r1-server, want %d", frags, 2*each*3)
			}
		})
	}
}
