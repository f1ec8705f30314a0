package dissect

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// TLS holds the TLS records a frame completes, as Wireshark's tls
// dissector shows them (record layer, unencrypted handshake messages, and
// the content of records decrypted with the capture's secrets).
type TLS struct {
	Records []TLSRecord
	// Version is the version the Protocol column names: the session's
	// once a Server Hello chose it, else the record layer's.
	Version uint16
}

// TLSRecord is one TLS record.
type TLSRecord struct {
	ContentType uint8
	Version     uint16
	Length      uint16
	Data        []byte // the fragment (Length bytes)
	// Encrypted is set for a handshake or alert record sent after the
	// sender switched to encryption.
	Encrypted bool
	// Handshakes are the handshake messages of an unencrypted handshake
	// record.
	Handshakes []TLSHandshake
	// AlertLevel and AlertDesc are an unencrypted alert's fields.
	AlertLevel, AlertDesc uint8
	// Bad is set for bytes that are not a TLS record (Wireshark's
	// "Ignored Unknown Record" / "Continuation Data").
	Bad bool
	// SessionVersion is the version the session had when the record
	// came (the record's own before a Server Hello), for the tree.
	SessionVersion uint16
	// AppProto names what the application data carries ("Hypertext
	// Transfer Protocol", or "Application Data").
	AppProto string
	// Plaintext is the record's content decrypted with the capture's
	// secrets (TLS 1.3: without its content type and padding), nil when
	// the record was not decrypted; InnerType is its real content type
	// (TLS 1.2: the header's).
	Plaintext []byte
	InnerType uint8
	// suite is the session's cipher suite when the record came (0 before
	// a Server Hello), for the tree of key exchange messages.
	suite uint16
	// Fragment is set when a decrypted record ends in (or is all in the
	// middle of) a handshake message that continues in the next record.
	Fragment *TLSFragment
}

// TLSFragment is the part of a handshake message a record holds when the
// message spans records (Wireshark reassembles it).
type TLSFragment struct {
	Type uint8
	// Middle is set when the record holds neither the message's start nor
	// its end; First when the fragment is the record's first message.
	Middle, First bool
}

// Decrypted reports whether the record was decrypted.
func (r *TLSRecord) Decrypted() bool { return r.Plaintext != nil }

// opaque reports whether the record's header type is TLS 1.3's opaque
// type (tls.record.opaque_type): application data once the session is
// TLS 1.3.
func (r *TLSRecord) opaque() bool {
	return !r.Bad && r.SessionVersion == 0x0304 && r.ContentType == 23
}

// Type is the record's content type: the decrypted inner type, or the
// header's.
func (r *TLSRecord) Type() uint8 {
	if r.Plaintext != nil {
		return r.InnerType
	}
	return r.ContentType
}

// TLSHandshake is one handshake message.
type TLSHandshake struct {
	Type   uint8
	Length uint32
	// Version is a hello's legacy version; Random, SessionID, the
	// cipher suites and extensions follow for hellos.
	Version      uint16
	Random       []byte
	SessionID    []byte
	CipherSuites []uint16 // Client Hello
	CipherSuite  uint16   // Server Hello
	// SNI is the server_name extension's host name.
	SNI string
	// SupportedVersions are the supported_versions extension's values
	// (one, the selected version, in a Server Hello).
	SupportedVersions []uint16
	// Extensions are the extension types in order; ExtData their data.
	Extensions []uint16
	ExtData    [][]byte
	// CompMethods are a Client Hello's compression methods (a Server
	// Hello's one method is CompMethods[0]).
	CompMethods []byte
	// ExtLen is the extensions block's length, -1 without one.
	ExtLen int
	// ALPN is the first application_layer_protocol_negotiation name.
	ALPN string
	// Body is the message after its type and length (cut at the end of
	// the record when the message continues beyond it).
	Body []byte
	// Parts are the records a message reassembled from several came in:
	// frame number and bytes, in order (nil for a message in one record).
	Parts []Segment
}

// tlsConv is a TLS conversation's state.
type tlsConv struct {
	version   uint16 // negotiated, 0 until a Server Hello
	encrypted [2]bool
	serverDir int // direction index of the server, -1 unknown
	known     bool
	alpn      string
	// random is the Client Hello's random, suite the Server Hello's
	// cipher suite; dec are the directions' TLS 1.3 decoders (nil: not
	// decrypting), appBuf the decrypted application bytes of a message
	// not yet complete, per direction.
	random []byte
	suite  uint16
	dec    [2]*tlsDecoder
	appBuf [2][]byte
	// srandom is the Server Hello's random; dec12 are the directions'
	// TLS 1.2 decoders, set at their Change Cipher Spec (tls12.go).
	srandom []byte
	dec12   [2]*tls12Decoder
	// hsFrag is, per direction, a decrypted handshake message that
	// continues in the next record: its bytes so far and their records.
	hsFrag [2]struct {
		buf   []byte
		parts []Segment
	}
}

