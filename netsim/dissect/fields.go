package dissect

import (
	"encoding/binary"
	"sort"
	"strings"
	"sync"
)

// FieldType is the type of a field's values, as Wireshark's FT_* types.
type FieldType uint8

// Field types.
const (
	TypeProtocol FieldType = iota + 1 // a protocol: exists, value = its bytes
	TypeNone                          // a label: exists, no value
	TypeUint                          // unsigned integer (Value.N)
	TypeInt                           // signed integer (int64(Value.N))
	TypeBool                          // boolean (Value.N is 0 or 1)
	TypeIPv4                          // IPv4 address (Value.N)
	TypeIPv6                          // IPv6 address (Value.B, 16 bytes)
	TypeEther                         // MAC address (Value.B, 6 bytes)
	TypeBytes                         // byte string (Value.B)
	TypeString                        // text (Value.S)
	TypeTime                          // relative time in ns (int64(Value.N))
	TypeFrameNum                      // frame number (Value.N)
)

// String names the type as Wireshark does ("Unsigned integer", ...).
func (t FieldType) String() string {
	switch t {
	case TypeProtocol:
		return "Protocol"
	case TypeNone:
		return "Label"
	case TypeUint:
		return "Unsigned integer"
	case TypeInt:
		return "Signed integer"
	case TypeBool:
		return "Boolean"
	case TypeIPv4:
		return "IPv4 address"
	case TypeIPv6:
		return "IPv6 address"
	case TypeEther:
		return "Ethernet or other MAC address"
	case TypeBytes:
		return "Byte sequence"
	case TypeString:
		return "Character string"
	case TypeTime:
		return "Time offset"
	case TypeFrameNum:
		return "Frame number"
	}
	return "unknown"
}

// Value is one value of a field. Which member holds it depends on the
// field's Type.
type Value struct {
	N uint64
	B []byte
	S string
}

// Field describes one filterable, printable field such as "tcp.port".
type Field struct {
	// Name is the filter name, e.g. "tcp.srcport".
	Name string
	// Type is the type of the field's values.
	Type FieldType
	// Bits is the width of an integer field (8, 16, 24, 32, 64).
	Bits int
	// Hex is set for integer fields that Wireshark displays in hex.
	Hex bool
	// Proto is the protocol the field belongs to ("tcp" for tcp.port).
	Proto string
	// Desc is a short description.
	Desc string

	get func(p *Packet, out []Value) []Value
}

// Values appends the field's values in p to out and returns the result;
// an absent field yields no values. "Any of" fields such as ip.addr yield
// several.
func (f *Field) Values(p *Packet, out []Value) []Value { return f.get(p, out) }

// Lookup returns the field with the given name, or nil.
func Lookup(name string) *Field {
	buildRegistry()
	return registry[name]
}

