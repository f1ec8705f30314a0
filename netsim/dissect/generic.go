package dissect

import "strconv"

// Frames outside what netsim decodes show what tshark would show in
// general ("Ethernet II", the IP protocol's name) and are not claimed as
// data where tshark 4.0 has a dissector for them: Wireshark's data
// dissector only gets bytes no other dissector takes.

// ethertypeDissected are the EtherTypes tshark 4.0 hands to a dissector
// (tshark -G decodes, table "ethertype").
var ethertypeDissected = portSet(
	0x0059, 0x0061, 0x0065, 0x0067, 0x00fd, 0x0600, 0x0641, 0x0643, 0x0644, 0x0645, 0x0712,
	0x0713, 0x0800, 0x0806, 0x0842, 0x08f0, 0x08ff, 0x0bad, 0x0baf, 0x0c15, 0x2001, 0x2065,
	0x2067, 0x22e5, 0x22ea, 0x22f0, 0x22f1, 0x22f3, 0x22f4, 0x2323, 0x2452, 0x3e3f, 0x4305,
	0x4742, 0x6000, 0x6003, 0x6004, 0x6558, 0x8021, 0x8023, 0x8035, 0x8038, 0x8057, 0x8059,
	0x809a, 0x809b, 0x80d5, 0x80e1, 0x80f3, 0x80fd, 0x80ff, 0x8100, 0x8102, 0x8103, 0x8133,
	0x8137, 0x814c, 0x8181, 0x81fd, 0x8204, 0x8207, 0x8281, 0x86dd, 0x872d, 0x8783, 0x8808,
	0x8809, 0x8847, 0x8848, 0x8863, 0x8864, 0x886c, 0x886d, 0x886f, 0x8870, 0x8874, 0x887b,
	0x888e, 0x8892, 0x8899, 0x889a, 0x889b, 0x88a1, 0x88a2, 0x88a4, 0x88a8, 0x88a9, 0x88ab,
	0x88ae, 0x88b4, 0x88b7, 0x88b8, 0x88ba, 0x88bb, 0x88c7, 0x88ca, 0x88cc, 0x88cd, 0x88d8,
	0x88d9, 0x88dc, 0x88de, 0x88e1, 0x88e3, 0x88e5, 0x88e7, 0x88ee, 0x88f5, 0x88f6, 0x88f7,
	0x88f8, 0x88fb, 0x8901, 0x8902, 0x8906, 0x8909, 0x890d, 0x8911, 0x8914, 0x8915, 0x8917,
	0x891d, 0x8926, 0x892d, 0x892f, 0x893a, 0x893f, 0x8940, 0x8942, 0x8947, 0x894f, 0x8988,
	0x8ffd, 0x9000, 0x9021, 0x9022, 0x9100, 0x9104, 0x99fe, 0xa0ed, 0xaaaa, 0xabcd, 0xaefe,
	0xb4e3, 0xbbbb, 0xc021, 0xc023, 0xc029, 0xc02b, 0xc02d, 0xc0de, 0xc0df, 0xc223, 0xcafe,
	0xd00d, 0xd28b, 0xe555, 0xf052, 0xf1c1, 0xfcfc,
)

// etherData hands the payload of EtherType typ that netsim does not
// decode to data, unless tshark has a dissector for the EtherType.
func (p *Packet) etherData(typ uint16, b []byte) {
	if !hasPortDissector(ethertypeDissected, typ, typ) {
		p.setData(b)
	}
}

// portData hands a TCP or UDP payload that netsim does not decode to
// data, unless tshark has a dissector on either port (set is
// udpDissectorPorts or tcpDissectorPorts). Port 0 is never tried, as in
// Wireshark's decode_udp_ports and decode_tcp_ports.
func (p *Packet) portData(set *[1 << 16 / 64]uint64, src, dst uint16, b []byte) {
	udp := set == udpDissectorPorts
	if udp && (src == 443 || dst == 443) {
		return // QUIC, a heuristic dissector tshark also registers on 443
	}
	for _, port := range [2]uint16{min(src, dst), max(src, dst)} {
		if port != 0 && hasPortDissector(set, port, port) && p.portAccepts(udp, port, b) {
			return
		}
	}
	p.setData(b)
}

// tcpPortTaken reports whether a dissector tshark registers on either TCP
// port takes payload b (portAccepts); when none does, tshark tries its
// heuristic dissectors (TLS, HTTP, DCE/RPC) on it.
func (p *Packet) tcpPortTaken(src, dst uint16, b []byte) bool {
	for _, port := range [2]uint16{min(src, dst), max(src, dst)} {
		if port != 0 && hasPortDissector(tcpDissectorPorts, port, port) && p.portAccepts(false, port, b) {
			return true
		}
	}
	return false
}

// portAccepts reports whether the dissector tshark registers on a port
// takes payload b. Dissectors of well-known ports (below 1024) take what
// they get; many of those on higher ports check the payload first and
// leave it to data when it is not theirs (e.g. tapa on UDP 5000,
// tplink-smarthome on 9999, which netsim's own scenarios use), so above
// 1023 only the ports listed in highPortDissectors count, each seen to
// take its protocol's payloads in tcpdump's captures.
func (p *Packet) portAccepts(udp bool, port uint16, b []byte) bool {
	if udp && port == 698 {
		// OLSR wants the packet length it starts with, and says so in
		// the Info column when it gives up.
		n := len(b)
		if len(b) >= 4 {
			n = int(b[0])<<8 | int(b[1])
		}
		if len(b) < 4 || n > len(b) {
			p.UDP.info = "OLSR Packet,  Length: " + strconv.Itoa(n) + " Bytes (not enough data in packet)"
			return false
		}
	}
	if port < 1024 {
		return true
	}
	if udp && (port >= 7000 && port <= 7009 || port == 7021) {
		// RX (AFS): dissect_rx wants 28 bytes and a known packet type.
		if len(b) < 28 {
			return false
		}
		t := b[20]
		return t != 0 && t != 10 && t != 11 && t != 12 && t <= 13
	}
	if udp {
		return hasPortDissector(udpHighPortDissectors, port, port)
	}
	return hasPortDissector(tcpHighPortDissectors, port, port)
}

// udpHighPortDissectors: RADIUS, HSRP, BFD, UDP-encapsulated ESP, MPLS
// echo, LISP, sFlow, Babel; SSDP, DNP3 and GPRS-NS (seen in zeek's test
// traces).
var udpHighPortDissectors = portSet(1645, 1646, 1700, 1812, 1813, 1985, 2029, 3503, 3784, 3785,
	3799, 4341, 4342, 4500, 4784, 6343, 6696, 6784, 7784, 1900, 20000, 2157)

// tcpHighPortDissectors: RESP (Redis), OpenFlow (6633 too, by its
// heuristic); SOCKS, ONC RPC on NFS's port, MySQL, PostgreSQL, Gnutella,
// IRC and DNP3 (seen in zeek's test traces).
var tcpHighPortDissectors = portSet(6379, 6633, 6653, 1080, 2049, 3306, 5432, 6346, 6667, 20000)

// linkData handles a frame of a link type netsim does not decode. tshark
// has a dissector for nearly all of them, so the frame is not data there;
// for SLIP (8) and link type 160 it has none and shows the bytes as data.
func (p *Packet) linkData(b []byte) {
	switch p.Link {
	case 8, 160:
		p.setData(b)
	}
}
