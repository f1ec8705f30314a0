package explain

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Frames for the tests, built by hand: Ethernet, IPv4 or IPv6, TCP or UDP.
// Checksums are left zero: the explanations do not read them.

type tcpSeg struct {
	src, dst netip.AddrPort
	seq, ack uint32
	flags    uint8
	win      uint16
	wscale   int // SYN: the window scale option, -1 none
	payload  int
	ttl      uint8
}

func ether(et uint16, b []byte) []byte {
	f := make([]byte, 14, 14+len(b))
	f[0], f[6] = 2, 2
	binary.BigEndian.PutUint16(f[12:], et)
	return append(f, b...)
}

func ipv4(src, dst netip.Addr, proto byte, ttl uint8, payload []byte) []byte {
	if ttl == 0 {
		ttl = 64
	}
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	h[6] = 0x40
	h[8] = ttl
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return ether(0x0800, append(h, payload...))
}

func ipv6(src, dst netip.Addr, next byte, hop uint8, payload []byte) []byte {
	if hop == 0 {
		hop = 64
	}
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = hop
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return ether(0x86dd, append(h, payload...))
}

func (s tcpSeg) frame() []byte {
	var opts []byte
	if s.flags&flagSYN != 0 {
		opts = append(opts, 2, 4, 0xff, 0xd7) // MSS
		if s.wscale >= 0 {
			opts = append(opts, 1, 3, 3, byte(s.wscale))
		}
		for len(opts)%4 != 0 {
			opts = append(opts, 0)
		}
	}
	h := make([]byte, 20+len(opts)+s.payload)
	binary.BigEndian.PutUint16(h[0:], s.src.Port())
	binary.BigEndian.PutUint16(h[2:], s.dst.Port())
	binary.BigEndian.PutUint32(h[4:], s.seq)
	binary.BigEndian.PutUint32(h[8:], s.ack)
	h[12] = byte((20 + len(opts)) / 4 << 4)
	h[13] = s.flags
	binary.BigEndian.PutUint16(h[14:], s.win)
	copy(h[20:], opts)
	if s.src.Addr().Is4() {
		return ipv4(s.src.Addr(), s.dst.Addr(), 6, s.ttl, h)
	}
	return ipv6(s.src.Addr(), s.dst.Addr(), 6, s.ttl, h)
}

func udpFrame(src, dst netip.AddrPort, n int) []byte {
	h := make([]byte, 8+n)
	binary.BigEndian.PutUint16(h[0:], src.Port())
	binary.BigEndian.PutUint16(h[2:], dst.Port())
	binary.BigEndian.PutUint16(h[4:], uint16(8+n))
	return ipv4(src.Addr(), dst.Addr(), 17, 64, h)
}

var (
	cli = netip.MustParseAddrPort("127.0.0.1:32379")
	srv = netip.MustParseAddrPort("127.0.0.1:24000")
)

const (
	isnC = 1893024411
	isnS = 2736140091
)

func call(prog, op string, n int) Cause {
	return Cause{Host: "localhost", Kind: KindCall, Call: Call{Program: prog, Op: op, Bytes: n}}
}

func arrival(ns ...int) Cause { return Cause{Host: "localhost", Kind: KindArrival, Arrived: ns} }

func timer(d time.Duration, tc TCPCounts) Cause {
	return Cause{Host: "localhost", Kind: KindTimer, Timer: d, TCP: tc}
}

// bookTCP is the book's TCP exchange as gVisor makes it: nine frames.
func bookTCP() []Frame {
	segs := []struct {
		s tcpSeg
		c Cause
	}{
		{tcpSeg{src: cli, dst: srv, seq: isnC, flags: flagSYN, win: 65408, wscale: 7}, call("sender", "connect", 0)},
		{tcpSeg{src: srv, dst: cli, seq: isnS, ack: isnC + 1, flags: flagSYN | flagACK, win: 65408, wscale: 7}, arrival(1)},
		{tcpSeg{src: cli, dst: srv, seq: isnC + 1, ack: isnS + 1, flags: flagACK, win: 511}, arrival(2)},
		{tcpSeg{src: cli, dst: srv, seq: isnC + 1, ack: isnS + 1, flags: flagACK | flagPSH, win: 24576, payload: 3}, call("sender", "write", 3)},
		{tcpSeg{src: srv, dst: cli, seq: isnS + 1, ack: isnC + 4, flags: flagACK, win: 510}, arrival(4)},
		{tcpSeg{src: cli, dst: srv, seq: isnC + 4, ack: isnS + 1, flags: flagACK | flagFIN, win: 24576}, call("sender", "close", 0)},
		{tcpSeg{src: srv, dst: cli, seq: isnS + 1, ack: isnC + 5, flags: flagACK, win: 24573}, arrival(6)},
		{tcpSeg{src: srv, dst: cli, seq: isnS + 1, ack: isnC + 5, flags: flagACK | flagFIN, win: 24576}, call("receiver", "close", 0)},
		{tcpSeg{src: cli, dst: srv, seq: isnC + 5, ack: isnS + 2, flags: flagACK, win: 24575}, arrival(8)},
	}
	var fs []Frame
	for i, s := range segs {
		fs = append(fs, Frame{Number: i + 1, Time: time.Duration(i) * 10 * time.Microsecond, Link: "lo", Data: s.s.frame(), Cause: s.c})
	}
	return fs
}

// icmp4 builds an ICMP message quoting the IPv4 packet q (its Ethernet
// header cut off).
func icmp4(src, dst netip.Addr, typ, code byte, rest uint32, q []byte) []byte {
	b := make([]byte, 8, 8+len(q))
	b[0], b[1] = typ, code
	binary.BigEndian.PutUint32(b[4:], rest)
	if len(q) > 14 {
		b = append(b, q[14:]...)
	}
	return ipv4(src, dst, 1, 64, b)
}

// icmp6 builds an ICMPv6 message: type, code, then body.
func icmp6(src, dst netip.Addr, typ, code byte, body []byte) []byte {
	b := append([]byte{typ, code, 0, 0}, body...)
	return ipv6(src, dst, 58, 255, b)
}
