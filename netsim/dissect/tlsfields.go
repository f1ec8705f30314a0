package dissect

func init() { registrars = append(registrars, registerTLSDecrypted) }

// registerTLSDecrypted registers the tls.* fields of TLS 1.3 records,
// decrypted or not, beyond the record layer's (appfields.go).
func registerTLSDecrypted() {
	tlsField("tls.record.opaque_type", TypeUint, 8, false, func(r *TLSRecord, out []Value) []Value {
		if !r.opaque() {
			return out
		}
		return append(out, Value{N: uint64(r.ContentType)})
	})
	hs := func(name string, t FieldType, v func(h *TLSHandshake, out []Value) []Value) {
		tlsField(name, t, 0, false, func(r *TLSRecord, out []Value) []Value {
			for i := range r.Handshakes {
				out = v(&r.Handshakes[i], out)
			}
			return out
		})
	}
	hs("tls.handshake.extensions_alpn_str", TypeString, func(h *TLSHandshake, out []Value) []Value {
		for _, s := range h.alpnNames() {
			out = append(out, Value{S: s})
		}
		return out
	})
}
