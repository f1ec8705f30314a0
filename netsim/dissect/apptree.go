package dissect

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The -V tree of the application protocols: the lines tshark 4.0 prints
// for them that netsim decodes (a subset for TLS handshakes).

// app writes the application layers of p after its transport layer.
func (t *treeWriter) app(p *Packet) {
	if r := p.Reassembled; r != nil {
		t.reassembled(r)
	}
	if p.DNS != nil {
		t.dns(p, p.DNS)
	}
	if p.TLS != nil && len(p.HTTP) > 0 && p.HTTP[0].TLS {
		// HTTP decrypted from the TLS records (tlsdecrypt.go).
		t.tls(p.TLS)
		for _, m := range p.HTTP {
			t.http(p, m)
		}
		return
	}
	for _, m := range p.HTTP {
		t.http(p, m)
	}
	if p.TLS != nil {
		t.tls(p.TLS)
	}
}

// tcpSegmentData writes the "TCP segment data" lines of a segment whose
// data went to reassembly.
func (t *treeWriter) tcpSegmentData(d int, p *Packet) {
	for _, n := range p.TCP.SegData {
		if n == 1 {
			t.f(d, "TCP segment data (1 byte)")
		} else {
			t.f(d, "TCP segment data (%d bytes)", n)
		}
	}
}

func (t *treeWriter) reassembled(r *Reassembly) {
	var sb strings.Builder
	for i, s := range r.Segments {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("#" + itoa(s.Frame) + "(" + itoa(s.Len) + ")")
	}
	t.g(0, "%d Reassembled TCP Segments (%d bytes): %s", len(r.Segments), len(r.Data), sb.String())
	off := 0
	for _, s := range r.Segments {
		t.g(1, "Frame: %d, payload: %d-%d (%d bytes)", s.Frame, off, off+s.Len-1, s.Len)
		off += s.Len
	}
	t.g(1, "Segment count: %d", len(r.Segments))
	t.g(1, "Reassembled TCP length: %d", len(r.Data))
	t.g(1, "Reassembled TCP Data: %s", bytesLabel(r.Data))
}

