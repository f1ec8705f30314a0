package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"netsim.dev/internal/units"
	"netsim.dev/netsim/capture"
)

// The tables below are the file's grammar: every key of every mapping,
// how it is read, and what Reference says about it. A key is accepted if
// and only if it is here.

// Limits on what one file may ask for.
const (
	// MaxRandom is the most bytes a `random:` data item may draw: 64 MiB.
	MaxRandom = 64 << 20
	// MaxDataFile is the largest file a `file:` data item may read: 64 MiB.
	MaxDataFile = 64 << 20
	// MaxDataTotal is the most bytes all data items of one scenario may
	// hold together (Parse keeps them in memory): 256 MiB. More data
	// goes out with a send step's repeat, which holds one copy.
	MaxDataTotal = 256 << 20
	// MaxRepeat is the largest repeat count of a send step.
	MaxRepeat = 1_000_000
	// MaxRetries is the most retries of a recv step.
	MaxRetries = 1000
)

var scenarioFields = []field[Scenario]{
	{"name", "string", "the file's name without directory and extension (stdin for -)", "names the scenario (netsim list, messages)",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { p.str(n, k, &s.Name) }},
	{"summary", "string", "", "one sentence: what the scenario shows",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { p.str(n, k, &s.Summary) }},
	{"seed", "integer", "0", "seeds the run: random loss, jitter, ports, ISNs and random data all follow from it",
		func(p *parser, n *yaml.Node, k string, s *Scenario) {
			if v, ok := p.integer(n, k, math.MinInt64, math.MaxInt64); ok {
				s.Seed = v
				p.pos[&s.Seed] = nodePos(n)
			}
		}},
	{"start", "RFC 3339 time", "2000-01-01T00:00:00Z", "the virtual clock's first instant (2024-01-01T00:00:00Z)",
		func(p *parser, n *yaml.Node, k string, s *Scenario) {
			v, ok := p.scalar(n, k, "an RFC 3339 time (2024-01-01T00:00:00Z)")
			if !ok {
				return
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				p.errs.add(nodePos(n), k, "%q is not an RFC 3339 time (2024-01-01T00:00:00Z)", v)
				return
			}
			s.Start = t
			p.pos[&s.Start] = nodePos(n)
		}},
	{"capture", "mapping (capture)", "", "what is written: format, links, snap_len, explain",
		func(p *parser, n *yaml.Node, k string, s *Scenario) {
			s.Capture.Pos = nodePos(n)
			decodeMap(p, n, k, "capture", captureFields, &s.Capture)
		}},
	{"hosts", "sequence of hosts", "", "the hosts, created in this order",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { list(p, n, k, "hosts", &s.Hosts, host) }},
	{"switches", "sequence of switches", "", "the Ethernet switches",
		func(p *parser, n *yaml.Node, k string, s *Scenario) {
			list(p, n, k, "switches", &s.Switches, switchItem)
		}},
	{"links", "sequence of links", "", "the links, each joining two ends (a host's interface or a switch port)",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { list(p, n, k, "links", &s.Links, link) }},
	{"events", "sequence of events", "", "changes to links at given virtual times",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { list(p, n, k, "events", &s.Events, event) }},
	{"programs", "sequence of programs", "required", "what runs: one task per program, started in file order",
		func(p *parser, n *yaml.Node, k string, s *Scenario) { list(p, n, k, "programs", &s.Programs, program) }},
	{"expect", "mapping (expect)", "", "what the run must show; netsim run fails naming the first unmet expectation",
		func(p *parser, n *yaml.Node, k string, s *Scenario) {
			s.Expect.Pos = nodePos(n)
			decodeMap(p, n, k, "expect", expectFields, &s.Expect)
		}},
}

