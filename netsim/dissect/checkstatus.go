package dissect

// Checksum status fields (ip.checksum.status, tcp.checksum.status,
// udp.checksum.status) as tshark 4.0 has them with its default
// preferences: the checksums are not validated, so the status is
// Unverified (2), or Not present (3) for an IPv4 UDP datagram sent
// without a checksum.

// Values of the checksum status fields.
const (
	checksumUnverified = 2
	checksumNotPresent = 3
)

func init() { registrars = append(registrars, registerChecksumStatus) }

// registerChecksumStatus registers the checksum.status fields.
func registerChecksumStatus() {
	uintField("ip.checksum.status", ProtoIP, 8, false, func(*Packet) uint64 { return checksumUnverified })
	reg("tcp.checksum.status", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoTCP) || p.TCP.Short || p.TCP.Quoted || p.TCP.cut == tcpCutFixed {
			return out
		}
		return append(out, Value{N: checksumUnverified})
	})
	reg("udp.checksum.status", TypeUint, 8, false, func(p *Packet, out []Value) []Value {
		if !p.Has(ProtoUDP) {
			return out
		}
		if p.UDP.Checksum == 0 && p.Has(ProtoIP) && !p.Has(ProtoIPv6) {
			return append(out, Value{N: checksumNotPresent})
		}
		return append(out, Value{N: checksumUnverified})
	})
}