func (t *treeWriter) dns(p *Packet, m *DNS) {
	name := "Domain Name System"
	switch m.Kind {
	case DNSMulticast:
		name = "Multicast Domain Name System"
	case DNSLLMNR:
		name = "Link-local Multicast Name Resolution"
	}
	resp := m.Flags&0x8000 != 0
	if resp {
		name += " (response)"
	} else {
		name += " (query)"
	}
	t.f(0, "%s", name)
	if m.TCP {
		t.f(1, "Length: %d", m.Length)
	}
	if m.Info == "" {
		return
	}
	t.f(1, "Transaction ID: 0x%04x", m.ID)
	plain := m.Kind == DNSPlain
	op := m.Flags >> 11 & 0xf
	if plain {
		flags := dnsOpcodes[op]
		if flags == "" {
			flags = "Unknown operation"
		}
		if resp {
			rc := dnsRcodes[m.Flags&0xf]
			if rc == "" {
				rc = "Unknown error"
			}
			flags += " response, " + rc
		}
		t.f(1, "Flags: 0x%04x %s", m.Flags, flags)
		fl := uint64(m.Flags)
		bit := func(mask uint64, label, on, off string) {
			v := off
			if fl&mask != 0 {
				v = on
			}
			t.bits(2, 16, mask, fl, "%s: %s", label, v)
		}
		bit(0x8000, "Response", "Message is a response", "Message is a query")
		t.bits(2, 16, 0x7800, fl, "Opcode: %s", valueName(dnsOpcodes[op], int(op)))
		if resp {
			bit(0x0400, "Authoritative", "Server is an authority for domain", "Server is not an authority for domain")
		}
		bit(0x0200, "Truncated", "Message is truncated", "Message is not truncated")
		bit(0x0100, "Recursion desired", "Do query recursively", "Don't do query recursively")
		if resp {
			bit(0x0080, "Recursion available", "Server can do recursive queries", "Server can't do recursive queries")
		}
		bit(0x0040, "Z", "reserved - incorrect!", "reserved (0)")
		if resp {
			bit(0x0020, "Answer authenticated", "Answer/authority portion was authenticated by the server", "Answer/authority portion was not authenticated by the server")
		} else if fl&0x0020 != 0 {
			bit(0x0020, "AD bit", "Set", "Not set")
		}
		bit(0x0010, "Non-authenticated data", "Acceptable", "Unacceptable")
		if resp {
			t.bits(2, 16, 0xf, fl, "Reply code: %s", valueName(dnsRcodes[m.Flags&0xf], int(m.Flags&0xf)))
		}
	}
	if op != 5 {
		t.f(1, "Questions: %d", m.Counts[0])
		t.f(1, "Answer RRs: %d", m.Counts[1])
		t.f(1, "Authority RRs: %d", m.Counts[2])
		t.f(1, "Additional RRs: %d", m.Counts[3])
	}
	if len(m.Queries) > 0 && op != 5 {
		t.f(1, "Queries")
		for _, q := range m.Queries {
			head := q.Name + ": type " + dnsTypeName(q.Type) + ", class " + dnsClassName(q.Class)
			if m.Kind == DNSMulticast {
				if q.QU {
					head += `, "QU" question`
				} else {
					head += `, "QM" question`
				}
			}
			t.f(2, "%s", head)
			t.f(3, "Name: %s", q.Name)
			n := 0
			if len(q.Name) > 1 {
				n = len(q.Name)
			}
			t.g(3, "Name Length: %d", n)
			t.g(3, "Label Count: %d", dnsLabels(q.Name))
			t.f(3, "Type: %s", valueName(dnsTypeDescs()[q.Type], int(q.Type)))
			if plain {
				t.f(3, "Class: %s (0x%04x)", dnsClassName(q.Class), q.Class)
			}
		}
	}
	if op != 5 {
		heads := [3]string{"Answers", "Authoritative nameservers", "Additional records"}
		sec := uint8(255)
		for i := range m.Records {
			r := &m.Records[i]
			if r.Section != sec {
				sec = r.Section
				t.f(1, "%s", heads[sec])
			}
			if !plain {
				continue
			}
			t.dnsRecord(r)
		}
	}
	if resp && m.RequestIn != 0 && plain {
		t.g(1, "Request In: %d", m.RequestIn)
		t.g(1, "Time: %s", secs(p.Time-m.RequestTime))
	}
}