var captureFields = []field[CaptureSpec]{
	{"format", "pcap | pcapng", "pcapng", "the capture's format (the output file's name does not change it)",
		func(p *parser, n *yaml.Node, k string, c *CaptureSpec) {
			v, ok := p.scalar(n, k, "pcap or pcapng")
			if !ok {
				return
			}
			switch v {
			case "pcap":
				c.Format = capture.PCAP
			case "pcapng":
				c.Format = capture.PCAPNG
			default:
				p.errs.add(nodePos(n), k, "%q is not a capture format; want pcap or pcapng", v)
				return
			}
			c.FormatSet = true
			p.pos[&c.Format] = nodePos(n)
		}},
	{"links", "sequence of strings", "every link (pcap: the first that carries a frame)", `the links captured, by name; a host's loopback is "HOST:lo"; one only with format: pcap`,
		func(p *parser, n *yaml.Node, k string, c *CaptureSpec) { p.strList(n, k, &c.Links) }},
	{"snap_len", "integer", "262144", "the snapshot length: frames are cut to this many bytes",
		func(p *parser, n *yaml.Node, k string, c *CaptureSpec) {
			p.intVal(n, k, &c.SnapLen, 1, capture.DefaultSnapLen)
		}},
	{"explain", "boolean", "false", "a comment on every frame saying why it was sent (netsim run --explain; pcapng only)",
		func(p *parser, n *yaml.Node, k string, c *CaptureSpec) {
			p.boolVal(n, k, &c.Explain)
		}},
}

func host(p *parser, n *yaml.Node, k string, h *HostSpec) {
	h.Pos = nodePos(n)
	decodeMap(p, n, k, "a host", hostFields, h)
}

var hostFields = []field[HostSpec]{
	{"name", "string", "required", "the host's name (letters, digits, '.', '-', '_')",
		func(p *parser, n *yaml.Node, k string, h *HostSpec) { p.str(n, k, &h.Name) }},
	{"forwarding", "boolean", "false", "makes the host a router: it forwards packets between its interfaces",
		func(p *parser, n *yaml.Node, k string, h *HostSpec) { p.boolVal(n, k, &h.Forwarding) }},
	{"routes", "sequence of routes", "", "routes added once every link is connected",
		func(p *parser, n *yaml.Node, k string, h *HostSpec) { list(p, n, k, "routes", &h.Routes, route) }},
	{"loopback", "mapping (impairments)", "", "settings of the host's loopback link (its delay stays 10µs unless given)",
		func(p *parser, n *yaml.Node, k string, h *HostSpec) {
			h.Loopback = new(ImpairSpec)
			impair(p, n, k, h.Loopback)
		}},
}

func route(p *parser, n *yaml.Node, k string, r *RouteSpec) {
	r.Pos = nodePos(n)
	decodeMap(p, n, k, "a route", routeFields, r)
}

var routeFields = []field[RouteSpec]{
	{"to", "CIDR | default | default6", "required", "the destination: 10.1.0.0/16, default (0.0.0.0/0) or default6 (::/0)",
		func(p *parser, n *yaml.Node, k string, r *RouteSpec) { p.str(n, k, &r.To) }},
	{"via", "IP address", "required", "the gateway, on one of the host's subnets",
		func(p *parser, n *yaml.Node, k string, r *RouteSpec) { p.str(n, k, &r.Via) }},
}

func switchItem(p *parser, n *yaml.Node, k string, s *SwitchSpec) {
	s.Pos = nodePos(n)
	decodeMap(p, n, k, "a switch", switchFields, s)
}

var switchFields = []field[SwitchSpec]{
	{"name", "string", "required", "the switch's name",
		func(p *parser, n *yaml.Node, k string, s *SwitchSpec) { p.str(n, k, &s.Name) }},
}

func link(p *parser, n *yaml.Node, k string, l *LinkSpec) {
	l.Pos = nodePos(n)
	decodeMap(p, n, k, "a link", linkFields, l)
}

var linkFields = []field[LinkSpec]{
	{"name", "string", "A-B, the names of its ends", `the link's name (capture links, events, the capture's interface names)`,
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { p.str(n, k, &l.Name) }},
	{"a", "mapping (end)", "required", "one end",
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { end(p, n, k, &l.A) }},
	{"b", "mapping (end)", "required", "the other end",
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { end(p, n, k, &l.B) }},
	{"both", "mapping (impairments)", "a perfect cable", "settings of both directions",
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { impair(p, n, k, &l.Both) }},
	{"ab", "mapping (impairments)", "", "settings of the direction a to b, over both's",
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { impair(p, n, k, &l.AB) }},
	{"ba", "mapping (impairments)", "", "settings of the direction b to a, over both's",
		func(p *parser, n *yaml.Node, k string, l *LinkSpec) { impair(p, n, k, &l.BA) }},
}

