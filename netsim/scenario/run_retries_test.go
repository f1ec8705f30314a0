package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"netsim.dev/netsim/scenario"
)

// udpRetries: a client's query is lost twice (the link towards the server
// is down from 100ms to 2.1s) and resent after each 1s timeout; the third
// copy is answered. RETRIES is the recv's retries.
const udpRetries = `seed: 1
hosts: [{name: client}, {name: server}]
links:
  - name: lan
    a: {host: client, addrs: [10.0.0.1/24]}
    b: {host: server, addrs: [10.0.0.2/24]}
    both: {delay: 1ms}
events:
  - {at: 100ms, link: lan, ab: {down: true}}
  - {at: 2100ms, link: lan, ab: {down: false}}
programs:
  - name: server
    host: server
    steps:
      - bind: ":53"
      - recv: {text: "hello"}
      - recv: {text: "query", timeout: 10s}
      - send: {text: "answer", to: "client:5353"}
  - name: client
    host: client
    steps:
      - bind: {addr: ":5353", to: "server:53"}
      - send: {text: "hello"}
      - sleep: 200ms
      - send: {text: "query"}
      - recv: {text: "answer", timeout: 1s, retries: RETRIES}
expect:
  filters:
    'udp.payload contains "query"': 3
    'udp.payload contains "query" && frame.comment contains "link down"': 2
`

// TestRecvRetries: recv's retries resend the socket's last data after each
// timeout, and the step fails once they are used up.
func TestRecvRetries(t *testing.T) {
	s := parse(t, "retries.yaml", strings.Replace(udpRetries, "RETRIES", "3", 1))
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"client: udp: nothing within 1s: sent 5 bytes again (retry 1 of 3)",
		"client: udp: nothing within 1s: sent 5 bytes again (retry 2 of 3)",
		"client: udp: received 6 bytes from 10.0.0.2:53",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output has no %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "retry 3 of 3") {
		t.Errorf("a third retry after the answer came:\n%s", out)
	}

	// One retry is not enough: the step fails, saying so.
	s = parse(t, "retries.yaml", strings.Replace(udpRetries, "RETRIES", "1", 1))
	_, _, _, err = run(t, s, scenario.RunOptions{})
	var se *scenario.StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), "after 1 retry") {
		t.Fatalf("one retry: %v", err)
	}
}

// TestRecvRetriesBad: retries is for a UDP recv with a timeout.
func TestRecvRetriesBad(t *testing.T) {
	for src, want := range map[string]string{
		"hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: a:80\n      - recv: {bytes: 1, timeout: 1s, retries: 2}\n":            "retries: conn is a TCP connection, which resends by itself",
		"hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: {addr: \":1\", to: \"a:2\"}\n      - recv: {datagrams: 1, retries: 2}\n": "retries needs a timeout",
		"hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: {addr: \":1\", to: \"a:2\"}\n      - send: {text: x, retries: 2}\n":      "not a key of send",
	} {
		_, err := scenario.Parse("r.yaml", []byte(src))
		if !errors.Is(err, scenario.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

// TestRecvNothingLine: a recv that gets no bytes says so in one clean line
// (it printed "received 0 bytes from ADDR:" and an empty Python bytes
// literal, after two spaces).
func TestRecvNothingLine(t *testing.T) {
	s := parse(t, "eof.yaml", `hosts: [{name: h}]
programs:
  - name: server
    host: h
    steps:
      - listen: ":80"
      - accept: ln
      - recv: {until_eof: true}
  - name: client
    host: h
    steps:
      - connect: "h:80"
      - close: conn
`)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "server: conn: received 0 bytes from 127.0.0.1:") || !strings.Contains(out, ": the peer closed at once\n") || strings.Contains(out, "b''") {
		t.Fatalf("output:\n%s", out)
	}
}
