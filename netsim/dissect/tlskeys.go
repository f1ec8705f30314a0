package dissect

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"

	"netsim.dev/netsim/pcapread"
)

// TLS secrets in the NSS key log format, as crypto/tls's KeyLogWriter,
// browsers ($SSLKEYLOGFILE) and netsim's own captures (pcapng Decryption
// Secrets Blocks) write them: one "LABEL CLIENT_RANDOM SECRET" line per
// secret, both values in hex, '#' starting a comment line.

// Key log labels netsim uses, as indices into tlsKeyLog.
const (
	tlsLabelClientHS  uint8 = iota // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	tlsLabelServerHS               // SERVER_HANDSHAKE_TRAFFIC_SECRET
	tlsLabelClientApp              // CLIENT_TRAFFIC_SECRET_0
	tlsLabelServerApp              // SERVER_TRAFFIC_SECRET_0
	tlsLabelMaster                 // CLIENT_RANDOM: a TLS 1.2 (and older) master secret
	tlsLabelEarly                  // CLIENT_EARLY_TRAFFIC_SECRET
	tlsLabelExporter               // EXPORTER_SECRET
)

// tlsLabels maps a key log line's label to its index, with the secret's
// lengths Wireshark accepts: 32 to 64 bytes for the TLS 1.3 traffic
// secrets (a SHA-256 or SHA-384 hash's length), 48 for a master secret.
var tlsLabels = map[string]struct {
	id       uint8
	min, max int
}{
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET": {tlsLabelClientHS, 32, 64},
	"SERVER_HANDSHAKE_TRAFFIC_SECRET": {tlsLabelServerHS, 32, 64},
	"CLIENT_TRAFFIC_SECRET_0":         {tlsLabelClientApp, 32, 64},
	"SERVER_TRAFFIC_SECRET_0":         {tlsLabelServerApp, 32, 64},
	"CLIENT_RANDOM":                   {tlsLabelMaster, 48, 48},
	"CLIENT_EARLY_TRAFFIC_SECRET":     {tlsLabelEarly, 32, 64},
	"EXPORTER_SECRET":                 {tlsLabelExporter, 32, 64},
}

// tlsSecretID names one secret: its label and the session's client random.
type tlsSecretID struct {
	label  uint8
	random [32]byte
}

// tlsKeyLog holds the secrets read so far. A later line for the same
// label and client random replaces the earlier one.
type tlsKeyLog map[tlsSecretID][]byte

// add parses NSS key log lines and keeps the secrets of the labels above.
// Lines that are comments, blank, of other labels or malformed (bad hex,
// a client random that is not 32 bytes, a secret of the wrong length) are
// skipped, as Wireshark skips them. It returns the number of secrets kept.
func (k tlsKeyLog) add(b []byte) int {
	n := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if id, secret, ok := parseKeyLogLine(line); ok {
			k[id] = secret
			n++
		}
	}
	return n
}

// parseKeyLogLine decodes one key log line.
func parseKeyLogLine(line []byte) (tlsSecretID, []byte, bool) {
	var id tlsSecretID
	f := bytes.Fields(line)
	if len(f) != 3 || f[0][0] == '#' {
		return id, nil, false
	}
	l, ok := tlsLabels[string(f[0])]
	if !ok || len(f[1]) != 64 || len(f[2])%2 != 0 || len(f[2]) < 2*l.min || len(f[2]) > 2*l.max {
		return id, nil, false
	}
	if _, err := hex.Decode(id.random[:], f[1]); err != nil {
		return id, nil, false
	}
	secret := make([]byte, len(f[2])/2)
	if _, err := hex.Decode(secret, f[2]); err != nil {
		return id, nil, false
	}
	id.label = l.id
	return id, secret, true
}

// secret returns the secret with the given label for a session's client
// random, or nil.
func (k tlsKeyLog) secret(label uint8, random []byte) []byte {
	if len(k) == 0 || len(random) != 32 {
		return nil
	}
	id := tlsSecretID{label: label}
	copy(id.random[:], random)
	return k[id]
}

// AddTLSKeyLog gives d TLS secrets in the NSS key log format (the lines
// of an $SSLKEYLOGFILE, or of a pcapng Decryption Secrets Block), with
// which it decrypts the TLS 1.3 sessions whose Server Hello it decodes
// afterwards, as Wireshark does with its tls.keylog_file setting and a
// capture's embedded secrets. It returns the number of secrets it kept;
// lines it does not use are ignored. [Dissector.Scan] calls it with the
// secrets blocks of the capture as it reads them.
func (d *Dissector) AddTLSKeyLog(lines []byte) int {
	if d.tlsKeys == nil {
		d.tlsKeys = tlsKeyLog{}
	}
	return d.tlsKeys.add(lines)
}

// LoadTLSKeyLog reads a key log file for [Dissector.AddTLSKeyLog]. It
// returns the number of secrets kept, and an error when the file cannot
// be read.
func (d *Dissector) LoadTLSKeyLog(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("TLS key log: %w", err)
	}
	return d.AddTLSKeyLog(b), nil
}

// takeSecrets adds the TLS key logs of the Decryption Secrets Blocks r
// has read since the last frame.
func (d *Dissector) takeSecrets(r *pcapread.Reader) {
	for _, s := range r.TakeSecrets() {
		if s.Type == pcapread.SecretsTLSKeyLog {
			d.AddTLSKeyLog(s.Data)
		}
	}
}
