package tsg

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim/internal/svgtest"
	"netsim.dev/netsim/pcapread"
)

var update = flag.Bool("update", false, "rewrite the golden SVGs (and the README PNGs) under testdata")

// The captures under testdata, made with netsim (go run ./cmd/netsim):
//
//	transfer-loss.pcapng: run transfer --size 32KiB --delay 5ms --loss 5% --seed 3 -w F
//	  a fast retransmission (frame 46) after 13 duplicate ACKs, frames 17 and
//	  48 (a FIN) lost client→server, 51 (the server's FIN) lost server→client,
//	  the FIN retransmitted on the RTO (49)
//	tcp.pcapng: run tcp -w F (the book's exchange: SYN, 3 bytes, FIN)
//	cwnd-loss.pcapng: run testdata/cwnd-loss.yaml -w F (64 KiB over a link
//	  with 10 ms delay and 3% loss, every frame explained: the client's
//	  frames carry its stack's "tcp sender:" state)
const (
	lossFile = "testdata/transfer-loss.pcapng"
	bookFile = "testdata/tcp.pcapng"
	cwndFile = "testdata/cwnd-loss.pcapng"
)

func readGraph(t *testing.T, data []byte, opt Options) *Graph {
	t.Helper()
	g, err := Read(bytes.NewReader(data), opt)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func frames(segs []Segment, keep func(Segment) bool) []int {
	var out []int
	for _, s := range segs {
		if keep(s) {
			out = append(out, s.Frame)
		}
	}
	return out
}

func TestTransferLoss(t *testing.T) {
	g := readGraph(t, mustRead(t, lossFile), DefaultOptions())
	if g.Sender != "10.0.0.1:38900" || g.Receiver != "10.0.0.2:5001" || g.Stream != 0 {
		t.Errorf("drew %s → %s stream %d, want the client's data direction", g.Sender, g.Receiver, g.Stream)
	}
	if g.Bytes != 32768+1420 {
		t.Errorf("payload bytes %d, want 32768 + one 1420-byte retransmission", g.Bytes)
	}
	check := func(what string, got []int, want ...int) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: frames %v, want %v", what, got, want)
		}
	}
	// tshark agrees: tcp.analysis.retransmission selects 46, 48, 49.
	check("retransmissions", frames(g.Segments, func(s Segment) bool { return s.Retransmission }), 46, 48, 49)
	check("lost", frames(g.Segments, func(s Segment) bool { return s.Lost != "" }), 17, 48)
	check("SYN", frames(g.Segments, func(s Segment) bool { return s.SYN }), 3)
	check("FIN", frames(g.Segments, func(s Segment) bool { return s.FIN }), 31, 48, 49)
	if s := g.Segments[1]; s.Frame != 6 || s.Seq != 1 || s.End != 1421 || s.Len != 1420 {
		t.Errorf("first data segment %+v, want frame 6, seq 1-1421", s)
	}
	if s := g.Segments[len(g.Segments)-1]; s.Seq != 32769 || s.End != 32770 || s.Time != 250020002 {
		t.Errorf("last segment %+v, want the FIN at 32769 at 0.250020002 s", s)
	}
	var lostAcks []int
	for _, a := range g.Acks {
		if a.Lost != "" {
			lostAcks = append(lostAcks, a.Frame)
		}
	}
	check("lost ACKs", lostAcks, 51)
	if a := g.Acks[0]; a.Frame != 4 || a.Ack != 1 || a.Window != 29184 {
		t.Errorf("first ACK %+v, want the SYN-ACK: ack 1, window 29184 (unscaled in a SYN)", a)
	}
	if a := g.Acks[1]; a.Frame != 16 || a.Ack != 14201 || a.Window != 3131520 {
		t.Errorf("second ACK %+v, want ack 14201, window 24465×128 = 3131520", a)
	}
	if len(g.Cwnd) != 0 {
		t.Errorf("%d cwnd samples from a capture without sender comments", len(g.Cwnd))
	}
	// tshark: frame 33 has SLE=15621 SRE=18461 (the hole is frame 17's
	// 14201-15621).
	for _, a := range g.Acks {
		if a.Frame == 33 && fmt.Sprint(a.SACK) != "[[15621 18461]]" {
			t.Errorf("frame 33's SACK %v, want [[15621 18461]]", a.SACK)
		}
		if a.Frame == 16 && a.SACK != nil {
			t.Errorf("frame 16 has no SACK option, got %v", a.SACK)
		}
	}

	srv := readGraph(t, mustRead(t, lossFile), Options{Stream: 0, Direction: Server})
	if srv.Sender != "10.0.0.2:5001" || srv.Bytes != 0 {
		t.Errorf("server direction: %s, %d bytes", srv.Sender, srv.Bytes)
	}
	check("server SYN and FINs", frames(srv.Segments, func(Segment) bool { return true }), 4, 51, 52)
	if len(srv.Acks) == 0 || srv.Acks[len(srv.Acks)-1].Ack != 2 {
		t.Errorf("server direction: the client's last ACK should be 2 (SYN + FIN), acks %v", srv.Acks)
	}
}

