package dissect

// Fields of the application protocols (dns.*, http.*, tls.*), with
// Wireshark 4.0's names and types (tshark -G fields).

func init() { registrars = append(registrars, registerDNS, registerHTTP, registerTLS) }

// dnsField registers a field of DNS messages.
func dnsField(name string, t FieldType, bits int, hex bool, v func(m *DNS, out []Value) []Value) {
	reg(name, t, bits, hex, func(p *Packet, out []Value) []Value {
		if p.DNS == nil {
			return out
		}
		return v(p.DNS, out)
	})
}

func registerDNS() {
	for _, x := range []struct {
		name string
		id   byte
		kind uint8
	}{{"dns", idDNS, DNSPlain}, {"mdns", idMDNS, DNSMulticast}, {"llmnr", idLLMNR, DNSLLMNR}} {
		x := x
		reg(x.name, TypeProtocol, 0, false, func(p *Packet, out []Value) []Value {
			if p.DNS == nil || p.DNS.Kind != x.kind {
				return out
			}
			return append(out, Value{B: p.raw[x.id]})
		})
	}
	u16 := func(name string, hex bool, v func(m *DNS) uint16) {
		dnsField(name, TypeUint, 16, hex, func(m *DNS, out []Value) []Value {
			if len(m.Info) == 0 {
				return out
			}
			return append(out, Value{N: uint64(v(m))})
		})
	}
	dnsField("dns.length", TypeUint, 16, false, func(m *DNS, out []Value) []Value {
		if !m.TCP {
			return out
		}
		return append(out, Value{N: uint64(m.Length)})
	})
	u16("dns.id", true, func(m *DNS) uint16 { return m.ID })
	u16("dns.flags", true, func(m *DNS) uint16 { return m.Flags })
	u16("dns.count.queries", false, func(m *DNS) uint16 { return m.Counts[0] })
	u16("dns.count.answers", false, func(m *DNS) uint16 { return m.Counts[1] })
	u16("dns.count.auth_rr", false, func(m *DNS) uint16 { return m.Counts[2] })
	u16("dns.count.add_rr", false, func(m *DNS) uint16 { return m.Counts[3] })
	u16("dns.flags.opcode", false, func(m *DNS) uint16 { return m.Flags >> 11 & 0xf })
	flag := func(name string, mask uint16, responseOnly bool) {
		dnsField(name, TypeBool, 0, false, func(m *DNS, out []Value) []Value {
			if len(m.Info) == 0 || (responseOnly && m.Flags&0x8000 == 0) {
				return out
			}
			if m.Flags&mask != 0 {
				return append(out, Value{N: 1})
			}
			return append(out, Value{N: 0})
		})
	}
	flag("dns.flags.response", 0x8000, false)
	flag("dns.flags.authoritative", 0x0400, true)
	flag("dns.flags.truncated", 0x0200, false)
	flag("dns.flags.recdesired", 0x0100, false)
	flag("dns.flags.recavail", 0x0080, true)
	flag("dns.flags.z", 0x0040, false)
	flag("dns.flags.authenticated", 0x0020, true)
	flag("dns.flags.checkdisable", 0x0010, false)
	dnsField("dns.flags.rcode", TypeUint, 16, false, func(m *DNS, out []Value) []Value {
		if len(m.Info) == 0 || m.Flags&0x8000 == 0 {
			return out
		}
		return append(out, Value{N: uint64(m.Flags & 0xf)})
	})
	qry := func(name string, t FieldType, bits int, hex bool, v func(q *DNSQuery) Value) {
		dnsField(name, t, bits, hex, func(m *DNS, out []Value) []Value {
			for i := range m.Queries {
				out = append(out, v(&m.Queries[i]))
			}
			return out
		})
	}
	qry("dns.qry.name", TypeString, 0, false, func(q *DNSQuery) Value { return Value{S: q.Name} })
	qry("dns.qry.name.len", TypeUint, 16, false, func(q *DNSQuery) Value {
		if len(q.Name) > 1 {
			return Value{N: uint64(len(q.Name))}
		}
		return Value{}
	})
	qry("dns.count.labels", TypeUint, 16, false, func(q *DNSQuery) Value { return Value{N: uint64(dnsLabels(q.Name))} })
	qry("dns.qry.type", TypeUint, 16, false, func(q *DNSQuery) Value { return Value{N: uint64(q.Type)} })
	qry("dns.qry.class", TypeUint, 16, true, func(q *DNSQuery) Value { return Value{N: uint64(q.Class)} })
	rr := func(name string, t FieldType, bits int, hex bool, v func(r *DNSRecord, out []Value) []Value) {
		dnsField(name, t, bits, hex, func(m *DNS, out []Value) []Value {
			for i := range m.Records {
				out = v(&m.Records[i], out)
			}
			return out
		})
	}
	rr("dns.resp.name", TypeString, 0, false, func(r *DNSRecord, out []Value) []Value { return append(out, Value{S: r.Name}) })
	rr("dns.resp.type", TypeUint, 16, false, func(r *DNSRecord, out []Value) []Value { return append(out, Value{N: uint64(r.Type)}) })
	rr("dns.resp.class", TypeUint, 16, true, func(r *DNSRecord, out []Value) []Value {
		if r.Type == 41 {
			return out
		}
		return append(out, Value{N: uint64(r.Class)})
	})
	rr("dns.resp.ttl", TypeUint, 32, false, func(r *DNSRecord, out []Value) []Value {
		if r.Type == 41 {
			return out
		}
		return append(out, Value{N: uint64(r.TTL)})
	})
	rr("dns.resp.len", TypeUint, 16, false, func(r *DNSRecord, out []Value) []Value { return append(out, Value{N: uint64(len(r.Data))}) })
	rr("dns.a", TypeIPv4, 0, false, func(r *DNSRecord, out []Value) []Value {
		if r.Type != 1 || r.Class != 1 || len(r.Data) < 4 {
			return out
		}
		return append(out, Value{N: uint64(be32(r.Data))})
	})
	rr("dns.aaaa", TypeIPv6, 0, false, func(r *DNSRecord, out []Value) []Value {
		if r.Type != 28 || len(r.Data) < 16 {
			return out
		}
		return append(out, Value{B: r.Data[:16]})
	})
	target := func(name string, typ uint16) {
		rr(name, TypeString, 0, false, func(r *DNSRecord, out []Value) []Value {
			if r.Type != typ || len(r.Data) == 0 {
				return out
			}
			return append(out, Value{S: r.Target})
		})
	}
	target("dns.ns", 2)
	target("dns.cname", 5)
	target("dns.soa.mname", 6)
	target("dns.ptr.domain_name", 12)
	target("dns.mx.mail_exchange", 15)
	target("dns.srv.target", 33)
	num := func(name string, typ uint16, v func(r *DNSRecord) uint16) {
		rr(name, TypeUint, 16, false, func(r *DNSRecord, out []Value) []Value {
			if r.Type != typ || len(r.Data) == 0 {
				return out
			}
			return append(out, Value{N: uint64(v(r))})
		})
	}
	num("dns.mx.preference", 15, func(r *DNSRecord) uint16 { return r.Pref })
	num("dns.srv.priority", 33, func(r *DNSRecord) uint16 { return r.Priority })
	num("dns.srv.weight", 33, func(r *DNSRecord) uint16 { return r.Weight })
	num("dns.srv.port", 33, func(r *DNSRecord) uint16 { return r.Port })
	rr("dns.txt", TypeString, 0, false, func(r *DNSRecord, out []Value) []Value {
		if r.Type != 16 {
			return out
		}
		for _, s := range txtStrings(r.Data) {
			out = append(out, Value{S: s})
		}
		return out
	})
	dnsField("dns.response_to", TypeFrameNum, 0, false, func(m *DNS, out []Value) []Value {
		if m.RequestIn == 0 {
			return out
		}
		return append(out, Value{N: uint64(m.RequestIn)})
	})
}

