// Package capture writes the frames of a netsim run to a capture file,
// stamped with the simulation's virtual clock.
//
// Two formats: classic pcap (libpcap 2.4, microsecond timestamps, link type
// Ethernet), the format tcpdump -w writes, which holds one interface; and
// pcapng, which holds one interface per link, named, with a comment on each
// frame the network did something to (lost, duplicated, corrupted,
// reordered). Every header field is set explicitly: the same frames at the
// same virtual times give the same bytes on any machine (gopacket's pcapng
// defaults would write the build's GOOS and GOARCH).
//
// A pcapng file can also carry TLS session keys, in Decryption Secrets
// Blocks between the frames (see [Writer.WriteKeyLog]): Wireshark and
// tshark then decrypt the TLS in the file with no key log file. Classic
// pcap has no place for them.
package capture

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DefaultSnapLen is the snapshot length written when none is given: the same
// as tcpdump's default, large enough for any frame netsim makes.
const DefaultSnapLen = 262144

// Format is a capture file format.
type Format int

const (
	// PCAP is classic libpcap format: one interface, no comments.
	PCAP Format = iota
	// PCAPNG is pcapng: named interfaces, per-frame comments.
	PCAPNG
)

// String returns the format's name, as -F takes it: "pcap", "pcapng", or
// "Format(N)" for a value that is neither.
func (f Format) String() string {
	switch f {
	case PCAP:
		return "pcap"
	case PCAPNG:
		return "pcapng"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Options configures a Writer.
type Options struct {
	// Format is the file format.
	Format Format
	// SnapLen is the snapshot length; 0 means DefaultSnapLen. Longer frames
	// are truncated, keeping their original length in the record.
	SnapLen int
	// Interfaces names the interfaces to capture. Empty means every
	// interface in pcapng, and in pcap the first interface that carries a
	// frame.
	Interfaces []string
	// FlushEach makes the Writer flush after every block it writes (the
	// headers, each frame, each Decryption Secrets Block): the stream is
	// then a valid capture after every frame, so a process that dies (a
	// panic, os.Exit, a go test -timeout) leaves a file that tshark opens.
	// It costs a write to the underlying writer per frame.
	FlushEach bool
}

// bufSize is the size of a Writer's buffer: pcapgo's own would be 4 KiB,
// and a frame larger than what is left in it goes to the file in a write
// of its own, two system calls per frame at MTU 65535 where 256 KiB make
// one per four frames. (pcapgo's NgWriter takes this buffer as its own:
// bufio.NewWriter returns a Writer that is large enough already.)
const bufSize = 256 << 10

// Writer writes frames to a capture stream. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	opts   Options
	buf    *bufio.Writer // on the stream: pcapgo's writers write through it
	pcap   *pcapgo.Writer
	ng     *pcapgo.NgWriter
	ifaces []iface
	frames int
	err    error
	// keyLog holds key log lines given before the pcapng section header
	// was written (no interface yet): they follow it at once.
	keyLog []byte
	// secrets counts the Decryption Secrets Blocks written.
	secrets int
}

type iface struct {
	name string
	id   int // the interface's index in the file, -1 if not captured, undecided if not known yet
}

// undecided marks the interfaces of a pcap Writer with no selection before
// the first frame: the first interface that carries a frame is captured.
const undecided = -2

// New returns a Writer on w. A pcap file header is written at once; a
// pcapng section header with the first captured interface. A Format that is
// neither PCAP nor PCAPNG is an error.
func New(w io.Writer, o Options) (*Writer, error) {
	if o.Format != PCAP && o.Format != PCAPNG {
		return nil, fmt.Errorf("capture: unknown format %v", o.Format)
	}
	if o.SnapLen <= 0 {
		o.SnapLen = DefaultSnapLen
	}
	cw := &Writer{opts: o, buf: bufio.NewWriterSize(w, bufSize)}
	if o.Format == PCAP {
		cw.pcap = pcapgo.NewWriter(cw.buf)
		if err := cw.pcap.WriteFileHeader(uint32(o.SnapLen), layers.LinkTypeEthernet); err != nil {
			return nil, fmt.Errorf("write pcap header: %w", err)
		}
		if err := cw.flushEach(); err != nil {
			return nil, err
		}
	}
	return cw, nil
}

// AddInterface declares an interface (a link, or a host's loopback) and
// returns the handle to write its frames with.
func (w *Writer) AddInterface(name, description string) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	handle := len(w.ifaces)
	it := iface{name: name, id: -1}
	if w.opts.Format == PCAP && len(w.opts.Interfaces) == 0 {
		it.id = undecided
		if w.chosen() {
			it.id = -1
		}
	} else if w.wants(name) {
		id, err := w.declare(name, description)
		if err == nil {
			err = w.flushEach()
		}
		if err != nil {
			w.err = err
			return handle, err
		}
		it.id = id
	}
	w.ifaces = append(w.ifaces, it)
	return handle, nil
}