func TestBookExchange(t *testing.T) {
	g := readGraph(t, mustRead(t, bookFile), DefaultOptions())
	var got []string
	for _, s := range g.Segments {
		got = append(got, fmt.Sprintf("%d:%d-%d", s.Frame, s.Seq, s.End))
	}
	if want := "[1:0-1 4:1-4 6:4-5]"; fmt.Sprint(got) != want {
		t.Errorf("segments %v, want %s (SYN, the 3 bytes 44 55 66, FIN)", got, want)
	}
	if g.Title != "TCP 127.0.0.1:32379 → 127.0.0.1:24000 (tcp.stream 0)" {
		t.Errorf("title %q", g.Title)
	}
	// Each segment is labelled with its frame number.
	var svg bytes.Buffer
	if err := g.SVG(&svg); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{">#1</text>", ">#4</text>", ">#6</text>", ">SYN</text>", ">FIN</text>"} {
		if !strings.Contains(svg.String(), label) {
			t.Errorf("no %s in the SVG", label)
		}
	}
}

func TestErrors(t *testing.T) {
	data := mustRead(t, lossFile)
	_, err := Read(bytes.NewReader(data), Options{Stream: 3})
	if !errors.Is(err, ErrNoStream) || !strings.Contains(err.Error(), "no such TCP stream 3 (the capture has only tcp.stream 0)") {
		t.Errorf("stream 3: %v", err)
	}
	// The capture's first two frames are ARP: no TCP.
	arp := rewrite(t, data, func(n int, _ []byte) (bool, string) { return n <= 2, "" })
	if _, err := Read(bytes.NewReader(arp), DefaultOptions()); !errors.Is(err, ErrNoTCP) {
		t.Errorf("ARP only: %v, want ErrNoTCP", err)
	}
	if _, err := Read(strings.NewReader("not a capture"), DefaultOptions()); err == nil {
		t.Error("garbage read without error")
	}
	if _, err := ReadFile("testdata/missing.pcap", DefaultOptions()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, s := range []string{"auto", "client", "server"} {
		if d, err := ParseDirection(s); err != nil || d.String() != s {
			t.Errorf("ParseDirection(%q) = %v, %v", s, d, err)
		}
	}
	if _, err := ParseDirection("up"); err == nil {
		t.Error("ParseDirection(up) succeeded")
	}
}

// withSender returns the transfer-loss capture with netsim's sender
// comments added to the client's frames, as a run with explanations writes
// them: una is the last acknowledgment the client has seen, cwnd starts at
// 10 segments and grows by one per ACK, halving at the fast retransmit.
func withSender(t *testing.T) []byte {
	t.Helper()
	const mss = 1420
	cwnd, ssthresh := 10*mss, 0
	una := uint32(0)
	var isn uint32
	haveISN := false
	return rewrite(t, mustRead(t, lossFile), func(n int, data []byte) (bool, string) {
		if len(data) < 14+20+20 || binary.BigEndian.Uint16(data[12:]) != 0x0800 || data[23] != 6 {
			return true, ""
		}
		ip := data[14:]
		tcp := ip[int(ip[0]&15)*4:]
		fromClient := binary.BigEndian.Uint16(tcp[0:]) != 5001
		seq, ack := binary.BigEndian.Uint32(tcp[4:]), binary.BigEndian.Uint32(tcp[8:])
		if fromClient && !haveISN {
			isn, haveISN = seq, true
			una = isn
		}
		if !fromClient && tcp[13]&0x10 != 0 && haveISN {
			if int32(ack-una) > 0 {
				una, cwnd = ack, cwnd+mss
			}
			return true, ""
		}
		if !fromClient {
			return true, ""
		}
		if n == 46 { // the fast retransmission
			ssthresh, cwnd = cwnd/2, cwnd/2+3*mss
		}
		th := "none"
		if ssthresh > 0 {
			th = fmt.Sprint(ssthresh)
		}
		return true, fmt.Sprintf("tcp sender: cwnd=%d ssthresh=%s mss=%d rto=200ms srtt=10ms wnd=3145728 outstanding=1 una=%d nxt=%d", cwnd, th, mss, una, seq)
	})
}

func TestCwnd(t *testing.T) {
	g := readGraph(t, withSender(t), DefaultOptions())
	if len(g.Cwnd) == 0 {
		t.Fatal("no cwnd samples")
	}
	c := g.Cwnd[0]
	if c.Frame != 3 || c.Una != 0 || c.Cwnd != 14200 || c.Ssthresh != 0 {
		t.Errorf("first sample %+v, want frame 3, una 0 (relative), cwnd 14200, no ssthresh", c)
	}
	var at46 CwndSample
	for _, c := range g.Cwnd {
		if c.Frame == 46 {
			at46 = c
		}
	}
	if at46.Una != 14201 || at46.Ssthresh == 0 {
		t.Errorf("sample at the fast retransmission %+v, want una 14201 and an ssthresh", at46)
	}
	for _, bad := range []string{
		"tcp sender: cwnd=x una=1",
		"tcp sender: cwnd=10",
		"tcp sender: una=5 ssthresh=none",
		"tcp sender: cwnd=-1 una=5",
		"tcp sender: cwnd=1 una=99999999999",
	} {
		if c, ok := parseSender(bad, 0); ok {
			t.Errorf("parseSender(%q) = %+v, want not ok", bad, c)
		}
	}
	if c, ok := parseSender("tcp sender: cwnd=2896 ssthresh=5792 una=10 nxt=20 recovery=1 junk", 4); !ok || c.Una != 6 || c.Cwnd != 2896 || c.Ssthresh != 5792 {
		t.Errorf("parseSender: %+v %v", c, ok)
	}
}

// TestCwndFromNetsim: the congestion window netsim's stack reported, read
// from a real run with explanations.
func TestCwndFromNetsim(t *testing.T) {
	g := readGraph(t, mustRead(t, cwndFile), DefaultOptions())
	if g.Sender != "10.0.0.1:23294" || len(g.Cwnd) < 30 {
		t.Fatalf("%s: %d cwnd samples", g.Sender, len(g.Cwnd))
	}
	// Frame 24, the fast retransmission: una is still 1, cwnd 10 segments
	// of 1420; frame 26, in recovery: cwnd 11360, ssthresh 7100.
	want := map[int]CwndSample{
		24: {Frame: 24, Una: 1, Cwnd: 14200},
		26: {Frame: 26, Una: 1, Cwnd: 11360, Ssthresh: 7100},
	}
	for _, c := range g.Cwnd {
		if w, ok := want[c.Frame]; ok {
			c.Time = 0
			if c != w {
				t.Errorf("frame %d: %+v, want %+v", c.Frame, c, w)
			}
			delete(want, c.Frame)
		}
	}
	if len(want) > 0 {
		t.Errorf("no samples for frames %v", want)
	}
	var retrans []int
	for _, s := range g.Segments {
		if s.Retransmission {
			retrans = append(retrans, s.Frame)
		}
	}
	if fmt.Sprint(retrans[:2]) != "[24 27]" {
		t.Errorf("retransmissions %v, want 24 (fast retransmit of frame 6) and 27 (of frame 11) first", retrans)
	}
}

// rewrite copies the pcapng capture data as a new pcapng with one
// interface (the first frame's link type, nanosecond timestamps), keeping
// the frames keep accepts and replacing their comments with the one it
// returns, if any.
func rewrite(t *testing.T, data []byte, keep func(n int, data []byte) (bool, string)) []byte {
	t.Helper()
	r, err := pcapread.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := pcapread.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	le := binary.LittleEndian
	block := func(typ uint32, body []byte) {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		n := uint32(12 + len(body))
		out.Write(le.AppendUint32(le.AppendUint32(nil, typ), n))
		out.Write(body)
		out.Write(le.AppendUint32(nil, n))
	}
	option := func(b []byte, code uint16, v []byte) []byte {
		b = le.AppendUint16(le.AppendUint16(b, code), uint16(len(v)))
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	shb := le.AppendUint32(nil, 0x1a2b3c4d)
	shb = le.AppendUint16(le.AppendUint16(shb, 1), 0)
	shb = le.AppendUint64(shb, ^uint64(0))
	block(0x0a0d0d0a, shb)
	idb := le.AppendUint16(le.AppendUint16(nil, uint16(fs[0].LinkType)), 0)
	idb = le.AppendUint32(idb, 0)
	idb = option(idb, 9, []byte{9}) // if_tsresol: nanoseconds
	idb = option(idb, 0, nil)
	block(1, idb)
	for _, f := range fs {
		ok, comment := keep(f.Number, f.Data)
		if !ok {
			continue
		}
		epb := le.AppendUint32(nil, 0)
		epb = le.AppendUint32(epb, uint32(uint64(f.Time)>>32))
		epb = le.AppendUint32(epb, uint32(f.Time))
		epb = le.AppendUint32(le.AppendUint32(epb, uint32(len(f.Data))), uint32(f.OrigLen))
		epb = append(epb, f.Data...)
		for len(epb)%4 != 0 {
			epb = append(epb, 0)
		}
		comments := f.Comments
		if comment != "" {
			comments = append(comments, comment)
		}
		for _, c := range comments {
			epb = option(epb, 1, []byte(c))
		}
		if len(comments) > 0 {
			epb = option(epb, 0, nil)
		}
		block(6, epb)
	}
	return out.Bytes()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s differs at line %d:\n got: %s\nwant: %s\n(go test -update rewrites it, after you have looked at the picture)", path, i+1, g, w)
				return
			}
		}
	}
}

