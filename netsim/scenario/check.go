package scenario

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// ErrNondeterministic is matched (with [errors.Is]) by every
// [*DiffError]: two runs of the same scenario with the same options gave
// different results.
var ErrNondeterministic = errors.New("scenario: runs differ")

// DiffError says where the captures of two runs of a scenario first
// differ (see [Scenario.Check]). In a frame, it names the frame as
// Wireshark numbers it, with its time and interface and what differs:
//
//	tcp.yaml: the two runs differ at frame 5 (time 0.000050, interface localhost:lo): byte 42 of the frame (0xf7 vs 0xf8); run 1: "5 0.000050 127.0.0.1 → 127.0.0.1 TCP 66 ..."; run 2: "5 0.000050 ..."
//
// Elsewhere it names the block (the file header, a section header,
// interface description or decryption secrets block, ...). It matches
// [ErrNondeterministic].
type DiffError struct {
	// File is the scenario's file name ([Scenario.File]).
	File string
	// Frame is the 1-based number of the first frame that differs, or 0
	// when the first difference is not in a frame.
	Frame int
	// Block names the capture block the first difference is in:
	// "frame" (a pcap record or pcapng packet block), "file header",
	// "section header block", "interface description block",
	// "decryption secrets block", and so on; "" when the captures are the
	// same and something else differs (see Detail).
	Block string
	// FileOffset is the offset in the capture of the first byte that
	// differs (where the shorter capture ends, if one is a prefix of the
	// other).
	FileOffset int64
	// Offset is the offset of the first differing byte within the
	// frame's data (-1 when the frames' data are the same and the
	// difference is in the time, interface or options), or, out of a
	// frame, within the block.
	Offset int
	// Field names the header field that byte Offset of the frame falls
	// in, as Wireshark names it ("tcp.checksum", "ip.ttl",
	// "tcp.payload"), when the frame's layout is one netsim writes ("" if
	// not known).
	Field string
	// Time is the frame's time since the first frame in the first run,
	// as netsim read prints it ("0.000050").
	Time string
	// Interface is the frame's capture interface name in the first run
	// ("" when the capture does not name interfaces).
	Interface string
	// Summary is the frame's line in each run as netsim read prints it
	// ("" for a run whose capture has no such frame).
	Summary [2]string
	// Frames is how many frames each run's capture holds.
	Frames [2]int
	// Detail says briefly how the two differ ("byte 42 of the frame
	// (0xf7 vs 0xf8)", "time 0.000050 vs 0.000051", "run 2 has no frame
	// 11").
	Detail string
}

// Error returns the report on one line.
func (e *DiffError) Error() string {
	var b strings.Builder
	b.WriteString(expectPlace(e.File, Pos{}))
	b.WriteString("the two runs differ")
	switch {
	case e.Frame > 0:
		fmt.Fprintf(&b, " at frame %d", e.Frame)
		var at []string
		if e.Time != "" {
			at = append(at, "time "+e.Time)
		}
		if e.Interface != "" {
			at = append(at, "interface "+e.Interface)
		}
		if len(at) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(at, ", "))
		}
	case e.Block != "":
		fmt.Fprintf(&b, " in the %s at file offset %d (byte %d of the block)", e.Block, e.FileOffset, e.Offset)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Frame > 0 {
		for i, s := range e.Summary {
			if s != "" {
				fmt.Fprintf(&b, "; run %d: %q", i+1, strings.Join(strings.Fields(s), " "))
			}
		}
	}
	if e.Frames[0] != e.Frames[1] {
		fmt.Fprintf(&b, "; run 1 has %d frames, run 2 has %d", e.Frames[0], e.Frames[1])
	}
	return b.String()
}

// Is reports whether target is [ErrNondeterministic].
func (e *DiffError) Is(target error) bool { return target == ErrNondeterministic }

