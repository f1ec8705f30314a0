package corpus

import (
	"encoding/binary"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// icmpErrors: Ethernet pcap with ICMP and ICMPv6 errors of every kind
// (destination unreachable, fragmentation needed / packet too big, time
// exceeded, parameter problem) quoting UDP and TCP, some quoting only the
// IP header and 8 bytes, some as much as fits; and IPv6 fragmented UDP
// (complete, out of order, and with a fragment missing) next to IPv4
// fragments of the same sizes.
func icmpErrors() *Capture {
	b := newBuilder(linkEth, start+40e9)
	eth := func(v6 bool, ls ...gopacket.SerializableLayer) []byte {
		et := layers.EthernetTypeIPv4
		if v6 {
			et = layers.EthernetTypeIPv6
		}
		return serialize(append([]gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: et}}, ls...)...)
	}
	pay := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte('A' + i%26)
		}
		return p
	}
	// Original packets, as their senders wrote them.
	udp4 := func(src, dst string, sp, dp uint16, n int) []byte {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Id: 0x5151, Protocol: layers.IPProtocolUDP, SrcIP: v4(src), DstIP: v4(dst)}
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(ip, u, gopacket.Payload(pay(n)))
	}
	tcp4 := func(src, dst string, sp, dp uint16, n int) []byte {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x6161, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: v4(src), DstIP: v4(dst)}
		t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 1000001, Ack: 2000001, ACK: true, PSH: true, Window: 501}
		t.SetNetworkLayerForChecksum(ip)
		return serialize(ip, t, gopacket.Payload(pay(n)))
	}
	udp6 := func(src, dst string, sp, dp uint16, n int) []byte {
		ip := &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: layers.IPProtocolUDP, SrcIP: ip(src), DstIP: ip(dst)}
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(ip, u, gopacket.Payload(pay(n)))
	}
	tcp6 := func(src, dst string, sp, dp uint16, n int) []byte {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: ip(src), DstIP: ip(dst)}
		t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 3000001, Ack: 4000001, ACK: true, PSH: true, Window: 502}
		t.SetNetworkLayerForChecksum(ip)
		return serialize(ip, t, gopacket.Payload(pay(n)))
	}
	cut := func(p []byte, n int) []byte { return p[:min(n, len(p))] }
	// ICMPv4 error from router/host src to dst, quoting q; word is the
	// second 32-bit word (unused, next-hop MTU, pointer).
	err4 := func(src, dst string, typ, code uint8, word uint32, q []byte) {
		ipl := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(0x7000 + len(b.pkts)), Protocol: layers.IPProtocolICMPv4, SrcIP: v4(src), DstIP: v4(dst)}
		ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: uint16(word >> 16), Seq: uint16(word)}
		b.tick(150)
		b.emit(eth(false, ipl, ic, gopacket.Payload(q)))
	}
	err6 := func(src, dst string, typ, code uint8, word uint32, q []byte) {
		ipl := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: ip(src), DstIP: ip(dst)}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
		ic.SetNetworkLayerForChecksum(ipl)
		w := make([]byte, 4, 4+len(q))
		binary.BigEndian.PutUint32(w, word)
		b.tick(150)
		b.emit(eth(true, ipl, ic, gopacket.Payload(append(w, q...))))
	}

	// IPv4: a datagram and the port unreachable it earns (whole quote).
	o := udp4("10.0.1.1", "10.0.1.2", 40001, 24099, 12)
	b.emit(eth(false, mustDecode4(o)...))
	err4("10.0.1.2", "10.0.1.1", 3, 3, 0, o)
	// Port unreachable quoting the IP header and 8 bytes only.
	err4("10.0.1.2", "10.0.1.1", 3, 3, 0, cut(udp4("10.0.1.1", "10.0.1.2", 40002, 24098, 100), 28))
	// Host and network unreachable, protocol unreachable.
	err4("10.0.9.1", "10.0.1.1", 3, 1, 0, cut(udp4("10.0.1.1", "10.0.5.5", 40003, 53, 30), 28))
	err4("10.0.9.1", "10.0.1.1", 3, 0, 0, cut(tcp4("10.0.1.1", "10.0.6.6", 45010, 80, 0), 28))
	err4("10.0.1.2", "10.0.1.1", 3, 2, 0, cut(tcp4("10.0.1.1", "10.0.1.2", 45011, 24000, 10), 48))
	// Fragmentation needed (next-hop MTU 1280) quoting a TCP segment:
	// 8 bytes of TCP, then 548 bytes (Linux), then the whole header.
	big := tcp4("10.0.1.1", "10.0.2.2", 45012, 24000, 1400)
	err4("10.0.9.1", "10.0.1.1", 3, 4, 1280, cut(big, 28))
	err4("10.0.9.1", "10.0.1.1", 3, 4, 1280, cut(big, 548))
	err4("10.0.9.1", "10.0.1.1", 3, 4, 1280, cut(big, 40))
	// Time exceeded in transit quoting UDP (traceroute) and TCP;
	// reassembly time exceeded.
	err4("10.0.9.1", "10.0.1.1", 11, 0, 0, cut(udp4("10.0.1.1", "10.0.7.7", 40004, 33434, 32), 28))
	err4("10.0.9.1", "10.0.1.1", 11, 0, 0, cut(tcp4("10.0.1.1", "10.0.7.7", 45013, 443, 20), 80))
	err4("10.0.7.7", "10.0.1.1", 11, 1, 0, cut(udp4("10.0.1.1", "10.0.7.7", 40005, 24000, 8), 28))
	// Parameter problem (pointer 8) quoting UDP and TCP; source quench.
	err4("10.0.9.1", "10.0.1.1", 12, 0, 8<<24, cut(udp4("10.0.1.1", "10.0.8.8", 40006, 24000, 4), 32))
	err4("10.0.9.1", "10.0.1.1", 12, 0, 8<<24, cut(tcp4("10.0.1.1", "10.0.8.8", 45014, 24000, 0), 28))
	err4("10.0.9.1", "10.0.1.1", 4, 0, 0, cut(udp4("10.0.1.1", "10.0.8.8", 40007, 24000, 4), 28))

	// IPv6: port unreachable (whole quote), address unreachable, no route,
	// administratively prohibited.
	o6 := udp6("fd00:1::1", "fd00:1::2", 40101, 24099, 12)
	b.tick(150)
	b.emit(eth(true, gopacket.Payload(o6)))
	err6("fd00:1::2", "fd00:1::1", 1, 4, 0, o6)
	err6("fd00:9::1", "fd00:1::1", 1, 3, 0, cut(udp6("fd00:1::1", "fd00:5::5", 40102, 53, 30), 48))
	err6("fd00:9::1", "fd00:1::1", 1, 0, 0, cut(tcp6("fd00:1::1", "fd00:6::6", 45110, 80, 0), 60))
	err6("fd00:9::1", "fd00:1::1", 1, 1, 0, cut(tcp6("fd00:1::1", "fd00:6::6", 45111, 80, 0), 48))
	// Packet too big (MTU 1280) quoting TCP: as much as fits and less.
	big6 := tcp6("fd00:1::1", "fd00:2::2", 45112, 24000, 1400)
	err6("fd00:9::1", "fd00:1::1", 2, 0, 1280, cut(big6, 1280-48))
	err6("fd00:9::1", "fd00:1::1", 2, 0, 1280, cut(big6, 48))
	// Time exceeded (hop limit, reassembly) and parameter problem.
	err6("fd00:9::1", "fd00:1::1", 3, 0, 0, cut(udp6("fd00:1::1", "fd00:7::7", 40103, 33434, 32), 80))
	err6("fd00:7::7", "fd00:1::1", 3, 1, 0, cut(udp6("fd00:1::1", "fd00:7::7", 40104, 24000, 8), 48))
	err6("fd00:9::1", "fd00:1::1", 4, 0, 6, cut(tcp6("fd00:1::1", "fd00:8::8", 45113, 24000, 4), 64))
	err6("fd00:9::1", "fd00:1::1", 4, 1, 40, cut(udp6("fd00:1::1", "fd00:8::8", 40105, 24000, 4), 56))

	// IPv4 and IPv6 fragmented UDP: 3000 bytes in 1232-byte pieces;
	// in order, out of order, and with the middle one missing.
	for n, mode := range []string{"inorder", "reversed", "gap"} {
		for _, v6 := range []bool{false, true} {
			fragUDP(b, eth, v6, uint32(0x8000+n), mode, pay(3000-8+n))
		}
	}
	// Errors quoting segments of connections seen earlier: the quoted
	// TCP header belongs to a known stream.
	for _, v6 := range []bool{false, true} {
		k := &conn{b: b, ttl: 64, v6: v6, c: tcpSide{ip: pick(v6, "fd00:4::1", "10.0.4.1"), port: 45200, seq: 77000, win: 1000},
			s: tcpSide{ip: pick(v6, "fd00:4::2", "10.0.4.2"), port: 24000, seq: 88000, win: 2000}}
		b.tick(100)
		k.handshake(true)
		b.tick(100)
		k.seg(true, "PA", pay(1400))
		q := b.pkts[len(b.pkts)-1].Data[14:]
		if v6 {
			err6("fd00:4::9", "fd00:4::1", 2, 0, 1280, cut(q, 1232))
		} else {
			err4("10.0.4.9", "10.0.4.1", 3, 4, 1280, cut(q, 548))
			err4("10.0.4.9", "10.0.4.1", 3, 4, 1280, cut(q, 28))
		}
		b.tick(100)
		k.seg(false, "A", nil)
		k.c.seq -= 1400
		k.seg(true, "PA", pay(1000))
	}
	// An ICMP error quoting a first fragment, and one quoting an echo
	// request.
	fr := &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Id: 0x9999, Flags: layers.IPv4MoreFragments, Protocol: layers.IPProtocolUDP, SrcIP: v4("10.0.1.1"), DstIP: v4("10.0.7.7")}
	err4("10.0.9.1", "10.0.1.1", 11, 0, 0, serialize(fr, gopacket.Payload(pay(8))))
	echo := &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Id: 0x9998, Protocol: layers.IPProtocolICMPv4, SrcIP: v4("10.0.1.1"), DstIP: v4("10.0.7.7")}
	err4("10.0.9.1", "10.0.1.1", 11, 0, 0, serialize(echo, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 0x4242, Seq: 9}))
	echo6 := &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: layers.IPProtocolICMPv6, SrcIP: ip("fd00:1::1"), DstIP: ip("fd00:7::7")}
	ic6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
	ic6.SetNetworkLayerForChecksum(echo6)
	err6("fd00:9::1", "fd00:1::1", 3, 0, 0, serialize(echo6, ic6, &layers.ICMPv6Echo{Identifier: 0x4343, SeqNumber: 10}))
	return &Capture{Name: "icmp-errors.pcap", Packets: b.pkts, write: pcapWriter(false, false, 1)}
}