// dnsLabels is Wireshark's label count of a name: dots plus one.
func dnsLabels(name string) int {
	if len(name) <= 1 {
		return 0
	}
	n := 1
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			n++
		}
	}
	return n
}

// txtStrings splits TXT record data into its character strings.
func txtStrings(b []byte) []string {
	var out []string
	for len(b) > 0 {
		n := int(b[0])
		if 1+n > len(b) {
			break
		}
		out = append(out, string(b[1:1+n]))
		b = b[1+n:]
	}
	return out
}

// httpField registers a field of HTTP messages.
func httpField(name string, t FieldType, bits int, v func(p *Packet, m *HTTP, out []Value) []Value) {
	reg(name, t, bits, false, func(p *Packet, out []Value) []Value {
		for _, m := range p.HTTP {
			out = v(p, m, out)
		}
		return out
	})
}

func registerHTTP() {
	protoField("http", ProtoHTTP, idHTTP)
	httpField("http.request", TypeBool, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
		if !m.Request {
			return out
		}
		return append(out, Value{N: 1})
	})
	httpField("http.response", TypeBool, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
		if !m.Response {
			return out
		}
		return append(out, Value{N: 1})
	})
	str := func(name string, req bool, v func(m *HTTP) string) {
		httpField(name, TypeString, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
			if (req && !m.Request) || (!req && !m.Response) {
				return out
			}
			return append(out, Value{S: v(m)})
		})
	}
	str("http.request.method", true, func(m *HTTP) string { return m.Method })
	str("http.request.uri", true, func(m *HTTP) string { return m.URI })
	str("http.request.version", true, func(m *HTTP) string { return m.Version })
	str("http.response.version", false, func(m *HTTP) string { return m.Version })
	str("http.response.phrase", false, func(m *HTTP) string { return m.Phrase })
	httpField("http.response.code", TypeUint, 16, func(_ *Packet, m *HTTP, out []Value) []Value {
		if !m.Response {
			return out
		}
		return append(out, Value{N: uint64(m.Code)})
	})
	httpField("http.request.full_uri", TypeString, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
		if !m.Request || m.FullURI() == "" {
			return out
		}
		return append(out, Value{S: m.FullURI()})
	})
	hdr := func(name, header string) {
		httpField(name, TypeString, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
			for _, h := range m.Headers {
				if equalFold(h.Name, header) {
					out = append(out, Value{S: h.Value})
				}
			}
			return out
		})
	}
	hdr("http.host", "Host")
	hdr("http.user_agent", "User-Agent")
	hdr("http.content_type", "Content-Type")
	hdr("http.content_length_header", "Content-Length")
	hdr("http.connection", "Connection")
	hdr("http.server", "Server")
	httpField("http.content_length", TypeUint, 64, func(_ *Packet, m *HTTP, out []Value) []Value {
		if m.ContentLength < 0 {
			return out
		}
		return append(out, Value{N: uint64(m.ContentLength)})
	})
	httpField("http.request_in", TypeFrameNum, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
		if !m.Response || m.RequestIn == 0 {
			return out
		}
		return append(out, Value{N: uint64(m.RequestIn)})
	})
	prev := func(name string, v func(m *HTTP) int) {
		httpField(name, TypeFrameNum, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
			if v(m) == 0 {
				return out
			}
			return append(out, Value{N: uint64(v(m))})
		})
	}
	prev("http.prev_request_in", func(m *HTTP) int { return m.PrevRequest })
	prev("http.prev_response_in", func(m *HTTP) int { return m.PrevResponse })
	httpField("http.time", TypeTime, 0, func(p *Packet, m *HTTP, out []Value) []Value {
		if !m.Response || m.RequestIn == 0 {
			return out
		}
		return append(out, Value{N: uint64(p.Time - m.RequestTime)})
	})
	num := func(name string, req bool) {
		httpField(name, TypeUint, 32, func(_ *Packet, m *HTTP, out []Value) []Value {
			if (req && !m.Request) || (!req && !m.Response) {
				return out
			}
			return append(out, Value{N: uint64(m.Number)})
		})
	}
	num("http.request_number", true)
	num("http.response_number", false)
	httpField("http.file_data", TypeString, 0, func(_ *Packet, m *HTTP, out []Value) []Value {
		if len(m.Body) == 0 {
			return out
		}
		return append(out, Value{S: string(m.Body)})
	})
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// tlsField registers a field with one value per matching record.
func tlsField(name string, t FieldType, bits int, hex bool, v func(r *TLSRecord, out []Value) []Value) {
	reg(name, t, bits, hex, func(p *Packet, out []Value) []Value {
		if p.TLS == nil {
			return out
		}
		for i := range p.TLS.Records {
			out = v(&p.TLS.Records[i], out)
		}
		return out
	})
}

