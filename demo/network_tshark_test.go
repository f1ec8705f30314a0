package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// The network model's proofs, read by tshark: name resolution before the
// first SYN, bad checksums exactly on the frames the network corrupted,
// lost segments retransmitted, goodput at a link's rate, clean TCP analysis
// without impairments, comments that match the links' counters, and one
// capture across processes.

// transferFile runs the transfer demo with p into a file and returns its
// path and what the programs printed.
func transferFile(t *testing.T, p Params) (string, string) {
	t.Helper()
	var out bytes.Buffer
	p.Out = &out
	ext := ".pcap"
	if p.Format == capture.PCAPNG {
		ext = ".pcapng"
	}
	path := filepath.Join(t.TempDir(), "transfer"+ext)
	if err := os.WriteFile(path, runCapture(t, "transfer", p), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, out.String()
}

var sumLine = regexp.MustCompile(`(?m)^(client: sent|server: received) (\d+) bytes, crc32 ([0-9a-f]{8})$`)

// checkSums checks that the transfer's client and server printed the same
// byte count and CRC-32.
func checkSums(t *testing.T, out string, size int64) {
	t.Helper()
	m := sumLine.FindAllStringSubmatch(out, -1)
	if len(m) != 2 || m[0][2] != m[1][2] || m[0][3] != m[1][3] || m[0][2] != strconv.FormatInt(size, 10) {
		t.Errorf("client and server disagree, or not %d bytes:\n%s", size, out)
	}
}

// fullOnly skips the test under -short: the fast tier keeps a few tshark
// checks (tshark_test.go, and the IPv4 case of
// TestTsharkBadChecksumsAreTheCorrupted), the full suite runs them all.
func fullOnly(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("full suite only (-short is the fast tier)")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("tshark printed %q for a number", s)
	}
	return n
}

// TestTsharkResolutionPrecedesSYN: on every link, the neighbour resolution
// (ARP request and reply; IPv6: neighbour solicitation and advertisement)
// comes before the first SYN that needed it.
func TestTsharkResolutionPrecedesSYN(t *testing.T) {
	fullOnly(t)
	tsharktest.Path(t)
	t.Parallel()
	for _, c := range []struct {
		v6   bool
		hops int
	}{{false, 1}, {true, 1}, {false, 3}, {true, 3}} {
		t.Run(fmt.Sprintf("ipv6=%v,hops=%d", c.v6, c.hops), func(t *testing.T) {
			t.Parallel()
			path, _ := transferFile(t, Params{Size: 5000, IPv6: c.v6, Hops: c.hops, Format: capture.PCAPNG, Interfaces: []string{"all"}})
			rows := tsharktest.Fields(t, path, "arp or icmpv6.type==135 or icmpv6.type==136 or (tcp.flags.syn==1 and tcp.flags.ack==0)",
				"frame.interface_name", "arp.opcode", "icmpv6.type", "tcp.flags.syn")
			seq := map[string][]string{}
			for _, r := range rows {
				what := map[string]string{"1": "request", "2": "reply", "135": "NS", "136": "NA"}[r[1]+r[2]]
				if r[3] == "1" || r[3] == "True" {
					what = "SYN"
				}
				seq[r[0]] = append(seq[r[0]], what)
			}
			want := "request reply SYN"
			if c.v6 {
				want = "NS NA SYN"
			}
			if len(seq) != c.hops {
				t.Errorf("ipv6=%v hops=%d: resolution or SYN on %d links: %v", c.v6, c.hops, len(seq), seq)
			}
			for link, s := range seq {
				if got := strings.Join(s[:min(3, len(s))], " "); got != want {
					t.Errorf("ipv6=%v hops=%d link %s: %v, want %s first", c.v6, c.hops, link, s, want)
				}
			}
		})
	}
}

// TestTsharkBadChecksumsAreTheCorrupted: with checksum validation on,
// tshark finds a bad checksum on exactly the frames whose comment says the
// network corrupted them, and on no other.
func TestTsharkBadChecksumsAreTheCorrupted(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipv6=%v", v6), func(t *testing.T) {
			if v6 {
				fullOnly(t)
			}
			t.Parallel()
			p := Params{Size: 200_000, IPv6: v6, Link: netsim.LinkConfig{Delay: 2 * time.Millisecond, Corrupt: 0.02}, Format: capture.PCAPNG, Seed: 3}
			path, out := transferFile(t, p)
			checkSums(t, out, p.Size)
			// One tshark pass, checksum validation on, for both filters.
			sel := tsharktest.Select(t, path, checkArgs, badChecksum, `frame.comment contains "corrupted: corrupt 2% (bit "`)
			got, want := sel[0], sel[1]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("bad checksums on frames %v, corrupted %v", got, want)
			}
			if len(want) < 5 {
				t.Errorf("only %d frames corrupted", len(want))
			}
			t.Logf("%d frames with a bad checksum, the %d noted corrupted", len(got), len(want))
		})
	}
}

