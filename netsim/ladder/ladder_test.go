package ladder

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldens are the captures whose ladders have golden files: the book's
// demos, a lossy run of the book's TCP exchange, a fast retransmission
// and a routed transfer (more than two hosts).
var goldens = []struct {
	name, capture string
	opt           Options
}{
	{"tcp", "../../testdata/tcp.pcap", Options{}},
	{"tcp-multi", "../../testdata/tcp-multi.pcap", Options{}},
	{"udp", "../../testdata/udp.pcap", Options{}},
	{"tcp-lossy", "../../testdata/tcp-lossy.pcapng", Options{Notes: true}},
	{"tcp-fast-retransmit", "../../testdata/scenarios/tcp-fast-retransmit.pcapng", Options{Notes: true}},
	{"udp-closed-port", "../../testdata/scenarios/udp-closed-port.pcapng", Options{}},
	{"transfer-hops", "../../testdata/transfer-hops.pcapng", Options{Width: 80}},
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		l, err := ReadFile(g.capture)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []Format{Text, SVG, Mermaid} {
			var buf bytes.Buffer
			if err := l.Write(&buf, f, g.opt); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", g.name+"."+map[Format]string{Text: "txt", SVG: "svg", Mermaid: "mmd"}[f])
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o666); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s: %s differs from the golden file (go test -update rewrites it):\n%s", g.name, path, firstDiff(buf.String(), string(want)))
			}
		}
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, a, b)
		}
	}
	return "(same lines)"
}

// TestBookTCP checks the book's exchange: two columns by address:port (both
// ends are 127.0.0.1), nine arrows with tshark's flags and relative
// numbers, the client on the left.
func TestBookTCP(t *testing.T) {
	l, err := ReadFile("../../testdata/tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:32379", "127.0.0.1:24000"}; strings.Join(l.Hosts, " ") != strings.Join(want, " ") {
		t.Fatalf("hosts %q, want %q", l.Hosts, want)
	}
	want := []struct {
		from  int
		label string
	}{
		{0, "[SYN] Seq=0 Len=0"},
		{1, "[SYN, ACK] Seq=0 Ack=1 Len=0"},
		{0, "[ACK] Seq=1 Ack=1 Len=0"},
		{0, "[PSH, ACK] Seq=1 Ack=1 Len=3"},
		{1, "[ACK] Seq=1 Ack=4 Len=0"},
		{0, "[FIN, ACK] Seq=4 Ack=1 Len=0"},
		{1, "[ACK] Seq=1 Ack=5 Len=0"},
		{1, "[FIN, ACK] Seq=1 Ack=5 Len=0"},
		{0, "[ACK] Seq=5 Ack=2 Len=0"},
	}
	if len(l.Messages) != len(want) {
		t.Fatalf("%d messages, want %d", len(l.Messages), len(want))
	}
	for i, w := range want {
		m := l.Messages[i]
		if m.Frame != i+1 || m.From != w.from || m.To != 1-w.from || m.Label != w.label || m.Lost {
			t.Errorf("message %d: frame %d %d→%d %q lost=%v, want frame %d %d→%d %q", i, m.Frame, m.From, m.To, m.Label, m.Lost, i+1, w.from, 1-w.from, w.label)
		}
	}
	if m := l.Messages[3]; m.TCP == nil || m.TCP.Len != 3 || m.TCP.Seq != 1 || m.TCP.Flags != 0x18 {
		t.Errorf("frame 4's TCP segment: %+v", m.TCP)
	}
}

// TestLost checks that the frames netsim's comments call lost are drawn
// lost, and only those.
func TestLost(t *testing.T) {
	l, err := ReadFile("../../testdata/tcp-lossy.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	var lost []int
	for _, m := range l.Messages {
		if m.Lost {
			lost = append(lost, m.Frame)
		}
	}
	if got := fmt.Sprint(lost); got != "[6 9 11]" {
		t.Errorf("lost frames %s, want 6,9,11 (tshark -Y 'frame.comment contains \"lost\"')", got)
	}
	var buf bytes.Buffer
	l.WriteText(&buf, Options{})
	line := lineOf(t, buf.String(), "      6 ")
	// The arrow ends in an X before the far lifeline, with blanks between.
	if !regexp.MustCompile(`\|-+ \[FIN, ACK\] Seq=4 Ack=1 Len=0 -+X +\|$`).MatchString(line) {
		t.Errorf("frame 6's line does not end mid-way in an X:\n%s", line)
	}
	line = lineOf(t, buf.String(), "      9 ")
	if !regexp.MustCompile(`\| +X-+ \[FIN, ACK\] Seq=1 Ack=5 Len=0 -+\|$`).MatchString(line) {
		t.Errorf("frame 9's (right to left) line does not end mid-way in an X:\n%s", line)
	}
	if !strings.Contains(buf.String(), "X: lost") {
		t.Error("no legend for X")
	}
}

// lineOf returns the line of text that starts with the time column and has
// frame column prefix.
func lineOf(t *testing.T, text, frame string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 20 && strings.Contains(line[:20], frame) {
			return line
		}
	}
	t.Fatalf("no line for frame %q in\n%s", frame, text)
	return ""
}

