package pcapread

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format names a capture file format.
type Format int

// Capture file formats.
const (
	FormatPcap   Format = iota + 1 // classic libpcap
	FormatPcapNG                   // pcapng
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Reader reads frames from a capture, one at a time.
type Reader struct {
	br     *bufio.Reader
	closer io.Closer
	off    int64 // file offset of the next unread byte
	format Format
	order  binary.ByteOrder
	big    bool   // order is big-endian: u32 without an interface call
	buf    []byte // reused for record bodies
	frame  Frame
	number int

	// classic pcap
	nano bool

	// pcapng (also used for classic pcap: one interface)
	ifaces []Interface
	// secrets are the Decryption Secrets Blocks not yet taken
	// (TakeSecrets).
	secrets []Secrets
}

// NewReader detects the format of the capture in r (pcap or pcapng), reads
// its file header and returns a Reader positioned at the first frame.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 1<<16)}
	magic, err := rd.br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, formatErr(0, "file is empty or shorter than a capture file header")
		}
		return nil, fmt.Errorf("reading capture header: %w", err)
	}
	switch {
	case binary.LittleEndian.Uint32(magic) == blockSHB:
		rd.format = FormatPcapNG
		if err := rd.readNGFirst(); err != nil {
			return nil, err
		}
	default:
		rd.format = FormatPcap
		if err := rd.readPcapHeader(); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Open opens the capture file at path. Close the Reader when done.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// Close closes the file opened by Open; it does nothing for a Reader made
// by NewReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Format reports the capture's file format.
func (r *Reader) Format() Format { return r.format }

// Interfaces returns the capture interfaces seen so far (one for classic
// pcap; for pcapng, those described by the blocks read so far).
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// LinkType returns the link type of the first interface (the file's link
// type for classic pcap), or 0 when no interface has been described yet.
func (r *Reader) LinkType() LinkType {
	if len(r.ifaces) == 0 {
		return 0
	}
	return r.ifaces[0].LinkType
}

// Next returns the next frame, or io.EOF after the last one. The returned
// Frame and its Data are reused by the following call to Next: copy what
// must outlive it (Frame.Clone does).
func (r *Reader) Next() (*Frame, error) {
	var err error
	if r.format == FormatPcap {
		err = r.nextPcap()
	} else {
		err = r.nextNG()
	}
	if err != nil {
		return nil, err
	}
	r.number++
	r.frame.Number = r.number
	return &r.frame, nil
}

// Clone returns a deep copy of f that does not share memory with a Reader.
func (f *Frame) Clone() Frame {
	c := *f
	c.Data = append([]byte(nil), f.Data...)
	if f.Comments != nil {
		c.Comments = append([]string(nil), f.Comments...)
	}
	return c
}

// ReadFile reads every frame of the capture at path. On a malformed or
// truncated file it returns the frames read before the problem along with
// the error.
func ReadFile(path string) ([]Frame, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	frames, err := ReadAll(r)
	if err != nil {
		return frames, fmt.Errorf("%s: %w", path, err)
	}
	return frames, nil
}

// ReadAll reads the remaining frames of r, copying each. On error it
// returns the frames read before the problem along with the error.
func ReadAll(r *Reader) ([]Frame, error) {
	var frames []Frame
	for {
		f, err := r.Next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f.Clone())
	}
}

// u32 decodes a uint32 in the capture's byte order.
func (r *Reader) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// read reads exactly n bytes and returns them; they are valid until the
// next read.
// A short read at the very start gives io.EOF, in the middle a FormatError.
func (r *Reader) read(n int, what string) ([]byte, error) {
	if n <= r.br.Size() {
		// Straight from the bufio.Reader's buffer, without a copy: the
		// bytes stay valid until the next read.
		if b, err := r.br.Peek(n); err == nil {
			r.br.Discard(n)
			r.off += int64(n)
			return b, nil
		}
		// A short read: the copying path below reports it.
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n, n+n/4)
	}
	b := r.buf[:n]
	got, err := io.ReadFull(r.br, b)
	start := r.off
	r.off += int64(got)
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return nil, formatErr(start, "%s cut short: %d of %d bytes", what, got, n)
		}
		return nil, fmt.Errorf("offset %d: reading %s: %w", start, what, err)
	}
	return b, nil
}