const badChecksum = "ip.checksum.status==bad or tcp.checksum.status==bad or udp.checksum.status==bad or icmp.checksum.status==bad or icmpv6.checksum.status==bad"

// TestTsharkLostSegmentsRetransmitted: under loss, every data segment the
// link lost is sent again later (a frame with the same sequence number that
// tshark flags as a retransmission), and the receiver's CRC-32 equals the
// sender's.
func TestTsharkLostSegmentsRetransmitted(t *testing.T) {
	fullOnly(t)
	tsharktest.Path(t)
	t.Parallel()
	for _, c := range []struct {
		v6   bool
		link netsim.LinkConfig
	}{
		{false, netsim.LinkConfig{Delay: 5 * time.Millisecond, Loss: 0.03}},
		{true, netsim.LinkConfig{Delay: 5 * time.Millisecond, Loss: 0.03}},
		{false, netsim.LinkConfig{Delay: 5 * time.Millisecond, Loss: 0.03, LossBurst: 3}},
	} {
		t.Run(fmt.Sprintf("ipv6=%v,burst=%v", c.v6, c.link.LossBurst), func(t *testing.T) {
			t.Parallel()
			p := Params{Size: 300_000, IPv6: c.v6, Link: c.link, Format: capture.PCAPNG, Seed: 1}
			path, out := transferFile(t, p)
			checkSums(t, out, p.Size)
			rows := tsharktest.Fields(t, path, "tcp.len>0 and tcp.dstport==5001", "frame.number", "tcp.seq", "frame.comment",
				"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission")
			type seg struct {
				num     int
				lost    bool
				retrans bool
			}
			bySeq := map[int][]seg{}
			lost := 0
			for _, r := range rows {
				s := seg{atoi(t, r[0]), strings.Contains(r[2], "lost: loss"), r[3] != "" || r[4] != ""}
				bySeq[atoi(t, r[1])] = append(bySeq[atoi(t, r[1])], s)
			}
			for sq, segs := range bySeq {
				for i, s := range segs {
					if !s.lost {
						continue
					}
					lost++
					// Sent again later, flagged by tshark; or a copy sent earlier
					// got through already (this one was a retransmission itself,
					// sent before that copy's ACK came back).
					again := false
					for _, later := range segs[i+1:] {
						again = again || later.retrans
					}
					for _, earlier := range segs[:i] {
						again = again || !earlier.lost
					}
					if !again {
						t.Errorf("ipv6=%v %+v: frame %d (seq %d) was lost and never retransmitted with that seq", c.v6, c.link, s.num, sq)
					}
				}
			}
			if lost < 2 {
				t.Errorf("ipv6=%v %+v: only %d data segments lost", c.v6, c.link, lost)
			}
			t.Logf("ipv6=%v loss %v burst %v: %d data segments lost, each retransmitted", c.v6, c.link.Loss, c.link.LossBurst, lost)
		})
	}
}

