package scenario

import (
	"fmt"
	"strings"
)

// keyDoc is what Reference says of one key.
type keyDoc struct{ key, typ, def, doc string }

func docs[T any](fields []field[T]) []keyDoc {
	d := make([]keyDoc, len(fields))
	for i, f := range fields {
		d[i] = keyDoc{f.key, f.typ, f.def, f.doc}
	}
	return d
}

// section is one mapping of the file: where it sits and its keys.
type section struct {
	title string
	keys  []keyDoc
}

// sections are every mapping of the file, in Reference's order; the step
// keys come last, with the kinds that take each.
func sections() []section {
	return []section{
		{"the file (the top level)", docs(scenarioFields)},
		{"capture", docs(captureFields)},
		{"hosts[]", docs(hostFields)},
		{"hosts[].routes[]", docs(routeFields)},
		{"switches[]", docs(switchFields)},
		{"links[]", docs(linkFields)},
		{"links[].a, links[].b (an end)", docs(endFields)},
		{"link settings (links[].both/ab/ba, events[].both/ab/ba, hosts[].loopback)", docs(impairFields)},
		{"events[]", docs(eventFields)},
		{"programs[]", docs(programFields)},
		{"programs[].steps[] (the keys inside a step; each kind takes the keys listed with it above)", docs(stepFields)},
		{"expect", docs(expectFields)},
		{"expect.received[]", docs(receivedFields)},
	}
}

// Reference returns the text of `netsim help scenario`: every key of every
// mapping of a scenario file with its type, default and meaning, the
// steps, the forms of values, and a complete example ([Example]). It is
// made from the parser's own tables, so it lists exactly the keys Parse
// takes.
func Reference() string {
	var b strings.Builder
	b.WriteString(`SCENARIO FILES

A scenario file describes one whole run in YAML: the hosts, switches and
links of a network (with per-direction impairments), link changes at given
virtual times, the capture, one or more programs of steps, and what the run
must show. netsim run FILE.yaml runs it (- reads standard input); the same
file gives the same capture bytes on any machine.

Parsing is strict: an unknown key, a value of the wrong type, a reference to
a host, link, program or socket that does not exist, are errors, each
reported as FILE:LINE:COL: KEY: what is wrong. YAML aliases (*name) are not
taken; a file is at most 4 MiB.

VALUES
  duration     Go's form, from 0 to 24h: 10ms, 1.5s, 1m30s, 250us (or 250µs)
  probability  a percentage or a fraction: 2%, 0.5%, 0.02
  rate         tc's units in bit/s: 10Mbit, 500kbit, 1gbit, 64000; bytes/s: 1mbps
  size         a byte count: 1500, 64KiB, 1MiB, 10MB, 2k
  address      local: "127.0.0.1:24000", ":80", "[::]:53"
               remote: "10.0.0.2:80", "[fd00::2]:80", or "HOST:80" with a host's name
  data         one of four keys inside send or recv:
                 text: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"  (\r \n \t \\ \" \xNN \0 ...)
                 hex: "2c 37 42"  (spaces allowed)
                 file: body.bin   (relative to the scenario file's directory)
                 random: 100000   (bytes drawn from the seed, the program and the step;
                                   send only: a recv checks them with bytes: N)

STEPS
Each step is a mapping with one key, its kind: "- send: {text: hi}". The
kinds marked with a key in brackets also take a plain value for that key:
"- close: conn" is "- close: {sock: conn}".
`)
	for _, k := range stepKinds {
		name := string(k.kind)
		if k.short != "" {
			name += " [" + k.short + "]"
		}
		fmt.Fprintf(&b, "  %-17s %s\n  %17s keys: %s\n", name, k.doc, "", strings.Join(k.keys, ", "))
	}
	b.WriteString(`
Sockets: a step that opens a socket names it with "as" (default: ln, ln2, ...
for listen; conn, conn2, ... for accept and connect; udp, udp2, ... for bind,
per program). A step that acts on a socket takes "sock"; without it, the
program's last opened socket still open of the kind it needs (a listener for
accept; a connection or UDP socket otherwise; close takes any).

EXPECT FILTERS
A mapping of display filter to frame count: each filter (netsim read -Y's
language, Wireshark's) must select that many frames of the capture. The
count is N (exactly N frames) or "OP N", OP one of ==, !=, <, <=, >, >=. A
list of "FILTER OP COUNT" strings is not taken: "tcp.flags.fin == 1" cannot
be read one way only. Quote a filter that holds ": " or starts with a quote.
    expect:
      filters:
        "tcp.flags.syn == 1 && tcp.flags.ack == 0": 1
        tcp.analysis.retransmission: ">= 1"
        'tcp.payload contains "GET /"': "<= 2"

CAPTURE POINTS
A link records each frame once, as the frame enters it (the sending end):
a frame that link loses, reorders, duplicates or corrupts is in its capture
with a comment saying so (frame.comment contains "lost"), not missing or
out of order. To capture what the receiver gets (tshark's out-of-order,
lost-segment and duplicate-ACK analysis), put a switch between the two hosts,
impair the link into the switch and capture the link out of it.
`)
	for _, s := range sections() {
		fmt.Fprintf(&b, "\nKEYS OF %s\n", s.title)
		for _, k := range s.keys {
			def := ""
			if k.def != "" {
				def = " (default: " + k.def + ")"
				if strings.HasPrefix(k.def, "required") {
					def = " (" + k.def + ")"
				}
			}
			fmt.Fprintf(&b, "  %-13s %s%s\n  %13s %s\n", k.key, k.typ, def, "", k.doc)
		}
	}
	b.WriteString("\nEXAMPLE\n")
	for _, line := range strings.SplitAfter(Example, "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
	}
	return b.String()
}

