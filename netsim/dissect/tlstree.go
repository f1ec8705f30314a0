package dissect

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"
)

// The -V tree of TLS 1.3 handshake messages netsim decrypted, as tshark
// 4.0 shows them. A certificate's X.509 structure (Wireshark's x509af,
// x509sat and x509ce dissectors) is not decoded: the certificate line is
// shown when its subject is a single common name, the only form whose
// label netsim is sure of.

// tls13Handshake writes one decrypted handshake message.
func (t *treeWriter) tls13Handshake(h *TLSHandshake) {
	if h.Type == 1 || h.Type == 2 {
		t.tlsHandshake(h)
		return
	}
	name := nameOr(tlsHandshakeNames[h.Type], "Unknown", h.Type)
	t.f(2, "Handshake Protocol: %s", name)
	t.f(3, "Handshake Type: %s (%d)", name, h.Type)
	t.f(3, "Length: %d", h.Length)
	if int(h.Length) > len(h.Body) {
		return
	}
	b := h.Body
	switch h.Type {
	case 8: // Encrypted Extensions
		t.tlsExtensions(h)
	case 11: // Certificate
		t.tls13Certificate(b)
	case 15: // Certificate Verify
		if len(b) < 4 {
			return
		}
		a := be16(b)
		name, ok := tlsSigAlgNames()[a]
		if !ok {
			name = orUnknown(tlsSigHashNames[b[0]]) + " " + orUnknown(tlsSigSigNames[b[1]])
		}
		t.f(3, "Signature Algorithm: %s (0x%04x)", name, a)
		t.f(4, "Signature Hash Algorithm Hash: %s", valueName(tlsSigHashNames[b[0]], int(b[0])))
		t.f(4, "Signature Hash Algorithm Signature: %s", valueName(tlsSigSigNames[b[1]], int(b[1])))
		n := int(be16(b[2:]))
		t.f(3, "Signature length: %d", n)
		if 4+n <= len(b) {
			t.f(3, "Signature: %s", bytesLabel(b[4:4+n]))
		}
	case 20: // Finished
		t.f(3, "Verify Data")
	case 24: // Key Update: Wireshark puts its field under the record
		if len(b) == 1 {
			t.f(2, "Key Update Request: %s", valueName(tlsKeyUpdateNames[b[0]], int(b[0])))
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// tls13Certificate writes a TLS 1.3 Certificate message's body.
func (t *treeWriter) tls13Certificate(b []byte) {
	if len(b) < 1 || 1+int(b[0])+3 > len(b) {
		return
	}
	t.f(3, "Certificate Request Context Length: %d", b[0])
	t.certificates(b[1+int(b[0]):], true)
}

// onlyCommonName returns the common name of a DER certificate whose
// subject is that one attribute.
func onlyCommonName(der []byte) (string, bool) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return "", false
	}
	names := c.Subject.Names
	if len(names) != 1 || !names[0].Type.Equal(asn1.ObjectIdentifier{2, 5, 4, 3}) {
		return "", false
	}
	s, ok := names[0].Value.(string)
	return s, ok
}

var tlsKeyUpdateNames = map[uint8]string{0: "update_not_requested", 1: "update_requested"}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// tls12Handshake writes a TLS 1.2 (or older) Certificate, or an ECDHE
// suite's Server or Client Key Exchange, and reports whether it did;
// other messages are tlsHandshake's.
func (t *treeWriter) tls12Handshake(r *TLSRecord, h *TLSHandshake) bool {
	ecdhe := strings.Contains(tlsCipherNames()[r.suite], "_ECDHE_")
	if r.SessionVersion == 0x0304 || int(h.Length) > len(h.Body) ||
		!(h.Type == 11 || (ecdhe && (h.Type == 12 || h.Type == 16))) {
		return false
	}
	name := tlsHandshakeNames[h.Type]
	t.f(2, "Handshake Protocol: %s", name)
	t.f(3, "Handshake Type: %s (%d)", name, h.Type)
	t.f(3, "Length: %d", h.Length)
	b := h.Body
	switch h.Type {
	case 11:
		if len(b) < 3 {
			return true
		}
		t.certificates(b, false)
	case 12: // ECDHE server params: curve, public key, signature
		if len(b) < 4 || b[0] != 3 || 4+int(b[3]) > len(b) {
			return true
		}
		g := be16(b[1:])
		gn, ok := tlsGroupNames()[g]
		if !ok {
			return true
		}
		t.f(3, "EC Diffie-Hellman Server Params")
		t.f(4, "Curve Type: named_curve (0x03)")
		t.f(4, "Named Curve: %s (0x%04x)", gn, g)
		t.f(4, "Pubkey Length: %d", b[3])
		t.f(4, "Pubkey: %s", bytesLabel(b[4:4+int(b[3])]))
		b = b[4+int(b[3]):]
		if r.SessionVersion != 0x0303 || len(b) < 4 || 4+int(be16(b[2:])) > len(b) {
			return true
		}
		a := be16(b)
		an, ok := tlsSigAlgNames()[a]
		if !ok {
			an = orUnknown(tlsSigHashNames[b[0]]) + " " + orUnknown(tlsSigSigNames[b[1]])
		}
		t.f(4, "Signature Algorithm: %s (0x%04x)", an, a)
		t.f(5, "Signature Hash Algorithm Hash: %s", valueName(tlsSigHashNames[b[0]], int(b[0])))
		t.f(5, "Signature Hash Algorithm Signature: %s", valueName(tlsSigSigNames[b[1]], int(b[1])))
		t.f(4, "Signature Length: %d", be16(b[2:]))
		t.f(4, "Signature: %s", bytesLabel(b[4:4+int(be16(b[2:]))]))
	case 16: // ECDHE client public key
		if len(b) < 1 || 1+int(b[0]) > len(b) {
			return true
		}
		t.f(3, "EC Diffie-Hellman Client Params")
		t.f(4, "Pubkey Length: %d", b[0])
		t.f(4, "Pubkey: %s", bytesLabel(b[1:1+int(b[0])]))
	}
	return true
}

// certificates writes a certificate_list (3-byte length, then each
// certificate with its 3-byte length), as in TLS 1.2's Certificate; with
// extensions, each certificate is followed by its extensions' 2-byte
// length and the extensions, as in TLS 1.3's CertificateEntry.
func (t *treeWriter) certificates(b []byte, extensions bool) {
	n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	t.f(3, "Certificates Length: %d", n)
	if n == 0 || 3+n > len(b) {
		return
	}
	t.f(3, "Certificates (%d bytes)", n)
	for b = b[3 : 3+n]; len(b) >= 3; {
		cl := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if 3+cl > len(b) {
			return
		}
		t.f(4, "Certificate Length: %d", cl)
		cert := b[3 : 3+cl]
		if cn, ok := onlyCommonName(cert); ok {
			t.f(4, "Certificate: %s (id-at-commonName=%s)", bytesLabel(cert), cn)
		}
		b = b[3+cl:]
		if !extensions {
			continue
		}
		if len(b) < 2 || 2+int(be16(b)) > len(b) {
			return
		}
		t.f(4, "Extensions Length: %d", be16(b))
		b = b[2+int(be16(b)):]
	}
}

func tlsHandshakeName(typ uint8) string {
	if s, ok := tlsHandshakeNames[typ]; ok {
		return s
	}
	return "Encrypted Handshake Message"
}

// tlsReassembled writes the lines of a handshake message reassembled from
// several records, before the message itself.
func (t *treeWriter) tlsReassembled(h *TLSHandshake) {
	if len(h.Parts) == 0 {
		return
	}
	t.f(2, "Handshake Protocol: %s (last fragment)", tlsHandshakeName(h.Type))
	total := 0
	var list []string
	for _, s := range h.Parts {
		total += s.Len
		list = append(list, "#"+itoa(s.Frame)+"("+itoa(s.Len)+")")
	}
	t.g(2, "%d Reassembled Handshake Fragments (%d bytes): %s", len(h.Parts), total, strings.Join(list, ", "))
	off := 0
	for _, s := range h.Parts {
		t.g(3, "Frame: %d, payload: %d-%d (%d byte%s)", s.Frame, off, off+s.Len-1, s.Len, plural(s.Len))
		off += s.Len
	}
	t.g(3, "Handshake Fragment count: %d", len(h.Parts))
}
