package dissect

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// icmpNames are Wireshark 4.0's ICMP type names (packet-icmp.c); types
// without one show as "Unknown ICMP (obsolete or malformed?)".
var icmpNames = map[uint8]string{
	0: "Echo (ping) reply", 1: "Reserved", 2: "Reserved", 3: "Destination unreachable",
	4: "Source quench (flow control)", 5: "Redirect", 6: "Alternate host address", 8: "Echo (ping) request",
	9: "Router advertisement", 10: "Router solicitation", 11: "Time-to-live exceeded", 12: "Parameter problem",
	13: "Timestamp request", 14: "Timestamp reply", 15: "Information request", 16: "Information reply",
	17: "Address mask request", 18: "Address mask reply", 19: "Reserved (for security)", 30: "Traceroute",
	31: "Datagram Conversion Error", 32: "Mobile Host Redirect", 33: "IPv6 Where-Are-You", 34: "IPv6 I-Am-Here",
	35: "Mobile Registration Request", 36: "Mobile Registration Reply", 37: "Domain Name Request",
	38: "Domain Name Reply", 39: "SKIP", 40: "Photuris", 41: "Experimental mobility protocols",
	42: "Extended Echo request", 43: "Extended Echo reply",
}

// icmpCodes are the code names of the ICMP types that have them; another
// code of such a type shows as "Unknown code: N".
var icmpCodes = map[uint8][]string{
	3: {"Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable", "Fragmentation needed",
		"Source route failed", "Destination network unknown", "Destination host unknown", "Source host isolated",
		"Network administratively prohibited", "Host administratively prohibited", "Network unreachable for TOS",
		"Host unreachable for TOS", "Communication administratively filtered", "Host precedence violation",
		"Precedence cutoff in effect"},
	5:  {"Redirect for network", "Redirect for host", "Redirect for TOS and network", "Redirect for TOS and host"},
	6:  {"Alternate address for host"},
	11: {"Time to live exceeded in transit", "Fragment reassembly time exceeded"},
	12: {"Pointer indicates the error", "Required option missing", "Bad length"},
	40: {"Bad SPI", "Authentication Failed", "Decompression Failed", "Decryption Failed", "Need Authentication", "Need Authorization"},
	42: {"No error"},
	43: {"No error", "Malformed Query", "No Such Interface", "No Such Table Entry", "Multiple Interfaces Satisfy Query"},
}

// icmpIDTypes are the ICMP types whose Info shows the identifier and
// sequence number: echo, timestamp, information and address mask.
func icmpIDType(t uint8) bool {
	return t == 0 || t == 8 || (t >= 13 && t <= 18)
}

// icmpInfo is the ICMP Info column: the type name padded to 20
// characters, the code name in parentheses, and for echo-like messages
// the identifier, sequence number (big- and little-endian) and TTL.
func icmpInfo(p *Packet) string {
	c := &p.ICMP
	name, ok := icmpNames[c.Type]
	if !ok {
		return "Unknown ICMP (obsolete or malformed?)"
	}
	s := fmt.Sprintf("%-20s", name)
	if codes, ok := icmpCodes[c.Type]; ok {
		if int(c.Code) < len(codes) {
			s += " (" + codes[c.Code] + ")"
		} else {
			s += " (Unknown code: " + strconv.Itoa(int(c.Code)) + ")"
		}
	}
	b := p.raw[idICMP]
	if icmpIDType(c.Type) && len(b) >= 8 {
		id, seq := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
		s += fmt.Sprintf(" id=0x%04x, seq=%d/%d, ttl=%d", id, seq, seq>>8|seq<<8, p.IP.TTL)
		if c.Type == 0 && c.RequestIn != 0 {
			s += fmt.Sprintf(" (request in %d)", c.RequestIn)
		}
	}
	return s
}

// icmpv6Names are Wireshark 4.0's ICMPv6 type names (packet-icmpv6.c);
// others show as "Unknown (N)".
var icmpv6Names = map[uint8]string{
	1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
	100: "Private experimentation", 101: "Private experimentation", 127: "Reserved for expansion of ICMPv6 error messages",
	128: "Echo (ping) request", 129: "Echo (ping) reply", 130: "Multicast Listener Query", 131: "Multicast Listener Report",
	132: "Multicast Listener Done", 133: "Router Solicitation", 134: "Router Advertisement", 135: "Neighbor Solicitation",
	136: "Neighbor Advertisement", 137: "Redirect", 138: "Router Renumbering", 139: "Node Information Query",
	140: "Node Information Reply", 141: "Inverse Neighbor Discovery Solicitation", 142: "Inverse Neighbor Discovery Advertisement",
	143: "Multicast Listener Report Message v2", 144: "Home Agent Address Discovery Request", 145: "Home Agent Address Discovery Reply",
	146: "Mobile Prefix Solicitation", 147: "Mobile Prefix Advertisement", 148: "Certification Path Solicitation",
	149: "Certification Path Advertisement", 150: "Experimental Mobility", 151: "Multicast Router Advertisement",
	152: "Multicast Router Solicitation", 153: "Multicast Router Termination", 154: "FMIPv6", 155: "RPL Control",
	156: "Locator Update", 157: "Duplicate Address Request", 158: "Duplicate Address Confirmation", 159: "MPL Control Message",
	160: "Extended Echo request", 161: "Extended Echo reply", 200: "Private experimentation", 201: "Private experimentation",
	255: "Reserved for expansion of ICMPv6 informational messages",
}

