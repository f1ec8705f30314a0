package netsim

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/internal/explain"
)

// explained is what a test sees of a run with explanations: every frame
// with its cause, and the capture.
type explained struct {
	frames []explain.Frame
	pcap   []byte
}

// bookTCP runs the book's TCP exchange (demo/book.go's, with its task
// names) with opts and returns what it explained.
func bookTCP(t *testing.T, opts Options) explained {
	t.Helper()
	var out explained
	var buf bytes.Buffer
	opts.Capture, opts.CaptureFormat = &buf, capture.PCAPNG
	n, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if n.explain != nil {
		n.explain.seen = func(f explain.Frame) {
			f.Data = append([]byte(nil), f.Data...)
			out.frames = append(out.frames, f)
		}
	}
	h, err := n.AddHost("localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := h.Listen("tcp", "127.0.0.1:24000")
	if err != nil {
		t.Fatal(err)
	}
	n.GoNamed("server", func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := io.ReadAll(c); err != nil {
			t.Error(err)
		}
		c.Close()
		ln.Close()
	})
	n.GoNamed("client", func() {
		c, err := h.Dial("tcp", "127.0.0.1:24000")
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte{44, 55, 66})
		c.Close()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	out.pcap = buf.Bytes()
	return out
}

func TestExplainBookTCPCauses(t *testing.T) {
	got := bookTCP(t, Options{Seed: 1, Explain: true})
	if len(got.frames) != 9 {
		t.Fatalf("%d frames explained, want 9", len(got.frames))
	}
	call := func(prog, op string, bytes int) explain.Cause {
		return explain.Cause{Host: "localhost", Kind: explain.KindCall, Call: explain.Call{Program: prog, Op: op, Bytes: bytes}}
	}
	arrival := func(nums ...int) explain.Cause {
		return explain.Cause{Host: "localhost", Kind: explain.KindArrival, Arrived: nums}
	}
	want := []explain.Cause{
		call("client", "connect", 0), // SYN
		arrival(1),                   // SYN/ACK
		arrival(2),                   // ACK
		call("client", "write", 3),   // PSH/ACK Len=3
		arrival(4),                   // ACK Ack=4
		call("client", "close", 0),   // FIN/ACK
		arrival(6),                   // ACK of the FIN, at once (gVisor)
		call("server", "close", 0),   // server's FIN/ACK
		arrival(8),                   // last ACK
	}
	for i, f := range got.frames {
		if f.Number != i+1 {
			t.Errorf("frame %d: number %d", i+1, f.Number)
		}
		c := f.Cause
		w := want[i]
		if c.Host != w.Host || c.Kind != w.Kind || c.Call.Program != w.Call.Program || c.Call.Op != w.Call.Op ||
			c.Call.Bytes != w.Call.Bytes || !slices.Equal(c.Arrived, w.Arrived) || c.Forwarded {
			t.Errorf("frame %d: cause %v, want %v", i+1, c, w)
		}
		if c.TCP.SegmentsSent != 1 {
			t.Errorf("frame %d: TCP segments sent %d, want 1", i+1, c.TCP.SegmentsSent)
		}
	}
	if c := got.frames[0].Cause; c.Call.Remote != "127.0.0.1:24000" {
		t.Errorf("SYN: remote %q, want 127.0.0.1:24000", c.Call.Remote)
	}
	if c := got.frames[3].Cause; c.Call.Local == "" || c.Call.Remote != "127.0.0.1:24000" {
		t.Errorf("write: local %q remote %q", c.Call.Local, c.Call.Remote)
	}
	// The sender's state: none before the endpoint has processed a
	// segment in the established state (gVisor probes no handshake
	// segment), then the probe's.
	for _, i := range []int{0, 1, 2, 3} {
		if s := got.frames[i].Cause.Sender; s != nil {
			t.Errorf("frame %d: sender state %+v, want none", i+1, *s)
		}
	}
	s := got.frames[5].Cause.Sender // the client's FIN, after the ACK of its data
	if s == nil {
		t.Fatal("FIN: no sender state")
	}
	if s.MSS <= 65000 || s.Cwnd < 10*s.MSS || s.Cwnd%s.MSS != 0 || s.RTO != 200*time.Millisecond || s.Outstanding != 0 || s.SndNxt != s.SndUna || s.Ssthresh != 1<<30 {
		t.Errorf("FIN: sender state %+v, want MSS about 65495, a window of 10 segments or more, RTO 200ms, nothing outstanding, no ssthresh", *s)
	}
}

// frameBytes returns the frames of a pcapng capture (timestamps and bytes)
// and their comments.
func frameBytes(t *testing.T, b []byte) (frames [][]byte, comments [][]string) {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := ci.Timestamp.MarshalBinary()
		frames = append(frames, append(ts, data...))
		comments = append(comments, opts.Comments)
	}
	return frames, comments
}

