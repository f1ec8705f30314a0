package pcapread

// blockDSB is the pcapng Decryption Secrets Block.
const blockDSB = 10

// SecretsTLSKeyLog is the secrets type of a Decryption Secrets Block that
// holds NSS key log lines ("TLSK"), the form netsim's KeyLogWriter and
// Wireshark's editcap --inject-secrets write.
const SecretsTLSKeyLog = 0x544c534b

// Secrets is the content of one pcapng Decryption Secrets Block.
type Secrets struct {
	// Type is the secrets type (SecretsTLSKeyLog for a TLS key log).
	Type uint32
	// Data is the secrets data, without padding.
	Data []byte
}

// TakeSecrets returns the Decryption Secrets Blocks read since the last
// call, in file order, and forgets them. The blocks that come before a
// frame have been read when Next returns that frame, so calling
// TakeSecrets after each Next gives every frame the secrets that precede
// it, as Wireshark applies them. The returned data does not share memory
// with the Reader. The Reader keeps the blocks until they are taken: a
// program that streams a long capture and never calls TakeSecrets holds
// every block's data (a few hundred bytes per TLS session).
func (r *Reader) TakeSecrets() []Secrets {
	s := r.secrets
	r.secrets = nil
	return s
}

// dsb records a Decryption Secrets Block. One too short, or whose length
// exceeds the block, is skipped, as Wireshark skips a block it cannot
// read without giving up on the file.
func (r *Reader) dsb(body []byte) {
	if len(body) < 8 {
		return
	}
	typ, n := r.u32(body), r.u32(body[4:])
	if uint64(n) > uint64(len(body)-8) {
		return
	}
	r.secrets = append(r.secrets, Secrets{Type: typ, Data: append([]byte(nil), body[8:8+n]...)})
}
