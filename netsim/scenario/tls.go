package scenario

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// ErrTLSNotRepeatable is the error (wrapped, with how to fix it) of a TLS
// step in a program where Go's crypto ignores a seeded random source, so
// that the TLS bytes could not repeat from one run to the next.
//
// Since Go 1.26, crypto/ecdh (which makes crypto/tls's key shares),
// crypto/ecdsa and crypto/rsa ignore the io.Reader they are given and read
// crypto/rand, unless the GODEBUG setting cryptocustomrand=1 is in effect:
// put `//go:debug cryptocustomrand=1` in the main package (or in a test
// file) of the program that runs scenarios, or run it with
// GODEBUG=cryptocustomrand=1 in the environment.
var ErrTLSNotRepeatable = errors.New("scenario: TLS would not repeat: Go's crypto ignores the seeded random source")

// DefaultServerName is the name a TLS step uses when it gives none: the
// client's SNI and the name in the server's certificate.
const DefaultServerName = "netsim.test"

// tlsConfig returns the crypto/tls configuration of one end of a TLS
// connection in a scenario, made so that the same arguments give the same
// bytes on the wire:
//   - role is "client" or "server";
//   - serverName is the client's SNI and what it verifies, and the name in
//     the server's certificate ("" means [DefaultServerName]); an IP
//     address is put in the certificate as an IP address;
//   - alpn is the protocols offered (client) or accepted (server);
//   - seed is the scenario's seed: it makes a certificate authority (an
//     ed25519 key, a self-signed certificate) that the client trusts, and
//     the server's certificate for serverName, signed by it, so that a
//     client and a server of the same seed agree with no files;
//   - conn names the connection within the run (the run helper passes,
//     say, the program's name and the step's index): it keys the random
//     stream together with seed and role, so that two connections do not
//     share a ClientHello random (Wireshark finds keys by it);
//   - now is the virtual clock (certificate checks, session tickets);
//   - keyLog, if not nil, receives the NSS key log lines (see
//     [netsim.Network.KeyLogWriter]).
//
// The configuration is TLS 1.3 only, with X25519 as the only key exchange
// (the post-quantum hybrids make their keys with crypto/rand whatever the
// configuration says). Its Rand is a stream from sha256 in counter mode,
// keyed by seed, role and conn. That is not enough alone: since Go 1.26
// crypto/ecdh ignores it unless GODEBUG cryptocustomrand=1 is in effect,
// and tlsConfig checks that it is (an error wrapping
// [ErrTLSNotRepeatable] if not). Even then, crypto reads one byte from a
// custom reader, or not, at random (randutil.MaybeReadByte): the stream
// answers a one-byte read with a fixed byte without moving on, so that
// byte changes nothing.
func tlsConfig(role, serverName string, alpn []string, seed int64, conn string, now func() time.Time, keyLog io.Writer) (*tls.Config, error) {
	if role != "client" && role != "server" {
		return nil, fmt.Errorf("scenario: TLS role %q: want client or server", role)
	}
	if serverName == "" {
		serverName = DefaultServerName
	}
	if err := checkRepeatable(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		Rand:             newSeededReader(seed, "tls rand", role, conn),
		Time:             now,
		MinVersion:       tls.VersionTLS13,
		MaxVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519},
		NextProtos:       alpn,
		KeyLogWriter:     keyLog,
	}
	ca, caKey, err := tlsCA(seed)
	if err != nil {
		return nil, err
	}
	if role == "client" {
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		cfg.RootCAs = pool
		cfg.ServerName = serverName
		return cfg, nil
	}
	leaf, leafKey, err := tlsLeaf(seed, serverName, ca, caKey)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []tls.Certificate{{
		Certificate: [][]byte{leaf.Raw},
		PrivateKey:  leafKey,
		Leaf:        leaf,
	}}
	return cfg, nil
}