func end(p *parser, n *yaml.Node, k string, e *EndSpec) {
	e.Pos = nodePos(n)
	decodeMap(p, n, k, "a link end", endFields, e)
}

var endFields = []field[EndSpec]{
	{"host", "string", "", "the host of this end (or give switch)",
		func(p *parser, n *yaml.Node, k string, e *EndSpec) { p.str(n, k, &e.Host) }},
	{"iface", "string", "eth0, eth1, ... in the order the host's links appear", "the host's interface name",
		func(p *parser, n *yaml.Node, k string, e *EndSpec) { p.str(n, k, &e.Iface) }},
	{"addrs", "sequence of CIDRs", "", "the interface's addresses: [10.0.0.1/24, fd00::1/64]",
		func(p *parser, n *yaml.Node, k string, e *EndSpec) { p.strList(n, k, &e.Addrs) }},
	{"switch", "string", "", "the switch of this end (instead of host)",
		func(p *parser, n *yaml.Node, k string, e *EndSpec) { p.str(n, k, &e.Switch) }},
}

func impair(p *parser, n *yaml.Node, k string, i *ImpairSpec) {
	i.Pos = nodePos(n)
	decodeMap(p, n, k, "link settings", impairFields, i)
}

func percentPtr(p *parser, n *yaml.Node, k string, dst **float64) {
	if v, ok := unit(p, n, k, "a probability (2% or 0.02)", units.Percent); ok {
		*dst = &v
		p.pos[dst] = nodePos(n)
	}
}

var impairFields = []field[ImpairSpec]{
	{"delay", "duration", "10µs", "one-way propagation delay",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { p.durationPtr(n, k, &i.Delay) }},
	{"jitter", "duration", "0", "adds a uniform random amount in [-jitter, +jitter] to each frame's delay",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { p.durationPtr(n, k, &i.Jitter) }},
	{"loss", "probability", "0", "probability that a frame is lost (2% or 0.02)",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { percentPtr(p, n, k, &i.Loss) }},
	{"loss_burst", "number", "0", "above 1, losses come in bursts of that many frames on average",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) {
			if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
				if v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
					i.LossBurst = &v
					p.pos[&i.LossBurst] = nodePos(n)
					return
				}
			}
			p.errs.add(nodePos(n), k, "expected a number, got %s", describe(n))
		}},
	{"dup", "probability", "0", "probability that a frame arrives twice",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { percentPtr(p, n, k, &i.Dup) }},
	{"reorder", "probability", "0", "probability that a frame skips the delay and overtakes earlier ones",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { percentPtr(p, n, k, &i.Reorder) }},
	{"corrupt", "probability", "0", "probability that one bit of a frame's IP payload is flipped",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { percentPtr(p, n, k, &i.Corrupt) }},
	{"rate", "rate", "no limit", "the link's rate in tc's units (10Mbit, 500kbit, 64000 bit/s)",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) {
			if v, ok := unit(p, n, k, "a rate (10Mbit)", units.Rate); ok {
				i.Rate = &v
				p.pos[&i.Rate] = nodePos(n)
			}
		}},
	{"queue", "integer", "1000", "frames that may wait when rate is set; more are dropped",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { p.intPtr(n, k, &i.Queue, 0, math.MaxInt32) }},
	{"mtu", "integer", "1500", "the largest IP packet the link carries (576 to 65535)",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { p.intPtr(n, k, &i.MTU, 0, math.MaxInt32) }},
	{"down", "boolean", "false", "drops every frame: a partition (an event with down: false heals it)",
		func(p *parser, n *yaml.Node, k string, i *ImpairSpec) { p.boolPtr(n, k, &i.Down) }},
}

