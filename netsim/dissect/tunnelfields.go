package dissect

import "encoding/binary"

func init() { registrars = append(registrars, registerTunnels) }

// tunnelField registers a field of a tunnel header: v returns its value
// and whether the packet has it.
func tunnelField(name string, typ FieldType, bits int, hex bool, v func(t *Tunnel) (uint64, bool)) {
	reg(name, typ, bits, hex, func(p *Packet, out []Value) []Value {
		if p.Tunnel == nil {
			return out
		}
		if n, ok := v(p.Tunnel); ok {
			return append(out, Value{N: n})
		}
		return out
	})
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func registerTunnels() {
	proto := func(name string, has func(t *Tunnel) []byte) {
		reg(name, TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
			if p.Tunnel == nil {
				return out
			}
			if b := has(p.Tunnel); b != nil {
				return append(out, Value{B: b})
			}
			return out
		})
	}

	// GRE (packet-gre.c).
	proto("gre", func(t *Tunnel) []byte {
		if t.Kind == TunnelGRE {
			return t.raw
		}
		return nil
	})
	gre := func(name string, typ FieldType, bits int, hex bool, v func(g *GRE) (uint64, bool)) {
		tunnelField(name, typ, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelGRE || len(t.raw) < 4 {
				return 0, false
			}
			return v(&t.GRE)
		})
	}
	flag := func(name string, mask uint16) {
		gre(name, TypeBool, 0, false, func(g *GRE) (uint64, bool) { return b2u(g.FlagsVersion&mask != 0), true })
	}
	gre("gre.flags_and_version", TypeUint, 16, true, func(g *GRE) (uint64, bool) { return uint64(g.FlagsVersion), true })
	flag("gre.flags.checksum", GREChecksum)
	flag("gre.flags.routing", GRERouting)
	flag("gre.flags.key", GREKey)
	flag("gre.flags.sequence_number", GRESequence)
	flag("gre.flags.strict_source_route", GREStrict)
	gre("gre.flags.recursion_control", TypeUint, 16, false, func(g *GRE) (uint64, bool) { return uint64(g.FlagsVersion & 0x700 >> 8), true })
	gre("gre.flags.ack", TypeBool, 0, false, func(g *GRE) (uint64, bool) { return b2u(g.FlagsVersion&GREAck != 0), g.Enhanced })
	gre("gre.flags.reserved", TypeUint, 16, false, func(g *GRE) (uint64, bool) {
		if g.Enhanced {
			return uint64(g.FlagsVersion & 0x78 >> 3), true
		}
		return uint64(g.FlagsVersion & 0xf8 >> 3), true
	})
	gre("gre.flags.version", TypeUint, 16, false, func(g *GRE) (uint64, bool) { return uint64(g.FlagsVersion & 7), true })
	gre("gre.proto", TypeUint, 16, true, func(g *GRE) (uint64, bool) { return uint64(g.Proto), true })
	// The optional fields are those read before any cut.
	opt := func(g *GRE, bit uint16) bool { return g.got&bit != 0 }
	gre("gre.checksum", TypeUint, 16, true, func(g *GRE) (uint64, bool) {
		return uint64(g.Checksum), opt(g, GREChecksum) || opt(g, GRERouting)
	})
	gre("gre.offset", TypeUint, 16, false, func(g *GRE) (uint64, bool) {
		return uint64(g.Offset), opt(g, GREChecksum) || opt(g, GRERouting)
	})
	plainKey := func(g *GRE) bool { return !g.Enhanced || g.Proto == 0x8881 }
	gre("gre.key", TypeUint, 32, true, func(g *GRE) (uint64, bool) { return uint64(g.Key), opt(g, GREKey) && plainKey(g) })
	gre("gre.key.payload_length", TypeUint, 16, false, func(g *GRE) (uint64, bool) {
		return uint64(g.Key >> 16), opt(g, GREKey) && !plainKey(g)
	})
	gre("gre.key.call_id", TypeUint, 16, false, func(g *GRE) (uint64, bool) {
		return uint64(g.Key & 0xffff), opt(g, GREKey) && !plainKey(g)
	})
	gre("gre.sequence_number", TypeUint, 32, false, func(g *GRE) (uint64, bool) { return uint64(g.Seq), opt(g, GRESequence) })
	gre("gre.ack_number", TypeUint, 32, false, func(g *GRE) (uint64, bool) { return uint64(g.Ack), g.Enhanced && opt(g, GREAck) })

	// ERSPAN (packet-erspan.c).
	proto("erspan", func(t *Tunnel) []byte {
		if t.ERSPAN != nil {
			return t.raw[min(len(t.raw), t.GRE.HdrLen):]
		}
		return nil
	})
	// A field is there when the header's bytes up to its end are (need).
	erspanN := func(name string, typ FieldType, bits int, versions uint8, need int, v func(e *ERSPAN) uint64) {
		tunnelField(name, typ, bits, false, func(t *Tunnel) (uint64, bool) {
			e := t.ERSPAN
			if e == nil || versions&(1<<e.Version) == 0 || e.avail < need {
				return 0, false
			}
			return v(e), true
		})
	}
	erspan := func(name string, typ FieldType, bits int, versions uint8, v func(e *ERSPAN) uint64) {
		erspanN(name, typ, bits, versions, 12, v)
	}
	const v2, v3, both = 2, 4, 6
	erspanN("erspan.version", TypeUint, 16, both, 2, func(e *ERSPAN) uint64 { return uint64(e.Word0 >> 12) })
	erspanN("erspan.vlan", TypeUint, 16, both, 2, func(e *ERSPAN) uint64 { return uint64(e.Word0 & 0xfff) })
	erspanN("erspan.cos", TypeUint, 16, both, 4, func(e *ERSPAN) uint64 { return uint64(e.Word1 >> 13) })
	erspanN("erspan.encap", TypeUint, 16, v2, 4, func(e *ERSPAN) uint64 { return uint64(e.Word1 >> 11 & 3) })
	erspanN("erspan.bso", TypeUint, 16, v3, 4, func(e *ERSPAN) uint64 { return uint64(e.Word1 >> 11 & 3) })
	erspanN("erspan.truncated", TypeUint, 16, both, 4, func(e *ERSPAN) uint64 { return uint64(e.Word1 >> 10 & 1) })
	erspanN("erspan.spanid", TypeUint, 16, both, 4, func(e *ERSPAN) uint64 { return uint64(e.Word1 & 0x3ff) })
	erspanN("erspan.reserved", TypeUint, 32, v2, 8, func(e *ERSPAN) uint64 { return uint64(e.Index >> 20) })
	erspanN("erspan.index", TypeUint, 32, v2, 8, func(e *ERSPAN) uint64 { return uint64(e.Index & 0xfffff) })
	erspan("erspan.timestamp", TypeUint, 32, v3, func(e *ERSPAN) uint64 { return uint64(e.Timestamp) })
	erspan("erspan.sgt", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.SGT) })
	erspan("erspan.p", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.Word3 >> 15) })
	erspan("erspan.ft", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.Word3 >> 10 & 0x1f) })
	erspan("erspan.hw", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.Word3 >> 4 & 0x3f) })
	erspan("erspan.direction", TypeBool, 0, v3, func(e *ERSPAN) uint64 { return b2u(e.Word3&8 != 0) })
	erspan("erspan.gra", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.Word3 >> 1 & 3) })
	erspan("erspan.o", TypeUint, 16, v3, func(e *ERSPAN) uint64 { return uint64(e.Word3 & 1) })
	erspanN("erspan.platid", TypeUint, 32, v3, 16, func(e *ERSPAN) uint64 { return uint64(e.PlatID >> 26) })

	// VXLAN (packet-vxlan.c).
	proto("vxlan", func(t *Tunnel) []byte {
		if t.Kind == TunnelVXLAN {
			return t.raw[:min(len(t.raw), 8)]
		}
		return nil
	})
	vx := func(name string, typ FieldType, bits int, hex bool, need int, v func(x *VXLAN) uint64) {
		tunnelField(name, typ, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelVXLAN || len(t.raw) < need {
				return 0, false
			}
			return v(&t.VXLAN), true
		})
	}
	vx("vxlan.flags", TypeUint, 16, true, 2, func(x *VXLAN) uint64 { return uint64(x.Flags) })
	// The GBP flags and policy ID are VXLAN's, not VXLAN-GPE's.
	std := func(name string, typ FieldType, bits int, hex bool, need int, v func(x *VXLAN) uint64) {
		tunnelField(name, typ, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelVXLAN || t.VXLAN.GPE || len(t.raw) < need {
				return 0, false
			}
			return v(&t.VXLAN), true
		})
	}
	std("vxlan.flag_g", TypeBool, 0, false, 2, func(x *VXLAN) uint64 { return b2u(x.Flags&0x8000 != 0) })
	std("vxlan.flag_i", TypeBool, 0, false, 2, func(x *VXLAN) uint64 { return b2u(x.Flags&0x0800 != 0) })
	std("vxlan.flag_d", TypeBool, 0, false, 2, func(x *VXLAN) uint64 { return b2u(x.Flags&0x0040 != 0) })
	std("vxlan.flag_a", TypeBool, 0, false, 2, func(x *VXLAN) uint64 { return b2u(x.Flags&0x0008 != 0) })
	std("vxlan.flags_reserved", TypeUint, 16, true, 2, func(x *VXLAN) uint64 { return uint64(x.Flags & 0x77b7) })
	std("vxlan.gbp", TypeUint, 16, false, 4, func(x *VXLAN) uint64 { return uint64(x.GBP) })
	vx("vxlan.vni", TypeUint, 24, false, 7, func(x *VXLAN) uint64 { return uint64(x.VNI) })
	vx("vxlan.reserved8", TypeUint, 8, false, 8, func(x *VXLAN) uint64 { return uint64(x.Reserved) })

	// MPLS (packet-mpls.c): one value per label stack entry.
	proto("mpls", func(t *Tunnel) []byte {
		if t.Kind == TunnelMPLS {
			return t.raw
		}
		return nil
	})
	for _, f := range []struct {
		name  string
		shift uint
		mask  uint32
	}{{"mpls.label", 12, 0xfffff}, {"mpls.exp", 9, 7}, {"mpls.bottom", 8, 1}, {"mpls.ttl", 0, 0xff}} {
		reg(f.name, TypeUint, 32, false, func(p *Packet, out []Value) []Value {
			if p.Tunnel == nil {
				return out
			}
			for _, w := range p.Tunnel.MPLS {
				out = append(out, Value{N: uint64(w >> f.shift & f.mask)})
			}
			return out
		})
	}

	gpe := func(name string, bits int, v func(x *VXLAN) uint64) {
		tunnelField(name, TypeUint, bits, false, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelVXLAN || !t.VXLAN.GPE || len(t.raw) < 8 {
				return 0, false
			}
			return v(&t.VXLAN), true
		})
	}
	gpe("vxlan.next_proto", 8, func(x *VXLAN) uint64 { return uint64(x.NextProto) })
	gpe("vxlan.reserved_16", 16, func(x *VXLAN) uint64 { return uint64(x.GBP) })

	// NSH (packet-nsh.c).
	proto("nsh", func(t *Tunnel) []byte { return t.NSH })
	nsh := func(name string, bits int, v func(h []byte) uint64) {
		tunnelField(name, TypeUint, bits, false, func(t *Tunnel) (uint64, bool) {
			if len(t.NSH) < 8 {
				return 0, false
			}
			return v(t.NSH), true
		})
	}
	nsh("nsh.version", 16, func(h []byte) uint64 { return uint64(h[0] >> 6) })
	nsh("nsh.Obit", 16, func(h []byte) uint64 { return uint64(h[0] >> 5 & 1) })
	nsh("nsh.CBit", 16, func(h []byte) uint64 { return uint64(h[0] >> 4 & 1) })
	nsh("nsh.length", 16, func(h []byte) uint64 { return uint64(h[1] & 0x3f) })
	nsh("nsh.mdtype", 8, func(h []byte) uint64 { return uint64(h[2]) })
	nsh("nsh.nextproto", 8, func(h []byte) uint64 { return uint64(h[3]) })
	nsh("nsh.spi", 24, func(h []byte) uint64 { return uint64(binary.BigEndian.Uint32(h[4:]) >> 8) })
	nsh("nsh.si", 8, func(h []byte) uint64 { return uint64(h[7]) })

	// Geneve (packet-geneve.c).
	proto("geneve", func(t *Tunnel) []byte {
		if t.Kind == TunnelGeneve {
			return t.raw[:min(len(t.raw), 8+t.Geneve.OptLen)]
		}
		return nil
	})
	gn := func(name string, typ FieldType, bits int, hex bool, need int, v func(g *Geneve) uint64) {
		tunnelField(name, typ, bits, hex, func(t *Tunnel) (uint64, bool) {
			if t.Kind != TunnelGeneve || len(t.raw) < need || need > 1 && t.Geneve.Version != 0 {
				return 0, false
			}
			return v(&t.Geneve), true
		})
	}
	gn("geneve.version", TypeUint, 8, false, 1, func(g *Geneve) uint64 { return uint64(g.Version) })
	gn("geneve.flags", TypeUint, 8, true, 2, func(g *Geneve) uint64 { return uint64(g.Flags) })
	gn("geneve.flags.oam", TypeBool, 0, false, 2, func(g *Geneve) uint64 { return b2u(g.Flags&0x80 != 0) })
	gn("geneve.flags.critical", TypeBool, 0, false, 2, func(g *Geneve) uint64 { return b2u(g.Flags&0x40 != 0) })
	gn("geneve.flags.reserved", TypeBool, 0, false, 2, func(g *Geneve) uint64 { return b2u(g.Flags&0x3f != 0) })
	gn("geneve.proto_type", TypeUint, 16, true, 4, func(g *Geneve) uint64 { return uint64(g.Proto) })
	gn("geneve.vni", TypeUint, 24, true, 7, func(g *Geneve) uint64 { return uint64(g.VNI) })
	reg("geneve.options", TypeBytes, 0, false, func(p *Packet, out []Value) []Value {
		if t := p.Tunnel; t != nil && t.Kind == TunnelGeneve && t.Geneve.OptLen > 0 && len(t.Geneve.Options) == t.Geneve.OptLen {
			return append(out, Value{B: t.Geneve.Options})
		}
		return out
	})
	reg("geneve.option.class", TypeUint, 16, true, func(p *Packet, out []Value) []Value {
		t := p.Tunnel
		if t == nil || t.Kind != TunnelGeneve {
			return out
		}
		for o := t.Geneve.Options; len(o) >= 4; {
			out = append(out, Value{N: uint64(binary.BigEndian.Uint16(o))})
			n := 4 + int(o[3]&0x1f)*4
			if n > len(o) {
				break
			}
			o = o[n:]
		}
		return out
	})
}
