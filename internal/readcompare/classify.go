package readcompare

import (
	"regexp"
	"strings"
)

// Columns are the columns of one summary line in tshark's default format:
// No., Time, Source, Destination, Protocol, Length, Info.
type Columns struct {
	No, Time, Src, Dst, Proto, Len, Info string
}

// ParseLine splits a summary line into its columns. tshark pads Source to
// 12 characters (right-aligned) and Destination to 12 (left-aligned) around
// " → "; either may be empty.
func ParseLine(s string) Columns {
	var c Columns
	left, right, ok := strings.Cut(s, " → ")
	if !ok {
		f := strings.Fields(s)
		get := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		c.No, c.Time = get(0), get(1)
		c.Info = strings.Join(f[min(2, len(f)):], " ")
		return c
	}
	lf := strings.Fields(left)
	if len(lf) > 0 {
		c.No = lf[0]
	}
	if len(lf) > 1 {
		c.Time = lf[1]
	}
	if len(lf) > 2 {
		c.Src = strings.Join(lf[2:], " ")
	}
	if !strings.HasPrefix(right, " ") { // a Destination is there
		var rest string
		c.Dst, rest, _ = strings.Cut(right, " ")
		right = rest
	}
	right = strings.TrimLeft(right, " ")
	c.Proto, right, _ = strings.Cut(right, " ")
	c.Len, c.Info, _ = strings.Cut(right, " ")
	return c
}

var (
	reMAC    = regexp.MustCompile(`\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b`)
	reVendor = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9-]*_[0-9a-f]{2}(:[0-9a-f]{2}){2}\b`)
	reIPv6   = regexp.MustCompile(`\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\b`)
	reIPv4   = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`)
	reHex    = regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`)
	reNum    = regexp.MustCompile(`\d+`)
)

// Shape replaces the variable parts of a column (addresses, numbers) by
// placeholders, so that differences of the same kind share a signature.
func Shape(s string) string {
	s = reVendor.ReplaceAllString(s, "Vendor_MAC")
	s = reMAC.ReplaceAllString(s, "MAC")
	s = reIPv4.ReplaceAllString(s, "IP4")
	s = reIPv6.ReplaceAllString(s, "IP6")
	s = reHex.ReplaceAllString(s, "0xH")
	s = reNum.ReplaceAllString(s, "N")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// Kind is a short signature of how netsim's line differs from tshark's: the
// first column that differs and the shapes of the two values there (for
// Info, the first word that differs).
func Kind(tshark, netsim string) string {
	t, n := ParseLine(tshark), ParseLine(netsim)
	switch {
	case t.Proto != n.Proto:
		return "Protocol: " + q(t.Proto) + " vs " + q(n.Proto)
	case t.Src != n.Src || t.Dst != n.Dst:
		if t.Src != n.Src {
			return "Source: " + q(Shape(t.Src)) + " vs " + q(Shape(n.Src))
		}
		return "Destination: " + q(Shape(t.Dst)) + " vs " + q(Shape(n.Dst))
	case t.Len != n.Len:
		return "Length"
	case t.No != n.No:
		return "No."
	case t.Time != n.Time:
		return "Time: " + q(Shape(t.Time)) + " vs " + q(Shape(n.Time))
	case t.Info != n.Info:
		return "Info: " + infoDiff(t.Info, n.Info)
	}
	return "padding"
}

func q(s string) string { return "«" + s + "»" }

// infoDiff names the first differing word of two Info columns (a whole
// bracketed phrase such as "[TCP Retransmission]"; the first three words
// when the columns differ from the start), with the word before it.
func infoDiff(t, n string) string {
	tw, nw := strings.Fields(t), strings.Fields(n)
	i := 0
	for i < len(tw) && i < len(nw) && tw[i] == nw[i] {
		i++
	}
	// Back up to the start of a bracketed phrase the difference is in.
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		if strings.Contains(tw[k], "]") {
			break
		}
		if strings.HasPrefix(tw[k], "[") {
			i = k
			break
		}
	}
	word := func(w []string) string {
		if i >= len(w) {
			return "(end)"
		}
		j := i + 1
		switch {
		case strings.HasPrefix(w[i], "["):
			for j = i; j < len(w) && !strings.Contains(w[j], "]") && j-i < 4; j++ {
			}
			j = min(j+1, len(w))
		case i == 0:
			j = min(3, len(w))
		}
		return Shape(strings.Join(w[i:j], " "))
	}
	where := ""
	if i > 0 {
		where = "after " + q(Shape(tw[i-1])) + ": "
	}
	a, b := word(tw), word(nw)
	if a == b { // same shape: the numbers differ
		return where + q(a) + " values differ"
	}
	return where + q(a) + " vs " + q(b)
}