// check runs s twice with o and compares the captures, then (unless
// o.NoExpect) checks the expectations against the first run.
func (s *Scenario) check(o RunOptions) error {
	var c1, c2 bytes.Buffer
	o1 := o
	o1.NoExpect = true
	o1.Capture = &c1
	if o.Capture != nil {
		o1.Capture = io.MultiWriter(&c1, o.Capture)
	}
	r1, err := s.Run(o1)
	if err != nil {
		return err
	}
	o2 := o
	o2.NoExpect = true
	o2.Capture = &c2
	o2.Out = nil
	r2, err := s.Run(o2)
	if err != nil {
		return fmt.Errorf("%sthe second run: %w", expectPlace(s.File, Pos{}), err)
	}
	if o.Context != nil && o.Context.Err() != nil {
		return o.Context.Err()
	}
	if d := diffCaptures(c1.Bytes(), c2.Bytes()); d != nil {
		d.File = s.File
		return d
	}
	if d := diffReceived(r1, r2); d != "" {
		return &DiffError{File: s.File, Offset: -1, Detail: d}
	}
	if o.NoExpect {
		return nil
	}
	if r1 == nil {
		r1 = &Result{}
	}
	r1.Capture = c1.Bytes()
	return s.expect(r1)
}

// diffReceived compares the byte counts of two runs' sockets and says how
// they first differ ("" when they do not).
func diffReceived(r1, r2 *Result) string {
	var a, b []SockBytes
	if r1 != nil {
		a = r1.Received
	}
	if r2 != nil {
		b = r2.Received
	}
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("only run 2's %s's %s received data (%d bytes)", b[i].Program, b[i].Sock, b[i].Bytes)
		case i >= len(b):
			return fmt.Sprintf("only run 1's %s's %s received data (%d bytes)", a[i].Program, a[i].Sock, a[i].Bytes)
		case a[i] != b[i]:
			if a[i].Program == b[i].Program && a[i].Sock == b[i].Sock {
				return fmt.Sprintf("%s's %s received %d bytes in run 1, %d in run 2", a[i].Program, a[i].Sock, a[i].Bytes, b[i].Bytes)
			}
			return fmt.Sprintf("received data: socket %d is %s's %s in run 1, %s's %s in run 2", i+1, a[i].Program, a[i].Sock, b[i].Program, b[i].Sock)
		}
	}
	return ""
}

// diffBlock is one block of a capture file: the pcap file header or a
// record, or a pcapng block.
type diffBlock struct {
	start, end int
	kind       string
	frame      int // 1-based frame number of a frame block, else 0
}

// pcapng block types the diff names.
var diffNGBlockKinds = map[uint32]string{
	0x0A0D0D0A: "section header block",
	1:          "interface description block",
	2:          "frame", // obsolete packet block
	3:          "frame", // simple packet block
	4:          "name resolution block",
	5:          "interface statistics block",
	6:          "frame", // enhanced packet block
	9:          "systemd journal export block",
	10:         "decryption secrets block",
	0xBAD:      "custom block",
	0x40000BAD: "custom block",
}

// diffBlockAt returns the block of capture b that holds offset off, walking
// the file from its start as pcapread does (classic pcap: the 24-byte
// header, then records; pcapng: blocks with their lengths). ok is false
// when off is past the end or the file is malformed before it; then blk
// says where the walk stopped.
func diffBlockAt(b []byte, off int) (blk diffBlock, ok bool) {
	if len(b) < 4 {
		return diffBlock{0, len(b), "file header", 0}, off < len(b)
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	case 0x0A0D0D0A:
		return diffNGBlockAt(b, off)
	default:
		return diffBlock{0, len(b), "file header", 0}, off < len(b)
	}
	if len(b) < 24 || off < 24 {
		return diffBlock{0, min(24, len(b)), "file header", 0}, off < len(b)
	}
	frame, pos := 0, 24
	for pos < len(b) {
		if len(b)-pos < 16 || int64(order.Uint32(b[pos+8:])) > int64(len(b)-pos-16) {
			// A record cut short: not a frame pcapread reads.
			if off >= len(b) {
				break
			}
			return diffBlock{pos, len(b), "frame", frame + 1}, true
		}
		frame++
		end := pos + 16 + int(order.Uint32(b[pos+8:]))
		if off < end {
			return diffBlock{pos, end, "frame", frame}, true
		}
		pos = end
	}
	return diffBlock{pos, len(b), "end of the capture", frame}, false
}

