package dissect

func init() { registrars = append(registrars, registerEthNames) }

// registerEthNames registers the Ethernet fields that derive from the
// addresses: their resolved names, vendor prefixes (OUI) and the LG and IG
// bits, as tshark 4.0 has them.
func registerEthNames() {
	type side struct {
		name string
		get  func(e *Ethernet) [][]byte
	}
	dst := func(e *Ethernet) [][]byte { return [][]byte{e.Dst[:]} }
	src := func(e *Ethernet) [][]byte { return [][]byte{e.Src[:]} }
	both := func(e *Ethernet) [][]byte { return [][]byte{e.Dst[:], e.Src[:]} }
	for _, s := range []side{{"eth.dst", dst}, {"eth.src", src}, {"eth.addr", both}} {
		reg(s.name+"_resolved", TypeString, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoEth) {
				return out
			}
			for _, a := range s.get(&p.Eth) {
				out = append(out, Value{S: p.names.Name(a)})
			}
			return out
		})
		reg(s.name+".oui", TypeUint, 24, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoEth) {
				return out
			}
			for _, a := range s.get(&p.Eth) {
				out = append(out, Value{N: uint64(a[0])<<16 | uint64(a[1])<<8 | uint64(a[2])})
			}
			return out
		})
		reg(s.name+".oui_resolved", TypeString, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoEth) {
				return out
			}
			for _, a := range s.get(&p.Eth) {
				if v := p.names.Vendor(a); v != "" {
					out = append(out, Value{S: v})
				}
			}
			return out
		})
	}
	bit := func(name string, get func(e *Ethernet) [][]byte, mask byte) {
		reg(name, TypeBool, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoEth) {
				return out
			}
			for _, a := range get(&p.Eth) {
				out = append(out, Value{N: uint64(a[0] & mask / mask)})
			}
			return out
		})
	}
	bit("eth.dst.lg", dst, 2)
	bit("eth.dst.ig", dst, 1)
	bit("eth.src.lg", src, 2)
	bit("eth.src.ig", src, 1)
	bit("eth.lg", both, 2)
	bit("eth.ig", both, 1)
}
