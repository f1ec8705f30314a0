// Package corpus generates the deterministic captures that netsim's
// display-filter engine is tested against tshark with: TCP streams with
// handshakes, data, retransmissions, duplicate ACKs, lost and out-of-order
// segments, window updates, resets and port reuse; UDP, ARP, ICMP, ICMPv6,
// IPv6 and IPv4 fragments; classic pcap in both byte orders and both
// timestamp resolutions, pcapng with several interfaces and comments, and
// the Ethernet, raw IP, Linux cooked and BSD loopback link types.
package corpus

import (
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one generated frame: its link-layer bytes and time.
type Packet struct {
	Time    int64 // ns since the epoch
	Data    []byte
	Iface   int
	Comment string
}

// link says how to frame an IP packet.
type link int

const (
	linkEth link = iota
	linkRaw
	linkSLL
	linkNull
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	macC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0c}
)

// builder accumulates packets with increasing timestamps.
type builder struct {
	link  link
	now   int64
	pkts  []Packet
	iface int
}

func newBuilder(l link, start int64) *builder { return &builder{link: l, now: start} }

// tick advances the clock by us microseconds.
func (b *builder) tick(us int64) { b.now += us * 1000 }

func (b *builder) emit(data []byte) {
	b.pkts = append(b.pkts, Packet{Time: b.now, Data: data, Iface: b.iface})
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// frame wraps network-layer layers in the builder's link layer.
func (b *builder) frame(v6 bool, ls ...gopacket.SerializableLayer) []byte {
	var head []gopacket.SerializableLayer
	et := layers.EthernetTypeIPv4
	if v6 {
		et = layers.EthernetTypeIPv6
	}
	switch b.link {
	case linkEth:
		head = append(head, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et})
	case linkSLL:
		return append(sllHeader(uint16(et)), serialize(ls...)...)
	case linkNull:
		fam := []byte{2, 0, 0, 0}
		if v6 {
			fam = []byte{30, 0, 0, 0}
		}
		return append(fam, serialize(ls...)...)
	}
	return serialize(append(head, ls...)...)
}

func sllHeader(proto uint16) []byte {
	h := []byte{0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 0x0a, 0, 0}
	return append(h, byte(proto>>8), byte(proto))
}

// tcpSide is one endpoint of a TCP connection.
type tcpSide struct {
	ip   net.IP
	port uint16
	seq  uint32
	win  uint16
}

type conn struct {
	b      *builder
	c, s   tcpSide
	ttl    uint8
	ipid   uint16
	ts     bool
	v6     bool
	tsBase uint32
}

// seg sends one segment from the client (fromClient) or the server.
func (k *conn) seg(fromClient bool, flags string, payload []byte, opts ...layers.TCPOption) {
	src, dst := &k.c, &k.s
	if !fromClient {
		src, dst = &k.s, &k.c
	}
	t := &layers.TCP{SrcPort: layers.TCPPort(src.port), DstPort: layers.TCPPort(dst.port), Seq: src.seq, Window: src.win}
	for _, f := range flags {
		switch f {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		case 'U':
			t.URG = true
			t.Urgent = 1
		case 'E':
			t.ECE = true
		case 'C':
			t.CWR = true
		}
	}
	if t.ACK {
		t.Ack = dst.seq
	}
	t.Options = opts
	if k.ts && len(opts) == 0 {
		k.tsBase += 7
		t.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			tsOpt(k.tsBase, k.tsBase-3),
		}
	}
	k.emitTCP(src, dst, t, payload)
	src.seq += uint32(len(payload))
	if t.SYN || t.FIN {
		src.seq++
	}
}

func (k *conn) emitTCP(src, dst *tcpSide, t *layers.TCP, payload []byte) {
	k.ipid++
	if k.v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.ip, DstIP: dst.ip}
		t.SetNetworkLayerForChecksum(ip)
		k.b.emit(k.b.frame(true, ip, t, gopacket.Payload(payload)))
		return
	}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: k.ttl, Id: k.ipid, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: src.ip, DstIP: dst.ip}
	t.SetNetworkLayerForChecksum(ip)
	k.b.emit(k.b.frame(false, ip, t, gopacket.Payload(payload)))
}

func tsOpt(val, ecr uint32) layers.TCPOption {
	d := []byte{byte(val >> 24), byte(val >> 16), byte(val >> 8), byte(val), byte(ecr >> 24), byte(ecr >> 16), byte(ecr >> 8), byte(ecr)}
	return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: d}
}

func mssOpt(v uint16) layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{byte(v >> 8), byte(v)}}
}

func wsOpt(shift byte) layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{shift}}
}

func sackPermOpt() layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2}
}

func nop() layers.TCPOption { return layers.TCPOption{OptionType: layers.TCPOptionKindNop} }

// handshake performs SYN, SYN/ACK, ACK with Linux-like options.
func (k *conn) handshake(ws bool) {
	var synOpts, synAckOpts []layers.TCPOption
	if ws {
		synOpts = []layers.TCPOption{mssOpt(1460), sackPermOpt(), tsOpt(1000, 0), nop(), wsOpt(7)}
		synAckOpts = []layers.TCPOption{mssOpt(1400), sackPermOpt(), tsOpt(5000, 1000), nop(), wsOpt(9)}
	} else {
		synOpts = []layers.TCPOption{mssOpt(536)}
		synAckOpts = []layers.TCPOption{mssOpt(536)}
	}
	k.seg(true, "S", nil, synOpts...)
	k.b.tick(40)
	k.seg(false, "SA", nil, synAckOpts...)
	k.b.tick(30)
	k.seg(true, "A", nil)
}

// close performs FIN/ACK, FIN/ACK, ACK from the client first.
func (k *conn) close() {
	k.b.tick(100)
	k.seg(true, "FA", nil)
	k.b.tick(50)
	k.seg(false, "FA", nil)
	k.b.tick(20)
	k.seg(true, "A", nil)
}

func udpPacket(b *builder, v6 bool, src, dst net.IP, sport, dport uint16, payload []byte) {
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
		u.SetNetworkLayerForChecksum(ip)
		b.emit(b.frame(true, ip, u, gopacket.Payload(payload)))
		return
	}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(len(b.pkts) + 100), Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
	u.SetNetworkLayerForChecksum(ip)
	b.emit(b.frame(false, ip, u, gopacket.Payload(payload)))
}
