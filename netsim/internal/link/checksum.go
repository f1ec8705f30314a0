package link

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"netsim.dev/netsim/internal/frame"
)

// wireMark is the packet mark (SO_MARK) of every packet a port with
// OwnChecksums delivers to its stack. gVisor copies a packet's mark to the
// copy it forwards and to each fragment it cuts from it, while the packets a
// host originates carry their socket's mark, which netsim never sets. So a
// port tells a forwarded packet, or a fragment of one, from its host's own
// by this bit, where PacketBuffer.NetworkPacketInfo.IsForwardedPacket is
// lost on fragments.
const wireMark = 1 << 31

// maxPending bounds the local datagrams whose fragments a port holds back
// until the last one: beyond it (a fragment lost on its way to the port,
// which gVisor's writes never do), the oldest is sent as it is.
const maxPending = 16

// datagram is a locally originated IP datagram being fragmented: its frames
// so far and what identifies its fragments.
type datagram struct {
	key    string
	frames []*frame.Frame // each with the reference its port took
}

// ipPacket is what originated needs from a frame's IP header.
type ipPacket struct {
	v6        bool
	src, dst  tcpip.Address
	proto     uint8  // the upper layer's protocol
	payload   int    // offset in the frame of the upper layer's bytes (or the fragment's)
	end       int    // end of the IP packet in the frame
	fragment  bool   // a fragment
	first     bool   // the first fragment (offset 0)
	last      bool   // the last fragment (no more fragments)
	ident     uint32 // the fragments' identification
	fragStart int    // IPv6: offset of the fragment header
}

// parseIP reads the IP header of an Ethernet frame; ok is false for frames
// that carry no IP packet it understands.
func parseIP(frame []byte) (ipPacket, bool) {
	const eth = header.EthernetMinimumSize
	var p ipPacket
	if len(frame) < eth {
		return p, false
	}
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		ip := header.IPv4(frame[eth:])
		if len(ip) < header.IPv4MinimumSize || int(ip.HeaderLength()) < header.IPv4MinimumSize ||
			int(ip.TotalLength()) > len(ip) || int(ip.TotalLength()) < int(ip.HeaderLength()) {
			return p, false
		}
		p.src, p.dst, p.proto = ip.SourceAddress(), ip.DestinationAddress(), ip.Protocol()
		p.payload, p.end = eth+int(ip.HeaderLength()), eth+int(ip.TotalLength())
		more, off := ip.More(), ip.FragmentOffset()
		p.fragment, p.first, p.last = more || off != 0, off == 0, !more
		p.ident = uint32(ip.ID())
		return p, true
	case header.IPv6ProtocolNumber:
		ip := header.IPv6(frame[eth:])
		if len(ip) < header.IPv6MinimumSize || header.IPv6MinimumSize+int(ip.PayloadLength()) > len(ip) {
			return p, false
		}
		p.v6 = true
		p.src, p.dst = ip.SourceAddress(), ip.DestinationAddress()
		p.end = eth + header.IPv6MinimumSize + int(ip.PayloadLength())
		next, at := ip.NextHeader(), eth+header.IPv6MinimumSize
		for {
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if at+8 > p.end {
					return p, false
				}
				next, at = frame[at], at+(int(frame[at+1])+1)*8
				continue
			case 44: // fragment
				if at+8 > p.end {
					return p, false
				}
				p.fragment, p.fragStart = true, at
				off := binary.BigEndian.Uint16(frame[at+2:]) >> 3
				more := frame[at+3]&1 != 0
				p.first, p.last = off == 0, !more
				p.ident = binary.BigEndian.Uint32(frame[at+4:])
				next, at = frame[at], at+8
				if off != 0 {
					// The upper layer's header is in the first fragment.
					p.proto, p.payload = next, at
					return p, at <= p.end
				}
				continue
			}
			p.proto, p.payload = next, at
			return p, at <= p.end
		}
	}
	return p, false
}

// originated returns the frames to send for a frame that the port's host
// originated: the frame with its TCP or UDP checksum filled in; nothing
// while a fragmented datagram's last fragment has not come; and all its
// fragments, the first one's checksum filled in over the whole datagram,
// once it has. A single frame comes back as one (no allocation), several
// as many. originated takes over the caller's reference to f, and the
// caller gets one to each frame returned. ip and ok are parseIP's of f.B.
func (p *Port) originated(f *frame.Frame, ip ipPacket, ok bool) (one *frame.Frame, many []*frame.Frame) {
	b := f.B
	if !ok || (ip.proto != uint8(header.TCPProtocolNumber) && ip.proto != uint8(header.UDPProtocolNumber)) {
		return f, nil
	}
	if !ip.fragment {
		if setChecksum(ip, b[ip.payload:ip.end], b[ip.payload:ip.end]) {
			// The stack wrote the IPv4 header's checksum; the port has
			// just computed the transport's.
			f.ChecksumsOK = ip.v6 || header.IPv4(b[header.EthernetMinimumSize:]).IsChecksumValid()
		}
		return f, nil
	}
	key := string(ip.src.AsSlice()) + string(ip.dst.AsSlice()) + string(binary.BigEndian.AppendUint32(nil, ip.ident))
	p.fragMu.Lock()
	defer p.fragMu.Unlock()
	var out []*frame.Frame
	if ip.first {
		if len(p.pending) == maxPending {
			out = append(out, p.pending[0].frames...)
			p.pending = p.pending[1:]
		}
		p.pending = append(p.pending, &datagram{key: key, frames: []*frame.Frame{f}})
		return nil, out
	}
	i := 0
	for i < len(p.pending) && p.pending[i].key != key {
		i++
	}
	if i == len(p.pending) {
		return f, nil // its first fragment went by already
	}
	d := p.pending[i]
	d.frames = append(d.frames, f)
	if !ip.last {
		return nil, nil
	}
	p.pending = append(p.pending[:i], p.pending[i+1:]...)
	// The upper layer's bytes: the payloads of the fragments in order (as
	// gVisor writes them).
	first, _ := parseIP(d.frames[0].B)
	var whole []byte
	for _, g := range d.frames {
		fi, _ := parseIP(g.B)
		whole = append(whole, g.B[fi.payload:fi.end]...)
	}
	setChecksum(first, whole, d.frames[0].B[first.payload:first.end])
	return nil, d.frames
}

// setChecksum computes the TCP or UDP checksum of the upper layer's bytes
// whole (header first) as gVisor's TCP and UDP do, and writes it into hdr,
// which holds the same header (the first fragment's payload, or whole). It
// reports whether it did (not for a header too short).
func setChecksum(ip ipPacket, whole, hdr []byte) bool {
	proto := tcpip.TransportProtocolNumber(ip.proto)
	var at int
	switch proto {
	case header.TCPProtocolNumber:
		if len(whole) < header.TCPMinimumSize || len(hdr) < header.TCPMinimumSize {
			return false
		}
		at = 16
	case header.UDPProtocolNumber:
		if len(whole) < header.UDPMinimumSize || len(hdr) < header.UDPMinimumSize {
			return false
		}
		at = 6
	default:
		return false
	}
	whole[at], whole[at+1] = 0, 0
	xsum := header.PseudoHeaderChecksum(proto, ip.src, ip.dst, uint16(len(whole)))
	c := ^checksum.Checksum(whole, xsum)
	if c == 0 && proto == header.UDPProtocolNumber {
		c = 0xffff // RFC 768: zero means no checksum
	}
	binary.BigEndian.PutUint16(hdr[at:], c)
	return true
}
