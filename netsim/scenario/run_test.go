package scenario_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/scenario"
)

// data returns send/recv data with its bytes resolved, as Parse gives it.
func data(b ...byte) *scenario.Data { return &scenario.Data{Bytes: b} }

func ptr[T any](v T) *T { return &v }

// book returns the book's setting: one host, the capture on its loopback.
func book(name string, programs ...scenario.ProgramSpec) *scenario.Scenario {
	return &scenario.Scenario{
		File:     name + ".yaml",
		Name:     name,
		Capture:  scenario.CaptureSpec{Format: capture.PCAP, FormatSet: true, Links: []string{"localhost:lo"}},
		Hosts:    []scenario.HostSpec{{Name: "localhost"}},
		Programs: programs,
	}
}

func prog(name, host string, steps ...scenario.Step) scenario.ProgramSpec {
	for i := range steps {
		steps[i].Pos = scenario.Pos{Line: 10 + i, Col: 9}
	}
	return scenario.ProgramSpec{Name: name, Host: host, Steps: steps}
}

// bookTCP is the book's tcp demo (writes 1) and tcp-multi (writes 3, 50 ms
// apart, then 50 ms more before the close, as demo/book.go does).
func bookTCP(writes int) *scenario.Scenario {
	send := []scenario.Step{
		{Kind: scenario.StepConnect, To: "127.0.0.1:24000"},
		{Kind: scenario.StepSend, Data: data(0x2c, 0x37, 0x42)},
	}
	if writes > 1 {
		send[1].Repeat, send[1].Pause = writes, 50*time.Millisecond
		send = append(send, scenario.Step{Kind: scenario.StepSleep, For: 50 * time.Millisecond})
	}
	send = append(send, scenario.Step{Kind: scenario.StepClose})
	return book("book-tcp",
		prog("receiver", "localhost",
			scenario.Step{Kind: scenario.StepListen, Addr: "127.0.0.1:24000", As: "ln"},
			scenario.Step{Kind: scenario.StepAccept, Sock: "ln", As: "conn"},
			scenario.Step{Kind: scenario.StepRecv, Sock: "conn", UntilEOF: true},
			scenario.Step{Kind: scenario.StepClose, Sock: "conn"},
			scenario.Step{Kind: scenario.StepClose, Sock: "ln"},
		),
		prog("sender", "localhost", send...),
	)
}

// bookUDP is the book's udp demo.
func bookUDP() *scenario.Scenario {
	return book("book-udp",
		prog("receiver", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:24000"},
			scenario.Step{Kind: scenario.StepRecv},
			scenario.Step{Kind: scenario.StepClose},
		),
		prog("sender", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:24001"},
			scenario.Step{Kind: scenario.StepSend, To: "127.0.0.1:24000", Data: data(0x2c, 0x37, 0x42)},
			scenario.Step{Kind: scenario.StepClose},
		),
	)
}

// run runs s and returns the capture and the output.
func run(t *testing.T, s *scenario.Scenario, o scenario.RunOptions) (*scenario.Result, []byte, string, error) {
	t.Helper()
	var capt, out bytes.Buffer
	o.Capture, o.Out = &capt, &out
	res, err := s.Run(o)
	return res, capt.Bytes(), out.String(), err
}

// TestBookGoldens is the acceptance test: scenarios that do what the
// book's demos do give their golden captures, byte for byte.
func TestBookGoldens(t *testing.T) {
	for _, c := range []struct {
		golden string
		s      *scenario.Scenario
		out    string
	}{
		{"tcp.pcap", bookTCP(1), "receiver: conn: received 3 bytes from 127.0.0.1:"},
		{"tcp-multi.pcap", bookTCP(3), "receiver: conn: received 9 bytes from 127.0.0.1:"},
		{"udp.pcap", bookUDP(), "receiver: udp: received 3 bytes from 127.0.0.1:24001: 2c 37 42 (b',7B')"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.golden))
			if err != nil {
				t.Fatal(err)
			}
			res, got, out, err := run(t, c.s, scenario.RunOptions{})
			if err != nil {
				t.Fatalf("Run: %v\noutput:\n%s", err, out)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("capture (%d bytes) differs from %s (%d bytes)\noutput:\n%s", len(got), c.golden, len(want), out)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("output lacks %q:\n%s", c.out, out)
			}
			if len(res.Received) != 1 || res.Received[0].Program != "receiver" || res.Received[0].Bytes == 0 {
				t.Errorf("Received = %+v; want one receiver socket", res.Received)
			}
		})
	}
}