// chosen reports whether a pcap Writer has picked its interface.
func (w *Writer) chosen() bool {
	return slices.ContainsFunc(w.ifaces, func(it iface) bool { return it.id >= 0 })
}

func (w *Writer) wants(name string) bool {
	if len(w.opts.Interfaces) > 0 {
		if !slices.Contains(w.opts.Interfaces, name) {
			return false
		}
	}
	if w.opts.Format == PCAP {
		for _, it := range w.ifaces {
			if it.id >= 0 {
				return false // classic pcap holds one interface
			}
		}
	}
	return true
}

func (w *Writer) declare(name, description string) (int, error) {
	if w.opts.Format == PCAP {
		return 0, nil
	}
	intf := pcapgo.NgInterface{
		Name:        name,
		Description: description,
		LinkType:    layers.LinkTypeEthernet,
		SnapLength:  uint32(w.opts.SnapLen),
	}
	if w.ng == nil {
		ng, err := pcapgo.NewNgWriterInterface(w.buf, intf, pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "netsim"},
		})
		if err != nil {
			return 0, fmt.Errorf("write pcapng header: %w", err)
		}
		w.ng = ng
		if len(w.keyLog) > 0 {
			lines := w.keyLog
			w.keyLog = nil
			if err := w.writeSecrets(lines); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	id, err := w.ng.AddInterface(intf)
	if err != nil {
		return 0, fmt.Errorf("write pcapng interface %s: %w", name, err)
	}
	return id, nil
}

// Missing returns the requested interface names that were never added.
func (w *Writer) Missing() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, want := range w.opts.Interfaces {
		if !slices.ContainsFunc(w.ifaces, func(it iface) bool { return it.name == want }) {
			out = append(out, want)
		}
	}
	return out
}

// Captured returns the names of the interfaces whose frames go to the file
// (in pcap with no selection, none until a frame has chosen one).
func (w *Writer) Captured() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, it := range w.ifaces {
		if it.id >= 0 {
			out = append(out, it.name)
		}
	}
	return out
}

// Interfaces returns the names of the interfaces added, in order.
func (w *Writer) Interfaces() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, it := range w.ifaces {
		out = append(out, it.name)
	}
	return out
}

// WriteFrame records one Ethernet frame seen at ts on interface handle. note,
// if not empty, becomes the frame's comment in pcapng (pcap has no place for
// it). Frames on interfaces not captured are skipped. The first error is
// kept and returned by every later call and by Flush.
func (w *Writer) WriteFrame(handle int, ts time.Time, frame []byte, note string) error {
	var comments []string
	if note != "" {
		comments = []string{note}
	}
	_, err := w.write(handle, ts, frame, comments, nil)
	return err
}

// WriteFrameComments is [Writer.WriteFrame] with several comments, written
// in order as the frame's pcapng comments (opt_comment options); empty
// strings are left out. pcap has no place for them.
func (w *Writer) WriteFrameComments(handle int, ts time.Time, frame []byte, comments []string) error {
	_, err := w.write(handle, ts, frame, comments, nil)
	return err
}

// WriteFrameWith is [Writer.WriteFrameComments] for a caller that needs the
// frame's number to write its comments: if the frame is captured, comments
// is called with its number in the file (1-based, counting only the frames
// written) and its result becomes the frame's comments; num is that number,
// or 0 for a frame on an interface that is not captured (comments is then
// not called). comments runs with the Writer's lock held: it must not call
// the Writer.
func (w *Writer) WriteFrameWith(handle int, ts time.Time, frame []byte, comments func(num int) []string) (num int, err error) {
	return w.write(handle, ts, frame, nil, comments)
}

// NextNumber returns the number (1-based, in the file) that the next frame
// written will have if it is written on interface handle, or 0 if that
// interface is not captured (or the Writer has failed).
func (w *Writer) NextNumber(handle int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0
	}
	if handle < len(w.ifaces) {
		if id := w.ifaces[handle].id; id >= 0 || id == undecided {
			return w.frames + 1
		}
		return 0
	}
	if w.opts.Format == PCAP && len(w.ifaces) == 0 {
		return w.frames + 1
	}
	return 0
}