func event(p *parser, n *yaml.Node, k string, e *EventSpec) {
	e.Pos = nodePos(n)
	decodeMap(p, n, k, "an event", eventFields, e)
}

var eventFields = []field[EventSpec]{
	{"at", "duration", "0", "when, in virtual time after the start",
		func(p *parser, n *yaml.Node, k string, e *EventSpec) { p.duration(n, k, &e.At) }},
	{"link", "string", "required", `the link changed: its name, or "HOST:lo"`,
		func(p *parser, n *yaml.Node, k string, e *EventSpec) { p.str(n, k, &e.Link) }},
	{"both", "mapping (impairments)", "", "merged over both directions' current settings",
		func(p *parser, n *yaml.Node, k string, e *EventSpec) { impair(p, n, k, &e.Both) }},
	{"ab", "mapping (impairments)", "", "merged over the direction a to b, after both",
		func(p *parser, n *yaml.Node, k string, e *EventSpec) { impair(p, n, k, &e.AB) }},
	{"ba", "mapping (impairments)", "", "merged over the direction b to a, after both",
		func(p *parser, n *yaml.Node, k string, e *EventSpec) { impair(p, n, k, &e.BA) }},
}

func program(p *parser, n *yaml.Node, k string, g *ProgramSpec) {
	g.Pos = nodePos(n)
	decodeMap(p, n, k, "a program", programFields, g)
}

var programFields = []field[ProgramSpec]{
	{"host", "string", "required", "the host the program runs on",
		func(p *parser, n *yaml.Node, k string, g *ProgramSpec) { p.str(n, k, &g.Host) }},
	{"name", "string", `the host's name, then "HOST#2", ...`, "names the program in its output and in errors",
		func(p *parser, n *yaml.Node, k string, g *ProgramSpec) { p.str(n, k, &g.Name) }},
	{"start", "duration", "0", "when the program starts, in virtual time",
		func(p *parser, n *yaml.Node, k string, g *ProgramSpec) { p.duration(n, k, &g.Start) }},
	{"steps", "sequence of steps", "required", "what the program does, in order; each step is `- KIND: {...}`",
		func(p *parser, n *yaml.Node, k string, g *ProgramSpec) { list(p, n, k, "steps", &g.Steps, step) }},
}

var expectFields = []field[ExpectSpec]{
	{"filters", "mapping of filter to count", "", `display filter: the frames it must select, an integer N (exactly N) or "OP N" with OP one of == != < <= > >= ("tcp.analysis.retransmission": ">= 1")`,
		func(p *parser, n *yaml.Node, k string, e *ExpectSpec) { filterMap(p, n, k, &e.Filters) }},
	{"received", "sequence of mappings", "", "bytes a socket received over the run: {program, sock, bytes}",
		func(p *parser, n *yaml.Node, k string, e *ExpectSpec) {
			list(p, n, k, "received counts", &e.Received, received)
		}},
	{"sha256", "hex string", "", "the capture's SHA-256",
		func(p *parser, n *yaml.Node, k string, e *ExpectSpec) { p.str(n, k, &e.SHA256) }},
}