// TestStepError: a step that fails stops its program and the run, with a
// one-line message naming the file, the place, the program and the step.
func TestStepError(t *testing.T) {
	s := book("refused",
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "127.0.0.1:80"},
			scenario.Step{Kind: scenario.StepPrint, Text: "not reached"},
		),
	)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	var se *scenario.StepError
	if !errors.As(err, &se) {
		t.Fatalf("Run: %v; want a *StepError", err)
	}
	const want = "refused.yaml:10:9: program client, step 1 (connect): "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "connection refused") || strings.Contains(msg, "\n") {
		t.Errorf("message %q; want one line starting %q, saying connection refused", msg, want)
	}
	if se.Program != "client" || se.Index != 1 || se.Step.Kind != scenario.StepConnect {
		t.Errorf("StepError = %+v", se)
	}
	if strings.Contains(out, "not reached") {
		t.Errorf("the program went on after its failed step:\n%s", out)
	}
}

// TestExpectError: a step that must fail fails, and its program goes on;
// one that does not fail is a failure.
func TestExpectError(t *testing.T) {
	s := book("refused",
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "127.0.0.1:80", ExpectError: "connection refused"},
			scenario.Step{Kind: scenario.StepPrint, Text: "went on"},
		),
	)
	_, capt, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(out, "client: connect failed as expected: ") || !strings.Contains(out, "client: went on\n") {
		t.Errorf("output:\n%s", out)
	}
	if len(capt) == 0 {
		t.Error("no capture")
	}

	s.Programs[0].Steps[0].ExpectError = "timeout"
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), `want an error containing "timeout"`) {
		t.Errorf("Run with the wrong expected error: %v", err)
	}
}

// expectFilter is a filter expectation as Parse gives it.
func expectFilter(line int, filter, op string, count int) scenario.FilterExpect {
	return scenario.FilterExpect{Pos: scenario.Pos{Line: line, Col: 7}, Filter: filter, Op: op, Count: count}
}

// exchange is a client that connects to to, sends "hello" and reads the
// server's "world" back, and a server that does the other half.
func exchange(server, client, listen, to string) []scenario.ProgramSpec {
	return []scenario.ProgramSpec{
		prog("server", server,
			scenario.Step{Kind: scenario.StepListen, Addr: listen},
			scenario.Step{Kind: scenario.StepAccept},
			scenario.Step{Kind: scenario.StepRecv, Data: data('h', 'e', 'l', 'l', 'o')},
			scenario.Step{Kind: scenario.StepSend, Data: data('w', 'o', 'r', 'l', 'd', '!')},
			scenario.Step{Kind: scenario.StepRecv, UntilEOF: true},
		),
		prog("client", client,
			scenario.Step{Kind: scenario.StepConnect, To: to},
			scenario.Step{Kind: scenario.StepSend, Data: data('h', 'e', 'l', 'l', 'o')},
			scenario.Step{Kind: scenario.StepRecv, Bytes: 6, Timeout: time.Second},
		),
	}
}