// pictureCase is one graph checked as SVG text, SVG rendered by
// rsvg-convert, and PNG drawn in Go.
type pictureCase struct {
	name string
	data func(t *testing.T) []byte
	opt  Options
	// readme names a PNG under testdata that -update writes for README
	// (checked to match the current drawing), or "".
	readme string
}

var pictureCases = []pictureCase{
	{"transfer-loss", func(t *testing.T) []byte { return mustRead(t, lossFile) }, DefaultOptions(), "transfer-loss.png"},
	{"tcp", func(t *testing.T) []byte { return mustRead(t, bookFile) }, DefaultOptions(), "tcp.png"},
	{"cwnd", withSender, DefaultOptions(), ""},
	{"cwnd-loss", func(t *testing.T) []byte { return mustRead(t, cwndFile) }, DefaultOptions(), "cwnd-loss.png"},
	{"server", func(t *testing.T) []byte { return mustRead(t, lossFile) }, Options{Direction: Server}, ""},
	{"cwnd-zoom", func(t *testing.T) []byte { return mustRead(t, cwndFile) }, Options{Stream: AnyStream, From: 55 * time.Millisecond, To: 130 * time.Millisecond}, ""},
}

func TestPictures(t *testing.T) {
	for _, c := range pictureCases {
		t.Run(c.name, func(t *testing.T) {
			g := readGraph(t, c.data(t), c.opt)
			var svg bytes.Buffer
			if err := g.SVG(&svg); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".svg", svg.Bytes())
			mine := g.Image()
			if c.readme != "" {
				path := filepath.Join("testdata", c.readme)
				if *update {
					var b bytes.Buffer
					if err := png.Encode(&b, mine); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				old, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				// Another platform's floating point may move an edge
				// pixel; a changed drawing moves far more.
				svgtest.Similar(t, old, mine, 4, 0.002)
			}
			checkPicture(t, g, "go", mine)
			rendered := svgtest.Render(t, svg.Bytes())
			checkPicture(t, g, "rsvg-convert", rendered)
			// The renderer's fonts differ from Go's; everything else
			// should coincide.
			t.Logf("rsvg-convert against Go: difference %.4f (blocks of 16 px), %.4f (4 px)", svgtest.Difference(rendered, mine, 16), svgtest.Difference(rendered, mine, 4))
			svgtest.Similar(t, rendered, mine, 16, 0.006)
		})
	}
}