// filterMap reads expect.filters: a mapping from display filter to frame
// count. (A list of "FILTER OP COUNT" strings read "tcp.flags.fin == 1" as
// the filter tcp.flags.fin with the count == 1: the mapping cannot be
// misread.)
func filterMap(p *parser, n *yaml.Node, k string, dst *[]FilterExpect) {
	if n.Kind != yaml.MappingNode {
		hint := ""
		if n.Kind == yaml.SequenceNode {
			hint = ` (a list is not taken: write "FILTER": COUNT, e.g. "tcp.flags.fin == 1": 2, or tcp.analysis.retransmission: ">= 1")`
		}
		p.errs.add(nodePos(n), k, "expected a mapping of display filter to frame count, got %s%s", describe(n), hint)
		return
	}
	seen := map[string]Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := fmt.Sprintf("%s[%d]", k, i/2)
		f := FilterExpect{Pos: nodePos(kn)}
		s, ok := p.scalar(kn, key, `a display filter ("tcp.flags.reset == 1")`)
		if !ok {
			continue
		}
		f.Filter = strings.TrimSpace(s)
		if f.Filter == "" {
			p.errs.add(nodePos(kn), key, `an empty display filter (for every frame write "frame")`)
			continue
		}
		if prev, dup := seen[f.Filter]; dup {
			p.errs.add(nodePos(kn), key, "filter %q given twice (first at line %d)", f.Filter, prev.Line)
			continue
		}
		seen[f.Filter] = f.Pos
		c, ok := p.scalar(vn, key, `a frame count: N, or "OP N" (">= 1")`)
		if !ok {
			continue
		}
		op, count, err := parseCount(c)
		if err != nil {
			p.errs.add(nodePos(vn), key, "%v", err)
			continue
		}
		f.Op, f.Count = op, count
		*dst = append(*dst, f)
	}
	// Where each filter's own columns start in the file, when its key is
	// written on one line without escapes (p.pos is keyed by address, so
	// this waits for the slice's final array).
	for i := range *dst {
		f := &(*dst)[i]
		if start := p.filterStart(filterKeyNode(n, f.Pos)); start != (Pos{}) {
			s := filterKeyNode(n, f.Pos).Value
			lead := len([]rune(s)) - len([]rune(strings.TrimLeftFunc(s, unicode.IsSpace)))
			p.pos[&f.Filter] = Pos{start.Line, start.Col + lead}
		}
	}
}

// filterKeyNode returns the key node of mapping n at pos.
func filterKeyNode(n *yaml.Node, pos Pos) *yaml.Node {
	for i := 0; i < len(n.Content); i += 2 {
		if nodePos(n.Content[i]) == pos {
			return n.Content[i]
		}
	}
	return &yaml.Node{}
}

// filterStart is the position of the first character of n's value, or the
// zero Pos when columns inside the value do not map to the file's.
func (p *parser) filterStart(n *yaml.Node) Pos {
	text := n.Value
	switch n.Style {
	case 0:
	case yaml.DoubleQuotedStyle:
		text = `"` + text + `"`
	case yaml.SingleQuotedStyle:
		text = "'" + text + "'"
	default:
		return Pos{}
	}
	// The value must be in the file as it is, on one line: no escapes, no
	// folding.
	if n.Line < 1 || n.Line > len(p.ends) || n.Column < 1 {
		return Pos{}
	}
	start := 0
	if n.Line > 1 {
		start = p.ends[n.Line-2]
	}
	line := []rune(string(p.src[start:p.ends[n.Line-1]]))
	if n.Column-1 > len(line) || !strings.HasPrefix(string(line[n.Column-1:]), text) {
		return Pos{}
	}
	if n.Style == 0 {
		return nodePos(n)
	}
	return Pos{n.Line, n.Column + 1}
}

func received(p *parser, n *yaml.Node, k string, r *ReceivedExpect) {
	r.Pos = nodePos(n)
	decodeMap(p, n, k, "a received count", receivedFields, r)
}

var receivedFields = []field[ReceivedExpect]{
	{"program", "string", "required", "the program",
		func(p *parser, n *yaml.Node, k string, r *ReceivedExpect) { p.str(n, k, &r.Program) }},
	{"sock", "string", "required", "the socket, by its name in that program",
		func(p *parser, n *yaml.Node, k string, r *ReceivedExpect) { p.str(n, k, &r.Sock) }},
	{"bytes", "size", "required", "the bytes it received over the whole run (1500, 64KiB)",
		func(p *parser, n *yaml.Node, k string, r *ReceivedExpect) {
			if v, ok := p.size(n, k, 0, units.MaxSize); ok {
				r.Bytes = v
				p.pos[&r.Bytes] = nodePos(n)
			}
		}},
}

// stepKind is what the parser knows of a kind of step: the keys it takes
// (in the order Reference lists them), the key its scalar shorthand sets
// ("close: conn" is "close: {sock: conn}"), and one line of meaning.
type stepKind struct {
	kind  StepKind
	keys  []string
	short string
	doc   string
}