// TestExplainSameFrames checks that explanations change no frame: the
// same frames at the same times as without them, and the same bytes with
// comments on every run.
func TestExplainSameFrames(t *testing.T) {
	off := bookTCP(t, Options{Seed: 7})
	on := bookTCP(t, Options{Seed: 7, Explain: true})
	again := bookTCP(t, Options{Seed: 7, Explain: true, Language: "en"})
	if !bytes.Equal(on.pcap, again.pcap) {
		t.Error("two runs with explanations differ")
	}
	offFrames, _ := frameBytes(t, off.pcap)
	onFrames, comments := frameBytes(t, on.pcap)
	if !slices.EqualFunc(offFrames, onFrames, bytes.Equal) {
		t.Error("explanations changed the frames")
	}
	for i, f := range on.frames {
		if f.Cause.Sender != nil && !slices.Contains(comments[i], f.Cause.Sender.Comment()) {
			t.Errorf("frame %d: comments %q, want the sender's state", i+1, comments[i])
		}
	}
}

func TestExplainOptions(t *testing.T) {
	_, err := New(Options{Explain: true, Capture: io.Discard, CaptureFormat: capture.PCAP})
	var ce *ConfigError
	if !errors.Is(err, ErrExplainPCAP) || !errors.As(err, &ce) || ce.Field != "Options.Explain" {
		t.Errorf("Explain with pcap: %v, want a ConfigError matching ErrExplainPCAP", err)
	}
	_, err = New(Options{Language: "fr"})
	if !errors.Is(err, ErrLanguage) || !errors.As(err, &ce) || ce.Field != "Options.Language" {
		t.Errorf("Language fr: %v, want a ConfigError matching ErrLanguage", err)
	}
	for _, o := range []Options{{Explain: true}, {Language: "ru"}, {Explain: true, Capture: io.Discard, CaptureFormat: capture.PCAPNG, Language: "en"}} {
		n, err := New(o)
		if err != nil {
			t.Errorf("%+v: %v", o, err)
			continue
		}
		n.Close()
	}
}

