package corpus

import (
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Capture is one generated capture file.
type Capture struct {
	Name    string // file name, e.g. "tcp-mix.pcap"
	Packets []Packet
	write   func(c *Capture) []byte
}

// Bytes renders the capture file.
func (c *Capture) Bytes() []byte { return c.write(c) }

const start = int64(1700000000) * 1e9

// All returns every corpus capture.
func All() []*Capture {
	return []*Capture{tcpMix(), mixedNG(), rawNanoBE(), sllCapture(), nullCapture(), icmpErrors()}
}

func ip(s string) net.IP { return net.ParseIP(s) }

func v4(s string) net.IP { return net.ParseIP(s).To4() }

// tcpMix: Ethernet, microsecond little-endian pcap, many TCP situations.
func tcpMix() *Capture {
	b := newBuilder(linkEth, start)
	// 1. A full connection with window scaling, timestamps, data both
	// ways, a lost segment, duplicate ACKs, a fast retransmission, a
	// spurious and a plain retransmission, window updates, a zero window
	// and a keep-alive.
	k := &conn{b: b, ttl: 64, ts: true, tsBase: 2000,
		c: tcpSide{ip: v4("10.0.0.1"), port: 45001, seq: 1000000, win: 502},
		s: tcpSide{ip: v4("10.0.0.2"), port: 24000, seq: 3000000000, win: 510}}
	k.handshake(true)
	b.tick(200)
	k.seg(true, "PA", []byte("hello"))
	b.tick(50)
	k.seg(false, "A", nil)
	b.tick(100)
	k.seg(false, "PA", []byte{0x2c, 0x37, 0x42})
	b.tick(40)
	k.seg(true, "A", nil)
	data := make([]byte, 100)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	b.tick(1000)
	k.seg(true, "A", data) // seg 1
	lostSeq := k.c.seq
	k.c.seq += 100 // seg 2 is lost
	b.tick(100)
	k.seg(true, "PA", data) // seg 3: previous segment not captured
	b.tick(50)
	// Duplicate ACKs for the lost segment.
	saved := k.c.seq
	k.c.seq = lostSeq
	k.seg(false, "A", nil)
	for i := 0; i < 3; i++ {
		b.tick(10)
		k.seg(false, "A", nil)
	}
	b.tick(1000)
	k.seg(true, "A", data) // fast retransmission of seg 2
	k.c.seq = saved
	b.tick(100)
	k.seg(false, "A", nil) // acks everything
	b.tick(300000)
	k.c.seq -= 100
	k.seg(true, "PA", data) // spurious retransmission of seg 3
	b.tick(10000)
	k.seg(true, "PA", []byte("xyz")) // new data...
	b.tick(250000)
	k.c.seq -= 3
	k.seg(true, "PA", []byte("xyz")) // ...retransmitted after a timeout
	b.tick(100)
	k.seg(false, "A", nil)
	b.tick(100)
	k.s.win = 1000
	k.seg(false, "A", nil) // window update
	b.tick(100)
	k.s.win = 0
	k.seg(false, "A", nil) // zero window
	b.tick(100)
	k.s.win = 800
	k.seg(false, "A", nil) // window update
	b.tick(5000)
	k.c.seq--
	k.seg(true, "A", nil) // keep-alive
	k.c.seq++
	b.tick(100)
	k.seg(false, "A", nil) // keep-alive ACK
	k.close()

	// 2. No window scaling, URG, ECE/CWR, then a reset.
	k2 := &conn{b: b, ttl: 128, c: tcpSide{ip: v4("10.0.0.3"), port: 45002, seq: 7000, win: 8192},
		s: tcpSide{ip: v4("10.0.0.2"), port: 24001, seq: 9000, win: 16384}}
	b.tick(500)
	k2.handshake(false)
	b.tick(100)
	k2.seg(true, "PAU", []byte("!"))
	b.tick(100)
	k2.seg(false, "AE", nil)
	b.tick(100)
	k2.seg(true, "PAC", []byte("data after ecn"))
	b.tick(100)
	k2.seg(false, "RA", nil)

	// 3. A connection whose handshake was not captured.
	k3 := &conn{b: b, ttl: 64, c: tcpSide{ip: v4("10.0.0.4"), port: 45003, seq: 123456, win: 4000},
		s: tcpSide{ip: v4("10.0.0.2"), port: 24002, seq: 654321, win: 4000}}
	b.tick(700)
	k3.seg(true, "PA", []byte("mid-stream"))
	b.tick(100)
	k3.seg(false, "PA", []byte("reply"))
	b.tick(100)
	k3.seg(true, "A", nil)

	// 4. The ports of connection 2 reused with a new initial sequence.
	k2.c.seq, k2.s.seq = 500000, 600000
	b.tick(2000)
	k2.handshake(false)
	b.tick(100)
	k2.seg(true, "PA", []byte{0x2c, 0x37, 0x42})
	b.tick(100)
	k2.seg(false, "A", nil)
	k2.close()

	// 5. Odd flags: a SYN carrying an ack number, a bare RST with one, a
	// segment with no flags at all.
	k5 := &conn{b: b, ttl: 64, c: tcpSide{ip: v4("10.0.0.5"), port: 45005, seq: 42, win: 1024},
		s: tcpSide{ip: v4("10.0.0.2"), port: 24004, seq: 77, win: 1024}}
	b.tick(300)
	k5.emitTCP(&k5.c, &k5.s, &layers.TCP{SrcPort: 45005, DstPort: 24004, Seq: 42, Ack: 99, SYN: true, Window: 1024}, nil)
	b.tick(100)
	k5.emitTCP(&k5.s, &k5.c, &layers.TCP{SrcPort: 24004, DstPort: 45005, Seq: 0, Ack: 43, RST: true}, nil)
	b.tick(100)
	k5.emitTCP(&k5.c, &k5.s, &layers.TCP{SrcPort: 45005, DstPort: 24004, Seq: 43, Window: 1024}, []byte("?"))

	// 6. Out-of-order delivery.
	k6 := &conn{b: b, ttl: 64, c: tcpSide{ip: v4("10.0.0.6"), port: 45006, seq: 1, win: 2000},
		s: tcpSide{ip: v4("10.0.0.2"), port: 24005, seq: 1, win: 2000}}
	b.tick(300)
	k6.handshake(false)
	b.tick(100)
	first := k6.c.seq
	k6.c.seq += 50
	k6.seg(true, "PA", data[:50]) // second half first
	b.tick(20)
	k6.c.seq = first
	k6.seg(true, "PA", data[:50]) // first half, 20 µs later (< first RTT): out of order
	k6.c.seq += 50
	b.tick(100)
	k6.seg(false, "A", nil)
	k6.close()

	// 7. TCP over IPv6.
	k7 := &conn{b: b, v6: true, c: tcpSide{ip: ip("fd00::1"), port: 45007, seq: 1111, win: 3000},
		s: tcpSide{ip: ip("fd00::2"), port: 24003, seq: 2222, win: 3000}}
	b.tick(300)
	k7.handshake(true)
	b.tick(100)
	k7.seg(true, "PA", []byte("over ipv6"))
	b.tick(100)
	k7.seg(false, "A", nil)
	k7.close()

	// A few UDP datagrams in between.
	b.tick(100)
	udpPacket(b, false, v4("10.0.0.1"), v4("10.0.0.2"), 24001, 24000, []byte{0x2c, 0x37, 0x42})
	b.tick(100)
	udpPacket(b, false, v4("10.0.0.2"), v4("10.0.0.1"), 24000, 24001, []byte("ok"))
	return &Capture{Name: "tcp-mix.pcap", Packets: b.pkts, write: pcapWriter(false, false, 1)}
}

// mixedNG: pcapng with three interfaces (Ethernet, raw IP, Ethernet with
// nanosecond timestamps), comments, ARP, ICMP, ICMPv6, UDP over IPv4 and
// IPv6, IPv4 fragments.
func mixedNG() *Capture {
	b := newBuilder(linkEth, start+5e9)
	eth := func(src, dst net.HardwareAddr, et layers.EthernetType, ls ...gopacket.SerializableLayer) []byte {
		return serialize(append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: et}}, ls...)...)
	}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	b.emit(eth(macA, bcast, layers.EthernetTypeARP, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: 1, SourceHwAddress: macA, SourceProtAddress: v4("192.168.1.10"),
		DstHwAddress: make([]byte, 6), DstProtAddress: v4("192.168.1.1")}))
	b.pkts[len(b.pkts)-1].Comment = "who has the gateway"
	b.tick(120)
	b.emit(eth(macB, macA, layers.EthernetTypeARP, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: 2, SourceHwAddress: macB, SourceProtAddress: v4("192.168.1.1"),
		DstHwAddress: macA, DstProtAddress: v4("192.168.1.10")}))
	for i := 0; i < 2; i++ {
		b.tick(1000)
		req := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(0x100 + i), Protocol: layers.IPProtocolICMPv4, SrcIP: v4("192.168.1.10"), DstIP: v4("192.168.1.1")}
		b.emit(eth(macA, macB, layers.EthernetTypeIPv4, req, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 0x1234, Seq: uint16(i + 1)}, gopacket.Payload("pingpingping")))
		b.tick(300)
		rep := &layers.IPv4{Version: 4, IHL: 5, TTL: 63, Id: uint16(0x200 + i), Protocol: layers.IPProtocolICMPv4, SrcIP: v4("192.168.1.1"), DstIP: v4("192.168.1.10")}
		b.emit(eth(macB, macA, layers.EthernetTypeIPv4, rep, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(0, 0), Id: 0x1234, Seq: uint16(i + 1)}, gopacket.Payload("pingpingping")))
	}
	// ICMPv6 echo.
	b.tick(500)
	{
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: ip("2001:db8::10"), DstIP: ip("2001:db8::1")}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
		ic.SetNetworkLayerForChecksum(ip6)
		b.emit(eth(macA, macB, layers.EthernetTypeIPv6, ip6, ic, &layers.ICMPv6Echo{Identifier: 7, SeqNumber: 1}, gopacket.Payload("v6ping")))
	}
	// UDP, various ports and sizes, IPv4 and IPv6.
	ports := [][2]uint16{{24001, 24000}, {40000, 24010}, {24010, 40000}, {33333, 24011}, {24012, 24012}}
	for i, pp := range ports {
		b.tick(250)
		udpPacket(b, i%2 == 1, pick(i%2 == 1, "2001:db8::10", "192.168.1.10"), pick(i%2 == 1, "2001:db8::1", "192.168.1.1"), pp[0], pp[1], make([]byte, 10*i+1))
	}
	b.pkts[len(b.pkts)-1].Comment = "same port both ends"
	// A UDP datagram of 3000 bytes in three IPv4 fragments, and one whose
	// middle fragment is missing.
	for n, drop := range []bool{false, true} {
		payload := make([]byte, 3000)
		for i := range payload {
			payload[i] = byte(i)
		}
		u := &layers.UDP{SrcPort: 24020, DstPort: 24021}
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: v4("192.168.1.10"), DstIP: v4("192.168.1.20")}
		u.SetNetworkLayerForChecksum(ip4)
		whole := serialize(u, gopacket.Payload(payload)) // UDP header + data
		for off := 0; off < len(whole); off += 1480 {
			end := min(off+1480, len(whole))
			if drop && off == 1480 {
				continue
			}
			fr := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(0x4000 + n), Protocol: layers.IPProtocolUDP,
				SrcIP: ip4.SrcIP, DstIP: ip4.DstIP, FragOffset: uint16(off / 8)}
			if end < len(whole) {
				fr.Flags = layers.IPv4MoreFragments
			}
			b.tick(20)
			b.emit(eth(macA, macC, layers.EthernetTypeIPv4, fr, gopacket.Payload(whole[off:end])))
		}
	}
	// Interface 1: raw IP, a short TCP exchange and UDP.
	b.iface = 1
	b.link = linkRaw
	k := &conn{b: b, ttl: 64, c: tcpSide{ip: v4("127.0.0.1"), port: 45100, seq: 5, win: 1000},
		s: tcpSide{ip: v4("127.0.0.1"), port: 24000, seq: 9, win: 1000}}
	b.tick(100)
	k.handshake(true)
	b.tick(100)
	k.seg(true, "PA", []byte("raw ip"))
	b.tick(100)
	k.seg(false, "A", nil)
	b.tick(100)
	udpPacket(b, false, v4("127.0.0.1"), v4("127.0.0.1"), 24001, 24000, []byte{0x2c, 0x37, 0x42})
	// Interface 2: Ethernet with nanosecond timestamps.
	b.iface = 2
	b.link = linkEth
	b.tick(1)
	b.now += 123
	udpPacket(b, false, v4("10.1.0.1"), v4("10.1.0.2"), 24030, 24031, []byte("nanosecond"))
	b.now += 77
	udpPacket(b, true, ip("fe80::1"), ip("ff02::1"), 24032, 24033, []byte("multicast"))
	return &Capture{Name: "mixed.pcapng", Packets: b.pkts, write: pcapngWriter}
}