var stepKinds = []stepKind{
	{StepListen, []string{"addr", "backlog", "as", "expect_error"}, "addr", "a TCP listener on addr"},
	{StepAccept, []string{"sock", "timeout", "as", "expect_error"}, "sock", "accepts a connection from a listener"},
	{StepConnect, []string{"to", "from", "timeout", "as", "expect_error"}, "to", "a TCP connection to to"},
	{StepBind, []string{"addr", "to", "as", "expect_error"}, "addr", "a UDP socket on addr (connected if to is given)"},
	{StepSend, []string{"sock", "text", "hex", "file", "random", "to", "repeat", "pause", "expect_error"}, "", "sends data (one of text, hex, file, random) on a connection or UDP socket"},
	{StepRecv, []string{"sock", "bytes", "until_eof", "datagrams", "text", "hex", "file", "random", "timeout", "retries", "expect_error"}, "", "receives bytes, to the end, or datagrams; with data, checks that it gets exactly those bytes"},
	{StepSleep, []string{"for"}, "for", "waits, in virtual time"},
	{StepShutdown, []string{"sock", "expect_error"}, "sock", "half-closes a TCP connection (shutdown(SHUT_WR): a FIN, reading goes on)"},
	{StepClose, []string{"sock", "expect_error"}, "sock", "closes a socket"},
	{StepAbort, []string{"sock", "expect_error"}, "sock", "aborts a TCP connection: a RST (SO_LINGER 0, then close)"},
	{StepSet, []string{"sock", "no_delay", "read_buffer", "write_buffer", "keep_alive", "ttl", "expect_error"}, "", "sets socket options"},
	{StepTLS, []string{"sock", "role", "server_name", "alpn", "expect_error"}, "role", "runs a TLS handshake on a TCP connection, which then carries TLS"},
	{StepPrint, []string{"text"}, "text", "prints a line (prefixed with the program's name)"},
}

func kindOf(k StepKind) *stepKind {
	for i := range stepKinds {
		if stepKinds[i].kind == k {
			return &stepKinds[i]
		}
	}
	return nil
}

func kindNames() []string {
	names := make([]string, len(stepKinds))
	for i, k := range stepKinds {
		names[i] = string(k.kind)
	}
	return names
}

func step(p *parser, n *yaml.Node, k string, st *Step) {
	st.Pos = nodePos(n)
	if n.Kind != yaml.MappingNode {
		p.errs.add(nodePos(n), k, "expected a step, a mapping with one key, its kind (- send: {text: hi}), got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		p.errs.add(nodePos(n), k, "an empty step: a step is one of %s", strings.Join(kindNames(), ", "))
		return
	}
	if len(n.Content) > 2 {
		var kinds, others []string
		for i := 0; i < len(n.Content); i += 2 {
			if kindOf(StepKind(n.Content[i].Value)) != nil {
				kinds = append(kinds, n.Content[i].Value)
			} else {
				others = append(others, n.Content[i].Value)
			}
		}
		if len(kinds) == 1 && len(others) > 0 {
			p.errs.add(nodePos(n.Content[2]), join(k, n.Content[2].Value), "a key beside the step's kind: write it inside the step, - %s: {%s: ...}", kinds[0], n.Content[2].Value)
		} else {
			p.errs.add(nodePos(n), k, "a step does one thing, and this one has %d keys (%s): make each its own \"- \" item", len(n.Content)/2, strings.Join(append(kinds, others...), ", "))
		}
		return
	}
	kn, v := n.Content[0], n.Content[1]
	if kn.Kind != yaml.ScalarNode {
		p.errs.add(nodePos(kn), k, "a step's key is its kind, one of %s; got %s", strings.Join(kindNames(), ", "), describe(kn))
		return
	}
	info := kindOf(StepKind(kn.Value))
	if info == nil {
		p.errs.add(nodePos(kn), join(k, kn.Value), "unknown step%s; a step is one of %s", didYouMean(kn.Value, kindNames()), strings.Join(kindNames(), ", "))
		return
	}
	st.Kind = info.kind
	path := join(k, kn.Value)
	what := string(info.kind)
	nerrs := len(p.errs.errs)
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		// "- close:" is "- close: {}".
	case v.Kind == yaml.ScalarNode:
		if info.short == "" {
			p.errs.add(nodePos(v), path, "expected a mapping of %s's keys (%s), got %s", what, strings.Join(info.keys, ", "), describe(v))
			return
		}
		for _, f := range stepFields {
			if f.key == info.short {
				f.set(p, v, join(path, f.key), st)
			}
		}
	default:
		decodeMap(p, v, path, what, stepFields, st, info.keys...)
	}
	if _, ok := p.pos[&st.For]; st.Kind == StepSleep && !ok && len(p.errs.errs) == nerrs {
		p.errs.add(nodePos(v), join(path, "for"), "missing: how long to sleep (sleep: 50ms)")
	}
}