var tlsVersionNames = map[uint16]string{0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}

var tlsVersionLong = map[uint16]string{0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}

var tlsContentTypes = map[uint8]string{20: "Change Cipher Spec", 21: "Alert", 22: "Handshake", 23: "Application Data", 24: "Heartbeat"}

var tlsHandshakeNames = map[uint8]string{0: "Hello Request", 1: "Client Hello", 2: "Server Hello", 3: "Hello Verify Request",
	4: "New Session Ticket", 5: "End of Early Data", 6: "Hello Retry Request", 8: "Encrypted Extensions",
	11: "Certificate", 12: "Server Key Exchange", 13: "Certificate Request", 14: "Server Hello Done",
	15: "Certificate Verify", 16: "Client Key Exchange", 20: "Finished", 21: "Certificate URL",
	22: "Certificate Status", 23: "Supplemental Data", 24: "Key Update", 25: "Compressed Certificate",
	254: "Message Hash"}

var tlsAlertLevels = map[uint8]string{1: "Warning", 2: "Fatal"}

var tlsAlertDescs = map[uint8]string{0: "Close Notify", 10: "Unexpected Message", 20: "Bad Record MAC",
	21: "Decryption Failed", 22: "Record Overflow", 30: "Decompression Failure", 40: "Handshake Failure",
	41: "No Certificate", 42: "Bad Certificate", 43: "Unsupported Certificate", 44: "Certificate Revoked",
	45: "Certificate Expired", 46: "Certificate Unknown", 47: "Illegal Parameter", 48: "Unknown CA",
	49: "Access Denied", 50: "Decode Error", 51: "Decrypt Error", 60: "Export Restriction",
	70: "Protocol Version", 71: "Insufficient Security", 80: "Internal Error", 86: "Inappropriate Fallback",
	90: "User Canceled", 100: "No Renegotiation", 109: "Missing Extension", 110: "Unsupported Extension",
	111: "Certificate Unobtainable", 112: "Unrecognized Name", 113: "Bad Certificate Status Response",
	114: "Bad Certificate Hash Value", 115: "Unknown PSK Identity", 116: "Certificate Required",
	120: "No application Protocol"}

func validTLSVersion(v uint16) bool { return v >= 0x0300 && v <= 0x0304 }

// tlsHeuristic is Wireshark's TLS-over-TCP heuristic: a handshake record
// carrying a Client or Server Hello.
func tlsHeuristic(b []byte) bool {
	if len(b) < 6 || b[0] != 22 || !validTLSVersion(binary.BigEndian.Uint16(b[1:])) {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[3:]))
	return n >= 4 && n <= 16384+2048 && (b[5] == 1 || b[5] == 2)
}

// tlsRecordLen returns the length of the record at b; bytes that are not
// a record header are taken whole.
func tlsRecordLen(b []byte) (int, bool) {
	if len(b) < 5 {
		if len(b) > 0 && (b[0] < 20 || b[0] > 24) {
			return len(b), true
		}
		return 0, false
	}
	if b[0] < 20 || b[0] > 24 || !validTLSVersion(binary.BigEndian.Uint16(b[1:])) {
		return len(b), true
	}
	return 5 + int(binary.BigEndian.Uint16(b[3:])), true
}