// Fields returns every known field, sorted by name.
func Fields() []*Field {
	buildRegistry()
	fs := make([]*Field, 0, len(registry))
	for _, f := range registry {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// registry holds every field by name. It is built on first use, not when
// a program starts: the package's init functions queue their registering
// functions in registrars (in file order, the order they ran in when they
// registered at init), and buildRegistry runs them once. A netsim command
// that reads no capture does not pay for some 1,000 closures and a map
// (about 0.45 million instructions; scripts/bench-start.sh).
var registry map[string]*Field

// registrars are the functions that register fields, in the order the
// package's init functions queued them.
var registrars []func()

// buildRegistry fills registry once.
var buildRegistry = sync.OnceFunc(func() {
	registry = map[string]*Field{}
	for _, r := range registrars {
		r()
	}
})

func reg(name string, t FieldType, bits int, hex bool, get func(p *Packet, out []Value) []Value) {
	proto := name
	if i := strings.IndexByte(name, '.'); i >= 0 {
		proto = name[:i]
	}
	get = cutGuard(name, get)
	if proto != "frame" {
		// A quoted packet's layers, and those of the packet a tunnel
		// carries, are further occurrences of the field.
		outer := get
		var all func(p *Packet, out []Value) []Value
		all = func(p *Packet, out []Value) []Value {
			out = outer(p, out)
			if p.Inner != nil {
				out = all(p.Inner, out)
			}
			if p.Encap != nil {
				out = all(p.Encap, out)
			}
			return out
		}
		get = all
	}
	registry[name] = &Field{Name: name, Type: t, Bits: bits, Hex: hex, Proto: proto, get: get}
}

// uintField registers an integer field present when p has proto.
func uintField(name string, proto Proto, bits int, hex bool, v func(p *Packet) uint64) {
	reg(name, TypeUint, bits, hex, func(p *Packet, out []Value) []Value {
		if p.Protos&proto == 0 {
			return out
		}
		return append(out, Value{N: v(p)})
	})
}

func boolField(name string, proto Proto, v func(p *Packet) bool) {
	reg(name, TypeBool, 0, false, func(p *Packet, out []Value) []Value {
		if p.Protos&proto == 0 {
			return out
		}
		if v(p) {
			return append(out, Value{N: 1})
		}
		return append(out, Value{N: 0})
	})
}

func ip4(b [4]byte) uint64 { return uint64(binary.BigEndian.Uint32(b[:])) }

// protoField registers a protocol; its value is the protocol's bytes up to
// the end of its data, as Wireshark's protocol items span.
func protoField(name string, proto Proto, id byte) {
	reg(name, TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		if p.Protos&proto == 0 {
			return out
		}
		return append(out, Value{B: p.raw[id]})
	})
}

func init() {
	registrars = append(registrars, registerFrame, registerLink, registerIP, registerTCP, registerOther)
}

func registerFrame() {
	reg("frame", TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
		return append(out, Value{B: p.Frame})
	})
	num := func(name string, v func(p *Packet) uint64) {
		reg(name, TypeUint, 32, false, func(p *Packet, out []Value) []Value {
			return append(out, Value{N: v(p)})
		})
	}
	num("frame.number", func(p *Packet) uint64 { return uint64(p.Number) })
	num("frame.len", func(p *Packet) uint64 { return uint64(p.Len) })
	num("frame.cap_len", func(p *Packet) uint64 { return uint64(len(p.Frame)) })
	reg("frame.interface_id", TypeUint, 32, false, func(p *Packet, out []Value) []Value {
		if !p.HasIface {
			return out
		}
		return append(out, Value{N: uint64(p.Interface)})
	})
	tm := func(name string, v func(p *Packet) int64) {
		reg(name, TypeTime, 0, false, func(p *Packet, out []Value) []Value {
			return append(out, Value{N: uint64(v(p))})
		})
	}
	tm("frame.time_relative", func(p *Packet) int64 { return p.TimeRel })
	tm("frame.time_delta", func(p *Packet) int64 { return p.TimeDelta })
	tm("frame.time_epoch", func(p *Packet) int64 { return p.Time })
	reg("frame.interface_name", TypeString, 0, false, func(p *Packet, out []Value) []Value {
		if p.IfName == "" {
			return out
		}
		return append(out, Value{S: p.IfName})
	})
	reg("frame.comment", TypeString, 0, false, func(p *Packet, out []Value) []Value {
		for _, c := range p.Comments {
			out = append(out, Value{S: c})
		}
		return out
	})
	reg("frame.protocols", TypeString, 0, false, func(p *Packet, out []Value) []Value {
		return append(out, Value{S: p.Protocols()})
	})
}

// Protocols returns frame.protocols, e.g. "eth:ethertype:ip:tcp:data".
func (p *Packet) Protocols() string {
	var sb strings.Builder
	for i := 0; i < p.nstk; i++ {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(protoName(p.stack[i]))
	}
	return sb.String()
}

func registerLink() {
	protoField("eth", ProtoEth, idEth)
	ether := func(name string, v func(p *Packet, out []Value) []Value) {
		reg(name, TypeEther, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoEth) {
				return out
			}
			return v(p, out)
		})
	}
	ether("eth.dst", func(p *Packet, out []Value) []Value { return append(out, Value{B: p.Eth.Dst[:]}) })
	ether("eth.src", func(p *Packet, out []Value) []Value { return append(out, Value{B: p.Eth.Src[:]}) })
	ether("eth.addr", func(p *Packet, out []Value) []Value {
		return append(out, Value{B: p.Eth.Dst[:]}, Value{B: p.Eth.Src[:]})
	})
	uintField("eth.type", ProtoEth, 16, true, func(p *Packet) uint64 { return uint64(p.Eth.Type) })

	protoField("sll", ProtoSLL, idSLL)
	uintField("sll.pkttype", ProtoSLL, 16, false, func(p *Packet) uint64 { return uint64(p.SLL.PktType) })
	uintField("sll.hatype", ProtoSLL, 16, false, func(p *Packet) uint64 { return uint64(p.SLL.HaType) })
	uintField("sll.halen", ProtoSLL, 16, false, func(p *Packet) uint64 { return uint64(p.SLL.AddrLen) })
	uintField("sll.etype", ProtoSLL, 16, true, func(p *Packet) uint64 { return uint64(p.SLL.Protocol) })

	protoField("null", ProtoNull, idNull)
	uintField("null.family", ProtoNull, 32, false, func(p *Packet) uint64 { return uint64(p.Null.Family) })

	protoField("arp", ProtoARP, idARP)
	uintField("arp.hw.type", ProtoARP, 16, false, func(p *Packet) uint64 { return uint64(p.ARP.HwType) })
	uintField("arp.proto.type", ProtoARP, 16, true, func(p *Packet) uint64 { return uint64(p.ARP.ProtoType) })
	uintField("arp.hw.size", ProtoARP, 8, false, func(p *Packet) uint64 { return uint64(p.ARP.HwSize) })
	uintField("arp.proto.size", ProtoARP, 8, false, func(p *Packet) uint64 { return uint64(p.ARP.ProtoSize) })
	uintField("arp.opcode", ProtoARP, 16, false, func(p *Packet) uint64 { return uint64(p.ARP.Opcode) })
	arpAddr := func(name string, t FieldType, size int, v func(a *ARP) []byte) {
		reg(name, t, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoARP) {
				return out
			}
			b := v(&p.ARP)
			if len(b) != size {
				return out
			}
			if t == TypeIPv4 {
				return append(out, Value{N: uint64(binary.BigEndian.Uint32(b))})
			}
			return append(out, Value{B: b})
		})
	}
	arpAddr("arp.src.hw_mac", TypeEther, 6, func(a *ARP) []byte { return a.SrcHw })
	arpAddr("arp.dst.hw_mac", TypeEther, 6, func(a *ARP) []byte { return a.DstHw })
	arpAddr("arp.src.proto_ipv4", TypeIPv4, 4, func(a *ARP) []byte { return a.SrcProto })
	arpAddr("arp.dst.proto_ipv4", TypeIPv4, 4, func(a *ARP) []byte { return a.DstProto })
}