func registerTLS() {
	protoField("tls", ProtoTLS, idTLS)
	tlsField("tls.record", TypeNone, 0, false, func(r *TLSRecord, out []Value) []Value {
		if r.Bad {
			return out
		}
		return append(out, Value{})
	})
	rec := func(name string, bits int, hex bool, v func(r *TLSRecord) uint64) {
		tlsField(name, TypeUint, bits, hex, func(r *TLSRecord, out []Value) []Value {
			if r.Bad {
				return out
			}
			return append(out, Value{N: v(r)})
		})
	}
	// A TLS 1.3 record's content type is its opaque type's when it is
	// not decrypted (tls.record.opaque_type, tlsfields.go), the inner
	// type when it is.
	tlsField("tls.record.content_type", TypeUint, 8, false, func(r *TLSRecord, out []Value) []Value {
		if r.Bad || (r.opaque() && !r.Decrypted()) {
			return out
		}
		return append(out, Value{N: uint64(r.Type())})
	})
	rec("tls.record.version", 16, true, func(r *TLSRecord) uint64 { return uint64(r.Version) })
	rec("tls.record.length", 16, false, func(r *TLSRecord) uint64 { return uint64(r.Length) })
	tlsField("tls.app_data", TypeBytes, 0, false, func(r *TLSRecord, out []Value) []Value {
		if r.Bad || r.Type() != 23 {
			return out
		}
		return append(out, Value{B: r.Data})
	})
	alert := func(name string, v func(r *TLSRecord) uint8) {
		tlsField(name, TypeUint, 8, false, func(r *TLSRecord, out []Value) []Value {
			if r.Bad || r.Type() != 21 || r.Encrypted {
				return out
			}
			return append(out, Value{N: uint64(v(r))})
		})
	}
	alert("tls.alert_message.level", func(r *TLSRecord) uint8 { return r.AlertLevel })
	alert("tls.alert_message.desc", func(r *TLSRecord) uint8 { return r.AlertDesc })
	hs := func(name string, t FieldType, bits int, hex bool, v func(h *TLSHandshake, out []Value) []Value) {
		tlsField(name, t, bits, hex, func(r *TLSRecord, out []Value) []Value {
			for i := range r.Handshakes {
				out = v(&r.Handshakes[i], out)
			}
			return out
		})
	}
	hs("tls.handshake", TypeNone, 0, false, func(_ *TLSHandshake, out []Value) []Value { return append(out, Value{}) })
	hs("tls.handshake.type", TypeUint, 8, false, func(h *TLSHandshake, out []Value) []Value { return append(out, Value{N: uint64(h.Type)}) })
	hs("tls.handshake.length", TypeUint, 24, false, func(h *TLSHandshake, out []Value) []Value { return append(out, Value{N: uint64(h.Length)}) })
	hs("tls.handshake.version", TypeUint, 16, true, func(h *TLSHandshake, out []Value) []Value {
		if h.Random == nil {
			return out
		}
		return append(out, Value{N: uint64(h.Version)})
	})
	hs("tls.handshake.ciphersuite", TypeUint, 16, true, func(h *TLSHandshake, out []Value) []Value {
		for _, c := range h.CipherSuites {
			out = append(out, Value{N: uint64(c)})
		}
		if h.Type == 2 && h.Random != nil {
			out = append(out, Value{N: uint64(h.CipherSuite)})
		}
		return out
	})
	hs("tls.handshake.extensions_server_name", TypeString, 0, false, func(h *TLSHandshake, out []Value) []Value {
		if h.SNI == "" {
			return out
		}
		return append(out, Value{S: h.SNI})
	})
	hs("tls.handshake.extension.type", TypeUint, 16, false, func(h *TLSHandshake, out []Value) []Value {
		for _, e := range h.Extensions {
			out = append(out, Value{N: uint64(e)})
		}
		return out
	})
	hs("tls.handshake.extensions.supported_version", TypeUint, 16, true, func(h *TLSHandshake, out []Value) []Value {
		for _, v := range h.SupportedVersions {
			out = append(out, Value{N: uint64(v)})
		}
		return out
	})
}
