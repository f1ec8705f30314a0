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

// parse parses a scenario file's text; the test fails on an error.
func parse(t *testing.T, name, src string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse %s: %v", name, err)
	}
	return s
}

// golden reads a golden capture of the repository.
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The book's scenarios, as files. Line numbers matter to the tests.
const (
	tcpYAML = `name: book-tcp
summary: the book's listings 4-1/4-2, one TCP connection to 127.0.0.1:24000 carries 44, 55, 66
capture: {format: pcap, links: [localhost:lo]}
hosts:
  - name: localhost
programs:
  - name: receiver
    host: localhost
    steps:
      - listen: {addr: 127.0.0.1:24000}
      - accept: ln
      - recv: {until_eof: true}
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
  received:
    - {program: receiver, sock: conn, bytes: 3}
`
	tcpMultiYAML = `name: book-tcp-multi
summary: the book's figure 4-9, three writes 50 ms apart, then the close 50 ms later
capture: {format: pcap, links: [localhost:lo]}
hosts:
  - name: localhost
programs:
  - name: receiver
    host: localhost
    steps:
      - listen: {addr: 127.0.0.1:24000}
      - accept: ln
      - recv: {until_eof: true}
      - close: conn
      - close: ln
  - name: sender
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:24000}
      - send: {hex: 2c 37 42, repeat: 3, pause: 50ms}
      - sleep: 50ms
      - close: conn
expect:
  filters: {"tcp.len == 3": 3}
  received: [{program: receiver, sock: conn, bytes: 9}]
`
	udpYAML = `name: book-udp
summary: the book's listings 4-3/4-4, one datagram 127.0.0.1:24001 -> 127.0.0.1:24000
capture: {format: pcap, links: [localhost:lo]}
hosts:
  - name: localhost
programs:
  - name: receiver
    host: localhost
    steps:
      - bind: {addr: 127.0.0.1:24000}
      - recv: {}
  - name: sender
    host: localhost
    steps:
      - bind: {addr: 127.0.0.1:24001}
      - send: {to: 127.0.0.1:24000, hex: 2c 37 42}
`
)

// run runs s and returns the result, the capture and the output.
func run(t *testing.T, s *scenario.Scenario, o scenario.RunOptions) (*scenario.Result, []byte, string, error) {
	t.Helper()
	var capt, out bytes.Buffer
	o.Capture, o.Out = &capt, &out
	res, err := s.Run(o)
	return res, capt.Bytes(), out.String(), err
}

