package dissect

import "strconv"

// TCP Fast Open and Accurate ECN as tshark 4.0 shows them in the Info
// column.

// accECNSetup records a SYN that asks for Accurate ECN (AE, CWR and ECE
// all set): from then on tshark shows the three bits of the
// conversation's other segments as the ACE counter ("[ACK, ACE=2]").
func (c *tcpConv) accECNSetup(t *TCP) {
	if t.Flags&(thSYN|thACK) == thSYN && t.Flags&0x1c0 == 0x1c0 {
		c.accECN = true
	}
	t.ace = c.accECN && t.Flags&thSYN == 0
}

// tcpFlagsInfo is the flags part of the Info column: "[SYN, ACK]", or
// with ACE in place of ECE, CWR and AE.
func tcpFlagsInfo(t *TCP) string {
	if !t.ace {
		return flagList(t.Flags)
	}
	ace := "ACE=" + strconv.Itoa(int(t.Flags>>8&1<<2|t.Flags>>7&1<<1|t.Flags>>6&1))
	if s := flagList(t.Flags &^ 0x1c0); s != "<None>" {
		return s + ", " + ace
	}
	return ace
}

// tcpOptionInfo is what an option other than MSS, window scale, SACK
// and timestamps adds to the Info column: TCP Fast Open's cookie request
// or cookie (kind 34, or 254 with magic 0xf989), Accurate ECN's counters
// (kinds 172 and 174, or 254 with magic 0xacc0 and 0xacc1).
func tcpOptionInfo(o tcpOption) string {
	d := o.data
	kind := int(o.kind)
	if o.kind == 254 && len(d) >= 2 {
		kind = 0xfe0000 | int(d[0])<<8 | int(d[1])
		d = d[2:]
	}
	switch kind {
	case 34, 0xfef989:
		if len(d) == 0 {
			return " TFO=R"
		}
		return " TFO=C"
	case 172, 0xfeacc0:
		return accECNCounters(d, "EE0B", "ECEB", "EE1B")
	case 174, 0xfeacc1:
		return accECNCounters(d, "EE1B", "ECEB", "EE0B")
	}
	return ""
}

// accECNCounters lists the 24-bit counters an AccECN option carries.
func accECNCounters(d []byte, names ...string) string {
	var s string
	for i, n := range names {
		if len(d) < 3*(i+1) {
			break
		}
		c := d[3*i:]
		s += " " + n + "=" + strconv.Itoa(int(c[0])<<16|int(c[1])<<8|int(c[2]))
	}
	return s
}