// TestSwitch: two hosts on a switch, the client dialing the server by
// name; the expectations (filters, received) hold.
func TestSwitch(t *testing.T) {
	s := &scenario.Scenario{
		File:     "switch.yaml",
		Capture:  scenario.CaptureSpec{Format: capture.PCAPNG, FormatSet: true},
		Hosts:    []scenario.HostSpec{{Name: "a"}, {Name: "b"}},
		Switches: []scenario.SwitchSpec{{Name: "sw0"}},
		Links: []scenario.LinkSpec{
			{Name: "a-sw", A: scenario.EndSpec{Host: "a", Addrs: []string{"10.0.0.1/24"}}, B: scenario.EndSpec{Switch: "sw0"}},
			{Name: "b-sw", A: scenario.EndSpec{Host: "b", Addrs: []string{"10.0.0.2/24"}}, B: scenario.EndSpec{Switch: "sw0"},
				Both: scenario.ImpairSpec{Delay: ptr(5 * time.Millisecond)}},
		},
		Programs: exchange("b", "a", ":80", "b:80"),
		Expect: scenario.ExpectSpec{
			Filters: []scenario.FilterExpect{
				expectFilter(30, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "==", 2), // one on each link
				expectFilter(31, "tcp.len == 5", "==", 2),
				expectFilter(32, "ip.src == 10.0.0.2 && tcp.len == 6", "==", 2),
			},
			Received: []scenario.ReceivedExpect{
				{Program: "server", Sock: "conn", Bytes: 5},
				{Program: "client", Sock: "conn", Bytes: 6},
			},
		},
	}
	res, capt, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if !strings.Contains(out, "client: conn: connected 10.0.0.1:") || !strings.Contains(out, "-> 10.0.0.2:80") {
		t.Errorf("output:\n%s", out)
	}
	// In the order opened: the client's connect returns before the
	// server's accept.
	want := []scenario.SockBytes{{Program: "client", Sock: "conn", Bytes: 6}, {Program: "server", Sock: "conn", Bytes: 5}}
	if len(res.Received) != 2 || res.Received[0] != want[0] || res.Received[1] != want[1] {
		t.Errorf("Received = %+v; want %+v", res.Received, want)
	}
	if !bytes.Equal(res.Capture, capt) {
		t.Error("Result.Capture is not the capture written")
	}
	// The delay of 5 ms each way on b's link: the reply comes 20 ms after
	// the request leaves.
	if res.Stats.LastFrame < 20*time.Millisecond {
		t.Errorf("last frame at %v; b's link delays it", res.Stats.LastFrame)
	}

	// An expectation that does not hold fails the run with its place.
	s.Expect.Received[1].Bytes = 7
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if !errors.Is(err, scenario.ErrUnmet) || !strings.HasPrefix(err.Error(), "switch.yaml") {
		t.Errorf("Run with an unmet expectation: %v", err)
	}
	// NoExpect skips them and keeps no capture.
	res, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	if err != nil || res.Capture != nil {
		t.Errorf("Run with NoExpect: %v, capture of %d bytes", err, len(res.Capture))
	}
}

// TestRouter: a client and a server on two subnets, a router between
// them (forwarding, routes): the server sees TTL 63.
func TestRouter(t *testing.T) {
	s := &scenario.Scenario{
		File:    "router.yaml",
		Capture: scenario.CaptureSpec{Format: capture.PCAPNG, FormatSet: true, Links: []string{"router-server"}},
		Hosts: []scenario.HostSpec{
			{Name: "client", Routes: []scenario.RouteSpec{{To: "default", Via: "10.0.1.254"}}},
			{Name: "router", Forwarding: true},
			{Name: "server", Routes: []scenario.RouteSpec{{To: "default", Via: "10.0.2.254"}}},
		},
		Links: []scenario.LinkSpec{
			{A: scenario.EndSpec{Host: "client", Addrs: []string{"10.0.1.1/24"}}, B: scenario.EndSpec{Host: "router", Addrs: []string{"10.0.1.254/24"}}},
			{A: scenario.EndSpec{Host: "router", Addrs: []string{"10.0.2.254/24"}}, B: scenario.EndSpec{Host: "server", Addrs: []string{"10.0.2.1/24"}}},
		},
		Programs: exchange("server", "client", ":80", "server:80"),
		Expect: scenario.ExpectSpec{Filters: []scenario.FilterExpect{
			expectFilter(40, "ip.src == 10.0.1.1 && ip.ttl == 63 && tcp.len == 5", "==", 1),
			expectFilter(41, "ip.src == 10.0.2.1 && ip.ttl == 64 && tcp.len == 6", "==", 1),
		}},
	}
	res, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if got := res.Stats.Captured; len(got) != 1 || got[0] != "router-server" {
		t.Errorf("captured %v; want the default link name router-server", got)
	}

	// Without the router's forwarding, the client's SYN goes nowhere: the
	// connect times out.
	s.Hosts[1].Forwarding = false
	s.Programs[1].Steps[0].Timeout = 3 * time.Second
	_, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	var se *scenario.StepError
	if !errors.As(err, &se) || se.Program != "client" || se.Step.Kind != scenario.StepConnect {
		t.Errorf("Run without forwarding: %v; want the client's connect to fail", err)
	}
}