func TestIsLost(t *testing.T) {
	for c, want := range map[string]bool{
		"lost: loss 30% on localhost:lo":                  true,
		"lost: link down":                                 true,
		"dropped: queue full (100 frames)":                true,
		"dropped by the network: 3% loss on c→s":          true,
		"dropped (the duplicate): queue full (10 frames)": false,
		"duplicated: dup 2%":                              false,
		"overtook an earlier frame: jitter ±1ms":          false,
		"client calls connect(): SYN":                     false,
	} {
		if got := IsLost(c); got != want {
			t.Errorf("IsLost(%q) = %v, want %v", c, got, want)
		}
	}
}

// TestWidth checks that a narrow width caps the diagram: no line but the
// notes goes past it, and labels are shortened with "…".
func TestWidth(t *testing.T) {
	l, err := ReadFile("../../testdata/transfer-hops.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Hosts) < 3 {
		t.Fatalf("%d hosts, want 3 or more", len(l.Hosts))
	}
	for _, width := range []int{60, 80, 120} {
		var buf bytes.Buffer
		l.WriteText(&buf, Options{Width: width})
		short := false
		for _, line := range strings.Split(buf.String(), "\n") {
			if n := runeLen(line); n > width {
				t.Errorf("width %d: a line of %d runes:\n%s", width, n, line)
			}
			short = short || strings.Contains(line, "…")
		}
		if width == 60 && !short {
			t.Errorf("width 60: no label shortened:\n%s", buf.String())
		}
	}
}

// TestFilter builds a ladder from the packets a filter keeps while the
// dissector sees every frame: sequence numbers stay relative to the
// stream's start.
func TestFilter(t *testing.T) {
	l, err := readFiltered("../../testdata/tcp.pcap", func(frame int) bool { return frame >= 4 })
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Messages) != 6 || l.Messages[0].Label != "[PSH, ACK] Seq=1 Ack=1 Len=3" {
		t.Fatalf("got %d messages, first %q", len(l.Messages), l.Messages[0].Label)
	}
}

func TestParseFormat(t *testing.T) {
	for name, want := range map[string]Format{"text": Text, "txt": Text, "svg": SVG, "SVG": SVG, "mermaid": Mermaid, "mmd": Mermaid} {
		if f, err := ParseFormat(name); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", name, f, err, want)
		}
	}
	if _, err := ParseFormat("png"); err == nil || !strings.Contains(err.Error(), `"png"`) {
		t.Errorf("ParseFormat(png): %v", err)
	}
}

// TestEmpty draws a ladder with no frames.
func TestEmpty(t *testing.T) {
	l := NewBuilder().Ladder()
	for _, f := range []Format{Text, SVG, Mermaid} {
		var buf bytes.Buffer
		if err := l.Write(&buf, f, Options{Notes: true}); err != nil || buf.Len() == 0 {
			t.Errorf("%v: %v, %d bytes", f, err, buf.Len())
		}
	}
}

// readFiltered builds the ladder of the frames keep selects, the
// dissector seeing every frame, as netsim read -Y does.
func readFiltered(path string, keep func(frame int) bool) (*Ladder, error) {
	r, err := pcapread.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := NewBuilder()
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		if keep(p.Number) {
			b.Add(p)
		}
		return nil
	})
	return b.Ladder(), err
}