// tlsRecord decodes one record b of direction fi into p.
func (d *Dissector) tlsRecord(p *Packet, c *appConv, fi int, b []byte) {
	if p.TLS == nil {
		p.TLS = &TLS{}
		p.push(ProtoTLS, idTLS, b)
	}
	t := p.TLS
	st := &c.tls
	if !st.known {
		st.serverDir, st.known = -1, true
	}
	if len(b) < 5 || b[0] < 20 || b[0] > 24 || !validTLSVersion(binary.BigEndian.Uint16(b[1:])) {
		t.Records = append(t.Records, TLSRecord{Bad: true, Data: b})
		if t.Version == 0 {
			t.Version = st.version
		}
		return
	}
	r := TLSRecord{ContentType: b[0], Version: binary.BigEndian.Uint16(b[1:]), Length: binary.BigEndian.Uint16(b[3:]), Data: b[5:]}
	r.SessionVersion = st.version
	r.suite = st.suite
	if r.SessionVersion == 0 {
		r.SessionVersion = r.Version
	}
	if st.dec12[fi] != nil && r.ContentType >= 21 && r.ContentType <= 23 {
		d.tls12Decrypt(st, fi, &r, b[:5])
	}
	switch r.ContentType {
	case 20:
		if st.version != 0x0304 {
			st.encrypted[fi] = true
			d.tls12Keys(st, fi)
		}
	case 21:
		if r.Decrypted() {
			break
		}
		if st.encrypted[fi] || len(r.Data) != 2 {
			r.Encrypted = true
		} else {
			r.AlertLevel, r.AlertDesc = r.Data[0], r.Data[1]
		}
	case 22:
		if r.Decrypted() {
			break
		}
		if st.encrypted[fi] {
			r.Encrypted = true
			break
		}
		tlsHandshakeRecord(st, fi, &r, r.Data, p.Number)
		for _, h := range r.Handshakes {
			if h.Type == 1 && h.Random != nil {
				st.random = append(st.random[:0], h.Random...)
			}
			if h.Type == 2 && h.ALPN != "" {
				st.alpn = h.ALPN
			}
			if h.Type == 2 {
				st.srandom = append(st.srandom[:0], h.Random...)
				v := h.Version
				for _, sv := range h.SupportedVersions {
					v = sv
				}
				if v&0xff00 == 0x7f00 {
					// A TLS 1.3 draft (0x7f00 | draft) is TLS 1.3 to
					// tshark; a version it does not know (Chrome's
					// 0x7e01 experiment) leaves the session's version
					// unset, so records show their own.
					v = 0x0304
				}
				if validTLSVersion(v) {
					st.version = v
				}
				st.serverDir = fi
				st.suite = h.CipherSuite
				if st.version == 0x0304 {
					// Everything after the Server Hello is encrypted.
					st.encrypted = [2]bool{true, true}
					d.tls13HandshakeKeys(st, fi)
				}
			}
		}
	case 23:
		if st.version == 0x0304 && st.dec[fi] != nil {
			d.tlsDecrypt(st, fi, &r, b[:5], p.Number)
		}
	}
	r.AppProto = "Application Data"
	if st.alpn == "http/1.1" || (st.alpn == "" && (p.TCP.SrcPort == 443 || p.TCP.DstPort == 443)) {
		r.AppProto = "Hypertext Transfer Protocol"
	}
	t.Records = append(t.Records, r)
	if r.Decrypted() && r.InnerType == 23 && r.AppProto == "Hypertext Transfer Protocol" {
		d.tlsHTTP(p, c, fi, r.Plaintext)
	}
	if st.version != 0 {
		t.Version = st.version
	} else {
		t.Version = r.Version
	}
}

// parseHandshakes splits a handshake record's data into messages.
func parseHandshakes(b []byte) []TLSHandshake {
	var hs []TLSHandshake
	for len(b) >= 4 {
		h := TLSHandshake{Type: b[0], Length: uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])}
		body := b[4:]
		if int(h.Length) < len(body) {
			body = body[:h.Length]
		}
		h.Body = body
		switch h.Type {
		case 1, 2:
			h.parseHello(body)
		case 8: // Encrypted Extensions (TLS 1.3, seen decrypted)
			h.ExtLen = -1
			h.parseExtensions(body)
		}
		hs = append(hs, h)
		if int(h.Length) > len(b)-4 {
			break
		}
		b = b[4+h.Length:]
	}
	return hs
}

// parseHello decodes a Client or Server Hello body, as far as it goes.
func (h *TLSHandshake) parseHello(b []byte) {
	h.ExtLen = -1
	if len(b) < 2+32+1 {
		return
	}
	h.Version = binary.BigEndian.Uint16(b)
	h.Random = b[2:34]
	n := int(b[34])
	b = b[35:]
	if len(b) < n {
		return
	}
	h.SessionID, b = b[:n], b[n:]
	if h.Type == 1 {
		if len(b) < 2 {
			return
		}
		n = int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if len(b) < n {
			return
		}
		for i := 0; i+1 < n; i += 2 {
			h.CipherSuites = append(h.CipherSuites, binary.BigEndian.Uint16(b[i:]))
		}
		b = b[n:]
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return
		}
		h.CompMethods = b[1 : 1+int(b[0])]
		b = b[1+int(b[0]):]
	} else {
		if len(b) < 3 {
			return
		}
		h.CipherSuite = binary.BigEndian.Uint16(b)
		h.CompMethods = b[2:3]
		b = b[3:]
	}
	h.parseExtensions(b)
}