// dnsRecord writes one resource record's subtree.
func (t *treeWriter) dnsRecord(r *DNSRecord) {
	if r.Type == 41 {
		t.f(2, "%s: type %s", r.Name, dnsTypeName(r.Type))
		t.f(3, "Name: %s", r.Name)
		t.f(3, "Type: %s", valueName(dnsTypeDescs()[r.Type], int(r.Type)))
		t.f(3, "UDP payload size: %d", r.Class)
		t.f(3, "Higher bits in extended RCODE: 0x%02x", r.TTL>>24)
		t.f(3, "EDNS0 version: %d", r.TTL>>16&0xff)
		z := uint64(r.TTL & 0xffff)
		t.f(3, "Z: 0x%04x", z)
		do := "Cannot handle DNSSEC security RRs"
		if z&0x8000 != 0 {
			do = "Accepts DNSSEC security RRs"
		}
		t.bits(4, 16, 0x8000, z, "DO bit: %s", do)
		t.bits(4, 16, 0x7fff, z, "Reserved: 0x%04x", z&0x7fff)
		t.f(3, "Data length: %d", len(r.Data))
		return
	}
	head := r.Name + ": type " + dnsTypeName(r.Type) + ", class " + dnsClassName(r.Class)
	if len(r.Data) > 0 {
		switch r.Type {
		case 1:
			if r.Class == 1 && len(r.Data) >= 4 {
				head += ", addr " + ipv4String(be32(r.Data))
			}
		case 28:
			if len(r.Data) >= 16 {
				head += ", addr " + ipv6String(r.Data[:16])
			}
		case 2:
			head += ", ns " + r.Target
		case 5:
			head += ", cname " + r.Target
		case 6:
			head += ", mname " + r.Target
		case 12:
			head += ", " + r.Target
		case 15:
			head += ", preference " + itoa(int(r.Pref)) + ", mx " + r.Target
		case 33:
			head += ", priority " + itoa(int(r.Priority)) + ", weight " + itoa(int(r.Weight)) + ", port " + itoa(int(r.Port)) + ", target " + r.Target
		}
	}
	t.f(2, "%s", head)
	t.f(3, "Name: %s", r.Name)
	t.f(3, "Type: %s", valueName(dnsTypeDescs()[r.Type], int(r.Type)))
	t.f(3, "Class: %s (0x%04x)", dnsClassName(r.Class), r.Class)
	t.f(3, "Time to live: %d (%s)", r.TTL, unsignedSecs(r.TTL))
	t.f(3, "Data length: %d", len(r.Data))
	if len(r.Data) == 0 {
		return
	}
	switch r.Type {
	case 1:
		if r.Class == 1 && len(r.Data) >= 4 {
			t.f(3, "Address: %s", ipv4String(be32(r.Data)))
		}
	case 28:
		if len(r.Data) >= 16 {
			t.f(3, "AAAA Address: %s", ipv6String(r.Data[:16]))
		}
	case 2:
		t.f(3, "Name Server: %s", r.Target)
	case 5:
		t.f(3, "CNAME: %s", r.Target)
	case 6:
		t.f(3, "Primary name server: %s", r.Target)
	case 12:
		t.f(3, "Domain Name: %s", r.Target)
	case 15:
		t.f(3, "Preference: %d", r.Pref)
		t.f(3, "Mail Exchange: %s", r.Target)
	case 16:
		for _, s := range txtStrings(r.Data) {
			t.f(3, "TXT Length: %d", len(s))
			t.f(3, "TXT: %s", formatText(s))
		}
	}
}

var httpStatusText = map[int]string{100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted",
	204: "No Content", 206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
	403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 501: "Not Implemented",
	502: "Bad Gateway", 503: "Service Unavailable"}

// httpLine renders a header line as Wireshark labels it, its line end
// escaped.
func httpLine(raw string) string {
	if strings.HasSuffix(raw, "\r\n") {
		return formatText(strings.TrimSuffix(raw, "\r\n")) + `\r\n`
	}
	if strings.HasSuffix(raw, "\n") {
		return formatText(strings.TrimSuffix(raw, "\n")) + `\n`
	}
	return formatText(raw) // a last line without its end
}