// data sets one of a step's data keys.
func data(p *parser, n *yaml.Node, k string, st *Step, which string) {
	if st.Data != nil {
		p.errs.add(nodePos(n), k, "a second data key: a step takes one of text, hex, file and random")
		return
	}
	d := &Data{Pos: nodePos(n)}
	switch which {
	case "text":
		v, ok := p.scalar(n, k, "a string")
		if !ok {
			return
		}
		if n.Style&yaml.DoubleQuotedStyle == 0 {
			// YAML applied its escapes to a double-quoted string; the
			// others get the same ones here.
			var err error
			if v, err = unescape(v); err != nil {
				p.errs.add(nodePos(n), k, "%v", err)
				return
			}
		}
		d.Text = &v
	case "hex":
		p.strPtr(n, k, &d.Hex)
		if d.Hex == nil {
			return
		}
	case "file":
		p.strPtr(n, k, &d.File)
		if d.File == nil {
			return
		}
	case "random":
		v, ok := p.size(n, k, 0, MaxRandom)
		if !ok {
			return
		}
		d.Random = &v
	}
	p.pos[d] = nodePos(n)
	st.Data = d
}

var stepFields = []field[Step]{
	{"sock", "string", "the last opened socket (still open) of the kind the step needs", "the socket acted on, by name",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.Sock) }},
	{"as", "string", "ln, ln2, ... (listen); conn, conn2, ... (accept, connect); udp, udp2, ... (bind)", "names the socket the step opens",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.As) }},
	{"addr", "address", "required", `the local address: "127.0.0.1:24000", ":80", "[::]:53"`,
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.Addr) }},
	{"to", "address", "required by connect", `the remote address: "HOST:PORT" with a host's name, or "IP:PORT"; send's to is for an unconnected UDP socket`,
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.To) }},
	{"from", "address", "any", `connect's local address: "IP:PORT" or ":PORT"`,
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.From) }},
	{"backlog", "integer", "netsim's listen backlog", "the listener's accept queue",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.intVal(n, k, &st.Backlog, 1, 65535) }},
	{"timeout", "duration", "none", "fails the step if it has not finished after this much virtual time",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.duration(n, k, &st.Timeout) }},
	{"retries", "integer", "0", "recv on a UDP socket, with a timeout: each time the timeout passes with a datagram missing, sends the program's last data on that socket again and waits again, up to this many times (a client's retry)",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.intVal(n, k, &st.Retries, 1, MaxRetries) }},
	{"text", "string", "", `data as text; Go's escapes apply (\r \n \t \\ \" \xNN \0); print: the line printed`,
		func(p *parser, n *yaml.Node, k string, st *Step) {
			if st.Kind == StepPrint {
				p.str(n, k, &st.Text)
				return
			}
			data(p, n, k, st, "text")
		}},
	{"hex", "string", "", `data in hex, spaces allowed: "2c 37 42"`,
		func(p *parser, n *yaml.Node, k string, st *Step) { data(p, n, k, st, "hex") }},
	{"file", "string", "", `data read from a file, relative to the scenario file's directory`,
		func(p *parser, n *yaml.Node, k string, st *Step) { data(p, n, k, st, "file") }},
	{"random", "size", "", "that many bytes drawn from the seed and the step's place (at most 64MiB; a file's data items hold at most 256MiB in all); send only: a recv cannot check them",
		func(p *parser, n *yaml.Node, k string, st *Step) { data(p, n, k, st, "random") }},
	{"repeat", "integer", "1", "sends the data that many times",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.intVal(n, k, &st.Repeat, 1, MaxRepeat) }},
	{"pause", "duration", "0", "virtual time between two repeated sends",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.duration(n, k, &st.Pause) }},
	{"bytes", "size", "the data's length, if data is given", "reads exactly that many bytes (TCP)",
		func(p *parser, n *yaml.Node, k string, st *Step) {
			if v, ok := p.size(n, k, 1, units.MaxSize); ok {
				st.Bytes = v
				p.pos[&st.Bytes] = nodePos(n)
			}
		}},
	{"until_eof", "boolean", "false", "reads until the peer closes (TCP)",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.boolVal(n, k, &st.UntilEOF) }},
	{"datagrams", "integer", "1 (UDP)", "reads that many datagrams (UDP)",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.intVal(n, k, &st.Datagrams, 1, MaxRepeat) }},
	{"for", "duration", "required", "how long sleep waits",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.duration(n, k, &st.For) }},
	{"no_delay", "boolean", "", "TCP_NODELAY: true turns Nagle's algorithm off",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.boolPtr(n, k, &st.NoDelay) }},
	{"read_buffer", "size", "", "SO_RCVBUF",
		func(p *parser, n *yaml.Node, k string, st *Step) {
			if v, ok := p.size(n, k, 1, math.MaxInt32); ok {
				i := int(v)
				st.ReadBuffer = &i
				p.pos[&st.ReadBuffer] = nodePos(n)
			}
		}},
	{"write_buffer", "size", "", "SO_SNDBUF",
		func(p *parser, n *yaml.Node, k string, st *Step) {
			if v, ok := p.size(n, k, 1, math.MaxInt32); ok {
				i := int(v)
				st.WriteBuffer = &i
				p.pos[&st.WriteBuffer] = nodePos(n)
			}
		}},
	{"keep_alive", "duration", "", "TCP keep-alive period; 0 turns keep-alive off",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.durationPtr(n, k, &st.KeepAlive) }},
	{"ttl", "integer", "", "IP TTL / hop limit of the packets sent (1 to 255)",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.intPtr(n, k, &st.TTL, 1, 255) }},
	{"role", "client | server", "required", "the TLS side this program plays",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.Role) }},
	{"server_name", "string", "netsim.test", "the client's SNI and the name in the server's certificate",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.ServerName) }},
	{"alpn", "sequence of strings", "", "ALPN protocols offered (client) or accepted (server): [h2, http/1.1]",
		func(p *parser, n *yaml.Node, k string, st *Step) { p.strList(n, k, &st.ALPN) }},
	{"expect_error", "string", "", `the step must fail with an error containing this text ("connection refused"); the program goes on`,
		func(p *parser, n *yaml.Node, k string, st *Step) { p.str(n, k, &st.ExpectError) }},
}

// unescape applies Go's escapes to s: \a \b \f \n \r \t \v \\ \' \" \0
// \xNN \uNNNN \UNNNNNNNN.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf(`a lone \ at the end (write \\ for a backslash)`)
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '0':
			b.WriteByte(0)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(s) {
				return "", fmt.Errorf(`\%c needs %d hex digits`, e, n)
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil {
				return "", fmt.Errorf(`\%c%s: needs %d hex digits`, e, s[i:i+n], n)
			}
			if e == 'x' {
				b.WriteByte(byte(v))
			} else {
				if v > 0x10FFFF || (v >= 0xD800 && v < 0xE000) {
					return "", fmt.Errorf(`\%c%s: not a Unicode code point`, e, s[i:i+n])
				}
				b.WriteRune(rune(v))
			}
			i += n
		default:
			return "", fmt.Errorf(`unknown escape \%c (Go's escapes: \r \n \t \\ \" \xNN \0 ...)`, e)
		}
	}
	return b.String(), nil
}