// TestTsharkGoodputAtRate: a bulk transfer over a 10 Mbit/s link moves its
// data in simulated time at 10 Mbit/s less the headers' share, within 10%.
// The rate applies to whole Ethernet frames (as netem's, without preamble
// and gap), so the expected goodput is 10 Mbit/s × payload / (payload + 14
// + IP + TCP header), with the segment and header sizes the capture shows.
// Goodput is measured from the first data segment to the ACK of the last
// byte as they enter the link.
func TestTsharkGoodputAtRate(t *testing.T) {
	fullOnly(t)
	tsharktest.Path(t)
	t.Parallel()
	for _, c := range []struct {
		delay time.Duration
		v6    bool
		bug   string
	}{
		{10 * time.Millisecond, false, ""},
		{10 * time.Millisecond, true, ""},
		// 1 ms: a burst behind the rate limit leaves at one instant; the
		// virtual clock's strictly increasing monotonic readings keep
		// gVisor's RACK from declaring its later segments lost.
		{time.Millisecond, false, ""},
	} {
		t.Run(fmt.Sprintf("delay=%v,ipv6=%v", c.delay, c.v6), func(t *testing.T) {
			if c.bug != "" {
				t.Skip(c.bug)
			}
			t.Parallel()
			const rate = 10_000_000
			p := Params{Size: 1 << 20, IPv6: c.v6, Link: netsim.LinkConfig{Delay: c.delay, Rate: rate}, Format: capture.PCAPNG}
			path, out := transferFile(t, p)
			checkSums(t, out, p.Size)
			// One tshark pass: every TCP frame, sorted here into data
			// segments (tcp.len>0 and tcp.dstport==5001), ACKs of the last
			// byte (tcp.srcport==5001 and tcp.ack==size+1) and
			// retransmissions.
			var data, acks [][]string
			retrans := 0
			lastAck := strconv.FormatInt(p.Size+1, 10)
			for _, r := range tsharktest.Fields(t, path, "tcp", "frame.time_relative", "tcp.len", "tcp.hdr_len", "frame.len",
				"tcp.srcport", "tcp.dstport", "tcp.ack", "tcp.analysis.retransmission") {
				switch {
				case atoi(t, r[1]) > 0 && r[5] == "5001":
					data = append(data, r)
				case r[4] == "5001" && r[6] == lastAck:
					acks = append(acks, r)
				}
				if r[7] != "" {
					retrans++
				}
			}
			if len(data) == 0 || len(acks) == 0 {
				t.Fatalf("%d data segments, %d ACKs of the last byte", len(data), len(acks))
			}
			maxLen, frameLen := 0, 0
			for _, r := range data {
				if l := atoi(t, r[1]); l > maxLen {
					maxLen, frameLen = l, atoi(t, r[3])
				}
			}
			start, _ := strconv.ParseFloat(data[0][0], 64)
			end, _ := strconv.ParseFloat(acks[0][0], 64)
			goodput := float64(p.Size) * 8 / (end - start)
			want := rate * float64(maxLen) / float64(frameLen)
			if goodput < 0.9*want || goodput > 1.02*want {
				t.Errorf("goodput %.3f Mbit/s over %.3fs, want %.3f (payload %d in frames of %d) within 10%%", goodput/1e6, end-start, want/1e6, maxLen, frameLen)
			}
			t.Logf("goodput %.3f Mbit/s = %.1f%% of the expected %.3f (payload %d bytes in %d-byte frames); %d retransmissions",
				goodput/1e6, 100*goodput/want, want/1e6, maxLen, frameLen, retrans)
		})
	}
}

// TestTsharkCleanTransferHasNoAnalysisFlags: with the default capture of a
// run without impairments, tshark's TCP analysis flags no retransmission,
// duplicate ACK, out-of-order or lost segment.
func TestTsharkCleanTransferHasNoAnalysisFlags(t *testing.T) {
	fullOnly(t)
	tsharktest.Path(t)
	t.Parallel()
	const flags = "tcp.analysis.retransmission or tcp.analysis.fast_retransmission or tcp.analysis.spurious_retransmission or " +
		"tcp.analysis.duplicate_ack or tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment or tcp.analysis.out_of_order"
	for _, p := range []Params{
		{Size: 300_000},
		{Size: 300_000, IPv6: true},
		{Size: 200_000, Hops: 2},
		{Size: 100_000, Hops: 3, IPv6: true},
		{Size: 50_000, Conns: 5, Seed: 9},
		{Size: 200_000, Link: netsim.LinkConfig{Delay: 20 * time.Millisecond}},
	} {
		t.Run(fmt.Sprintf("size=%d,ipv6=%v,hops=%d,conns=%d,delay=%v", p.Size, p.IPv6, p.Hops, p.Conns, p.Link.Delay), func(t *testing.T) {
			t.Parallel()
			path, out := transferFile(t, p)
			if p.Conns <= 1 {
				checkSums(t, out, p.Size)
			}
			sel := tsharktest.Select(t, path, nil, "frame", flags)
			total, flagged := len(sel[0]), sel[1]
			if len(flagged) > 0 {
				first := tsharktest.Fields(t, path, fmt.Sprintf("frame.number==%d", flagged[0]), "frame.number", "_ws.expert.message")
				t.Errorf("tshark flags %d of %d frames, first %v", len(flagged), total, first)
			}
			if total < 50 {
				t.Errorf("only %d frames", total)
			}
		})
	}
}

