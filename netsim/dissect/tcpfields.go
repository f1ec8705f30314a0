package dissect

import "encoding/binary"

// tcpOption is one decoded TCP option.
type tcpOption struct {
	kind byte
	data []byte // the option's value, after kind and length
}

// eachOption calls fn for each option; it stops at end-of-list or at a
// malformed option.
func eachOption(opts []byte, fn func(o tcpOption)) {
	for i := 0; i < len(opts); {
		k := opts[i]
		switch k {
		case 0:
			return
		case 1:
			fn(tcpOption{kind: 1})
			i++
			continue
		}
		if i+1 >= len(opts) {
			return
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			return
		}
		fn(tcpOption{kind: k, data: opts[i+2 : i+n]})
		i += n
	}
}

func registerTCP() {
	protoField("tcp", ProtoTCP, idTCP)
	port := func(name string, v func(t *TCP) uint64) {
		uintField(name, ProtoTCP, 16, false, func(p *Packet) uint64 { return v(&p.TCP) })
	}
	port("tcp.srcport", func(t *TCP) uint64 { return uint64(t.SrcPort) })
	port("tcp.dstport", func(t *TCP) uint64 { return uint64(t.DstPort) })
	// Header fields exist once the 20-byte header was captured.
	u := func(name string, bits int, hex bool, v func(t *TCP) uint64) {
		reg(name, TypeUint, bits, hex, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.Short {
				return out
			}
			return append(out, Value{N: v(&p.TCP)})
		})
	}
	reg("tcp.port", TypeUint, 16, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.SrcPort)}, Value{N: uint64(p.TCP.DstPort)})
	})
	// Fields that exist only once the header is known to be sane.
	ok := func(name string, bits int, hex bool, v func(t *TCP) uint64) {
		reg(name, TypeUint, bits, hex, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.BadHdr {
				return out
			}
			return append(out, Value{N: v(&p.TCP)})
		})
	}
	ok("tcp.stream", 32, false, func(t *TCP) uint64 { return uint64(t.Stream) })
	// In a header quoted by an ICMP error Wireshark shows no tcp.len or
	// tcp.nxtseq; tcp.seq (absolute) is there from 8 bytes on in one
	// quoted by ICMPv4, which then has no tcp.seq_raw.
	notQuoted := func(name string, bits int, v func(t *TCP) uint64) {
		reg(name, TypeUint, bits, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.BadHdr || p.TCP.Quoted {
				return out
			}
			return append(out, Value{N: v(&p.TCP)})
		})
	}
	notQuoted("tcp.len", 32, func(t *TCP) uint64 { return uint64(t.Len) })
	reg("tcp.seq", TypeUint, 32, false, func(p *Packet, out []Value) []Value {
		t := &p.TCP
		if !p.Has(ProtoTCP) || t.Short && !(t.quotedV4 && len(p.raw[idTCP]) >= 8) {
			return out
		}
		return append(out, Value{N: uint64(t.Seq)})
	})
	reg("tcp.seq_raw", TypeUint, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.Short || p.TCP.quotedV4 {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.SeqRaw)})
	})
	notQuoted("tcp.nxtseq", 32, func(t *TCP) uint64 { return uint64(t.NextSeq) })
	u("tcp.ack", 32, false, func(t *TCP) uint64 { return uint64(t.Ack) })
	u("tcp.ack_raw", 32, false, func(t *TCP) uint64 { return uint64(t.AckRaw) })
	u("tcp.hdr_len", 8, false, func(t *TCP) uint64 { return uint64(t.HdrLen) })
	u("tcp.flags", 16, true, func(t *TCP) uint64 { return uint64(t.Flags) })
	flag := func(name string, mask uint16) {
		reg(name, TypeBool, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.Short {
				return out
			}
			if p.TCP.Flags&mask != 0 {
				return append(out, Value{N: 1})
			}
			return append(out, Value{N: 0})
		})
	}
	flag("tcp.flags.res", 0xe00)
	flag("tcp.flags.ae", thNS)
	flag("tcp.flags.cwr", thCWR)
	flag("tcp.flags.ece", thECE)
	flag("tcp.flags.urg", thURG)
	flag("tcp.flags.ack", thACK)
	flag("tcp.flags.push", thPSH)
	flag("tcp.flags.reset", thRST)
	flag("tcp.flags.syn", thSYN)
	flag("tcp.flags.fin", thFIN)
	reg("tcp.flags.str", TypeString, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.Short {
			return out
		}
		return append(out, Value{S: flagsStr(p.TCP.Flags)})
	})
	u("tcp.window_size_value", 16, false, func(t *TCP) uint64 { return uint64(t.Window) })
	ok("tcp.window_size", 32, false, func(t *TCP) uint64 { return uint64(t.WinSize) })
	reg("tcp.window_size_scalefactor", TypeInt, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.BadHdr || p.TCP.Flags&thSYN != 0 {
			return out
		}
		return append(out, Value{N: uint64(int64(p.TCP.ScaleFactor))})
	})
	u("tcp.checksum", 16, true, func(t *TCP) uint64 { return uint64(t.Checksum) })
	u("tcp.urgent_pointer", 16, false, func(t *TCP) uint64 { return uint64(t.Urgent) })
	reg("tcp.payload", TypeBytes, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || len(p.TCP.Payload) == 0 {
			return out
		}
		return append(out, Value{B: p.TCP.Payload})
	})
	reg("tcp.options", TypeBytes, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || len(p.TCP.Options) == 0 {
			return out
		}
		return append(out, Value{B: p.TCP.Options})
	})
	opt := func(name string, bits int, kind byte, size int, v func(d []byte) uint64) {
		reg(name, TypeUint, bits, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) {
				return out
			}
			eachOption(p.TCP.Options, func(o tcpOption) {
				if o.kind == kind && len(o.data) == size {
					out = append(out, Value{N: v(o.data)})
				}
			})
			return out
		})
	}
	be16 := func(d []byte) uint64 { return uint64(binary.BigEndian.Uint16(d)) }
	opt("tcp.options.mss_val", 16, 2, 2, be16)
	opt("tcp.options.wscale.shift", 8, 3, 1, func(d []byte) uint64 { return uint64(d[0]) })
	opt("tcp.options.wscale.multiplier", 16, 3, 1, func(d []byte) uint64 { return 1 << min(d[0], 14) })
	opt("tcp.options.timestamp.tsval", 32, 8, 8, func(d []byte) uint64 { return uint64(binary.BigEndian.Uint32(d)) })
	opt("tcp.options.timestamp.tsecr", 32, 8, 8, func(d []byte) uint64 { return uint64(binary.BigEndian.Uint32(d[4:])) })

	an := func(name string, mask uint32) {
		reg(name, TypeNone, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.Analysis&mask == 0 {
				return out
			}
			return append(out, Value{})
		})
	}
	an("tcp.analysis.flags", ^uint32(0))
	an("tcp.analysis.retransmission", TCPRetransmission|TCPFastRetransmission|TCPSpuriousRetransmission)
	an("tcp.analysis.fast_retransmission", TCPFastRetransmission)
	an("tcp.analysis.spurious_retransmission", TCPSpuriousRetransmission)
	an("tcp.analysis.out_of_order", TCPOutOfOrder)
	an("tcp.analysis.lost_segment", TCPLostPacket)
	an("tcp.analysis.ack_lost_segment", TCPAckLostPacket)
	an("tcp.analysis.duplicate_ack", TCPDuplicateAck)
	an("tcp.analysis.window_update", TCPWindowUpdate)
	an("tcp.analysis.window_full", TCPWindowFull)
	an("tcp.analysis.keep_alive", TCPKeepAlive)
	an("tcp.analysis.keep_alive_ack", TCPKeepAliveAck)
	an("tcp.analysis.zero_window", TCPZeroWindow)
	an("tcp.analysis.zero_window_probe", TCPZeroWindowProbe)
	an("tcp.analysis.zero_window_probe_ack", TCPZeroWindowProbeAck)
	an("tcp.analysis.reused_ports", TCPReusedPorts)
	reg("tcp.analysis.duplicate_ack_num", TypeUint, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.DupAckNum == 0 {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.DupAckNum)})
	})
	reg("tcp.analysis.duplicate_ack_frame", TypeFrameNum, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.DupAckNum == 0 {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.DupAckFrame)})
	})
	// The SEQ/ACK analysis values -V shows.
	analysisValue := func(name string, t FieldType, v func(tc *TCP) (uint64, bool)) {
		reg(name, t, 32, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.Short || p.TCP.Quoted {
				return out
			}
			if n, ok := v(&p.TCP); ok {
				return append(out, Value{N: n})
			}
			return out
		})
	}
	analysisValue("tcp.analysis.ack_rtt", TypeTime, func(tc *TCP) (uint64, bool) { return uint64(tc.AckRTT), tc.HasAckFrame && tc.AckRTT != 0 })
	analysisValue("tcp.analysis.initial_rtt", TypeTime, func(tc *TCP) (uint64, bool) {
		has := tc.HasAckFrame || tc.InFlight != 0 || tc.PushBytes != 0 || tc.Analysis != 0
		return uint64(tc.FirstRTT), has && tc.FirstRTT != 0
	})
	analysisValue("tcp.analysis.bytes_in_flight", TypeUint, func(tc *TCP) (uint64, bool) { return uint64(tc.InFlight), tc.InFlight != 0 })
	analysisValue("tcp.analysis.push_bytes_sent", TypeUint, func(tc *TCP) (uint64, bool) { return uint64(tc.PushBytes), tc.PushBytes != 0 })
	analysisValue("tcp.analysis.rto", TypeTime, func(tc *TCP) (uint64, bool) {
		return uint64(tc.RTO), tc.Analysis&TCPRetransmission != 0 && tc.RTO != 0
	})
	analysisValue("tcp.analysis.rto_frame", TypeFrameNum, func(tc *TCP) (uint64, bool) {
		return uint64(tc.RTOFrame), tc.Analysis&TCPRetransmission != 0 && tc.RTO != 0
	})
	streamTime := func(name string, v func(tc *TCP) int64) {
		reg(name, TypeTime, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoTCP) || p.TCP.Short {
				return out
			}
			return append(out, Value{N: uint64(v(&p.TCP))})
		})
	}
	streamTime("tcp.time_relative", func(tc *TCP) int64 { return tc.TimeFirst })
	streamTime("tcp.time_delta", func(tc *TCP) int64 { return tc.TimePrev })
	reg("tcp.completeness", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.Short {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.Completeness)})
	})
	reg("tcp.analysis.acks_frame", TypeFrameNum, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || !p.TCP.HasAckFrame {
			return out
		}
		return append(out, Value{N: uint64(p.TCP.AckedFrame)})
	})
}

// flagsStr renders tcp.flags.str: one character per flag bit from the
// reserved bits down to FIN, a dot when clear.
func flagsStr(f uint16) string {
	const letters = "RRRACEUAPRSF"
	b := make([]rune, 0, 12)
	for i := 0; i < 12; i++ {
		bit := uint16(1) << (11 - i)
		if f&bit != 0 {
			b = append(b, rune(letters[i]))
		} else {
			b = append(b, '·')
		}
	}
	return string(b)
}