func registerIP() {
	protoField("ip", ProtoIP, idIP)
	u := func(name string, bits int, hex bool, v func(ip *IPv4) uint64) {
		uintField(name, ProtoIP, bits, hex, func(p *Packet) uint64 { return v(&p.IP) })
	}
	u("ip.version", 8, false, func(ip *IPv4) uint64 { return uint64(ip.Version) })
	u("ip.hdr_len", 8, false, func(ip *IPv4) uint64 { return uint64(ip.HdrLen) })
	u("ip.dsfield", 8, true, func(ip *IPv4) uint64 { return uint64(ip.DSField) })
	u("ip.len", 16, false, func(ip *IPv4) uint64 { return uint64(ip.Len) })
	u("ip.id", 16, true, func(ip *IPv4) uint64 { return uint64(ip.ID) })
	u("ip.flags", 8, true, func(ip *IPv4) uint64 { return uint64(ip.Flags) })
	u("ip.frag_offset", 16, false, func(ip *IPv4) uint64 { return uint64(ip.FragOff / 8) })
	u("ip.ttl", 8, false, func(ip *IPv4) uint64 { return uint64(ip.TTL) })
	u("ip.proto", 8, false, func(ip *IPv4) uint64 { return uint64(ip.Proto) })
	u("ip.checksum", 16, true, func(ip *IPv4) uint64 { return uint64(ip.Checksum) })
	boolField("ip.flags.rb", ProtoIP, func(p *Packet) bool { return p.IP.Flags&4 != 0 })
	boolField("ip.flags.df", ProtoIP, func(p *Packet) bool { return p.IP.Flags&2 != 0 })
	boolField("ip.flags.mf", ProtoIP, func(p *Packet) bool { return p.IP.Flags&1 != 0 })
	addr := func(name string, v func(p *Packet, out []Value) []Value) {
		reg(name, TypeIPv4, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoIP) {
				return out
			}
			return v(p, out)
		})
	}
	addr("ip.src", func(p *Packet, out []Value) []Value { return append(out, Value{N: ip4(p.IP.Src)}) })
	addr("ip.dst", func(p *Packet, out []Value) []Value { return append(out, Value{N: ip4(p.IP.Dst)}) })
	addr("ip.addr", func(p *Packet, out []Value) []Value {
		return append(out, Value{N: ip4(p.IP.Src)}, Value{N: ip4(p.IP.Dst)})
	})

	protoField("ipv6", ProtoIPv6, idIPv6)
	u6 := func(name string, bits int, hex bool, v func(ip *IPv6) uint64) {
		uintField(name, ProtoIPv6, bits, hex, func(p *Packet) uint64 { return v(&p.IPv6) })
	}
	u6("ipv6.version", 8, false, func(*IPv6) uint64 { return 6 })
	u6("ipv6.tclass", 32, true, func(v *IPv6) uint64 { return uint64(v.TClass) })
	u6("ipv6.flow", 24, true, func(v *IPv6) uint64 { return uint64(v.Flow) })
	u6("ipv6.plen", 16, false, func(v *IPv6) uint64 { return uint64(v.PLen) })
	u6("ipv6.nxt", 8, false, func(v *IPv6) uint64 { return uint64(v.Next) })
	u6("ipv6.hlim", 8, false, func(v *IPv6) uint64 { return uint64(v.HopLimit) })
	addr6 := func(name string, v func(p *Packet, out []Value) []Value) {
		reg(name, TypeIPv6, 0, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoIPv6) {
				return out
			}
			return v(p, out)
		})
	}
	addr6("ipv6.src", func(p *Packet, out []Value) []Value { return append(out, Value{B: p.IPv6.Src[:]}) })
	addr6("ipv6.dst", func(p *Packet, out []Value) []Value { return append(out, Value{B: p.IPv6.Dst[:]}) })
	addr6("ipv6.addr", func(p *Packet, out []Value) []Value {
		return append(out, Value{B: p.IPv6.Src[:]}, Value{B: p.IPv6.Dst[:]})
	})
}