// icmpv6Codes are the code names of the ICMPv6 types whose Info shows
// one; another code shows as "Unknown (N)" ("Unknown" for type 1).
var icmpv6Codes = map[uint8]map[uint8]string{
	138: {0: "Command", 1: "Result", 255: "Sequence number reset"},
	139: {0: "Query subject = IPv6 addresses", 1: "Query subject = DNS name or empty", 2: "Query subject = IPv4 addresses"},
	140: {0: "Successful", 1: "Refused", 2: "Unknown query type"},
	150: {},
	154: {},
	155: {0: "DODAG Information Solicitation", 1: "DODAG Information Object", 2: "Destination Advertisement Object",
		3: "Destination Advertisement Object Acknowledgment", 0x80: "Secure DODAG Information Solicitation",
		0x81: "Secure DODAG Information Object", 0x82: "Secure Destination Advertisement Object",
		0x83: "Secure Destination Advertisement Object Acknowledgment", 0x8a: "Consistency Check"},
	160: {0: "No error"},
	161: {0: "No error", 1: "Malformed Query", 2: "No Such Interface", 3: "No Such Table Entry", 4: "Multiple Interfaces Satisfy Query"},
}

// icmpv6Info is the ICMPv6 Info column: the type name, the code name in
// parentheses for the types that have them, and per type the echo
// identifiers, the Neighbor Discovery target and link-layer addresses.
func icmpv6Info(p *Packet) string {
	c := &p.ICMPv6
	b := p.raw[idICMPv6]
	switch {
	case c.Echo && c.Type == 128:
		return fmt.Sprintf("Echo (ping) request id=0x%04x, seq=%d, hop limit=%d", c.Ident, c.Seq, p.IPv6.HopLimit)
	case c.Echo && c.Type == 129:
		s := fmt.Sprintf("Echo (ping) reply id=0x%04x, seq=%d, hop limit=%d", c.Ident, c.Seq, p.IPv6.HopLimit)
		if c.RequestIn != 0 {
			s += fmt.Sprintf(" (request in %d)", c.RequestIn)
		}
		return s
	}
	name, ok := icmpv6Names[c.Type]
	if !ok {
		return "Unknown (" + strconv.Itoa(int(c.Type)) + ")"
	}
	s := name
	if e, ok := icmpv6Errors[c.Type]; ok && e.unknown != nil {
		code := e.unknown(c.Code)
		if int(c.Code) < len(e.codes) {
			code = e.codes[c.Code]
		}
		s += " (" + code + ")"
	} else if codes, ok := icmpv6Codes[c.Type]; ok {
		code, ok := codes[c.Code]
		if !ok {
			code = "Unknown (" + strconv.Itoa(int(c.Code)) + ")"
		}
		s += " (" + code + ")"
	}
	// Neighbor Discovery: the target, flags and link-layer addresses.
	var opts []byte
	switch {
	case c.Type == 133 && len(b) >= 8:
		opts = b[8:]
	case c.Type == 134 && len(b) >= 16:
		opts = b[16:]
	case c.Type == 135 && len(b) >= 24:
		s += " for " + ipv6String(b[8:24])
		opts = b[24:]
	case c.Type == 136 && len(b) >= 24:
		var flags []string
		for i, n := range []string{"rtr", "sol", "ovr"} {
			if b[4]&(0x80>>i) != 0 {
				flags = append(flags, n)
			}
		}
		s += " " + ipv6String(b[8:24]) + " (" + strings.Join(flags, ", ") + ")"
		if mac := ndpOption(b[24:], 2); mac != nil {
			s += " is at " + macString(mac)
		}
		return s
	case c.Type == 137 && len(b) >= 40:
		opts = b[40:]
	}
	if mac := ndpOption(opts, 1); mac != nil {
		s += " from " + macString(mac)
	}
	return s
}
