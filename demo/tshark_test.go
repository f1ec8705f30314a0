package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
)

// referenceDir holds the book's exchanges captured on the Linux kernel's
// loopback with tcpdump: the ground truth for fidelity (see its README.md).
const referenceDir = "../testdata/reference"

// writeCapture runs a demo into a file for tshark to read.
func writeCapture(t *testing.T, name string, p Params) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".pcap")
	if err := os.WriteFile(path, runCapture(t, name, p), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The book's display filters (chapter "Traffic interception") and the frames
// each must select: on netsim's TCP capture (9 frames: gVisor acknowledges
// the client's FIN in a frame of its own, frame 7), on the Linux reference
// (the book's 8 frames), and on the UDP captures.
var bookFilters = []struct {
	filter            string
	netsimTCP, linux  []int
	netsimUDP, linuxU []int
	what              string
}{
	{"tcp and ip.addr==127.0.0.1 and tcp.port==24000", []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{1, 2, 3, 4, 5, 6, 7, 8}, nil, nil, "the whole conversation"},
	{"tcp.flags.syn==1 and tcp.seq==0 and tcp.ack==0", []int{1}, []int{1}, nil, nil, "the SYN"},
	{"tcp.flags.syn==1 and tcp.flags.ack==1 and tcp.seq==0 and tcp.ack==1", []int{2}, []int{2}, nil, nil, "the SYN/ACK"},
	{"tcp.flags.syn==0 and tcp.flags.ack==1 and tcp.flags.push==0 and tcp.seq==1 and tcp.ack==1", []int{3}, []int{3}, nil, nil, "the client's ACK"},
	{"not tcp.flags.push==0", []int{4}, []int{4}, []int{1}, []int{1}, "the data packet (and, since UDP has no tcp.flags.push, the datagram)"},
	{"tcp.flags.fin==1 and tcp.dstport==24000", []int{6}, []int{6}, nil, nil, "the client's FIN"},
	{"tcp.flags.fin==1 and tcp.srcport==24000", []int{8}, []int{7}, nil, nil, "the server's FIN"},
	{"tcp.flags.ack==1 and tcp.seq==5 and tcp.dstport==24000", []int{9}, []int{8}, nil, nil, "the last ACK"},
	{"udp.port==24000", nil, nil, []int{1}, []int{1}, "the UDP datagram"},
}

func TestBookFilters(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	filters := make([]string, len(bookFilters))
	for i, bf := range bookFilters {
		filters[i] = bf.filter
	}
	for _, f := range []struct {
		name string
		path func(*testing.T) string
		want func(int) []int
	}{
		{"netsim tcp", func(t *testing.T) string { return writeCapture(t, "tcp", Params{}) }, func(i int) []int { return bookFilters[i].netsimTCP }},
		{"linux tcp", reference("linux-lo-tcp.pcap"), func(i int) []int { return bookFilters[i].linux }},
		{"netsim udp", func(t *testing.T) string { return writeCapture(t, "udp", Params{}) }, func(i int) []int { return bookFilters[i].netsimUDP }},
		{"linux udp", reference("linux-lo-udp.pcap"), func(i int) []int { return bookFilters[i].linuxU }},
	} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			// One tshark pass for the nine filters.
			for i, got := range tsharktest.Select(t, f.path(t), nil, filters...) {
				if want := f.want(i); !slices.Equal(got, want) {
					t.Errorf("%q (%s) selects frames %v, want %v", bookFilters[i].filter, bookFilters[i].what, got, want)
				}
			}
		})
	}
}

// reference returns a function that returns the path of a reference capture,
// failing the test if it is missing.
func reference(name string) func(*testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		path := filepath.Join(referenceDir, name)
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		return path
	}
}

// problemFilter selects any frame tshark finds fault with: a bad IP, TCP or
// UDP checksum (with checksum validation on), a malformed packet, or an
// expert item of severity warning or worse (retransmission, lost segment,
// zero window, ...).
const problemFilter = "ip.checksum.status==bad or tcp.checksum.status==bad or udp.checksum.status==bad or _ws.malformed or _ws.expert.severity >= warning"

var checkArgs = []string{"-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"}

func problems(t *testing.T, file string) []string {
	t.Helper()
	args := append([]string{"-n", "-r", file}, checkArgs...)
	args = append(args, "-Y", problemFilter, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message")
	out := strings.TrimSpace(tsharktest.Run(t, args...))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// TestTsharkFindsNoFault: netsim's frames carry valid checksums, as on a
// real wire, and tshark finds nothing malformed and no warning. The kernel's
// own loopback captures fail this check (Linux leaves checksums to offload on
// lo), which shows the check can fail.
func TestTsharkFindsNoFault(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	seeds := []int64{0, 1, 99}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, d := range List() {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", d.Name, seed), func(t *testing.T) {
				t.Parallel()
				if p := problems(t, writeCapture(t, d.Name, Params{Seed: seed})); len(p) > 0 {
					t.Errorf("tshark reports:\n%s", strings.Join(p, "\n"))
				}
			})
		}
	}
	t.Run("linux", func(t *testing.T) {
		t.Parallel()
		if p := problems(t, reference("linux-lo-tcp.pcap")(t)); len(p) != 8 {
			t.Errorf("the Linux reference capture should fail the checksum check on all 8 frames, got %d: %v", len(p), p)
		}
	})
}

// segment is one TCP frame as tshark decodes it.
type segment struct {
	src            string // "client" or "server"
	flags          string // tshark's tcp.flags.str without the dots, e.g. "AP"
	seq, ack, len_ int
	payload        string
}