func registerOther() {
	protoField("udp", ProtoUDP, idUDP)
	uu := func(name string, bits int, hex bool, v func(u *UDP) uint64) {
		uintField(name, ProtoUDP, bits, hex, func(p *Packet) uint64 { return v(&p.UDP) })
	}
	uu("udp.srcport", 16, false, func(u *UDP) uint64 { return uint64(u.SrcPort) })
	uu("udp.dstport", 16, false, func(u *UDP) uint64 { return uint64(u.DstPort) })
	uu("udp.length", 16, false, func(u *UDP) uint64 { return uint64(u.Length) })
	uu("udp.checksum", 16, true, func(u *UDP) uint64 { return uint64(u.Checksum) })
	uu("udp.stream", 32, false, func(u *UDP) uint64 { return uint64(u.Stream) })
	reg("udp.port", TypeUint, 16, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoUDP) {
			return out
		}
		return append(out, Value{N: uint64(p.UDP.SrcPort)}, Value{N: uint64(p.UDP.DstPort)})
	})
	reg("udp.payload", TypeBytes, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoUDP) || len(p.UDP.Payload) == 0 {
			return out
		}
		return append(out, Value{B: p.UDP.Payload})
	})

	protoField("icmp", ProtoICMP, idICMP)
	uintField("icmp.type", ProtoICMP, 8, false, func(p *Packet) uint64 { return uint64(p.ICMP.Type) })
	uintField("icmp.code", ProtoICMP, 8, false, func(p *Packet) uint64 { return uint64(p.ICMP.Code) })
	uintField("icmp.checksum", ProtoICMP, 16, true, func(p *Packet) uint64 { return uint64(p.ICMP.Checksum) })
	echo := func(name string, v func(c *ICMP) uint64) {
		reg(name, TypeUint, 16, false, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoICMP) || !p.ICMP.Echo {
				return out
			}
			return append(out, Value{N: v(&p.ICMP)})
		})
	}
	swap := func(x uint16) uint64 { return uint64(x>>8 | x<<8) }
	echo("icmp.ident", func(c *ICMP) uint64 { return uint64(c.Ident) })
	echo("icmp.ident_le", func(c *ICMP) uint64 { return swap(c.Ident) })
	echo("icmp.seq", func(c *ICMP) uint64 { return uint64(c.Seq) })
	echo("icmp.seq_le", func(c *ICMP) uint64 { return swap(c.Seq) })

	protoField("icmpv6", ProtoICMPv6, idICMPv6)
	uintField("icmpv6.type", ProtoICMPv6, 8, false, func(p *Packet) uint64 { return uint64(p.ICMPv6.Type) })
	uintField("icmpv6.code", ProtoICMPv6, 8, false, func(p *Packet) uint64 { return uint64(p.ICMPv6.Code) })
	uintField("icmpv6.checksum", ProtoICMPv6, 16, true, func(p *Packet) uint64 { return uint64(p.ICMPv6.Checksum) })
	echo6 := func(name string, hex bool, v func(c *ICMPv6) uint64) {
		reg(name, TypeUint, 16, hex, func(p *Packet, out []Value) []Value {
			if !p.Has(ProtoICMPv6) || !p.ICMPv6.Echo {
				return out
			}
			return append(out, Value{N: v(&p.ICMPv6)})
		})
	}
	echo6("icmpv6.echo.identifier", true, func(c *ICMPv6) uint64 { return uint64(c.Ident) })
	echo6("icmpv6.echo.sequence_number", false, func(c *ICMPv6) uint64 { return uint64(c.Seq) })

	protoField("data", ProtoData, idData)
	reg("data.data", TypeBytes, 0, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoData) {
			return out
		}
		return append(out, Value{B: p.Data})
	})
	reg("data.len", TypeInt, 32, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoData) {
			return out
		}
		return append(out, Value{N: uint64(len(p.Data))})
	})
}