func (t *treeWriter) http(p *Packet, m *HTTP) {
	t.f(0, "Hypertext Transfer Protocol")
	if !m.Request && !m.Response {
		return
	}
	lines := strings.SplitAfter(string(m.Data[:m.HeaderLen]), "\n")
	for i, raw := range lines {
		if raw == "" {
			continue
		}
		label := httpLine(raw)
		t.f(1, "%s", label)
		if i == 0 {
			t.expert(2, "Chat", "Sequence", label)
			if m.Request {
				t.f(2, "Request Method: %s", m.Method)
				t.f(2, "Request URI: %s", m.URI)
				t.f(2, "Request Version: %s", m.Version)
			} else {
				t.f(2, "Response Version: %s", m.Version)
				t.f(2, "Status Code: %d", m.Code)
				if s, ok := httpStatusText[m.Code]; ok {
					t.g(2, "Status Code Description: %s", s)
				}
				t.f(2, "Response Phrase: %s", m.Phrase)
			}
			continue
		}
		name, _, _ := strings.Cut(raw, ":")
		if equalFold(name, "Content-Length") && m.ContentLength >= 0 {
			t.g(2, "Content length: %d", m.ContentLength)
		}
	}
	if m.Request {
		if u := m.FullURI(); u != "" {
			t.g(1, "Full request URI: %s", u)
		}
		t.g(1, "HTTP request %d/%d", m.Number, m.Number)
		if m.PrevRequest != 0 {
			t.g(1, "Prev request in frame: %d", m.PrevRequest)
		}
	} else {
		t.g(1, "HTTP response %d/%d", m.Number, m.Number)
		if m.RequestIn != 0 {
			t.g(1, "Time since request: %s", secs(p.Time-m.RequestTime))
			if m.PrevRequest != 0 {
				t.g(1, "Prev request in frame: %d", m.PrevRequest)
			}
			if m.PrevResponse != 0 {
				t.g(1, "Prev response in frame: %d", m.PrevResponse)
			}
			t.g(1, "Request in frame: %d", m.RequestIn)
			if m.RequestURI != "" {
				t.g(1, "Request URI: %s", m.RequestURI)
			}
		}
	}
	if len(m.Body) > 0 && m.Header("Transfer-Encoding") == "" {
		t.f(1, "File Data: %d bytes", len(m.Body))
		if mt := m.mediaType(); strings.HasPrefix(mt, "text/") && !isXMLType(mt) {
			body := strings.SplitAfter(string(m.Body), "\n")
			if body[len(body)-1] == "" {
				body = body[:len(body)-1]
			}
			t.f(0, "Line-based text data: %s (%d lines)", mt, len(body))
			for _, l := range body {
				t.f(1, "%s", httpLine(l))
			}
		}
	}
}

func (t *treeWriter) tls(s *TLS) {
	t.f(0, "Transport Layer Security")
	for i := range s.Records {
		r := &s.Records[i]
		if r.Bad {
			continue
		}
		ver := tlsVersionNames[r.SessionVersion]
		if ver == "" {
			ver = "TLS"
		}
		ct := tlsContentTypes[r.ContentType]
		var head string
		switch r.Type() {
		case 20:
			head = "Change Cipher Spec Protocol: Change Cipher Spec"
		case 21:
			head = "Alert Protocol: " + r.info()
			if r.Encrypted {
				head = "Encrypted Alert"
			} else if r.Decrypted() {
				head = r.info()
			}
		case 22:
			head = "Handshake Protocol: " + r.info()
			switch f := r.Fragment; {
			case f != nil && f.Middle:
				// Wireshark's label for a record in the middle of a
				// message, as for one whose message is not its first.
				head = "Handshake Protocol: Multiple Handshake Messages"
			case f != nil && len(r.Handshakes) == 0:
				head = "Handshake Protocol: " + tlsHandshakeName(f.Type) + " (fragment)"
			case r.Encrypted || len(r.Handshakes) == 0:
				head = "Handshake Protocol: Encrypted Handshake Message"
			case len(r.Handshakes) > 1 || f != nil:
				head = "Handshake Protocol: Multiple Handshake Messages"
			}
		case 23:
			head = "Application Data Protocol: " + r.AppProto
		default:
			head = ct
		}
		t.f(1, "%s Record Layer: %s", ver, head)
		if r.SessionVersion == 0x0304 && r.ContentType == 23 {
			t.f(2, "Opaque Type: %s (%d)", ct, r.ContentType)
		} else {
			t.f(2, "Content Type: %s (%d)", ct, r.ContentType)
		}
		t.f(2, "Version: %s (0x%04x)", tlsVersionLong[r.Version], r.Version)
		t.f(2, "Length: %d", r.Length)
		if r.Decrypted() && r.opaque() {
			t.g(2, "Content Type: %s", valueName(tlsContentTypes[r.InnerType], int(r.InnerType)))
		}
		switch r.Type() {
		case 20:
			t.f(2, "Change Cipher Spec Message")
		case 21:
			if !r.Encrypted {
				t.f(2, "Alert Message")
				t.f(3, "Level: %s (%d)", nameOr(tlsAlertLevels[r.AlertLevel], "Unknown", r.AlertLevel), r.AlertLevel)
				t.f(3, "Description: %s (%d)", nameOr(tlsAlertDescs[r.AlertDesc], "Unknown", r.AlertDesc), r.AlertDesc)
			}
		case 22:
			if (r.Encrypted || len(r.Handshakes) == 0) && r.Fragment == nil {
				t.f(2, "Handshake Protocol: Encrypted Handshake Message")
				break
			}
			for j := range r.Handshakes {
				if r.Decrypted() {
					t.tlsReassembled(&r.Handshakes[j])
					t.tls13Handshake(&r.Handshakes[j])
					continue
				}
				t.tlsReassembled(&r.Handshakes[j])
				if !t.tls12Handshake(r, &r.Handshakes[j]) {
					t.tlsHandshake(&r.Handshakes[j])
				}
			}
			if f := r.Fragment; f != nil {
				t.f(2, "Handshake Protocol: %s (fragment)", tlsHandshakeName(f.Type))
			}
		case 23:
			t.f(2, "Encrypted Application Data: %s", bytesLabel(r.Data))
			t.g(2, "Application Data Protocol: %s", r.AppProto)
		}
	}
}