var tcpFields = []string{"tcp.srcport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.push", "tcp.flags.fin", "tcp.flags.reset", "tcp.seq", "tcp.ack", "tcp.len", "tcp.payload"}

func segments(t *testing.T, file string, serverPort int) []segment {
	t.Helper()
	var out []segment
	for _, r := range tsharktest.Fields(t, file, "tcp", tcpFields...) {
		var s segment
		s.src = "client"
		if r[0] == strconv.Itoa(serverPort) {
			s.src = "server"
		}
		for i, f := range []string{"S", "A", "P", "F", "R"} {
			if r[1+i] == "1" || r[1+i] == "True" {
				s.flags += f
			}
		}
		s.seq, _ = strconv.Atoi(r[6])
		s.ack, _ = strconv.Atoi(r[7])
		s.len_, _ = strconv.Atoi(r[8])
		s.payload = r[9]
		out = append(out, s)
	}
	return out
}

// bookTCP is the book's exchange as gVisor carries it: the book's figure 4-6
// with the server's ACK of the client's FIN in a frame of its own (7).
var bookTCP = []segment{
	{"client", "S", 0, 0, 0, ""},
	{"server", "SA", 0, 1, 0, ""},
	{"client", "A", 1, 1, 0, ""},
	{"client", "AP", 1, 1, 3, "2c3742"},
	{"server", "A", 1, 4, 0, ""},
	{"client", "AF", 4, 1, 0, ""},
	{"server", "A", 1, 5, 0, ""},
	{"server", "AF", 1, 5, 0, ""},
	{"client", "A", 5, 2, 0, ""},
}

// TestDecodedExchange: tshark's decoding of the TCP demo (relative seq/ack,
// flags, lengths, payload) is the book's, for several seeds and ports.
func TestDecodedExchange(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	seeds := []int64{0, 7, 123456}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			if got := segments(t, writeCapture(t, "tcp", Params{Seed: seed}), DefaultPort); !slices.Equal(got, bookTCP) {
				t.Errorf("tshark decodes\n%v\nwant\n%v", got, bookTCP)
			}
		})
	}
	if testing.Short() {
		return
	}
	t.Run("port=8081", func(t *testing.T) {
		t.Parallel()
		got := segments(t, writeCapture(t, "tcp", Params{Port: 8081, Payload: []byte("hello")}), 8081)
		if len(got) != 9 || got[3].payload != "68656c6c6f" || got[4].ack != 6 {
			t.Errorf("port 8081, payload hello: tshark decodes %v", got)
		}
	})
}

// TestMultiAcks: in tcp-multi every data segment is acknowledged with
// ack = seq + len (the book's figure 4-9). Not in -short: TestFidelityWithLinux
// checks the default tcp-multi frame by frame.
func TestMultiAcks(t *testing.T) {
	if testing.Short() {
		t.Skip("full suite only: TestFidelityWithLinux covers the default tcp-multi")
	}
	tsharktest.Path(t)
	t.Parallel()
	for _, writes := range []int{3, 5} {
		t.Run(fmt.Sprintf("writes=%d", writes), func(t *testing.T) {
			t.Parallel()
			segs := segments(t, writeCapture(t, "tcp-multi", Params{Writes: writes}), DefaultPort)
			data := 0
			for i, s := range segs {
				if s.src != "client" || s.len_ == 0 {
					continue
				}
				data++
				if i+1 >= len(segs) || segs[i+1].src != "server" || segs[i+1].ack != s.seq+s.len_ {
					t.Errorf("data segment %d (seq %d len %d) is not followed by the server's ACK %d: %v",
						i+1, s.seq, s.len_, s.seq+s.len_, segs)
				}
			}
			if data != writes {
				t.Errorf("%d data segments", data)
			}
		})
	}
}

// TestFidelityWithLinux compares netsim's captures with the kernel's: the
// same frames in the same order with the same flags, relative seq/ack and
// payload lengths, once the one known difference is set aside: gVisor
// acknowledges a FIN at once in a frame of its own, where Linux folds that
// ACK into its own FIN.
func TestFidelityWithLinux(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	for _, c := range []struct{ demo, ref string }{
		{"tcp", "linux-lo-tcp.pcap"},
		{"tcp-multi", "linux-lo-tcp-multi.pcap"},
	} {
		t.Run(c.demo, func(t *testing.T) {
			t.Parallel()
			ours := segments(t, writeCapture(t, c.demo, Params{}), DefaultPort)
			linux := segments(t, reference(c.ref)(t), DefaultPort)
			// Drop the server's bare ACK of the client's FIN.
			var folded []segment
			for i, s := range ours {
				if i > 0 && s.src == "server" && s.flags == "A" && ours[i-1].flags == "AF" && ours[i-1].src == "client" {
					continue
				}
				folded = append(folded, s)
			}
			if len(ours) != len(linux)+1 {
				t.Errorf("%d frames, Linux %d: expected exactly one more (the FIN's ACK)", len(ours), len(linux))
			}
			if !slices.Equal(folded, linux) {
				t.Errorf("differs from Linux:\nnetsim %v\nlinux  %v", folded, linux)
			}
		})
	}
	t.Run("udp", func(t *testing.T) {
		t.Parallel()
		fields := []string{"udp.srcport", "udp.dstport", "udp.length", "data.data"}
		ours := tsharktest.Fields(t, writeCapture(t, "udp", Params{}), "", fields...)
		linux := tsharktest.Fields(t, reference("linux-lo-udp.pcap")(t), "", fields...)
		if !slices.EqualFunc(ours, linux, slices.Equal[[]string]) || len(ours) != 1 {
			t.Errorf("netsim %v, Linux %v", ours, linux)
		}
	})
}