// checkRepeatable probes whether crypto/ecdh honours a custom random
// source: two X25519 keys from two readers of the same stream are equal
// only if it does.
func checkRepeatable() error {
	var keys [2][]byte
	for i := range keys {
		k, err := ecdh.X25519().GenerateKey(newSeededReader(0, "probe"))
		if err != nil {
			return fmt.Errorf("scenario: TLS probe: %w", err)
		}
		keys[i] = k.Bytes()
	}
	if !bytes.Equal(keys[0], keys[1]) {
		return fmt.Errorf("%w: put `//go:debug cryptocustomrand=1` in package main (or a _test.go file), or set GODEBUG=cryptocustomrand=1 in the environment", ErrTLSNotRepeatable)
	}
	return nil
}

// certEpoch and certEnd bound every certificate: the virtual clock can
// start anywhere from 1970 to 2100 (netsim.MinStart, netsim.MaxStart).
// 9999-12-31T23:59:59Z is RFC 5280's "no well-defined expiration date".
var (
	certEpoch = time.Unix(0, 0).UTC()
	certEnd   = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// tlsCA returns the seed's certificate authority: a self-signed
// certificate and its ed25519 key.
func tlsCA(seed int64) (*x509.Certificate, ed25519.PrivateKey, error) {
	key := seededKey(seed, "tls ca")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("netsim test CA (seed %d)", seed)},
		NotBefore:             certEpoch,
		NotAfter:              certEnd,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return makeCert(tmpl, tmpl, key.Public(), key, key, seed)
}

// tlsLeaf returns the server's certificate for name, signed by the CA.
func tlsLeaf(seed int64, name string, ca *x509.Certificate, caKey ed25519.PrivateKey) (*x509.Certificate, ed25519.PrivateKey, error) {
	key := seededKey(seed, "tls server", name)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    certEpoch,
		NotAfter:     certEnd,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	return makeCert(tmpl, ca, key.Public(), key, caKey, seed)
}

// makeCert signs tmpl with signer (ed25519 signatures are deterministic:
// the same template gives the same bytes) and returns the parsed
// certificate with key, its private key.
func makeCert(tmpl, parent *x509.Certificate, pub any, key, signer ed25519.PrivateKey, seed int64) (*x509.Certificate, ed25519.PrivateKey, error) {
	der, err := x509.CreateCertificate(newSeededReader(seed, "tls cert"), tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario: TLS certificate for %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario: TLS certificate for %q: %w", tmpl.Subject.CommonName, err)
	}
	return cert, key, nil
}

// seededKey returns the ed25519 key of seed and labels.
func seededKey(seed int64, labels ...string) ed25519.PrivateKey {
	k := streamKey(seed, labels...)
	return ed25519.NewKeyFromSeed(k[:])
}

// streamKey hashes seed and labels (each length-prefixed) into a key.
func streamKey(seed int64, labels ...string) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write([]byte("netsim scenario\x00"))
	h.Write(b[:])
	for _, l := range labels {
		binary.BigEndian.PutUint64(b[:], uint64(len(l)))
		h.Write(b[:])
		h.Write([]byte(l))
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// seededReader is a deterministic stream: block i is sha256(key || i).
// A one-byte Read gets maybeByte and does not move the stream on:
// Go's crypto reads one byte from a custom random source, or not, at
// random (randutil.MaybeReadByte), and that must not shift what follows.
type seededReader struct {
	key   [32]byte
	ctr   uint64
	block [sha256.Size]byte
	off   int // bytes of block already used
}

// maybeByte is what a one-byte Read returns.
const maybeByte = 0x5a

func newSeededReader(seed int64, labels ...string) *seededReader {
	return &seededReader{key: streamKey(seed, labels...), off: sha256.Size}
}

// Read fills p from the stream; it never fails.
func (r *seededReader) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = maybeByte
		return 1, nil
	}
	n := 0
	for n < len(p) {
		if r.off == sha256.Size {
			var in [40]byte
			copy(in[:], r.key[:])
			binary.BigEndian.PutUint64(in[32:], r.ctr)
			r.block = sha256.Sum256(in[:])
			r.ctr++
			r.off = 0
		}
		c := copy(p[n:], r.block[r.off:])
		r.off += c
		n += c
	}
	return n, nil
}