func (t *treeWriter) tlsHandshake(h *TLSHandshake) {
	name := nameOr(tlsHandshakeNames[h.Type], "Unknown", h.Type)
	t.f(2, "Handshake Protocol: %s", name)
	t.f(3, "Handshake Type: %s (%d)", name, h.Type)
	t.f(3, "Length: %d", h.Length)
	if h.Random == nil {
		return
	}
	t.f(3, "Version: %s (0x%04x)", tlsVersionLong[h.Version], h.Version)
	t.f(3, "Random: %s", hex.EncodeToString(h.Random))
	if h.Type == 1 || (len(h.SupportedVersions) == 0 && h.Version != 0x0304) {
		at := time.Unix(int64(be32(h.Random)), 0).In(time.Local)
		t.f(4, "GMT Unix Time: %s %2d, %d %s.000000000 %s", at.Format("Jan"), at.Day(), at.Year(), at.Format("15:04:05"), at.Format("MST"))
		t.f(4, "Random Bytes: %s", hex.EncodeToString(h.Random[4:]))
	}
	t.f(3, "Session ID Length: %d", len(h.SessionID))
	if len(h.SessionID) > 0 {
		t.f(3, "Session ID: %s", hex.EncodeToString(h.SessionID))
	}
	if h.Type == 1 {
		t.f(3, "Cipher Suites Length: %d", 2*len(h.CipherSuites))
		t.f(3, "Cipher Suites (%d suite%s)", len(h.CipherSuites), plural(len(h.CipherSuites)))
		for _, c := range h.CipherSuites {
			if n, ok := tlsCipherNames()[c]; ok {
				t.f(4, "Cipher Suite: %s (0x%04x)", n, c)
			}
		}
		if h.CompMethods == nil {
			return
		}
		t.f(3, "Compression Methods Length: %d", len(h.CompMethods))
		t.f(3, "Compression Methods (%d method%s)", len(h.CompMethods), plural(len(h.CompMethods)))
		for _, m := range h.CompMethods {
			if m == 0 {
				t.f(4, "Compression Method: null (0)")
			}
		}
	} else {
		if n, ok := tlsCipherNames()[h.CipherSuite]; ok {
			t.f(3, "Cipher Suite: %s (0x%04x)", n, h.CipherSuite)
		}
		if len(h.CompMethods) == 1 && h.CompMethods[0] == 0 {
			t.f(3, "Compression Method: null (0)")
		}
	}
	t.tlsExtensions(h)
	t.ja3(h)
}