// write writes a frame with comments, or with commentsOf's when it is set.
func (w *Writer) write(handle int, ts time.Time, frame []byte, comments []string, commentsOf func(int) []string) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	id := 0
	if handle < len(w.ifaces) {
		id = w.ifaces[handle].id
	} else if w.opts.Format == PCAPNG || len(w.ifaces) > 0 {
		return 0, nil
	}
	if id == undecided {
		for i := range w.ifaces {
			w.ifaces[i].id = -1
		}
		w.ifaces[handle].id, id = 0, 0
	}
	if id < 0 {
		return 0, nil
	}
	num := w.frames + 1
	if commentsOf != nil {
		comments = commentsOf(num)
	}
	data := frame
	if len(data) > w.opts.SnapLen {
		data = data[:w.opts.SnapLen]
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(frame), InterfaceIndex: id}
	var err error
	if w.pcap != nil {
		err = w.pcap.WritePacket(ci, data)
	} else {
		var opts pcapgo.NgPacketOptions
		for _, c := range comments {
			if c != "" {
				opts.Comments = append(opts.Comments, c)
			}
		}
		err = w.ng.WritePacketWithOptions(ci, data, opts)
	}
	if err != nil {
		w.err = fmt.Errorf("write frame %d: %w", num, err)
		return 0, w.err
	}
	w.frames++
	if err := w.flushEach(); err != nil {
		return 0, err
	}
	return num, nil
}

// flushEach flushes the buffered blocks when Options.FlushEach is set; the
// caller holds w.mu. Its error is kept as the Writer's.
func (w *Writer) flushEach() error {
	if !w.opts.FlushEach {
		return nil
	}
	var err error
	switch {
	case w.ng != nil:
		err = w.ng.Flush() // its buffer is w.buf, or one of its own on top
	case w.buf != nil:
		err = w.buf.Flush()
	}
	if err != nil {
		w.err = fmt.Errorf("flush capture: %w", err)
	}
	return w.err
}

// TLSKeyLog is the secrets type of a Decryption Secrets Block that holds
// NSS key log lines ("TLSK"), as pcapng defines it.
const TLSKeyLog = 0x544c534b

// WriteKeyLog records TLS session keys: lines is NSS key log text (whole
// lines, such as crypto/tls writes to Config.KeyLogWriter), which pcapng
// holds in a Decryption Secrets Block of type [TLSKeyLog] at the current
// point of the file, after the frames written so far and before those
// that follow. Wireshark reads the file in order and uses a key only for
// the frames after it: write the keys of a TLS session before its
// encrypted frames (crypto/tls logs each secret before it sends anything
// protected by it, so a TLS server's keys always come early enough).
// Before the first interface is added, the lines are kept and written
// just after the section header.
//
// Classic pcap has no place for keys: there WriteKeyLog does nothing and
// returns nil (a caller that wants them keeps a key log file beside the
// capture). Empty lines (len 0) write nothing. The first error is kept and returned
// by every later call, as with [Writer.WriteFrame].
func (w *Writer) WriteKeyLog(lines []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.opts.Format != PCAPNG || len(lines) == 0 {
		return nil
	}
	if w.ng == nil {
		w.keyLog = append(w.keyLog, lines...)
		return nil
	}
	if err := w.writeSecrets(lines); err != nil {
		return err
	}
	return w.flushEach()
}

// writeSecrets writes one Decryption Secrets Block of key log lines into
// pcapgo's buffer (the one frames go through, so the order holds).
func (w *Writer) writeSecrets(lines []byte) error {
	if err := w.ng.WriteDecryptionSecretsBlock(TLSKeyLog, lines); err != nil {
		w.err = fmt.Errorf("write decryption secrets block %d: %w", w.secrets+1, err)
		return w.err
	}
	w.secrets++
	return nil
}

// SecretsBlocks returns the number of Decryption Secrets Blocks written
// (always 0 in pcap).
func (w *Writer) SecretsBlocks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.secrets
}

// Frames returns the number of frames written.
func (w *Writer) Frames() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// Flush writes any buffered frames to the underlying writer. A pcapng file
// to which no interface was added gets its header here.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.opts.Format == PCAPNG && w.ng == nil {
		if _, err := w.declare("none", "no interface was captured"); err != nil {
			w.err = err
			return err
		}
	}
	var err error
	if w.ng != nil {
		err = w.ng.Flush() // its buffer is w.buf, or one of its own on top
	} else {
		err = w.buf.Flush()
	}
	if err != nil {
		w.err = fmt.Errorf("flush capture: %w", err)
	}
	return w.err
}