// checkPicture looks at the picture of g for what the layout says is
// where: the bars of the first and last segments, every retransmission,
// every lost frame's ×, the ACK and cwnd lines.
func checkPicture(t *testing.T, g *Graph, who string, img image.Image) {
	t.Helper()
	if img.Bounds() != image.Rect(0, 0, Width, Height) {
		t.Fatalf("%s: picture %v, want %d×%d", who, img.Bounds(), Width, Height)
	}
	svgtest.NotBlank(t, img, 0.01)
	_, l := g.draw()
	around := func(x, y float64, r int) image.Rectangle {
		return image.Rect(int(x)-r, int(y)-r, int(x)+r+1, int(y)+r+1)
	}
	const tol = 24
	segColor := func(s Segment) color.RGBA {
		switch {
		case s.Retransmission:
			return colRetrans
		case s.SYN || s.FIN:
			return colSynFin
		}
		return colData
	}
	bar := func(what string, s Segment) {
		t.Helper()
		x, y := l.x(s.Time), (l.y(s.Seq)+l.y(s.End))/2
		svgtest.HasColor(t, img, around(x, y, 2), segColor(s), tol, fmt.Sprintf("%s: %s (frame %d)", who, what, s.Frame))
	}
	view := g.To > g.From
	in := func(t int64) bool { return !view || (t >= g.From && t <= g.To) }
	var segs []Segment
	for _, s := range g.Segments {
		if in(s.Time) {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		t.Fatalf("%s: no segment in view", who)
	}
	var first *Segment
	for i := range segs {
		if s := &segs[i]; s.Len > 0 && first == nil {
			first = s
		}
	}
	if first != nil {
		bar("first data segment", *first)
	}
	bar("first segment", segs[0])
	bar("last segment", segs[len(segs)-1])
	for _, s := range segs {
		if s.Retransmission {
			bar("retransmission", s)
		}
		if s.Lost != "" {
			svgtest.HasColor(t, img, around(l.x(s.Time)+8, (l.y(s.Seq)+l.y(s.End))/2, 3), colLost, tol, fmt.Sprintf("%s: lost mark (frame %d)", who, s.Frame))
		}
	}
	for _, a := range g.Acks {
		if a.Lost != "" && in(a.Time) {
			svgtest.HasColor(t, img, around(l.x(a.Time), l.y(a.Ack), 3), colLost, tol, fmt.Sprintf("%s: lost ACK mark (frame %d)", who, a.Frame))
		}
	}
	// The ACK line's last level runs to the plot's right edge.
	if n := len(g.Acks); n > 0 {
		last := g.Acks[0]
		for _, a := range g.Acks {
			if a.Lost == "" && (!view || a.Time <= g.To) {
				last = a
			}
		}
		// 16 pixels along, through the gaps of a dashed cwnd line on top.
		y := int(l.y(last.Ack))
		svgtest.HasColor(t, img, image.Rect(int(l.x1)-30, y-2, int(l.x1)-14, y+3), colAck, tol, who+": ACK line at its last level")
	}
	if n := len(g.Cwnd); n > 0 {
		c := g.Cwnd[n-1]
		for _, s := range g.Cwnd {
			if !view || s.Time <= g.To {
				c = s
			}
		}
		y := l.y(c.Una + c.Cwnd)
		if y >= l.y0 {
			// Dashed: look along 16 pixels.
			svgtest.HasColor(t, img, image.Rect(int(l.x1)-30, int(y)-2, int(l.x1)-14, int(y)+3), colCwnd, tol, who+": cwnd line at its last level")
		}
	}
	// The first SACK block in view.
sack:
	for _, a := range g.Acks {
		if a.Lost != "" || !in(a.Time) {
			continue
		}
		for _, b := range a.SACK {
			x, y := l.x(a.Time)+4, (l.y(b[0])+l.y(b[1]))/2
			svgtest.HasColor(t, img, around(x, y, 2), colSACK, tol, fmt.Sprintf("%s: SACK block of frame %d", who, a.Frame))
			break sack
		}
	}
	// Nothing is drawn in the corners outside the plot and the text.
	svgtest.LacksColor(t, img, image.Rect(0, Height-20, 60, Height), colData, 60, who+": bottom-left corner")
}

func TestWriters(t *testing.T) {
	g := readGraph(t, mustRead(t, bookFile), DefaultOptions())
	var b bytes.Buffer
	if err := g.PNG(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil || img.Bounds().Dx() != Width {
		t.Fatalf("PNG: %v, %v", err, img)
	}
	if err := g.SVG(failWriter{}); err == nil {
		t.Error("SVG to a failing writer: no error")
	}
	if err := g.PNG(failWriter{}); err == nil {
		t.Error("PNG to a failing writer: no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi      float64
		step, first float64
	}{
		{0, 100, 20, 0},
		{-3, 41, 10, 0},
		{0.0012, 0.0093, 0.002, 0.002},
		{0, 5, 1, 0},
		{5, 5, 1, 5},
	} {
		step, first := niceTicks(c.lo, c.hi, 8)
		if step != c.step || first != c.first {
			t.Errorf("niceTicks(%v, %v) = %v, %v; want %v, %v", c.lo, c.hi, step, first, c.step, c.first)
		}
	}
	if got := tickLabel(0.0020000001, 0.001); got != "0.002" {
		t.Errorf("tickLabel = %q", got)
	}
}

func TestSACKBlocks(t *testing.T) {
	opts := []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 18, 0, 0, 0, 110, 0, 0, 0, 120, 0, 0, 0, 130, 0, 0, 0, 140}
	if got := fmt.Sprint(sackBlocks(opts, 100)); got != "[[10 20] [30 40]]" {
		t.Errorf("sackBlocks = %s", got)
	}
	for _, bad := range [][]byte{{5}, {5, 1}, {5, 10, 0, 0}, {5, 0}, {0, 5, 10}} {
		if got := sackBlocks(bad, 0); got != nil {
			t.Errorf("sackBlocks(%v) = %v, want none", bad, got)
		}
	}
}

func TestClip(t *testing.T) {
	got := clip([]pt{{-10, 5}, {5, 5}, {5, 20}, {8, 20}, {8, 5}}, 0, 0, 10, 10)
	want := "[[{0 5} {5 5} {5 10}] [{8 10} {8 5}]]"
	if fmt.Sprint(got) != want {
		t.Errorf("clip = %v, want %s", got, want)
	}
}

// FuzzRead: building and drawing a graph from any bytes never panics.
func FuzzRead(f *testing.F) {
	for _, p := range []string{lossFile, bookFile, cwndFile} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, opt := range []Options{DefaultOptions(), {Stream: 0, Direction: Server, From: time.Millisecond, To: 40 * time.Millisecond}} {
			g, err := Read(bytes.NewReader(data), opt)
			if err != nil {
				continue
			}
			var svg bytes.Buffer
			if err := g.SVG(&svg); err != nil {
				t.Fatal(err)
			}
			if err := wellFormed(svg.Bytes()); err != nil {
				t.Fatalf("the SVG is not well-formed XML: %v", err)
			}
			if i == 0 {
				// Rasterizing is most of the cost (tens of ms, far more
				// under the fuzzer's instrumentation): once per input.
				g.Image()
			}
		}
	})
}