// TestBookGoldens is the acceptance test: scenario files that do what the
// book's demos do give their golden captures, byte for byte, and meet
// their expectations. The listen steps run inside the receiver's task (the
// demos listen before the run): the bytes are the same, as the listener
// exists, at virtual time 0, before the sender's SYN arrives 10 µs later.
func TestBookGoldens(t *testing.T) {
	for _, c := range []struct {
		golden, src string
		out         []string
	}{
		{"tcp.pcap", tcpYAML, []string{
			"sender: conn: connected 127.0.0.1:32379 -> 127.0.0.1:24000\n",
			"receiver: conn: accepted 127.0.0.1:32379 -> 127.0.0.1:24000\n",
			"sender: conn: sent 3 bytes to 127.0.0.1:24000\n",
			"receiver: conn: received 3 bytes from 127.0.0.1:32379: 2c 37 42 (b',7B')\n",
		}},
		{"tcp-multi.pcap", tcpMultiYAML, []string{
			"sender: conn: sent 9 bytes to 127.0.0.1:24000 in 3 writes\n",
			"receiver: conn: received 9 bytes from 127.0.0.1:32379: 2c 37 42 2c 37 42 2c 37 42 (b',7B,7B,7B')\n",
		}},
		{"udp.pcap", udpYAML, []string{
			"sender: udp: sent 3 bytes to 127.0.0.1:24000\n",
			"receiver: udp: received 3 bytes from 127.0.0.1:24001: 2c 37 42 (b',7B')\n",
		}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			want := golden(t, c.golden)
			s := parse(t, c.golden, c.src)
			res, got, out, err := run(t, s, scenario.RunOptions{})
			if err != nil {
				t.Fatalf("Run: %v\noutput:\n%s", err, out)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("capture (%d bytes) differs from %s (%d bytes)\noutput:\n%s", len(got), c.golden, len(want), out)
			}
			if len(s.Expect.Filters) > 0 && !bytes.Equal(res.Capture, got) {
				t.Error("Result.Capture is not the capture written")
			}
			for _, line := range c.out {
				if !strings.Contains(out, line) {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
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
	s := parse(t, "refused.yaml", `hosts: [{name: localhost}]
programs:
  - name: client
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:80}
      - print: not reached
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	var se *scenario.StepError
	if !errors.As(err, &se) {
		t.Fatalf("Run: %v; want a *StepError", err)
	}
	const want = "refused.yaml:6:9: program client, step 1 (connect): dial tcp 127.0.0.1:80: connect: connection refused"
	if err.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", err, want)
	}
	if se.Program != "client" || se.Index != 1 || se.Step.Kind != scenario.StepConnect {
		t.Errorf("StepError = %+v", se)
	}
	if strings.Contains(out, "not reached") {
		t.Errorf("the program went on after its failed step:\n%s", out)
	}
}

// TestExpectError: a step that must fail fails, and its program goes on;
// one that fails otherwise, or does not fail, fails the run.
func TestExpectError(t *testing.T) {
	const src = `hosts: [{name: localhost}]
programs:
  - name: client
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:80, expect_error: EXPECTED}
      - print: went on
expect:
  filters: {"tcp.flags.reset == 1": 1}
`
	s := parse(t, "refused.yaml", strings.Replace(src, "EXPECTED", "connection refused", 1))
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(out, "client: connect failed as expected: dial tcp 127.0.0.1:80: connect: connection refused\n") ||
		!strings.Contains(out, "client: went on\n") {
		t.Errorf("output:\n%s", out)
	}

	s = parse(t, "refused.yaml", strings.Replace(src, "EXPECTED", "timeout", 1))
	_, _, _, err = run(t, s, scenario.RunOptions{})
	const want = `refused.yaml:6:9: program client, step 1 (connect): dial tcp 127.0.0.1:80: connect: connection refused; want an error containing "timeout"`
	if err == nil || err.Error() != want {
		t.Errorf("Run with the wrong expected error: %v\nwant %s", err, want)
	}

	s = parse(t, "refused.yaml", strings.Replace(strings.Replace(src, "EXPECTED", "refused", 1), "programs:\n", `programs:
  - name: server
    host: localhost
    steps:
      - listen: {addr: ":80"}
`, 1))
	_, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	if err == nil || err.Error() != `refused.yaml:10:9: program client, step 1 (connect): succeeded; want an error containing "refused"` {
		t.Errorf("Run with a step that should fail and does not: %v", err)
	}
}

// exchange is a client that connects to the server, sends "hello" and
// reads the server's "world!" back, and a server that does the other half.
const exchange = `programs:
  - name: server
    host: server
    steps:
      - listen: {addr: ":80"}
      - accept: ln
      - recv: {text: hello}
      - send: {text: world!}
      - recv: {until_eof: true}
  - name: client
    host: client
    steps:
      - connect: {to: "server:80"}
      - SLEEP
      - send: {text: hello}
      - recv: {bytes: 6, timeout: 10s}
`

// TestSwitch: two hosts on a switch, the client dialing the server by
// name; the expectations (filters, received) hold.
func TestSwitch(t *testing.T) {
	src := `capture: {format: pcapng}
hosts: [{name: client}, {name: server}]
switches: [{name: sw0}]
links:
  - {a: {host: client, addrs: [10.0.0.1/24]}, b: {switch: sw0}}
  - {a: {host: server, addrs: [10.0.0.2/24]}, b: {switch: sw0}, both: {delay: 5ms}}
expect:
  filters:
    "tcp.flags.syn == 1 && tcp.flags.ack == 0": 2
    "tcp.len == 5": 2
    "ip.src == 10.0.0.2 && tcp.len == 6": 2
  received:
    - {program: server, sock: conn, bytes: 5}
    - {program: client, sock: conn, bytes: 6}
` + strings.Replace(exchange, "      - SLEEP\n", "", 1)
	s := parse(t, "switch.yaml", src)
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
	if got := strings.Join(res.Stats.Captured, " "); got != "client:lo server:lo client-sw0 server-sw0" {
		t.Errorf("captured %v; want every link (pcapng), with the links' default names", got)
	}
	// 5 ms each way on the server's link: the reply comes 20 ms after the
	// request leaves.
	if res.Stats.LastFrame < 20*time.Millisecond {
		t.Errorf("last frame at %v; the server's link delays it", res.Stats.LastFrame)
	}

	// An expectation that does not hold fails the run with its place.
	s = parse(t, "switch.yaml", strings.Replace(src, "bytes: 6}", "bytes: 7}", 1))
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if !errors.Is(err, scenario.ErrUnmet) || err.Error() != "switch.yaml:14:7: expect: client's conn received 6 bytes, want 7" {
		t.Errorf("Run with an unmet expectation: %v", err)
	}
	// NoExpect skips them and keeps no capture.
	res, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	if err != nil || res.Capture != nil {
		t.Errorf("Run with NoExpect: %v, capture of %d bytes", err, len(res.Capture))
	}
}

// TestRouter: a client and a server on two subnets, a router between
// them (forwarding, routes): the server sees TTL 63. Without forwarding
// the connect times out.
func TestRouter(t *testing.T) {
	const src = `capture: {links: [router-server]}
hosts:
  - {name: client, routes: [{to: default, via: 10.0.1.254}]}
  - {name: router, forwarding: FORWARD}
  - {name: server, routes: [{to: default, via: 10.0.2.254}]}
links:
  - {a: {host: client, addrs: [10.0.1.1/24]}, b: {host: router, addrs: [10.0.1.254/24]}}
  - {a: {host: router, addrs: [10.0.2.254/24]}, b: {host: server, addrs: [10.0.2.1/24]}}
expect:
  filters:
    "ip.src == 10.0.1.1 && ip.ttl == 63 && tcp.len == 5": 1
    "ip.src == 10.0.2.1 && ip.ttl == 64 && tcp.len == 6": 1
`
	s := parse(t, "router.yaml", strings.Replace(src, "FORWARD", "true", 1)+strings.Replace(exchange, "      - SLEEP\n", "", 1))
	res, capt, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if got := res.Stats.Captured; len(got) != 1 || got[0] != "router-server" {
		t.Errorf("captured %v", got)
	}
	if len(capt) < 4 || !bytes.Equal(capt[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Error("the capture is not pcapng (the default format)")
	}

	s = parse(t, "router.yaml", strings.Replace(src, "FORWARD", "false", 1)+
		strings.Replace(strings.Replace(exchange, "      - SLEEP\n", "", 1), `{to: "server:80"}`, `{to: "server:80", timeout: 3s}`, 1))
	_, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	if err == nil || !strings.HasPrefix(err.Error(), "router.yaml:25:9: program client, step 1 (connect): ") || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("Run without forwarding: %v; want the client's connect to time out", err)
	}
}

// TestPartitionHeals: the link goes down at 1 s and comes back at 4 s
// with its delay; what the client sends at 2 s is resent until it gets
// through. Without the healing event the client's recv times out.
func TestPartitionHeals(t *testing.T) {
	const src = `capture: {format: pcapng}
hosts: [{name: client}, {name: server}]
links:
  - name: lan
    a: {host: client, addrs: [10.0.0.1/24]}
    b: {host: server, addrs: [10.0.0.2/24]}
    both: {delay: 1ms}
events:
  - {at: 4s, link: lan, both: {down: false}}
  - {at: 1s, link: lan, both: {down: true}}
expect:
  filters:
    tcp.analysis.retransmission: ">= 1"
    "frame.time_relative > 4 && tcp.len == 5": 1
`
	s := parse(t, "partition.yaml", src+strings.Replace(exchange, "SLEEP", "sleep: 2s", 1))
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

	s = parse(t, "partition.yaml", strings.Replace(src, "  - {at: 4s, link: lan, both: {down: false}}\n", "", 1)+strings.Replace(exchange, "SLEEP", "sleep: 2s", 1))
	_, _, _, err = run(t, s, scenario.RunOptions{NoExpect: true})
	const want = "partition.yaml:29:9: program client, step 4 (recv): read tcp 10.0.0.1:"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "i/o timeout") {
		t.Errorf("Run without healing: %v\nwant %s...i/o timeout", err, want)
	}
}

// TestUDPClosedPort: a datagram to a port nobody listens on gets an ICMP
// port unreachable; a connected socket reads it as connection refused.
func TestUDPClosedPort(t *testing.T) {
	s := parse(t, "udp-closed.yaml", `hosts: [{name: localhost}]
programs:
  - host: localhost
    steps:
      - bind: {addr: 127.0.0.1:5353}
      - send: {to: "localhost:9", hex: 010203}
      - bind: {addr: 127.0.0.1:0, to: 127.0.0.1:9, as: c}
      - send: {hex: "04 05 06"}
      - recv: {sock: c, expect_error: connection refused}
expect:
  filters:
    "icmp.type == 3 && icmp.code == 3": 2
    "!icmp && udp.srcport == 5353 && udp.dstport == 9": 1
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	for _, want := range []string{
		"localhost: udp: sent 3 bytes to 127.0.0.1:9\n",
		"localhost: c: sent 3 bytes to 127.0.0.1:9\n",
		"localhost: recv failed as expected: read udp 127.0.0.1:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDeadlock: two programs that both wait to receive: the error names
// both steps with their places, and wraps netsim's report.
func TestDeadlock(t *testing.T) {
	s := parse(t, "dl.yaml", `hosts: [{name: localhost}]
programs:
  - name: receiver
    host: localhost
    steps:
      - listen: {addr: 127.0.0.1:24000}
      - accept: {}
      - recv: {bytes: 1}
  - name: sender
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:24000}
      - recv: {bytes: 1}
`)
	_, _, _, err := run(t, s, scenario.RunOptions{})
	var de *scenario.DeadlockError
	var nde *netsim.DeadlockError
	if !errors.As(err, &de) || !errors.As(err, &nde) || !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("Run: %v; want a deadlock", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"deadlock at 50µs: ",
		"receiver waits in recv at dl.yaml:8:9 (Read tcp 127.0.0.1:24000->127.0.0.1:",
		"; sender waits in recv at dl.yaml:13:9 (Read tcp 127.0.0.1:",
	} {
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
// it, naming the first byte that differs; fewer bytes than expected too.
func TestRecvMismatch(t *testing.T) {
	for _, c := range []struct{ recv, want string }{
		{"recv: {hex: 2c3842}", "byte 1 differs: received 0x37, want 0x38 (received 3 bytes, want 3)"},
		{"recv: {until_eof: true, hex: 2c374243}", "received 3 bytes, want 4: 2c 37 42 (b',7B')"},
		{"recv: {bytes: 4}", "EOF (the peer closed) after 3 of 4 bytes"},
	} {
		s := parse(t, "book-tcp.yaml", strings.Replace(tcpYAML, "recv: {until_eof: true}", c.recv, 1))
		_, _, _, err := run(t, s, scenario.RunOptions{})
		want := "book-tcp.yaml:12:9: program receiver, step 3 (recv): " + c.want
		if err == nil || err.Error() != want {
			t.Errorf("Run: %v\nwant %s", err, want)
		}
	}
}

// TestOverrides: RunOptions' seed changes the capture; with the loss,
// seed and format of the tcp-lossy golden the book's scenario gives that
// golden.
func TestOverrides(t *testing.T) {
	s := parse(t, "tcp.yaml", tcpYAML)
	_, c0, _, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(1)
	_, c1, _, err := run(t, s, scenario.RunOptions{Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c0, c1) {
		t.Error("seed 1 gives the capture of seed 0")
	}

	seed, format, loss := int64(4), capture.PCAPNG, 0.3
	res, got, out, err := run(t, s, scenario.RunOptions{
		Seed:     &seed,
		Format:   &format,
		Links:    []string{},
		Impair:   scenario.ImpairSpec{Loss: &loss},
		NoExpect: true, // the losses add SYNs
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if !bytes.Equal(got, golden(t, "tcp-lossy.pcapng")) {
		t.Errorf("lossy capture (%d bytes) differs from tcp-lossy.pcapng", len(got))
	}
	if len(res.Stats.Impaired) == 0 || res.Stats.Impaired[0].Lost == 0 {
		t.Errorf("Impaired = %+v; want losses", res.Stats.Impaired)
	}
}

// TestRandomData: random data follows the seed, the file's or the one
// RunOptions gives, and the receiver checks it.
func TestRandomData(t *testing.T) {
	s := parse(t, "random.yaml", strings.Replace(tcpYAML, "send: {hex: 2c 37 42}", "send: {random: 1000}", 1))
	s.Expect = scenario.ExpectSpec{}
	r0, c0, _, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(5)
	r5, c5, _, err := run(t, s, scenario.RunOptions{Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	if r0.Received[0].Bytes != 1000 || r5.Received[0].Bytes != 1000 {
		t.Errorf("received %+v and %+v", r0.Received, r5.Received)
	}
	// Same seed in the file: the same bytes as the override.
	s5 := parse(t, "random.yaml", "seed: 5\n"+strings.Replace(tcpYAML, "send: {hex: 2c 37 42}", "send: {random: 1000}", 1))
	s5.Expect = scenario.ExpectSpec{}
	_, c5b, _, err := run(t, s5, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c0, c5) || !bytes.Equal(c5, c5b) {
		t.Error("the random data does not follow the seed")
	}
}

// TestContextCancel: a run whose context is done stops with
// ErrInterrupted and leaves a valid (short) capture.
func TestContextCancel(t *testing.T) {
	s := parse(t, "long.yaml", strings.Replace(tcpYAML, "send: {hex: 2c 37 42}", "send: {random: 1MiB, repeat: 1000}", 1))
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
	s := parse(t, "from.yaml", strings.Replace(tcpYAML, "connect: {to: 127.0.0.1:24000}", `connect: {to: 127.0.0.1:24000, from: "127.0.0.1:5000"}`, 1))
	s.Expect.Filters[0].Filter = "tcp.srcport == 5000 && tcp.flags.syn == 1 && tcp.flags.ack == 0"
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "sender: conn: connected 127.0.0.1:5000 -> 127.0.0.1:24000\n") {
		t.Errorf("output:\n%s", out)
	}
}

// TestHalfClose: the client shuts down its sending side and still reads
// what the server sends once it saw the EOF.
func TestHalfClose(t *testing.T) {
	s := parse(t, "half.yaml", `hosts: [{name: localhost}]
programs:
  - name: server
    host: localhost
    steps:
      - listen: {addr: ":7"}
      - accept: ln
      - recv: {until_eof: true, text: ping}
      - send: {text: pong}
  - name: client
    host: localhost
    steps:
      - connect: {to: "localhost:7"}
      - send: {text: ping}
      - shutdown: conn
      - recv: {until_eof: true, text: pong}
expect:
  filters: {"tcp.flags.fin == 1": 2}
  received:
    - {program: server, sock: conn, bytes: 4}
    - {program: client, sock: conn, bytes: 4}
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if want := "client: conn: received 4 bytes from 127.0.0.1:7: 70 6f 6e 67 (b'pong')\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// TestProgramsStartAndNames: a program without a name takes its host's;
// a program's start delays it. (HOST#2 is TestProgramNamesGo's.)
func TestProgramsStartAndNames(t *testing.T) {
	s := parse(t, "names.yaml", `hosts: [{name: localhost}]
programs:
  - {host: localhost, start: 1s, steps: [print: late]}
  - {host: localhost, name: other, steps: [print: early]}
`)
	res, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "other: early\nlocalhost: late\n"; out != want {
		t.Errorf("output %q; want %q", out, want)
	}
	if res.Stats.Elapsed < time.Second {
		t.Errorf("elapsed %v; the first program starts at 1s", res.Stats.Elapsed)
	}
}

// TestSocketNames: default names (conn, conn2) and the default socket
// (the last opened that is still open).
func TestSocketNames(t *testing.T) {
	s := parse(t, "socks.yaml", `hosts: [{name: localhost}]
programs:
  - name: server
    host: localhost
    steps:
      - listen: {addr: ":80"}
      - accept: {}
      - accept: {}
      - recv: {sock: conn, bytes: 1}
      - recv: {bytes: 2}
  - name: client
    host: localhost
    steps:
      - connect: {to: "localhost:80"}
      - connect: {to: "localhost:80"}
      - send: {hex: "02 02"}
      - close: {}
      - send: {hex: "01"}
`)
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
}

// TestAbort: abort resets the connection (RST, no FIN); the peer's read
// fails with connection reset.
func TestAbort(t *testing.T) {
	s := parse(t, "abort.yaml", `hosts: [{name: localhost}]
programs:
  - name: server
    host: localhost
    steps:
      - listen: {addr: ":80"}
      - accept: ln
      - recv: {until_eof: true, expect_error: connection reset}
  - name: client
    host: localhost
    steps:
      - connect: {to: "localhost:80"}
      - send: {text: "partial"}
      - sleep: 1ms
      - abort: conn
expect:
  filters:
    "tcp.flags.reset == 1": 1
    "tcp.flags.fin == 1": 0
  received: [{program: server, sock: conn, bytes: 7}]
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "server: recv failed as expected: read tcp 127.0.0.1:80->127.0.0.1:") {
		t.Errorf("output:\n%s", out)
	}
}

// TestSet: socket options reach the wire: the TTL, keep-alive probes,
// the receive buffer's window.
func TestSet(t *testing.T) {
	s := parse(t, "set.yaml", `hosts: [{name: localhost}]
programs:
  - name: server
    host: localhost
    steps:
      - listen: {addr: ":80"}
      - accept: ln
      - set: {sock: conn, read_buffer: 4096}
      - recv: {until_eof: true}
  - name: client
    host: localhost
    steps:
      - connect: {to: "localhost:80"}
      - set: {ttl: 5, no_delay: false, keep_alive: 1s, write_buffer: 8KiB}
      - send: {text: abc}
      - sleep: 3500ms
      - close: conn
expect:
  filters:
    "ip.ttl == 5 && tcp.flags.syn == 1": 0
    "ip.ttl == 5 && tcp.len == 3": 1
    tcp.analysis.keep_alive: ">= 2"
    "tcp.srcport == 80 && tcp.window_size < 10000 && tcp.flags.syn == 0": 0
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
}

// tlsYAML is a TLS 1.3 handshake and an HTTP/1.1 exchange inside it.
const tlsYAML = `hosts: [{name: client}, {name: server}]
links:
  - {name: lan, a: {host: client, addrs: [10.0.0.1/24]}, b: {host: server, addrs: [10.0.0.2/24]}, both: {delay: 10ms}}
capture: {format: pcapng, links: [lan]}
programs:
  - name: server
    host: server
    steps:
      - listen: {addr: 10.0.0.2:443}
      - accept: {}
      - tls: {role: server, alpn: [http/1.1]}
      - recv: {text: "GET / HTTP/1.1\r\nHost: netsim.test\r\n\r\n"}
      - send: {text: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"}
      - close: conn
  - name: client
    host: client
    steps:
      - connect: {to: "server:443"}
      - tls: {role: client, alpn: [h2, http/1.1]}
      - send: {text: "GET / HTTP/1.1\r\nHost: netsim.test\r\n\r\n"}
      - recv: {until_eof: true}
expect:
  filters: {"tcp.flags.reset == 1": 0}
  received:
    - {program: server, sock: conn, bytes: 37}
    - {program: client, sock: conn, bytes: 40}
`

// secretsBlocks counts a pcapng capture's Decryption Secrets Blocks.
func secretsBlocks(t *testing.T, b []byte) int {
	t.Helper()
	n := 0
	for off := 0; off+12 <= len(b); {
		typ := uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24
		l := int(uint32(b[off+4]) | uint32(b[off+5])<<8 | uint32(b[off+6])<<16 | uint32(b[off+7])<<24)
		if l < 12 {
			t.Fatalf("block at %d: length %d", off, l)
		}
		if typ == 0x0a {
			n++
		}
		off += l
	}
	return n
}

// TestTLS: a tls step wraps the connection; the run repeats byte for
// byte, the keys are in the capture, the byte counts are the plaintext's,
// and a client that expects another name fails its handshake.
func TestTLS(t *testing.T) {
	s := parse(t, "tls.yaml", tlsYAML)
	_, c1, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"client: conn: TLS 1.3 handshake done: TLS_AES_128_GCM_SHA256, server name netsim.test, ALPN http/1.1\n",
		"server: conn: TLS 1.3 handshake done: TLS_AES_128_GCM_SHA256, server name netsim.test, ALPN http/1.1\n",
		"client: conn: received 40 bytes from 10.0.0.2:443: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := secretsBlocks(t, c1); n == 0 {
		t.Error("no decryption secrets block in the capture")
	}
	_, c2, _, err := run(t, s, scenario.RunOptions{})
	if err != nil || !bytes.Equal(c1, c2) {
		t.Errorf("second run: %v; same capture: %v", err, bytes.Equal(c1, c2))
	}
	if err := s.Check(scenario.RunOptions{}); err != nil {
		t.Errorf("Check: %v", err)
	}

	s = parse(t, "tls.yaml", strings.Replace(tlsYAML, "{role: client, alpn: [h2, http/1.1]}", "{role: client, server_name: example.com}", 1))
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "tls.yaml:19:9: program client, step 2 (tls): tls: failed to verify certificate: x509: certificate is valid for netsim.test, not example.com") {
		t.Errorf("Run with another server name: %v", err)
	}
}

// TestLimits: listen steps may take different backlogs (each listener its
// own), and an accept whose timeout passes fails with the timeout, at the
// step's place.
func TestLimits(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`hosts: [{name: h}]
programs:
  - host: h
    steps:
      - listen: {addr: ":80", backlog: 1}
      - listen: {addr: ":81", backlog: 2}
      - accept: {sock: ln, timeout: 10ms}
`, "x.yaml:7:9: program h, step 3 (accept): accept tcp :80: i/o timeout"},
		{`hosts: [{name: h}]
programs:
  - host: h
    steps:
      - listen: {addr: ":80"}
      - accept: {timeout: 1s}
`, "x.yaml:6:9: program h, step 2 (accept): accept tcp :80: i/o timeout"},
	} {
		_, _, _, err := run(t, parse(t, "x.yaml", c.src), scenario.RunOptions{})
		if err == nil || err.Error() != c.want {
			t.Errorf("Run: %v\nwant %s", err, c.want)
		}
	}
}