// mustDecode4 wraps raw IPv4 bytes as a layer.
func mustDecode4(raw []byte) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{gopacket.Payload(raw)}
}

// fragUDP sends one UDP datagram in fragments of at most 1232 data bytes.
func fragUDP(b *builder, eth func(bool, ...gopacket.SerializableLayer) []byte, v6 bool, id uint32, mode string, payload []byte) {
	var src, dst net.IP
	u := &layers.UDP{SrcPort: 24050, DstPort: 24051}
	if v6 {
		src, dst = ip("fd00:3::1"), ip("fd00:3::2")
		u.SetNetworkLayerForChecksum(&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, SrcIP: src, DstIP: dst})
	} else {
		src, dst = v4("10.0.3.1"), v4("10.0.3.2")
		u.SetNetworkLayerForChecksum(&layers.IPv4{Version: 4, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst})
	}
	whole := serialize(u, gopacket.Payload(payload))
	const step = 1232
	var offs []int
	for off := 0; off < len(whole); off += step {
		offs = append(offs, off)
	}
	switch mode {
	case "reversed":
		for i, j := 0, len(offs)-1; i < j; i, j = i+1, j-1 {
			offs[i], offs[j] = offs[j], offs[i]
		}
	case "gap":
		offs = append(offs[:1], offs[2:]...)
	}
	for _, off := range offs {
		end := min(off+step, len(whole))
		more := end < len(whole)
		b.tick(30)
		if v6 {
			fh := make([]byte, 8)
			fh[0] = 17
			fo := uint16(off/8) << 3
			if more {
				fo |= 1
			}
			binary.BigEndian.PutUint16(fh[2:], fo)
			binary.BigEndian.PutUint32(fh[4:], id)
			ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: src, DstIP: dst}
			b.emit(eth(true, ip6, gopacket.Payload(append(fh, whole[off:end]...))))
			continue
		}
		fr := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(id), Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst, FragOffset: uint16(off / 8)}
		if more {
			fr.Flags = layers.IPv4MoreFragments
		}
		b.emit(eth(false, fr, gopacket.Payload(whole[off:end])))
	}
}