// wellFormed reports the first XML syntax error of svg, if any.
func wellFormed(svg []byte) error {
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestSVGTextWellFormed: a title (or a capture's comment, shown as a
// tooltip) holding bytes that are not UTF-8 or control characters that XML
// cannot hold still gives a well-formed SVG; they used to be copied as
// they were, and XML parsers (browsers, rsvg-convert) rejected the file.
func TestSVGTextWellFormed(t *testing.T) {
	for _, title := range []string{"a<b&c\"d'>", "\xff\xfe bad UTF-8", "nul\x00 and \x01\x1b", "tab\tnewline\n"} {
		g, err := ReadFile(lossFile, Options{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		var svg bytes.Buffer
		if err := g.SVG(&svg); err != nil {
			t.Fatal(err)
		}
		if err := wellFormed(svg.Bytes()); err != nil {
			t.Errorf("title %q: the SVG is not well-formed XML: %v", title, err)
		}
	}
}

// TestReadRejectsBadOptions: options out of range fail with an error
// naming the field and matching ErrInvalidOptions; they used to draw
// something else silently (Stream -5 drew stream 0, Direction 77 drew the
// auto direction, a negative span an empty graph).
func TestReadRejectsBadOptions(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Stream: -5}, "Options.Stream -5"},
		{Options{Direction: 77}, "Options.Direction Direction(77)"},
		{Options{From: -time.Hour, To: -time.Minute}, "Options.From -1h0m0s"},
		{Options{To: -time.Minute}, "Options.To -1m0s"},
	} {
		_, err := ReadFile(lossFile, c.opt)
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadFile(%+v): %v, want an error matching ErrInvalidOptions naming %q", c.opt, err, c.want)
		}
	}
	if s := Direction(77).String(); s != "Direction(77)" {
		t.Errorf("Direction(77).String() = %q", s)
	}
}