// parseExtensions decodes an extensions block (its 2-byte length, then
// the extensions), as far as it goes.
func (h *TLSHandshake) parseExtensions(b []byte) {
	if len(b) < 2 {
		return
	}
	n := int(binary.BigEndian.Uint16(b))
	h.ExtLen = n
	b = b[2:]
	if len(b) > n {
		b = b[:n]
	}
	for len(b) >= 4 {
		typ := binary.BigEndian.Uint16(b)
		l := int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+l {
			return
		}
		e := b[4 : 4+l]
		b = b[4+l:]
		h.Extensions = append(h.Extensions, typ)
		h.ExtData = append(h.ExtData, e)
		switch typ {
		case 16: // application_layer_protocol_negotiation
			if len(e) >= 3 && int(e[2]) <= len(e)-3 && h.ALPN == "" {
				h.ALPN = string(e[3 : 3+int(e[2])])
			}
		case 0: // server_name
			if len(e) >= 5 && e[2] == 0 {
				nl := int(binary.BigEndian.Uint16(e[3:]))
				if 5+nl <= len(e) {
					h.SNI = string(e[5 : 5+nl])
				}
			}
		case 43: // supported_versions
			if h.Type == 2 {
				if len(e) == 2 {
					h.SupportedVersions = []uint16{binary.BigEndian.Uint16(e)}
				}
			} else if len(e) >= 1 {
				for i := 1; i+1 < len(e) && i < 1+int(e[0]); i += 2 {
					h.SupportedVersions = append(h.SupportedVersions, binary.BigEndian.Uint16(e[i:]))
				}
			}
		}
	}
}

// recordInfo is the Info text of one record.
func (r *TLSRecord) info() string {
	if r.Bad {
		return "Ignored Unknown Record"
	}
	switch r.Type() {
	case 20:
		return "Change Cipher Spec"
	case 21:
		if r.Encrypted {
			return "Encrypted Alert"
		}
		return "Alert (Level: " + nameOr(tlsAlertLevels[r.AlertLevel], "Unknown", r.AlertLevel) + ", Description: " + nameOr(tlsAlertDescs[r.AlertDesc], "Unknown", r.AlertDesc) + ")"
	case 22:
		if f := r.Fragment; f != nil {
			// Wireshark names a fragment only as the record's first
			// message.
			var parts []string
			for _, h := range r.Handshakes {
				parts = append(parts, nameOr(tlsHandshakeNames[h.Type], "Encrypted Handshake Message", h.Type))
			}
			if f.First {
				parts = append(parts, "["+nameOr(tlsHandshakeNames[f.Type], "Encrypted Handshake Message", f.Type)+" Fragment]")
			}
			return strings.Join(parts, ", ")
		}
		if r.Encrypted || len(r.Handshakes) == 0 {
			return "Encrypted Handshake Message"
		}
		var parts []string
		for _, h := range r.Handshakes {
			parts = append(parts, nameOr(tlsHandshakeNames[h.Type], "Encrypted Handshake Message", h.Type))
		}
		return strings.Join(parts, ", ")
	case 23:
		return "Application Data"
	case 24:
		return "Heartbeat"
	}
	return ""
}

func nameOr(s, unknown string, v uint8) string {
	if s != "" {
		return s
	}
	if unknown == "Unknown" {
		return "Unknown (" + strconv.Itoa(int(v)) + ")"
	}
	return unknown
}

// tlsInfo is the Info column of a TLS frame.
func tlsInfo(p *Packet) string {
	var parts []string
	for i := range p.TLS.Records {
		if s := p.TLS.Records[i].info(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// tlsProtocol is the Protocol column of a TLS frame.
func tlsProtocol(p *Packet) string {
	if s, ok := tlsVersionNames[p.TLS.Version]; ok {
		return s
	}
	return "TLS"
}

// alpnNames returns the protocol names of the handshake's
// application_layer_protocol_negotiation extension.
func (h *TLSHandshake) alpnNames() []string {
	var names []string
	for i, typ := range h.Extensions {
		if typ != 16 {
			continue
		}
		e := h.ExtData[i]
		if len(e) < 2 {
			continue
		}
		e = e[2:]
		for len(e) > 0 && int(e[0]) < len(e) {
			names = append(names, string(e[1:1+int(e[0])]))
			e = e[1+int(e[0]):]
		}
	}
	return names
}