// TestPartitionHeals: the link goes down at 1 s and comes back at 4 s;
// what the client sends at 2 s is resent until it gets through.
func TestPartitionHeals(t *testing.T) {
	s := &scenario.Scenario{
		File:    "partition.yaml",
		Capture: scenario.CaptureSpec{Format: capture.PCAPNG, FormatSet: true},
		Hosts:   []scenario.HostSpec{{Name: "a"}, {Name: "b"}},
		Links: []scenario.LinkSpec{{Name: "lan",
			A:    scenario.EndSpec{Host: "a", Addrs: []string{"10.0.0.1/24"}},
			B:    scenario.EndSpec{Host: "b", Addrs: []string{"10.0.0.2/24"}},
			Both: scenario.ImpairSpec{Delay: ptr(time.Millisecond)}}},
		Events: []scenario.EventSpec{
			{At: 4 * time.Second, Link: "lan", Both: scenario.ImpairSpec{Down: ptr(false)}},
			{At: time.Second, Link: "lan", Both: scenario.ImpairSpec{Down: ptr(true)}},
		},
		Programs: exchange("b", "a", ":80", "b:80"),
		Expect: scenario.ExpectSpec{Filters: []scenario.FilterExpect{
			expectFilter(50, "tcp.analysis.retransmission", "", 0),
			// Healed with its delay kept: no frame after 4 s arrives in
			// less than 1 ms (the reply's ACK is 2 ms after the data).
			expectFilter(51, "frame.time_relative > 4 && tcp.len == 5", "==", 1),
		}},
	}
	// The client connects at once, then sends during the partition.
	c := s.Programs[1].Steps
	s.Programs[1].Steps = []scenario.Step{c[0], {Kind: scenario.StepSleep, For: 2 * time.Second}, c[1], c[2]}
	s.Programs[1].Steps[3].Timeout = 10 * time.Second
	res, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	lost := 0
	for _, d := range res.Stats.Impaired {
		lost += d.Lost
	}
	if lost == 0 {
		t.Errorf("no frame lost to the partition: %+v", res.Stats.Impaired)
	}

	// Without the healing event, the client's recv times out.
	s.Events = s.Events[1:]
	_, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	if err == nil || !strings.Contains(err.Error(), "program client, step 4 (recv)") || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("Run without healing: %v; want the client's recv to time out", err)
	}
}

// TestUDPClosedPort: a datagram to a port nobody listens on gets an ICMP
// port unreachable; a connected socket reads it as connection refused.
func TestUDPClosedPort(t *testing.T) {
	s := book("udp-closed",
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:5353"},
			scenario.Step{Kind: scenario.StepSend, To: "localhost:9", Data: data(1, 2, 3)},
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:0", To: "127.0.0.1:9", As: "c"},
			scenario.Step{Kind: scenario.StepSend, Data: data(4, 5, 6)},
			scenario.Step{Kind: scenario.StepRecv, Sock: "c", ExpectError: "connection refused"},
		),
	)
	s.Expect.Filters = []scenario.FilterExpect{
		expectFilter(60, "icmp.type == 3 && icmp.code == 3", "==", 2),
		expectFilter(61, "!icmp && udp.srcport == 5353 && udp.dstport == 9", "==", 1),
	}
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if !strings.Contains(out, "client: udp: sent 3 bytes to 127.0.0.1:9\n") || !strings.Contains(out, "client: recv failed as expected:") {
		t.Errorf("output:\n%s", out)
	}
}

// TestDeadlock: two programs that both wait to receive: the error names
// both steps with their places, and wraps netsim's report.
func TestDeadlock(t *testing.T) {
	s := book("dl",
		prog("receiver", "localhost",
			scenario.Step{Kind: scenario.StepListen, Addr: "127.0.0.1:24000"},
			scenario.Step{Kind: scenario.StepAccept},
			scenario.Step{Kind: scenario.StepRecv, Bytes: 1},
		),
		prog("sender", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "127.0.0.1:24000"},
			scenario.Step{Kind: scenario.StepRecv},
		),
	)
	_, _, _, err := run(t, s, scenario.RunOptions{})
	var de *scenario.DeadlockError
	var nde *netsim.DeadlockError
	if !errors.As(err, &de) || !errors.As(err, &nde) || !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("Run: %v; want a deadlock", err)
	}
	msg := err.Error()
	for _, want := range []string{"receiver waits in recv at dl.yaml:12:9", "sender waits in recv at dl.yaml:11:9", "Read tcp 127.0.0.1:24000->127.0.0.1:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message %q is not one line", msg)
	}
	if len(de.Waiting) != 2 || de.Waiting[0].Index != 3 || de.Waiting[1].Index != 2 {
		t.Errorf("Waiting = %+v", de.Waiting)
	}
}