// TestEmptySpan: a span wholly after (or before) the stream's frames is a
// [*SpanError] matching [ErrEmptySpan] that says when the stream and the
// capture are (it drew an empty graph); a span overlapping them, even
// between two frames, draws.
func TestEmptySpan(t *testing.T) {
	data := mustRead(t, bookFile)
	_, err := Read(bytes.NewReader(data), Options{From: 5 * time.Second, To: 6 * time.Second})
	var se *SpanError
	if !errors.Is(err, ErrEmptySpan) || !errors.As(err, &se) {
		t.Fatalf("5s-6s: %v, want a *SpanError", err)
	}
	if se.From != 5*time.Second || se.To != 6*time.Second || se.First != 0 || se.Last == 0 || se.End < se.Last {
		t.Errorf("5s-6s: %+v", *se)
	}
	if want := fmt.Sprintf("tsg: no frame of tcp.stream 0 in 5s-6s: the stream spans 0s-%v, the capture 0s-%v", se.Last, se.End); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	g := readGraph(t, data, DefaultOptions())
	last := time.Duration(g.Segments[len(g.Segments)-1].Time)
	for _, o := range []Options{{From: 0, To: last}, {From: last, To: time.Hour}, {From: 1, To: 2}} {
		if _, err := Read(bytes.NewReader(data), o); err != nil {
			t.Errorf("%v-%v: %v", o.From, o.To, err)
		}
	}
	data = mustRead(t, lossFile)
	if _, err := Read(bytes.NewReader(data), Options{From: time.Hour, To: 2 * time.Hour}); !errors.Is(err, ErrEmptySpan) {
		t.Errorf("1h-2h on %s: %v, want ErrEmptySpan", lossFile, err)
	}
}
