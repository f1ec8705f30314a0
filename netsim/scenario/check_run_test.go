package scenario

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"netsim.dev/netsim/capture"
)

// expBookTCP is the book's TCP exchange (testdata/tcp.pcap) built in Go,
// with its expectations; the sender prints "sent" after its send.
func expBookTCP(t *testing.T) *Scenario {
	st := func(line int, s Step) Step {
		s.Pos = Pos{line, 9}
		return s
	}
	s := &Scenario{
		File:    "book-tcp.yaml",
		Name:    "book-tcp",
		Capture: CaptureSpec{Format: capture.PCAP, FormatSet: true, Links: []string{"localhost:lo"}},
		Hosts:   []HostSpec{{Name: "localhost"}},
		Programs: []ProgramSpec{
			{Name: "receiver", Host: "localhost", Steps: []Step{
				st(10, Step{Kind: StepListen, Addr: "127.0.0.1:24000", As: "ln"}),
				st(11, Step{Kind: StepAccept, Sock: "ln", As: "conn"}),
				st(12, Step{Kind: StepRecv, Sock: "conn", UntilEOF: true}),
				st(13, Step{Kind: StepClose, Sock: "conn"}),
				st(14, Step{Kind: StepClose, Sock: "ln"}),
			}},
			{Name: "sender", Host: "localhost", Steps: []Step{
				st(18, Step{Kind: StepConnect, To: "127.0.0.1:24000"}),
				st(19, Step{Kind: StepSend, Data: &Data{Bytes: []byte{0x2c, 0x37, 0x42}}}),
				st(20, Step{Kind: StepPrint, Text: "sent"}),
				st(21, Step{Kind: StepClose}),
			}},
		},
		Expect: ExpectSpec{
			Pos: Pos{23, 1},
			Filters: []FilterExpect{
				{Pos: Pos{25, 7}, Filter: "tcp.flags.syn == 1 && tcp.flags.ack == 0", Op: "==", Count: 1},
				{Pos: Pos{26, 7}, Filter: "tcp.len == 3", Op: "==", Count: 1},
			},
			Received: []ReceivedExpect{{Pos: Pos{28, 7}, Program: "receiver", Sock: "conn", Bytes: 3}},
			SHA256:   expSHA(expGolden(t, "tcp.pcap")),
		},
	}
	return s
}

func TestCheckRun(t *testing.T) {
	s := expBookTCP(t)
	var w, out bytes.Buffer
	if err := s.Check(RunOptions{Capture: &w, Out: &out}); err != nil {
		t.Fatal(err)
	}
	// Only the first run is delivered: its capture once, its print once.
	if !bytes.Equal(w.Bytes(), expGolden(t, "tcp.pcap")) {
		t.Errorf("the capture delivered (%d bytes) is not testdata/tcp.pcap", w.Len())
	}
	if got := out.String(); strings.Count(got, "\nsender: sent\n") != 1 {
		t.Errorf("printed %q", got)
	}
	// Without a writer, both runs still capture and compare.
	if err := s.Check(RunOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRunUnmet(t *testing.T) {
	s := expBookTCP(t)
	s.Expect.Received[0].Bytes = 4
	err := s.Check(RunOptions{})
	want := "book-tcp.yaml:28:7: expect: receiver's conn received 3 bytes, want 4"
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnmet) || errors.Is(err, ErrNondeterministic) {
		t.Fatalf("got %v, want %s", err, want)
	}
	if err := s.Check(RunOptions{NoExpect: true}); err != nil {
		t.Fatalf("NoExpect: %v", err)
	}
}

// expMutator changes the sender's data when the sender prints "sent",
// after its send, which happens in the first run only (the second run's
// output is discarded): the second run sends other bytes.
type expMutator struct {
	data *Data
	done bool
}

func (m *expMutator) Write(p []byte) (int, error) {
	if !m.done && bytes.Contains(p, []byte("sender: sent\n")) {
		m.data.Bytes = []byte{0x2c, 0x37, 0x43}
		m.done = true
	}
	return len(p), nil
}

func TestCheckRunDiffers(t *testing.T) {
	s := expBookTCP(t)
	m := &expMutator{data: s.Programs[1].Steps[1].Data}
	var w bytes.Buffer
	err := s.Check(RunOptions{Capture: &w, Out: m})
	var d *DiffError
	if !errors.As(err, &d) || !errors.Is(err, ErrNondeterministic) {
		t.Fatalf("got %v, want a DiffError", err)
	}
	// Frame 4 carries the data; the first byte that differs is its TCP
	// checksum's (Ethernet 14 + IPv4 20 + 16), then the last (66 + 2).
	if d.File != "book-tcp.yaml" || d.Frame != 4 || d.Offset != 50 || d.Field != "tcp.checksum" || d.Frames != [2]int{9, 9} ||
		!strings.Contains(d.Error(), "at frame 4 (time 0.000040): byte 50 of the frame (tcp.checksum 0xbe vs 0xbd), 2 bytes differ, the last byte 68 (tcp.payload); run 1: \"4 0.000040 127.0.0.1 → 127.0.0.1 TCP 69 ") {
		t.Fatalf("%#v\n%v", d, d)
	}
	t.Log(err)
	if !bytes.Equal(w.Bytes(), expGolden(t, "tcp.pcap")) {
		t.Errorf("the first run's capture (%d bytes) is not testdata/tcp.pcap", w.Len())
	}
}

// expBookYAML is the book's TCP exchange as the agreed form writes it
// (/work/notes/scenario-form.md), plus the capture's digest.
const expBookYAML = `name: book-tcp
seed: 0
capture: {format: pcap, links: [localhost:lo]}
hosts:
  - name: localhost
programs:
  - name: receiver
    host: localhost
    steps:
      - listen: {addr: 127.0.0.1:24000, as: ln}
      - accept: {sock: ln, as: conn}
      - recv: {sock: conn, until_eof: true}
      - close: conn
      - close: ln
  - name: sender
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:24000}
      - send: {hex: 2c 37 42}
      - close: {}
expect:
  filters:
    "tcp.flags.syn == 1 && tcp.flags.ack == 0": 1
    "tcp.len == 3": 1
    "tcp.flags.fin == 1": 2
  received:
    - {program: receiver, sock: conn, bytes: 3}
  sha256: SHA
`

func TestCheckYAML(t *testing.T) {
	src := strings.Replace(expBookYAML, "SHA", expSHA(expGolden(t, "tcp.pcap")), 1)
	s, err := Parse("tcp.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Run checks the same expectations.
	if _, err := s.Run(RunOptions{}); err != nil {
		t.Fatal(err)
	}

	// An unmet count; the report names the filter's line and column.
	src = strings.Replace(src, "    \"tcp.flags.fin == 1\": 2\n", "    tcp.analysis.retransmission: \">= 1\"\n", 1)
	s, err = Parse("tcp.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `tcp.yaml:25:5: expect: "tcp.analysis.retransmission" selected 0 frames, want >= 1`
	for _, run := range []func() error{
		func() error { return s.Check(RunOptions{}) },
		func() error { _, err := s.Run(RunOptions{}); return err },
	} {
		if err := run(); err == nil || err.Error() != want || !errors.Is(err, ErrUnmet) {
			t.Errorf("got %v\nwant %s", err, want)
		}
	}
}