// tlsExtensions writes a handshake message's extensions block.
func (t *treeWriter) tlsExtensions(h *TLSHandshake) {
	if h.ExtLen < 0 {
		return
	}
	t.f(3, "Extensions Length: %d", h.ExtLen)
	for i, typ := range h.Extensions {
		n, ok := tlsExtNames()[typ]
		if !ok {
			continue
		}
		e := h.ExtData[i]
		t.f(3, "Extension: %s (len=%d)", n, len(e))
		t.f(4, "Type: %s (%d)", n, typ)
		t.f(4, "Length: %d", len(e))
		t.tlsExt(h, typ, e)
		if typ == 0 && h.SNI != "" && len(e) >= 5 {
			t.f(4, "Server Name Indication extension")
			t.f(5, "Server Name list length: %d", int(e[0])<<8|int(e[1]))
			t.f(5, "Server Name Type: host_name (0)")
			t.f(5, "Server Name length: %d", len(h.SNI))
			t.f(5, "Server Name: %s", h.SNI)
		}
		if typ == 43 && h.Type == 1 && len(h.SupportedVersions) > 0 {
			t.f(4, "Supported Versions length: %d", 2*len(h.SupportedVersions))
			for _, v := range h.SupportedVersions {
				if s, ok := tlsVersionLong[v]; ok {
					t.f(4, "Supported Version: %s (0x%04x)", s, v)
				}
			}
		}
		if typ == 43 && h.Type == 2 && len(h.SupportedVersions) == 1 {
			v := h.SupportedVersions[0]
			if s, ok := tlsVersionLong[v]; ok {
				t.f(4, "Supported Version: %s (0x%04x)", s, v)
			}
		}
	}
}

// tlsExt writes the decoded body of the extensions netsim knows.
func (t *treeWriter) tlsExt(h *TLSHandshake, typ uint16, e []byte) {
	u16 := func(b []byte) int { return int(b[0])<<8 | int(b[1]) }
	switch typ {
	case 13, 50: // signature_algorithms, signature_algorithms_cert
		if len(e) < 2 || u16(e)+2 > len(e) {
			return
		}
		n := u16(e)
		t.f(4, "Signature Hash Algorithms Length: %d", n)
		t.f(4, "Signature Hash Algorithms (%d algorithm%s)", n/2, plural(n/2))
		for i := 2; i+1 < 2+n; i += 2 {
			a := uint16(u16(e[i:]))
			if name, ok := tlsSigAlgNames()[a]; ok {
				t.f(5, "Signature Algorithm: %s (0x%04x)", name, a)
			} else {
				hn, sn := tlsSigHashNames[e[i]], tlsSigSigNames[e[i+1]]
				if hn == "" {
					hn = "Unknown"
				}
				if sn == "" {
					sn = "Unknown"
				}
				t.f(5, "Signature Algorithm: %s %s (0x%04x)", hn, sn, a)
			}
			t.f(6, "Signature Hash Algorithm Hash: %s", valueName(tlsSigHashNames[e[i]], int(e[i])))
			t.f(6, "Signature Hash Algorithm Signature: %s", valueName(tlsSigSigNames[e[i+1]], int(e[i+1])))
		}
	case 10: // supported_groups
		if len(e) < 2 || u16(e)+2 > len(e) {
			return
		}
		n := u16(e)
		t.f(4, "Supported Groups List Length: %d", n)
		t.f(4, "Supported Groups (%d group%s)", n/2, plural(n/2))
		for i := 2; i+1 < 2+n; i += 2 {
			g := uint16(u16(e[i:]))
			if name, ok := tlsGroupNames()[g]; ok {
				t.f(5, "Supported Group: %s (0x%04x)", name, g)
			}
		}
	case 11: // ec_point_formats
		if len(e) < 1 || int(e[0])+1 > len(e) {
			return
		}
		t.f(4, "EC point formats Length: %d", e[0])
		t.f(4, "Elliptic curves point formats (%d)", e[0])
		for _, f := range e[1 : 1+int(e[0])] {
			if f == 0 {
				t.f(5, "EC point format: uncompressed (0)")
			}
		}
	case 65281: // renegotiation_info
		if len(e) < 1 {
			return
		}
		t.f(4, "Renegotiation Info extension")
		t.f(5, "Renegotiation info extension length: %d", e[0])
	case 5: // status_request
		if len(e) == 5 && e[0] == 1 {
			t.f(4, "Certificate Status Type: OCSP (1)")
			t.f(4, "Responder ID list Length: %d", u16(e[1:]))
			t.f(4, "Request Extensions Length: %d", u16(e[3:]))
		}
	case 16: // application_layer_protocol_negotiation
		if len(e) < 2 || u16(e)+2 > len(e) {
			return
		}
		t.f(4, "ALPN Extension Length: %d", u16(e))
		t.f(4, "ALPN Protocol")
		for b := e[2 : 2+u16(e)]; len(b) > 0 && int(b[0])+1 <= len(b); b = b[1+int(b[0]):] {
			t.f(5, "ALPN string length: %d", b[0])
			t.f(5, "ALPN Next Protocol: %s", formatText(string(b[1:1+int(b[0])])))
		}
	case 51: // key_share
		t.f(4, "Key Share extension")
		b := e
		d := 5
		if h.Type == 1 {
			if len(e) < 2 {
				return
			}
			t.f(5, "Client Key Share Length: %d", u16(e))
			b = e[2:]
		} else {
			d = 5
		}
		for len(b) >= 4 && u16(b[2:])+4 <= len(b) {
			g := uint16(u16(b))
			n := u16(b[2:])
			name := tlsGroupNames()[g]
			if name == "" {
				return
			}
			t.f(d, "Key Share Entry: Group: %s, Key Exchange length: %d", name, n)
			t.f(d+1, "Group: %s (%d)", name, g)
			t.f(d+1, "Key Exchange Length: %d", n)
			t.f(d+1, "Key Exchange: %s", hex.EncodeToString(b[4:4+n]))
			b = b[4+n:]
		}
	}
}