// TestRecvMismatch: received bytes that differ from the step's data fail
// it, naming the first byte that differs.
func TestRecvMismatch(t *testing.T) {
	s := bookTCP(1)
	s.Programs[0].Steps[2] = scenario.Step{Pos: scenario.Pos{Line: 12, Col: 9}, Kind: scenario.StepRecv, Sock: "conn", Bytes: 3, Data: data(0x2c, 0x38, 0x42)}
	_, _, _, err := run(t, s, scenario.RunOptions{})
	const want = "book-tcp.yaml:12:9: program receiver, step 3 (recv): byte 1 differs: received 0x37, want 0x38 (received 3 bytes, want 3)"
	if err == nil || err.Error() != want {
		t.Errorf("Run: %v\nwant %s", err, want)
	}
}

// TestOverrides: RunOptions' seed changes the capture; with the loss,
// seed and format of the tcp-lossy golden the book's scenario gives that
// golden.
func TestOverrides(t *testing.T) {
	_, c0, _, err := run(t, bookTCP(1), scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, c1, _, err := run(t, bookTCP(1), scenario.RunOptions{Seed: ptr(int64(1))})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c0, c1) {
		t.Error("seed 1 gives the capture of seed 0")
	}

	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tcp-lossy.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	res, got, out, err := run(t, bookTCP(1), scenario.RunOptions{
		Seed:   ptr(int64(4)),
		Format: ptr(capture.PCAPNG),
		Links:  []string{},
		Impair: scenario.ImpairSpec{Loss: ptr(0.3)},
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("lossy capture (%d bytes) differs from tcp-lossy.pcapng (%d bytes)", len(got), len(want))
	}
	if len(res.Stats.Impaired) == 0 || res.Stats.Impaired[0].Lost == 0 {
		t.Errorf("Impaired = %+v; want losses", res.Stats.Impaired)
	}
}

// TestContextCancel: a run whose context is done stops with
// ErrInterrupted and leaves a valid (short) capture.
func TestContextCancel(t *testing.T) {
	big := make([]byte, 1<<20)
	s := bookTCP(1)
	s.Programs[1].Steps[1] = scenario.Step{Kind: scenario.StepSend, Data: data(big...), Repeat: 1 << 12}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	res, capt, _, err := run(t, s, scenario.RunOptions{Context: ctx})
	if !errors.Is(err, netsim.ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v; want an interruption", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancelled run took %v", d)
	}
	if res == nil || res.Stats.Frames == 0 || len(capt) < 24 {
		t.Errorf("result %+v, capture of %d bytes", res, len(capt))
	}
}

// TestConnectFrom: connect's from picks the local port.
func TestConnectFrom(t *testing.T) {
	s := bookTCP(1)
	s.Programs[1].Steps[0].From = "127.0.0.1:5000"
	s.Expect.Filters = []scenario.FilterExpect{expectFilter(70, "tcp.srcport == 5000 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "==", 1)}
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "sender: conn: connected 127.0.0.1:5000 -> 127.0.0.1:24000\n") {
		t.Errorf("output:\n%s", out)
	}
}

// TestHalfClose: the client shuts down its sending side and still reads
// what the server sends after it saw the EOF.
func TestHalfClose(t *testing.T) {
	s := book("half",
		prog("server", "localhost",
			scenario.Step{Kind: scenario.StepListen, Addr: ":7"},
			scenario.Step{Kind: scenario.StepAccept},
			scenario.Step{Kind: scenario.StepRecv, UntilEOF: true, Data: data('p', 'i', 'n', 'g')},
			scenario.Step{Kind: scenario.StepSend, Data: data('p', 'o', 'n', 'g')},
		),
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "localhost:7"},
			scenario.Step{Kind: scenario.StepSend, Data: data('p', 'i', 'n', 'g')},
			scenario.Step{Kind: scenario.StepShutdown},
			scenario.Step{Kind: scenario.StepRecv, UntilEOF: true, Data: data('p', 'o', 'n', 'g')},
		),
	)
	s.Expect.Received = []scenario.ReceivedExpect{{Program: "server", Sock: "conn", Bytes: 4}, {Program: "client", Sock: "conn", Bytes: 4}}
	s.Expect.Filters = []scenario.FilterExpect{expectFilter(80, "tcp.flags.fin == 1", "==", 2)}
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	want := "client: conn: received 4 bytes from 127.0.0.1:7: 70 6f 6e 67 (b'pong')\n"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// TestProgramsStartAndNames: programs without names take their host's,
// then HOST#2; a program's start delays it.
func TestProgramsStartAndNames(t *testing.T) {
	s := book("names",
		prog("", "localhost", scenario.Step{Kind: scenario.StepPrint, Text: "late"}),
		prog("", "localhost", scenario.Step{Kind: scenario.StepPrint, Text: "early"}),
	)
	s.Programs[0].Start = time.Second
	res, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "localhost#2: early\nlocalhost: late\n"; out != want {
		t.Errorf("output %q; want %q", out, want)
	}
	if res.Stats.Elapsed < time.Second {
		t.Errorf("elapsed %v; the first program starts at 1s", res.Stats.Elapsed)
	}
}

