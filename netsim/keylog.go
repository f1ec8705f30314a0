package netsim

import (
	"bytes"
	"io"
	"sync"
)

// KeyLogWriter returns a writer for [crypto/tls.Config].KeyLogWriter that
// puts the TLS session keys into the capture, so that Wireshark and tshark
// decrypt the TLS in it with no key log file and no setting.
//
// crypto/tls writes NSS key log lines ("CLIENT_TRAFFIC_SECRET_0 <client
// random> <secret>"). Each Write's whole lines become a pcapng Decryption
// Secrets Block at the current point of the capture: after the frames
// captured so far, before those that follow (see
// [capture.Writer.WriteKeyLog]). Wireshark uses a key only for the frames
// after it, and crypto/tls logs each secret before it sends anything that
// secret protects, so give the writer to the server's configuration, or to
// both ends: a line already written to the capture is not written again.
// A client's keys alone are not enough: it logs the server's handshake
// secret only once the server's first flight has arrived, and Wireshark
// (tshark 4.0 at least), unable to decrypt that flight, then decrypts
// nothing of the session.
//
// In program mode a task is the only code running when it writes, so the
// block's place among the frames is fixed by the run, like the frames'
// order. The writer is safe for concurrent use (test mode, one writer
// shared by several connections); a line split over two Writes is held
// until its end arrives.
//
// Write never fails: with no capture, a pcap capture (which has no place
// for keys), or after the capture has stopped ([Network.Close]), the lines
// are dropped; an error writing the capture is reported by Run and Close,
// as for frames.
func (n *Network) KeyLogWriter() io.Writer { return &keyLogWriter{n: n} }

// keyLogWriter is what KeyLogWriter returns.
type keyLogWriter struct {
	n       *Network
	mu      sync.Mutex
	partial []byte // the start of a line whose end has not come yet
}

func (w *keyLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := p
	if len(w.partial) > 0 {
		data = append(w.partial, p...)
		w.partial = nil
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	if end < len(data) {
		w.partial = append([]byte(nil), data[end:]...)
	}
	if end > 0 {
		w.n.keyLog(data[:end])
	}
	return len(p), nil
}

// keyLog writes the new lines of lines (whole lines) to the capture as
// one Decryption Secrets Block.
func (n *Network) keyLog(lines []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped || n.pcap == nil {
		return
	}
	if n.keysSeen == nil {
		n.keysSeen = make(map[string]bool)
	}
	var fresh []byte
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n') + 1
		line := lines[:i]
		lines = lines[i:]
		if len(bytes.TrimSpace(line)) == 0 || n.keysSeen[string(line)] {
			continue
		}
		n.keysSeen[string(line)] = true
		fresh = append(fresh, line...)
	}
	if len(fresh) > 0 {
		n.finishPending() // the keys follow the frames recorded before them
		// A write error is kept by the writer and reported by Run and Close.
		_ = n.pcap.WriteKeyLog(fresh)
	}
}