// diffNGBlockAt is diffBlockAt for pcapng.
func diffNGBlockAt(b []byte, off int) (diffBlock, bool) {
	var order binary.ByteOrder = binary.LittleEndian
	frame := 0
	pos := 0
	for pos < len(b) {
		if len(b)-pos < 12 {
			if off >= len(b) {
				break
			}
			return diffBlock{pos, len(b), "truncated block", 0}, true
		}
		typ := binary.LittleEndian.Uint32(b[pos:])
		if typ == 0x0A0D0D0A {
			switch {
			case binary.LittleEndian.Uint32(b[pos+8:]) == 0x1A2B3C4D:
				order = binary.LittleEndian
			case binary.BigEndian.Uint32(b[pos+8:]) == 0x1A2B3C4D:
				order = binary.BigEndian
			}
		} else {
			typ = order.Uint32(b[pos:])
		}
		kind, known := diffNGBlockKinds[typ]
		if !known {
			kind = fmt.Sprintf("block of type 0x%08x", typ)
		}
		n := int(order.Uint32(b[pos+4:]))
		bad := n < 12 || n%4 != 0 || n > len(b)-pos
		fr := 0
		if kind == "frame" {
			fr = frame + 1
			if !bad {
				frame++
			}
		}
		if bad {
			// Malformed here: the rest is this block.
			if off >= len(b) {
				break
			}
			return diffBlock{pos, len(b), kind, fr}, true
		}
		if off < pos+n {
			return diffBlock{pos, pos + n, kind, fr}, true
		}
		pos += n
	}
	return diffBlock{pos, len(b), "end of the capture", frame}, false
}

// diffCountFrames returns the number of frame blocks in capture b.
func diffCountFrames(b []byte) int {
	blk, _ := diffBlockAt(b, len(b))
	return blk.frame
}

// diffFrame is what the diff shows of one run's frame.
type diffFrame struct {
	present   bool
	summary   string
	link      pcapread.LinkType
	time      int64 // ns since the epoch
	rel       string
	iface     int
	ifName    string
	origLen   int
	data      []byte
	comments  []string
	readError error
}

// diffReadFrame decodes capture b up to frame n, as netsim read does, and
// returns that frame.
func diffReadFrame(b []byte, n int) diffFrame {
	var fi diffFrame
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		fi.readError = err
		return fi
	}
	stop := errors.New("stop")
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		if p.Number < n {
			return nil
		}
		fi = diffFrame{
			present:  true,
			summary:  dissect.Summary(p),
			link:     p.Link,
			time:     p.Time,
			rel:      diffRelTime(p.TimeRel, p.Precision),
			iface:    p.Interface,
			ifName:   p.IfName,
			origLen:  p.Len,
			data:     bytes.Clone(p.Frame),
			comments: append([]string(nil), p.Comments...),
		}
		return stop
	})
	if err != nil && err != stop {
		fi.readError = err
	}
	return fi
}

// diffRelTime formats ns as seconds with prec decimals, as netsim read does.
func diffRelTime(ns int64, prec int) string {
	if prec <= 0 || prec > 9 {
		prec = 9
	}
	d := time.Duration(ns)
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	frac := int64(d % time.Second)
	for i := prec; i < 9; i++ {
		frac /= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, int64(d/time.Second), prec, frac)
}

