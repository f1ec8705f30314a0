package dissect

import (
	"crypto/cipher"

	"golang.org/x/crypto/chacha20poly1305"
)

// newChaCha20Poly1305 is the AEAD of TLS_CHACHA20_POLY1305_SHA256 and the
// TLS 1.2 ChaCha20-Poly1305 suites (RFC 8439), from golang.org/x/crypto:
// the standard library keeps its own implementation internal.
func newChaCha20Poly1305(key []byte) (cipher.AEAD, error) {
	return chacha20poly1305.New(key)
}
