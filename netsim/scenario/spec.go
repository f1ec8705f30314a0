package scenario

import (
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// Pos is a place in a scenario file: 1-based line and column, as the YAML
// parser reports them. The zero Pos means "not from a file" (a Scenario
// built in Go).
type Pos struct {
	Line, Col int
}

// Scenario is one parsed scenario file: a network, what runs on it, and
// what the run must show. Parse returns it; [Scenario.Run] runs it. A
// Scenario can also be built in Go; [Scenario.Validate] checks it.
//
// The YAML keys are the field names in snake_case ("snap_len"); every
// struct below says its keys in its doc comment.
type Scenario struct {
	// File is the name errors show ("tcp.yaml", "-" for standard input).
	File string
	// Name (key name) names the scenario; default: File without
	// directory and extension.
	Name string
	// Summary (key summary) says in one sentence what the scenario shows.
	Summary string
	// Seed (key seed) seeds the run (netsim.Options.Seed).
	Seed int64
	// Start (key start), if not zero, is the virtual clock's starting
	// instant (RFC 3339).
	Start time.Time
	// Capture (key capture) says what is written.
	Capture CaptureSpec
	// Hosts (key hosts), Switches (key switches) and Links (key links)
	// make the network, in that order of creation.
	Hosts    []HostSpec
	Switches []SwitchSpec
	Links    []LinkSpec
	// Events (key events) change links at given virtual times.
	Events []EventSpec
	// Programs (key programs): one per host or more; each runs as a
	// netsim task, started in file order.
	Programs []ProgramSpec
	// Expect (key expect) is what the run must show.
	Expect ExpectSpec
}

// CaptureSpec (keys format, links, snap_len, explain) configures the
// capture.
type CaptureSpec struct {
	Pos Pos
	// Format: "pcap" or "pcapng" (default pcapng). The output file name
	// does not override it.
	Format capture.Format
	// FormatSet says the file named a format.
	FormatSet bool
	// Links names the captured links (netsim.Options.CaptureInterfaces);
	// a host's loopback is "HOST:lo".
	Links []string
	// SnapLen is netsim.Options.SnapLen.
	SnapLen int
	// Explain is netsim.Options.Explain: a comment on every frame saying
	// why it was sent. It needs the pcapng format.
	Explain bool
}

// HostSpec (keys name, forwarding, routes, loopback) is one host. Its
// Ethernet interfaces come from the links that name it.
type HostSpec struct {
	Pos  Pos
	Name string
	// Forwarding makes the host a router (Host.SetForwarding).
	Forwarding bool
	// Routes are added after every link is connected.
	Routes []RouteSpec
	// Loopback, if set, configures the host's loopback link (its delay
	// stays netsim.DefaultLoopbackDelay unless it names one).
	Loopback *ImpairSpec
}

// RouteSpec (keys to, via) is Host.AddRoute(To, Via): To is a CIDR or
// "default" (IPv4) / "default6" (IPv6).
type RouteSpec struct {
	Pos     Pos
	To, Via string
}

// SwitchSpec (key name) is one Ethernet switch.
type SwitchSpec struct {
	Pos  Pos
	Name string
}

// LinkSpec (keys name, a, b, both, ab, ba) joins two ends.
type LinkSpec struct {
	Pos  Pos
	Name string
	A, B EndSpec
	// Both applies to both directions; AB and BA are merged over it
	// (a field set in AB wins over the same field in Both).
	Both, AB, BA ImpairSpec
}

// EndSpec is one end of a link: a host's interface (keys host, iface,
// addrs; iface defaults to eth0, eth1, ... in the order the host's links
// appear) or a switch port (key switch).
type EndSpec struct {
	Pos    Pos
	Host   string
	Iface  string
	Addrs  []string // CIDR, e.g. 10.0.0.1/24, fd00::1/64
	Switch string
}

// ImpairSpec is a partial netsim.LinkConfig: only the fields the file
// sets (keys delay, jitter, loss, loss_burst, dup, reorder, corrupt, rate,
// queue, mtu, down). Durations are Go/units strings ("10ms", "1.5s");
// probabilities "2%" or 0.02; rate "10Mbit" (tc's units); mtu, queue
// integers; loss_burst a number; down a bool. Merge applies it.
type ImpairSpec struct {
	Pos                                    Pos
	Delay, Jitter                          *time.Duration
	Loss, LossBurst, Dup, Reorder, Corrupt *float64
	Rate                                   *int64
	Queue, MTU                             *int
	Down                                   *bool
}

// Merge returns c with every field i sets replaced.
func (i ImpairSpec) Merge(c netsim.LinkConfig) netsim.LinkConfig {
	if i.Delay != nil {
		c.Delay = *i.Delay
	}
	if i.Jitter != nil {
		c.Jitter = *i.Jitter
	}
	if i.Loss != nil {
		c.Loss = *i.Loss
	}
	if i.LossBurst != nil {
		c.LossBurst = *i.LossBurst
	}
	if i.Dup != nil {
		c.Dup = *i.Dup
	}
	if i.Reorder != nil {
		c.Reorder = *i.Reorder
	}
	if i.Corrupt != nil {
		c.Corrupt = *i.Corrupt
	}
	if i.Rate != nil {
		c.Rate = *i.Rate
	}
	if i.Queue != nil {
		c.Queue = *i.Queue
	}
	if i.MTU != nil {
		c.MTU = *i.MTU
	}
	if i.Down != nil {
		c.Down = *i.Down
	}
	return c
}

// EventSpec (keys at, link, both, ab, ba) changes a link at virtual time
// At after the start: each direction's current configuration gets the
// fields set merged over it (down: true is a partition, down: false heals
// it, keeping the delay and the rest).
type EventSpec struct {
	Pos          Pos
	At           time.Duration
	Link         string // a link's name or "HOST:lo"
	Both, AB, BA ImpairSpec
}

// ProgramSpec (keys host, name, start, steps) is one task: its steps run
// in order on Host, from virtual time Start. Name (default: the host's
// name, then "HOST#2", ...) prefixes what the program prints and names it
// in errors.
type ProgramSpec struct {
	Pos   Pos
	Host  string
	Name  string
	Start time.Duration
	Steps []Step
}

// StepKind is what a step does; the YAML key of a step is its kind.
type StepKind string

// The step kinds. Each step is a one-key mapping, `- send: {...}`, whose
// value's keys are the Step fields listed beside the kind; "sock" (the
// socket acted on) defaults to the program's last opened socket of the
// right kind, and "as" names the socket a step opens.
const (
	StepListen   StepKind = "listen"   // addr, backlog, as: a TCP listener
	StepAccept   StepKind = "accept"   // sock (a listener), timeout, as
	StepConnect  StepKind = "connect"  // to, from (local "ip:port" or ":port"), timeout, as; proto tcp
	StepBind     StepKind = "bind"     // addr, to (connected UDP), as: a UDP socket
	StepSend     StepKind = "send"     // sock, data, to (UDP unconnected), repeat, pause
	StepRecv     StepKind = "recv"     // sock, bytes | until_eof | datagrams, timeout, retries (UDP), expect (data)
	StepSleep    StepKind = "sleep"    // for
	StepShutdown StepKind = "shutdown" // sock: half-close, shutdown(SHUT_WR)
	StepClose    StepKind = "close"    // sock
	StepAbort    StepKind = "abort"    // sock: RST (SO_LINGER 0, then close)
	StepSet      StepKind = "set"      // sock, no_delay, read_buffer, write_buffer, keep_alive, ttl
	StepTLS      StepKind = "tls"      // sock, role (client|server), server_name, alpn: wraps the connection
	StepPrint    StepKind = "print"    // text: a line of output
)

// Step is one step of a program. Which fields apply depends on Kind (see
// the StepKind constants); Parse rejects the others.
type Step struct {
	Pos  Pos
	Kind StepKind
	// Sock is the socket acted on ("" means the default); As names the
	// socket the step opens.
	Sock, As string
	// Addr is listen's and bind's local address ("127.0.0.1:24000",
	// ":80", "[::]:53"); To is connect's and send's remote address
	// ("HOST:PORT" with a host's name, or "IP:PORT"); From is connect's
	// local address.
	Addr, To, From string
	// Backlog is listen's accept queue, this listener's own
	// (Host.ListenBacklog); 0: Options.ListenBacklog.
	Backlog int
	// Timeout bounds accept, connect and recv in virtual time (0: none).
	Timeout time.Duration
	// Data is what send sends and recv expects (nil: recv expects nothing
	// in particular).
	Data *Data
	// Repeat sends Data that many times (default 1), Pause apart.
	Repeat int
	Pause  time.Duration
	// Recv: Bytes reads exactly that many bytes (TCP); UntilEOF reads to
	// the end; Datagrams reads that many datagrams (UDP, default 1).
	Bytes     int64
	UntilEOF  bool
	Datagrams int
	// Retries, on a UDP recv with a Timeout: each time Timeout passes
	// with a datagram still missing, the data the program last sent on
	// the socket is sent again, to the same address, and the step waits
	// another Timeout; after Retries such resends it fails (a client's
	// retry, as a DNS resolver's).
	Retries int
	// Sleep's duration.
	For time.Duration
	// Set's options; nil leaves one alone.
	NoDelay                 *bool
	ReadBuffer, WriteBuffer *int
	KeepAlive               *time.Duration // 0 turns keep-alive off
	TTL                     *int
	// TLS: Role is "client" or "server"; ServerName is the client's SNI
	// and the name in the server's certificate (default "netsim.test");
	// ALPN is the offered or accepted protocols.
	Role       string
	ServerName string
	ALPN       []string
	// Print's text.
	Text string
	// ExpectError, if not empty, makes the step succeed only when it
	// fails with an error whose text contains it ("connection refused",
	// "timeout"); the run goes on.
	ExpectError string
}

// Data is bytes to send, written in a file in one of these forms (one
// key): text (a string with Go/C escapes: "GET / HTTP/1.1\r\n\r\n"), hex
// ("2c 37 42", spaces allowed), file (a path relative to the scenario
// file's directory), random (N bytes drawn from the scenario's seed).
type Data struct {
	Pos    Pos
	Text   *string
	Hex    *string
	File   *string
	Random *int64
	// Bytes is the resolved content (Parse fills it: text unescaped, hex
	// decoded, file read, random drawn from the seed and the step's place).
	Bytes []byte
}

// ExpectSpec (keys filters, received, sha256) is what a run must show.
type ExpectSpec struct {
	Pos Pos
	// Filters are display filters with a frame count condition.
	Filters []FilterExpect
	// Received are bytes received per socket.
	Received []ReceivedExpect
	// SHA256 is the capture's sha256 in hex.
	SHA256 string
}

// FilterExpect is one display filter and the count of frames it must
// select. In YAML it is one entry of the mapping under expect.filters:
// `"tcp.flags.fin == 1": 2` (exactly 2 frames) or
// `tcp.analysis.retransmission: ">= 1"` (Op is one of == != < <= > >=).
type FilterExpect struct {
	Pos    Pos
	Filter string
	Op     string
	Count  int
}

// ReceivedExpect (keys program, sock, bytes) is a count of bytes a
// socket received over the run, compared for equality.
type ReceivedExpect struct {
	Pos     Pos
	Program string
	Sock    string
	Bytes   int64
}