// diffCaptures compares two captures, a from the first run and b from the
// second, and returns nil when they are the same bytes, else a DiffError
// (File unset) naming the first block, and in a frame the first byte,
// that differs.
func diffCaptures(a, b []byte) *DiffError {
	if bytes.Equal(a, b) {
		return nil
	}
	d := 0
	for d < len(a) && d < len(b) && a[d] == b[d] {
		d++
	}
	e := &DiffError{
		FileOffset: int64(d),
		Offset:     -1,
		Frames:     [2]int{diffCountFrames(a), diffCountFrames(b)},
	}
	// Blocks that start at or before d start at the same offsets in both
	// captures (their lengths come from the equal bytes before d), so
	// the block holding d is the same in both; where one capture ends
	// at d, the other's block is the one that is missing.
	blk, ok := diffBlockAt(a, d)
	if !ok {
		blk, ok = diffBlockAt(b, d)
	}
	if !ok {
		e.Block = blk.kind
		e.Offset = d - blk.start
		e.Detail = "the captures differ past their last block"
		return e
	}
	if blk.kind != "frame" {
		e.Block = blk.kind
		e.Offset = d - blk.start
		switch {
		case d >= len(a):
			e.Detail = "run 1's capture ends before it"
		case d >= len(b):
			e.Detail = "run 2's capture ends before it"
		default:
			e.Detail = fmt.Sprintf("0x%02x vs 0x%02x", a[d], b[d])
		}
		return e
	}
	e.Block = "frame"
	e.Frame = blk.frame
	fa, fb := diffReadFrame(a, blk.frame), diffReadFrame(b, blk.frame)
	e.Summary = [2]string{fa.summary, fb.summary}
	first := fa
	if !first.present {
		first = fb
	}
	e.Time, e.Interface = first.rel, first.ifName
	var what []string
	switch {
	case !fa.present || !fb.present:
		for i, f := range []diffFrame{fa, fb} {
			if f.present {
				continue
			}
			if f.readError != nil {
				what = append(what, fmt.Sprintf("run %d's capture is unreadable there: %v", i+1, f.readError))
			} else {
				what = append(what, fmt.Sprintf("run %d has no frame %d", i+1, blk.frame))
			}
		}
	default:
		if fa.iface != fb.iface || fa.ifName != fb.ifName {
			what = append(what, fmt.Sprintf("interface %s vs %s", diffIfaceString(fa), diffIfaceString(fb)))
		}
		if fa.time != fb.time {
			ta, tb := fa.rel, fb.rel
			if ta == tb {
				ta = time.Unix(0, fa.time).UTC().Format(time.RFC3339Nano)
				tb = time.Unix(0, fb.time).UTC().Format(time.RFC3339Nano)
			}
			what = append(what, fmt.Sprintf("time %s vs %s", ta, tb))
		}
		if fa.origLen != fb.origLen || len(fa.data) != len(fb.data) {
			what = append(what, fmt.Sprintf("length %d vs %d", fa.origLen, fb.origLen))
			if len(fa.data) != fa.origLen || len(fb.data) != fb.origLen {
				what = append(what, fmt.Sprintf("captured %d vs %d bytes", len(fa.data), len(fb.data)))
			}
		}
		i := 0
		for i < len(fa.data) && i < len(fb.data) && fa.data[i] == fb.data[i] {
			i++
		}
		if i < len(fa.data) && i < len(fb.data) {
			e.Offset = i
			e.Field = diffFieldAt(fa.link, fa.data, i)
			field := e.Field
			if field != "" {
				field += " "
			}
			w := fmt.Sprintf("byte %d of the frame (%s0x%02x vs 0x%02x)", i, field, fa.data[i], fb.data[i])
			n, last := 0, i
			for j := i; j < min(len(fa.data), len(fb.data)); j++ {
				if fa.data[j] != fb.data[j] {
					n, last = n+1, j
				}
			}
			if n > 1 {
				w += fmt.Sprintf(", %d bytes differ, the last byte %d", n, last)
				if f := diffFieldAt(fa.link, fa.data, last); f != "" {
					w += " (" + f + ")"
				}
			}
			what = append(what, w)
		} else if len(fa.data) != len(fb.data) {
			e.Offset = i
			what = append(what, fmt.Sprintf("the frame's data is the same up to byte %d", i))
		}
		if strings.Join(fa.comments, "\n") != strings.Join(fb.comments, "\n") {
			what = append(what, fmt.Sprintf("comments %q vs %q", fa.comments, fb.comments))
		}
		if len(what) == 0 {
			what = append(what, fmt.Sprintf("byte %d of the frame's block", d-blk.start))
		}
	}
	e.Detail = strings.Join(what, ", ")
	return e
}

// diffIfaceString names a frame's interface for the diff.
func diffIfaceString(f diffFrame) string {
	if f.ifName != "" {
		return f.ifName
	}
	return fmt.Sprint(f.iface)
}