func pick(c bool, a, b string) net.IP {
	if c {
		return ip(a)
	}
	return v4(b)
}

// rawNanoBE: raw IP link type, nanosecond timestamps, big-endian.
func rawNanoBE() *Capture {
	b := newBuilder(linkRaw, start+10e9+123456789)
	k := &conn{b: b, ttl: 64, ts: true, tsBase: 10, c: tcpSide{ip: v4("172.16.0.1"), port: 45200, seq: 100, win: 65535},
		s: tcpSide{ip: v4("172.16.0.2"), port: 24000, seq: 200, win: 65535}}
	k.handshake(true)
	for i := 0; i < 3; i++ {
		b.tick(100)
		b.now += 7
		k.seg(true, "PA", []byte{0x2c, 0x37, 0x42})
		b.tick(30)
		k.seg(false, "A", nil)
	}
	k.close()
	b.tick(100)
	udpPacket(b, true, ip("fd00::a"), ip("fd00::b"), 24001, 24000, []byte("v6 raw"))
	return &Capture{Name: "raw-nano-be.pcap", Packets: b.pkts, write: pcapWriter(true, true, 101)}
}

// sllCapture: Linux cooked capture.
func sllCapture() *Capture {
	b := newBuilder(linkSLL, start+20e9)
	k := &conn{b: b, ttl: 64, c: tcpSide{ip: v4("10.9.0.1"), port: 45300, seq: 1, win: 500},
		s: tcpSide{ip: v4("10.9.0.2"), port: 24000, seq: 1, win: 500}}
	k.handshake(false)
	b.tick(100)
	k.seg(true, "PA", []byte("cooked"))
	b.tick(100)
	k.seg(false, "PA", []byte("raw"))
	b.tick(100)
	k.seg(true, "A", nil)
	k.close()
	b.tick(100)
	udpPacket(b, false, v4("10.9.0.1"), v4("10.9.0.2"), 24001, 24000, []byte{0x2c, 0x37, 0x42})
	return &Capture{Name: "sll.pcap", Packets: b.pkts, write: pcapWriter(false, false, 113)}
}

// nullCapture: BSD loopback.
func nullCapture() *Capture {
	b := newBuilder(linkNull, start+30e9)
	k := &conn{b: b, ttl: 64, ts: true, tsBase: 99, c: tcpSide{ip: v4("127.0.0.1"), port: 45400, seq: 1, win: 6000},
		s: tcpSide{ip: v4("127.0.0.1"), port: 24000, seq: 1, win: 6000}}
	k.handshake(true)
	b.tick(100)
	k.seg(true, "PA", []byte{0x2c, 0x37, 0x42})
	b.tick(100)
	k.seg(false, "A", nil)
	k.close()
	b.tick(100)
	udpPacket(b, true, ip("::1"), ip("::1"), 24001, 24000, []byte{0x2c, 0x37, 0x42})
	return &Capture{Name: "null.pcap", Packets: b.pkts, write: pcapWriter(false, false, 0)}
}