// TestNotesWrap: long explanations wrap under their frame's line, the
// lifelines continuing beside them; the sender's machine-readable state
// is left out; the SVG's rows make room for the lines.
func TestNotesWrap(t *testing.T) {
	l, err := ReadFile("../../testdata/tcp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	long := "client calls connect(): SYN, initial sequence number 1893, the window 65408 bytes, MSS 65495 from the loopback's MTU of 65536"
	l.Messages[0].Comments = []string{long, "tcp sender: cwnd=10 ssthresh=none mss=65483 rto=1s srtt=0s wnd=65408 outstanding=1 una=0 nxt=1"}
	l.Messages[1].Comments = []string{"server answers the SYN of frame 1"}
	var buf bytes.Buffer
	if err := l.WriteText(&buf, Options{Notes: true, NoteWidth: 40}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if strings.Contains(text, "cwnd=") {
		t.Errorf("the sender's state is in the notes:\n%s", text)
	}
	lines := strings.Split(text, "\n")
	var first int
	for i, line := range lines {
		if strings.Contains(line, "[SYN] Seq=0") {
			first = i
		}
	}
	lay := l.layoutText(Options{Notes: true})
	var words []string
	i := first
	for ; i < len(lines) && (i == first || !strings.Contains(lines[i], "[")); i++ {
		line := lines[i]
		if len([]rune(line)) <= lay.width+2 {
			break
		}
		note := string([]rune(line)[lay.width+2:])
		if runeLen(note) > 40 {
			t.Errorf("note line of %d runes, want at most 40: %q", runeLen(note), note)
		}
		if i > first && strings.Count(string([]rune(line)[:lay.width]), "|") != 2 {
			t.Errorf("continuation line without the lifelines: %q", line)
		}
		words = append(words, strings.Fields(note)...)
	}
	if got := strings.Join(words, " "); got != long {
		t.Errorf("wrapped note reads %q, want %q\n%s", got, long, text)
	}
	if i-first < 3 || !strings.Contains(lines[i], "[SYN, ACK]") {
		t.Errorf("frame 1's note took %d lines, then %q; want 3 or more, then frame 2:\n%s", i-first, lines[i], text)
	}

	opt := Options{Notes: true, NoteWidth: 40}
	svg := l.layoutSVG(opt)
	n := len(noteLines(l.Messages[0].Comments, 40))
	if gap := svg.y[1] - svg.y[0]; gap < float64(n)*svgNoteH {
		t.Errorf("SVG: %d note lines in a row of %.0f px", n, gap)
	}
	if gap := svg.y[2] - svg.y[1]; gap != svgRowH {
		t.Errorf("SVG: a one-line note's row is %.0f px, want %.0f", gap, svgRowH)
	}
}

// TestNeighborSolicitation: IPv6's neighbour solicitation, sent to a
// solicited-node multicast group, is drawn to the host it asks for, as an
// ARP request is: no column for ff02::1:ff00:2.
func TestNeighborSolicitation(t *testing.T) {
	l, err := ReadFile("../../testdata/transfer6.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Hosts, " "); got != "fd00::1 fd00::2" {
		t.Errorf("hosts %q, want fd00::1 fd00::2", got)
	}
	if m := l.Messages[0]; m.From != 0 || m.To != 1 || !strings.HasPrefix(m.Label, "Neighbor Solicitation for fd00::2") {
		t.Errorf("frame 1: %d→%d %q", m.From, m.To, m.Label)
	}
}

// TestInvalid: a Ladder put together by hand with a message to a host it
// does not have gets an error, not a panic; control characters in names
// and labels stay on their line.
func TestInvalid(t *testing.T) {
	bad := &Ladder{Hosts: []string{"a"}, Messages: []Message{{Frame: 1, From: 0, To: 3}}}
	for _, f := range []Format{Text, SVG, Mermaid} {
		if err := bad.Write(io.Discard, f, Options{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v, want ErrInvalid", f, err)
		}
	}
	odd := &Ladder{Hosts: []string{"a\nb", "c"}, Messages: []Message{{Frame: 1, From: 0, To: 1, Label: "x\ny\rz"}}}
	var buf bytes.Buffer
	if err := odd.WriteText(&buf, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 4 {
		t.Errorf("%d lines, want 4 (names, titles, arrow, end):\n%s", n, buf.String())
	}
}

// TestHeaderStagger: names wider than the gap between lifelines go on
// rows of their own, each centred over its lifeline.
func TestHeaderStagger(t *testing.T) {
	l := &Ladder{
		Hosts: []string{"[fd00:1::1]:40000", "[fd00:1::fe]:8000", "[fd00:3::2]:5001"},
		Messages: []Message{
			{Frame: 1, From: 0, To: 1, Label: "a", Precision: 6},
			{Frame: 2, From: 1, To: 2, Label: "b", Precision: 6},
		},
	}
	var buf bytes.Buffer
	if err := l.WriteText(&buf, Options{Width: 40}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	lay := l.layoutText(Options{Width: 40})
	rows := 0
	for rows < len(lines) && !strings.Contains(lines[rows], "time  frame") {
		rows++
	}
	if rows < 2 || rows > len(l.Hosts) {
		t.Errorf("%d rows of names, want 2 to %d:\n%s", rows, len(l.Hosts), buf.String())
	}
	for i, h := range l.Hosts {
		found := false
		for _, line := range lines[:rows] {
			r := []rune(line)
			start := lay.x[i] - runeLen(h)/2
			if start >= 0 && start+runeLen(h) <= len(r) && string(r[start:start+runeLen(h)]) == h {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not centred over its lifeline (column %d):\n%s", h, lay.x[i], buf.String())
		}
	}
}

// TestPorts: with two TCP connections between the same two hosts
// (tcp-nagle), each TCP arrow names its ports; with one (tcp.pcap's
// address:port columns already do), none does; UDP arrows always say UDP.
func TestPorts(t *testing.T) {
	l, err := ReadFile("../../testdata/scenarios/tcp-nagle.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	tcp := 0
	for _, m := range l.Messages {
		if m.TCP != nil {
			tcp++
			want := fmt.Sprintf("%d → %d [", m.TCP.SrcPort, m.TCP.DstPort)
			if !strings.HasPrefix(m.Label, want) {
				t.Errorf("frame %d: %q does not start with %q", m.Frame, m.Label, want)
			}
		}
	}
	if tcp < 20 {
		t.Errorf("%d TCP arrows, want the two connections' 20 or more", tcp)
	}
	l, err = ReadFile("../../testdata/udp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Messages[0].Label; got != "UDP Len=3" {
		t.Errorf("udp.pcap: %q, want UDP Len=3 (the columns name the ports)", got)
	}
}