// TestSocketNames: default names (conn, conn2) and the default socket
// (the last opened); a name that does not exist fails the step.
func TestSocketNames(t *testing.T) {
	s := book("socks",
		prog("server", "localhost",
			scenario.Step{Kind: scenario.StepListen, Addr: ":80"},
			scenario.Step{Kind: scenario.StepAccept},
			scenario.Step{Kind: scenario.StepAccept},
			scenario.Step{Kind: scenario.StepRecv, Sock: "conn", Bytes: 1},
			scenario.Step{Kind: scenario.StepRecv, Bytes: 2}, // conn2: the last opened
		),
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "localhost:80"},
			scenario.Step{Kind: scenario.StepConnect, To: "localhost:80"},
			scenario.Step{Kind: scenario.StepSend, Data: data(2, 2)},
			scenario.Step{Kind: scenario.StepSend, Sock: "conn", Data: data(1)},
		),
	)
	res, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	got := map[string]int64{}
	for _, r := range res.Received {
		got[r.Program+"/"+r.Sock] = r.Bytes
	}
	if len(got) != 2 || got["server/conn"] != 1 || got["server/conn2"] != 2 {
		t.Errorf("Received = %+v", res.Received)
	}

	s.Programs[1].Steps[3].Sock = "nope"
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), `program client, step 4 (send): no socket "nope" (the program has opened conn, conn2)`) {
		t.Errorf("Run with an unknown socket: %v", err)
	}
}

// TestBuildErrors: what cannot be built fails before the run, naming the
// place.
func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(s *scenario.Scenario)
		want   string
	}{
		{"program host", func(s *scenario.Scenario) {
			s.Programs[0].Host, s.Programs[0].Pos = "nowhere", scenario.Pos{Line: 5, Col: 5}
		}, `bad.yaml:5:5: program 1: no host "nowhere"`},
		{"event link", func(s *scenario.Scenario) {
			s.Events = []scenario.EventSpec{{Pos: scenario.Pos{Line: 7, Col: 5}, At: time.Second, Link: "lan"}}
		}, `bad.yaml:7:5: event at 1s: no link "lan"`},
		{"event config", func(s *scenario.Scenario) {
			s.Events = []scenario.EventSpec{{Pos: scenario.Pos{Line: 7, Col: 5}, At: time.Second, Link: "localhost:lo", Both: scenario.ImpairSpec{Loss: ptr(1.5)}}}
		}, `bad.yaml:7:5: event at 1s on link "localhost:lo": LinkConfig.Loss: 1.5 is not between 0 and 1`},
		{"backlogs", func(s *scenario.Scenario) {
			s.Programs[0].Steps[0].Backlog = 1
			s.Programs = append(s.Programs, prog("other", "localhost", scenario.Step{Kind: scenario.StepListen, Addr: ":1", Backlog: 2}))
		}, "bad.yaml:10:9: backlog 2 differs from the backlog 1 at bad.yaml:10:9"},
		{"loopback", func(s *scenario.Scenario) {
			s.Hosts[0].Loopback = &scenario.ImpairSpec{Pos: scenario.Pos{Line: 3, Col: 7}, Dup: ptr(-1.0)}
		}, `bad.yaml:3:7: host "localhost": loopback: `},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := bookTCP(1)
			s.File = "bad.yaml"
			c.change(s)
			res, _, _, err := run(t, s, scenario.RunOptions{})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Run: %v\nwant %s...", err, c.want)
			}
			if res != nil {
				t.Errorf("Result %+v from a scenario that was not built", res)
			}
		})
	}
}