// lossy runs a client that sends 10 ms away from a server (an Ethernet
// link, 10 ms each way), connecting, sleeping 100 ms, then calling send;
// cfg changes the link at given times. It returns the frames explained and
// the bytes the server received.
func lossy(t *testing.T, cfg func(n *Network, l *Link), send func(n *Network, c net.Conn)) (frames []explain.Frame, received int) {
	t.Helper()
	n, err := New(Options{Seed: 1, Capture: io.Discard, CaptureFormat: capture.PCAPNG, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.explain.seen = func(f explain.Frame) {
		f.Data = append([]byte(nil), f.Data...)
		frames = append(frames, f)
	}
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	l, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), LinkConfig{Delay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg(n, l)
	ln, err := server.Listen("tcp", ":8000")
	if err != nil {
		t.Fatal(err)
	}
	n.GoNamed("server", func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		b, err := io.ReadAll(c)
		if err != nil {
			t.Error(err)
		}
		received = len(b)
		c.Close()
	})
	n.GoNamed("client", func() {
		c, err := client.Dial("tcp", "10.0.0.2:8000")
		if err != nil {
			t.Error(err)
			return
		}
		n.Sleep(100 * time.Millisecond)
		send(n, c)
		n.Sleep(time.Second)
		c.Close()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	return frames, received
}

// down takes the link's client→server direction down from from to to.
func down(from, to time.Duration) func(n *Network, l *Link) {
	ten := LinkConfig{Delay: 10 * time.Millisecond}
	return func(n *Network, l *Link) {
		n.At(from, func() { l.Set(LinkConfig{Delay: 10 * time.Millisecond, Down: true}, ten) })
		n.At(to, func() { l.Set(ten, ten) })
	}
}

// first returns the first frame that has, or nil.
func first(frames []explain.Frame, has func(explain.Frame) bool) *explain.Frame {
	for i := range frames {
		if has(frames[i]) {
			return &frames[i]
		}
	}
	return nil
}

// TestExplainRTO is tcp-rto's loss (a segment and its tail loss probe
// lost) after a first write that the server acknowledged, so that the
// sender has a state.
func TestExplainRTO(t *testing.T) {
	frames, got := lossy(t, down(170*time.Millisecond, 500*time.Millisecond), func(n *Network, c net.Conn) {
		c.Write(make([]byte, 100)) // at 140 ms, acknowledged at 160 ms
		n.Sleep(40 * time.Millisecond)
		c.Write(make([]byte, 100)) // at 180 ms, into the outage
	})
	if got != 200 {
		t.Errorf("the server got %d bytes, want 200", got)
	}
	rto := first(frames, func(f explain.Frame) bool { return f.Cause.TCP.Timeouts > 0 })
	if rto == nil {
		t.Fatal("no frame after a retransmission timeout")
	}
	c := rto.Cause
	if c.Kind != explain.KindTimer || c.Host != "client" || c.TCP.Timeouts != 1 || c.TCP.Retransmits != 1 {
		t.Errorf("RTO retransmission (frame %d): cause %v, want a timer of the client with 1 timeout and 1 retransmission", rto.Number, c)
	}
	if c.Sender == nil || c.Timer != c.Sender.RTO || c.Timer < 200*time.Millisecond {
		t.Errorf("RTO retransmission (frame %d): timer %v, want the sender's RTO (%+v), at least 200ms", rto.Number, c.Timer, c.Sender)
	}
	tlp := first(frames, func(f explain.Frame) bool { return f.Cause.Kind == explain.KindTimer && f.Cause.TCP.Retransmits > 0 })
	if tlp == nil || tlp.Number >= rto.Number || tlp.Cause.TCP.Timeouts != 0 || tlp.Note == "" {
		t.Errorf("want a tail loss probe (a timer, no timeout), lost, before the RTO: %v", tlp)
	}
	// The handshake waits for ARP: the request is the connect's, the SYN
	// goes out when the reply arrives.
	if c := frames[0].Cause; c.Kind != explain.KindCall || c.Call.Op != "connect" || c.Call.Program != "client" {
		t.Errorf("ARP request: cause %v, want client's connect", c)
	}
	if c := frames[2].Cause; c.Kind != explain.KindArrival || !slices.Equal(c.Arrived, []int{2}) || c.Host != "client" {
		t.Errorf("SYN after ARP: cause %v, want the arrival of the ARP reply, frame 2", c)
	}
	if t.Failed() {
		for _, f := range frames {
			t.Logf("%d %v %s %v", f.Number, f.Time, f.Note, f.Cause)
		}
	}
}

// TestExplainFastRetransmit is tcp-fast-retransmit's loss: one segment of
// ten lost; the duplicate ACKs make the client resend it at once.
func TestExplainFastRetransmit(t *testing.T) {
	frames, got := lossy(t, down(142500*time.Microsecond, 143500*time.Microsecond), func(n *Network, c net.Conn) {
		for range 10 {
			c.Write(make([]byte, 1000))
			n.Sleep(time.Millisecond)
		}
	})
	if got != 10000 {
		t.Errorf("the server got %d bytes, want 10000", got)
	}
	fr := first(frames, func(f explain.Frame) bool { return f.Cause.TCP.FastRetransmit > 0 })
	if fr == nil {
		t.Fatal("no fast retransmission")
	}
	c := fr.Cause
	if c.Kind != explain.KindArrival || c.Host != "client" || c.TCP.FastRetransmit != 1 || c.TCP.Retransmits != 1 || c.TCP.Timeouts != 0 || len(c.Arrived) == 0 {
		t.Fatalf("fast retransmission (frame %d): cause %v, want the arrival of duplicate ACKs with FastRetransmit 1", fr.Number, c)
	}
	// The frames that arrived are the server's duplicate ACKs.
	for _, num := range c.Arrived {
		if f := frames[num-1]; f.Cause.Host != "server" {
			t.Errorf("fast retransmission: arrived frame %d is from %s, want the server", num, f.Cause.Host)
		}
	}
}

// forwardRun connects a client to a server through a router (router
// true) or a switch, captures every link, and returns the frames
// explained.
func forwardRun(t *testing.T, router bool) []explain.Frame {
	t.Helper()
	var frames []explain.Frame
	n, err := New(Options{Seed: 1, Capture: io.Discard, CaptureFormat: capture.PCAPNG, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.explain.seen = func(f explain.Frame) {
		f.Data = append([]byte(nil), f.Data...)
		frames = append(frames, f)
	}
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	dst := "10.0.0.2:80"
	if router {
		r, _ := n.AddHost("router")
		if _, err := n.Connect("c-r", client.Iface("eth0", "10.0.0.1/24"), r.Iface("eth0", "10.0.0.254/24")); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Connect("r-s", r.Iface("eth1", "10.1.0.254/24"), server.Iface("eth0", "10.1.0.2/24")); err != nil {
			t.Fatal(err)
		}
		if err := r.SetForwarding(true); err != nil {
			t.Fatal(err)
		}
		client.AddRoute("default", "10.0.0.254")
		server.AddRoute("default", "10.1.0.254")
		dst = "10.1.0.2:80"
	} else {
		sw, _ := n.AddSwitch("sw")
		if _, err := n.Connect("c-sw", client.Iface("eth0", "10.0.0.1/24"), sw.Port()); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Connect("s-sw", server.Iface("eth0", "10.0.0.2/24"), sw.Port()); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := server.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	n.GoNamed("server", func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
			return
		}
		io.ReadAll(c)
		c.Close()
	})
	n.GoNamed("client", func() {
		c, err := client.Dial("tcp", dst)
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("hello"))
		c.Close()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestExplainForwarded checks that a frame a router or a switch passes
// on names the frame it came in (the same IP packet, one hop earlier),
// and that the router's own frames (ARP) are not forwarded ones.
func TestExplainForwarded(t *testing.T) {
	for _, router := range []bool{true, false} {
		frames := forwardRun(t, router)
		via := "sw"
		if router {
			via = "router"
		}
		forwarded := 0
		for _, f := range frames {
			c := f.Cause
			if c.Host != via {
				if c.Forwarded {
					t.Errorf("%s: frame %d of %s is marked forwarded", via, f.Number, c.Host)
				}
				continue
			}
			isIP := f.Data[12] == 0x08 && f.Data[13] == 0x00
			if !c.Forwarded {
				if !router || isIP {
					t.Errorf("%s: frame %d (%v) is not marked forwarded", via, f.Number, c)
				}
				continue
			}
			forwarded++
			if c.Kind != explain.KindArrival || len(c.Arrived) != 1 || c.Arrived[0] >= f.Number {
				t.Errorf("%s: forwarded frame %d: cause %v", via, f.Number, c)
				continue
			}
			in := frames[c.Arrived[0]-1]
			if in.Link == f.Link {
				t.Errorf("%s: frame %d came in on its own link %s", via, f.Number, f.Link)
			}
			// The same IP packet: a switch passes the frame on as it is; a
			// router's copy differs in the MACs, the TTL and its checksum.
			if !router && !bytes.Equal(in.Data, f.Data) || router && !bytes.Equal(in.Data[14+20:], f.Data[14+20:]) {
				t.Errorf("%s: frame %d is not frame %d passed on", via, f.Number, in.Number)
			}
			if router && f.Data[14+8] != in.Data[14+8]-1 {
				t.Errorf("router: frame %d: TTL %d after %d", f.Number, f.Data[14+8], in.Data[14+8])
			}
		}
		if forwarded < 9 {
			t.Errorf("%s: %d frames forwarded, want at least the exchange's 9", via, forwarded)
		}
	}
}

// TestExplainTestMode runs the book's exchange in test mode (plain
// goroutines in a synctest bubble): the causes are the same but for the
// program's name, which goroutines do not have.
func TestExplainTestMode(t *testing.T) {
	var frames []explain.Frame
	var buf bytes.Buffer
	n, err := New(Options{Seed: 1, Capture: &buf, CaptureFormat: capture.PCAPNG, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	n.explain.seen = func(f explain.Frame) { frames = append(frames, f) }
	h, _ := n.AddHost("localhost")
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := h.Listen("tcp", "127.0.0.1:24000")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			io.ReadAll(c)
			c.Close()
		}()
		c, err := h.Dial("tcp", "127.0.0.1:24000")
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte{44, 55, 66})
		c.Close()
		<-done
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
	n.Close()
	// A test-mode Close does not wait: the write and the close reach the
	// driver in one step, and the server acknowledges both at once.
	if len(frames) != 8 {
		for _, f := range frames {
			t.Logf("%d %v %v", f.Number, f.Time, f.Cause)
		}
		t.Fatalf("%d frames, want 8", len(frames))
	}
	if c := frames[5].Cause; c.Kind != explain.KindArrival || !slices.Equal(c.Arrived, []int{4, 5}) {
		t.Errorf("frame 6: cause %v, want the arrival of frames 4 and 5", c)
	}
	for i, want := range []struct {
		kind explain.Kind
		op   string
	}{{explain.KindCall, "connect"}, {explain.KindArrival, ""}, {explain.KindArrival, ""}, {explain.KindCall, "write"}, {explain.KindCall, "close"}} {
		if c := frames[i].Cause; c.Kind != want.kind || c.Call.Op != want.op || c.Call.Program != "" {
			t.Errorf("frame %d: cause %v, want %v %q", i+1, c, want.kind, want.op)
		}
	}
}

// TestExplainDuplicates: a frame and its duplicate, arriving together,
// are one frame of the capture: Arrived names it once.
func TestExplainDuplicates(t *testing.T) {
	frames, got := lossy(t, func(n *Network, l *Link) {
		ten := LinkConfig{Delay: 10 * time.Millisecond}
		dup := ten
		dup.Dup = 1
		l.Set(dup, ten)
	}, func(n *Network, c net.Conn) { c.Write([]byte("hello")) })
	if got != 5 {
		t.Errorf("the server got %d bytes, want 5", got)
	}
	dups := 0
	for _, f := range frames {
		if strings.Contains(f.Note, "duplicated") {
			dups++
		}
		if c := f.Cause; len(c.Arrived) != len(slices.Compact(slices.Clone(c.Arrived))) {
			t.Errorf("frame %d: arrived %v", f.Number, c.Arrived)
		}
	}
	if dups == 0 {
		t.Error("no frame duplicated")
	}
	ip := func(f explain.Frame) bool { return f.Data[12] == 0x08 && f.Data[13] == 0x00 }
	syn := first(frames, func(f explain.Frame) bool { return ip(f) && f.Cause.Host == "client" })
	synAck := first(frames, func(f explain.Frame) bool { return ip(f) && f.Cause.Host == "server" })
	if syn == nil || synAck == nil || !slices.Equal(synAck.Cause.Arrived, []int{syn.Number}) || !strings.Contains(syn.Note, "duplicated") {
		for _, f := range frames {
			t.Logf("%d %s %v", f.Number, f.Note, f.Cause)
		}
		t.Errorf("SYN/ACK: cause %v, want the arrival of the SYN, duplicated (%v)", synAck, syn)
	}
}
