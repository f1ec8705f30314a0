// Package capture writes the frames of a netsim run to a pcap file, stamped
// with the simulation's virtual clock.
//
// The file is classic pcap (libpcap 2.4, microsecond timestamps, link type
// Ethernet), the format tcpdump -w writes and every tool reads. Every field
// of the file header is fixed, so the same frames at the same virtual times
// give the same bytes on any machine.
package capture

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DefaultSnapLen is the snapshot length written when none is given: the same
// as tcpdump's default, large enough for any frame netsim makes.
const DefaultSnapLen = 262144

// Writer writes frames to a pcap stream. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	buf     *bufio.Writer
	pcap    *pcapgo.Writer
	snapLen int
	frames  int
	err     error
}

// NewWriter writes a pcap file header to w and returns a Writer for the
// frames. snapLen 0 means DefaultSnapLen; longer frames are truncated to it,
// as tcpdump -s does, keeping their original length in the record.
func NewWriter(w io.Writer, snapLen int) (*Writer, error) {
	if snapLen <= 0 {
		snapLen = DefaultSnapLen
	}
	buf := bufio.NewWriterSize(w, 64<<10)
	pw := pcapgo.NewWriter(buf)
	if err := pw.WriteFileHeader(uint32(snapLen), layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &Writer{buf: buf, pcap: pw, snapLen: snapLen}, nil
}

// WriteFrame records one Ethernet frame seen at ts. The first error is kept
// and returned by every later call and by Flush.
func (w *Writer) WriteFrame(ts time.Time, frame []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	data := frame
	if len(data) > w.snapLen {
		data = data[:w.snapLen]
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(frame)}
	if err := w.pcap.WritePacket(ci, data); err != nil {
		w.err = fmt.Errorf("write frame %d: %w", w.frames+1, err)
		return w.err
	}
	w.frames++
	return nil
}

// Frames returns the number of frames written.
func (w *Writer) Frames() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// Flush writes any buffered frames to the underlying writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.buf.Flush(); err != nil {
		w.err = fmt.Errorf("flush capture: %w", err)
	}
	return w.err
}