// Example is a complete scenario file that uses every section: Reference
// ends with it, and the tests parse it.
const Example = `# A client behind a switch talks to a server across a router.
name: example
summary: an HTTP-like exchange and a TLS session across a router, over a link that goes down for 2s
seed: 7
start: 2024-01-01T12:00:00Z
capture:
  format: pcapng
  links: [client-sw0, router-sw0, wan]
  snap_len: 65535
  explain: true                     # a comment on every frame: why it was sent
hosts:
  - name: client
    routes:
      - {to: default, via: 10.0.0.254}
  - name: server
    routes:
      - {to: 10.0.0.0/24, via: 10.1.0.254}
    loopback: {delay: 20us}
  - name: router
    forwarding: true
switches:
  - name: sw0
links:
  - a: {host: client, addrs: [10.0.0.1/24, "fd00::1/64"]}   # name: client-sw0, iface: eth0
    b: {switch: sw0}
    both: {delay: 5ms, jitter: 0s}
    ab: {loss: 1%}
    ba: {rate: 10Mbit, queue: 100}
  - a: {host: router, addrs: [10.0.0.254/24]}
    b: {switch: sw0}
  - name: wan
    a: {host: router, iface: eth1, addrs: [10.1.0.254/24]}
    b: {host: server, addrs: [10.1.0.1/24]}
    both: {delay: 20ms, mtu: 1400, loss: 0, loss_burst: 0, dup: 0, reorder: 0, corrupt: 0, down: false}
events:
  - {at: 1s, link: wan, both: {down: true}}
  - {at: 3s, link: wan, both: {down: false}}
programs:
  - name: server
    host: server
    steps:
      - listen: ":443"
      - listen: {addr: ":80", backlog: 16, as: web}
      - accept: {sock: web, timeout: 10s}
      - recv: {text: "GET / HTTP/1.1\r\nHost: server\r\n\r\n", timeout: 10s}
      - send: {file: body.bin}                 # a file beside this one
      - send: {random: 1000, repeat: 3, pause: 50ms}
      - shutdown: conn
      - recv: {until_eof: true}
      - close: {}
      - accept: ln
      - tls: {role: server, server_name: server.test, alpn: [http/1.1]}
      - recv: {bytes: 5}
      - abort: conn2
  - host: client
    start: 100ms
    steps:
      - print: connecting
      - connect: {to: "server:80", from: ":40000", timeout: 10s}
      - send: {text: "GET / HTTP/1.1\r\nHost: server\r\n\r\n"}
      - set: {no_delay: true, read_buffer: 64KiB, write_buffer: 64KiB, keep_alive: 10s, ttl: 64}
      - recv: {bytes: 3029}
      - close: conn
      - sleep: {for: 10ms}
      - connect: server:443
      - tls: {role: client, server_name: server.test, alpn: [http/1.1]}
      - send: {text: hello}
      - recv: {until_eof: true, expect_error: reset}
      - bind: {addr: ":5353", to: "10.1.0.1:53", as: dns}
      - send: {hex: "00 01 01 00", sock: dns}
      - recv: {sock: dns, datagrams: 1, timeout: 1s, retries: 2, expect_error: timeout}
expect:
  filters:
    "tcp.flags.syn == 1 && tcp.flags.ack == 0": ">= 2"
    tcp.flags.reset: 1
    icmp: 0
  received:
    - {program: server, sock: conn, bytes: 32}
    - {program: client, sock: conn, bytes: 3029}
  # sha256: the capture's SHA-256, 64 hex digits
`