// TestTsharkLostCommentsMatchLinkStats: over a chain of three links with
// loss, bursty loss and a rate with a short queue, `frame.comment contains
// "lost"` selects, on each link, exactly as many frames as Link.Stats
// counts lost in its two directions, and "dropped" as many as it counts
// dropped by the queue.
func TestTsharkLostCommentsMatchLinkStats(t *testing.T) {
	fullOnly(t)
	tsharktest.Path(t)
	t.Parallel()
	var capBuf bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 5, Capture: &capBuf, CaptureFormat: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	client, server, addr, err := chain(n, 3, false, netsim.LinkConfig{Delay: 2 * time.Millisecond, Loss: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	links := n.Links()
	if len(links) != 3 {
		t.Fatalf("%d links", len(links))
	}
	cfg := netsim.LinkConfig{Delay: 2 * time.Millisecond, Loss: 0.05, LossBurst: 3}
	if err := links[1].Set(cfg, cfg); err != nil {
		t.Fatal(err)
	}
	cfg = netsim.LinkConfig{Delay: 2 * time.Millisecond, Rate: 5_000_000, Queue: 5, Loss: 0.01}
	if err := links[2].Set(cfg, cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := server.Listen("tcp", addr[strings.LastIndex(addr, ":"):])
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			t.Error(err)
			return
		}
		k, _ := io.Copy(io.Discard, c)
		if k != 200_000 {
			t.Errorf("server received %d bytes", k)
		}
		c.Close()
	})
	n.Go(func() {
		c, err := client.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		c.Write(make([]byte, 200_000))
		c.Close()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chain.pcapng")
	if err := os.WriteFile(path, capBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// One tshark pass: each frame's link and comments, counted here as
	// frame.comment contains "lost" and frame.comment contains "dropped"
	// would select them.
	lost, dropped := map[string]int{}, map[string]int{}
	for _, r := range tsharktest.Fields(t, path, "frame.comment", "frame.interface_name", "frame.comment") {
		if strings.Contains(r[1], "lost") {
			lost[r[0]]++
		}
		if strings.Contains(r[1], "dropped") {
			dropped[r[0]]++
		}
	}
	for _, l := range links {
		ab, ba := l.Stats()
		if lost[l.Name()] != ab.Lost+ba.Lost || dropped[l.Name()] != ab.Dropped+ba.Dropped {
			t.Errorf("link %s: tshark finds %d lost, %d dropped; Link.Stats %d+%d lost, %d+%d dropped",
				l.Name(), lost[l.Name()], dropped[l.Name()], ab.Lost, ba.Lost, ab.Dropped, ba.Dropped)
		}
		t.Logf("link %s: %d lost, %d dropped (of %d+%d frames)", l.Name(), ab.Lost+ba.Lost, ab.Dropped+ba.Dropped, ab.Sent, ba.Sent)
	}
	if lost[links[1].Name()] == 0 || dropped[links[2].Name()] == 0 {
		t.Errorf("nothing lost on %s or dropped on %s: the test proves nothing", links[1].Name(), links[2].Name())
	}
}

// TestCorruptionThroughRouterIsDropped: a frame corrupted on the first link
// of a routed path must be dropped by the receiving host on its checksum, as
// on a single link: the data arrive intact.
func TestCorruptionThroughRouterIsDropped(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		p := Params{Seed: 7, Size: 51200, Conns: 3, Hops: 2, IPv6: v6,
			Link: netsim.LinkConfig{Delay: 2 * time.Millisecond, Loss: 0.02, Corrupt: 0.01}}
		d, _ := Lookup("transfer")
		if _, err := d.Run(p); err != nil {
			t.Errorf("ipv6=%v: %v", v6, err)
		}
	}
}

// TestCLIDeterministicAcrossProcesses builds the netsim command and runs a
// transfer with every impairment in separate processes with GOMAXPROCS 1
// and 8: the captures on standard output have one sha256.
func TestCLIDeterministicAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "netsim")
	build := exec.Command("go", "build", "-o", bin, "netsim.dev/cmd/netsim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"--size", "200KiB", "--delay", "5ms", "--jitter", "1ms", "--loss", "3%", "--dup", "1%", "--reorder", "2%", "--corrupt", "0.5%", "-F", "pcapng"},
		{"-6", "--size", "200KiB", "--delay", "5ms", "--loss", "4%", "--loss-burst", "3", "--rate", "10Mbit", "--queue", "20", "-F", "pcapng"},
		{"--hops", "2", "--conns", "3", "--size", "50KiB", "--delay", "2ms", "--loss", "2%", "--dup", "2%", "--seed", "7", "-i", "all", "-F", "pcapng"},
	} {
		sums := map[string][]string{}
		for _, procs := range []string{"1", "8", "1", "8"} {
			cmd := exec.Command(bin, append([]string{"run", "transfer", "-q", "-w", "-"}, args...)...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("netsim run transfer %v: %v\n%s", args, err, stderr.String())
			}
			s := sha256.Sum256(out)
			sums[hex.EncodeToString(s[:])] = append(sums[hex.EncodeToString(s[:])], procs)
			if len(out) < 10000 {
				t.Errorf("%v: a capture of %d bytes", args, len(out))
			}
		}
		if len(sums) != 1 {
			t.Errorf("%v: %d different captures: %v", args, len(sums), sums)
		}
		for s := range sums {
			t.Logf("%v: sha256 %s for GOMAXPROCS 1, 8, 1, 8", args, s[:16])
		}
	}
}