// ja3 writes a hello's JA3 (Client Hello) or JA3S (Server Hello) lines.
func (t *treeWriter) ja3(h *TLSHandshake) {
	grease := func(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }
	join := func(vs []uint16) string {
		var parts []string
		for _, v := range vs {
			if !grease(v) {
				parts = append(parts, strconv.Itoa(int(v)))
			}
		}
		return strings.Join(parts, "-")
	}
	var s string
	if h.Type == 1 {
		var groups, formats []uint16
		for i, typ := range h.Extensions {
			e := h.ExtData[i]
			switch {
			case typ == 10 && len(e) >= 2:
				for j := 2; j+1 < len(e) && j < 2+(int(e[0])<<8|int(e[1])); j += 2 {
					groups = append(groups, uint16(e[j])<<8|uint16(e[j+1]))
				}
			case typ == 11 && len(e) >= 1:
				for j := 1; j < len(e) && j <= int(e[0]); j++ {
					formats = append(formats, uint16(e[j]))
				}
			}
		}
		s = strconv.Itoa(int(h.Version)) + "," + join(h.CipherSuites) + "," + join(h.Extensions) + "," + join(groups) + "," + join(formats)
		t.g(3, "JA3 Fullstring: %s", s)
		t.g(3, "JA3: %x", md5.Sum([]byte(s)))
		return
	}
	s = strconv.Itoa(int(h.Version)) + "," + strconv.Itoa(int(h.CipherSuite)) + "," + join(h.Extensions)
	t.g(3, "JA3S Fullstring: %s", s)
	t.g(3, "JA3S: %x", md5.Sum([]byte(s)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func itoa(n int) string { return strconv.Itoa(n) }

// valueName renders a value with its name as Wireshark's value strings
// do: "Name (7)", or "Unknown (7)".
func valueName(name string, v int) string {
	if name == "" {
		name = "Unknown"
	}
	return name + " (" + strconv.Itoa(v) + ")"
}
