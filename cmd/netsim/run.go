package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"netsim.dev/demo"
	"netsim.dev/internal/units"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

const runUsage = `Usage: netsim run DEMO|SCENARIO|FILE.yaml|- [-w FILE] [flags]

Runs a demo, a shipped scenario or a scenario file (- reads one from
standard input) over the virtual network and writes every frame to a
capture file (without -w, lists the frames as tshark would). The same
file and flags give the same capture, byte for byte, on any machine.

A scenario file describes hosts, links, programs and expectations in YAML
('netsim help scenario' lists every key). A run fails (exit 1) with one
line naming the first expectation the run did not meet, and still writes
the capture: it is the evidence. --no-expect skips the expectations.
Parse errors are listed one per line as FILE:LINE:COL: (exit 2), and then
nothing is written. An argument is a file if it ends in .yaml or .yml,
contains a /, or is neither a demo's nor a shipped scenario's name but
names a file.

Examples:
  netsim run tcp                             the book's TCP exchange, listed
  netsim run tcp -w tcp.pcap                 the same, captured to tcp.pcap
  netsim run tcp -w - | tshark -r -          pipe the capture to tshark
  netsim run udp --payload 68656c6c6f -w udp.pcap
  netsim run tcp --loss 20% --seed 72 -w lossy.pcapng
  netsim run transfer --size 1MiB --delay 20ms --loss 2% -w t.pcapng
  netsim run transfer --hops 2 -6 --mtu 1280 -w routed.pcapng
  netsim run transfer --delay 10ms --partition 100ms-2s -w healed.pcapng
  netsim run tcp-refused -w rst.pcapng       a shipped scenario ('netsim list')
  netsim run tcp-rto --explain               each frame with why it was sent (--lang ru)
  netsim run my.yaml -w my.pcapng            a scenario file
  netsim run - -w out.pcap < my.yaml         the same, from standard input
  netsim run my.yaml --seed 7 --loss 5%      override the file's seed, impair every link

'netsim list' names the demos and the flags each takes, and the shipped
scenarios. Link flags apply to every link, both directions (on the book's
demos: to the loopback interface; on a scenario: over the file's own
settings, loopbacks included). A scenario takes -w -F -i --seed -q
--no-expect --explain --lang, --ladder -o --ladder-notes --ladder-width
and the link flags (--partition: every link and loopback, after the
file's own events). Ctrl-C (or SIGTERM, SIGHUP) stops a run and keeps the
frames captured so far, as a valid capture under FILE.

Flags:
`

// runFlags are the flags of netsim run.
type runFlags struct {
	fs            *flag.FlagSet
	counted       *frameCounter // the capture's frames, for the summary
	out, format   string
	ifaces        string
	seed          int64
	port, writes  int
	payload       []byte
	size          int64
	conns, hops   int
	ipv6, quiet   bool
	link          netsim.LinkConfig
	delay, jitter time.Duration
	partition     [2]time.Duration
	noExpect      bool
	explain       bool        // --explain (explainSet: given at all)
	lang          string      // --lang
	explained     bool        // the run explains its frames (the listing shows them)
	ladder        ladderFlags // --ladder, -o (run only): ladder.go

	cmd    string // "run" or "check", for messages
	usage  string // printed by -h, before the flags
	target target // what the command runs, once parse has found it
}

// newRunFlags returns the flags of netsim run, or of netsim check (cmd
// "check"), which takes the same.
func newRunFlags(cmd string) *runFlags {
	f := &runFlags{fs: flag.NewFlagSet(cmd, flag.ContinueOnError), payload: demo.DefaultPayload, cmd: cmd, usage: runUsage}
	if cmd == "check" {
		f.usage = checkUsage
	}
	fs := f.fs
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.out, "w", "", "write the capture to `FILE` (- for standard output): a regular file is replaced when the run ends, keeping its mode; a device, a FIFO or /dev/fd/N is written in place")
	fs.StringVar(&f.format, "F", "", "capture `format`: pcap or pcapng (default: a scenario's own; for a demo, pcapng if FILE ends in .pcapng, else pcap)")
	fs.StringVar(&f.ifaces, "i", "", "capture only the link(s) `NAME[,NAME]`, or all (pcapng) (default: a scenario's own; for a demo, the client's link, the loopback on the book's demos)")
	fs.Int64Var(&f.seed, "seed", 0, "seed for every random choice (ephemeral ports, ISNs, losses; default: a scenario's own, else 0)")
	fs.IntVar(&f.port, "port", demo.DefaultPort, "the receiver's `port`")
	fs.Var(&funcValue{hex.EncodeToString(demo.DefaultPayload), func(s string) error {
		b, err := hex.DecodeString(strings.NewReplacer(":", "", " ", "").Replace(s))
		if err != nil {
			return errors.New("not hex (like 2c3742)")
		}
		if len(b) == 0 {
			return errors.New("empty")
		}
		f.payload = b
		return nil
	}}, "payload", "what the sender sends, as `hex`")
	fs.IntVar(&f.writes, "writes", 3, "how many writes the sender makes")
	fs.Var(&funcValue{"1MiB", func(s string) (err error) { f.size, err = units.Size(s); return }}, "size", "bytes per connection (1MiB, 64KiB, 1500)")
	fs.IntVar(&f.conns, "conns", 1, fmt.Sprintf("connections opened at once (at most %d; one client address per %d, the ephemeral ports of an address)", demo.MaxConns, demo.ConnsPerAddr))
	fs.IntVar(&f.hops, "hops", 1, "links between client and server (2 puts a router between them)")
	fs.BoolVar(&f.ipv6, "6", false, "run over IPv6")
	duration := func(name, usage string, d *time.Duration) {
		fs.Var(&funcValue{"0s", func(s string) (err error) { *d, err = units.Duration(s); return }}, name, usage)
	}
	duration("delay", "link: one-way delay (20ms)", &f.delay)
	duration("jitter", "link: delay varies by up to ± this much; frames may then be reordered, as with netem", &f.jitter)
	percent := func(name, usage string, p *float64) {
		fs.Var(&funcValue{"0%", func(s string) (err error) { *p, err = units.Percent(s); return }}, name, usage)
	}
	percent("loss", "link: probability a frame is lost (2%)", &f.link.Loss)
	fs.Float64Var(&f.link.LossBurst, "loss-burst", 0, "link: losses come in bursts of this many frames on average (Gilbert-Elliott)")
	percent("dup", "link: probability a frame is duplicated (1%)", &f.link.Dup)
	percent("reorder", "link: probability a frame skips the link's delay (10µs, or --delay) and overtakes earlier ones (5%)", &f.link.Reorder)
	percent("corrupt", "link: probability a bit of a frame's IP payload is flipped (0.1%)", &f.link.Corrupt)
	fs.Var(&funcValue{"", func(s string) (err error) { f.link.Rate, err = parseRate(s); return }}, "rate", "link: rate in bit/s (10Mbit, 500kbit)")
	fs.IntVar(&f.link.Queue, "queue", 0, "link: frames that may wait for the rate before drop-tail (default 1000)")
	fs.IntVar(&f.link.MTU, "mtu", 0, "link: MTU of Ethernet links (default 1500)")
	fs.Var(&funcValue{"", func(s string) (err error) {
		if strings.HasPrefix(s, "-") { // Span says "FROM: negative"; say what times count from
			return errors.New("a time before the run's start (times count from it: 0 is the start)")
		}
		f.partition, err = units.Span(s)
		return
	}}, "partition", "link: every link is down from `FROM-TO` of virtual time (1s-3s), then comes back")
	fs.BoolVar(&f.quiet, "q", false, "print nothing but errors")
	fs.BoolVar(&f.noExpect, "no-expect", false, "scenarios: do not check the file's expectations (expect:)")
	fs.BoolVar(&f.explain, "explain", false, "a comment on every frame saying why it was sent (pcapng; without -w, under each listed frame); on by default for the book's demos tcp, tcp-multi and udp when the capture is pcapng (--explain=false turns it off)")
	fs.StringVar(&f.lang, "lang", "", "the explanations' `language`: en (default) or ru")
	if cmd == "run" {
		f.ladder.registerRun(fs)
	}
	for _, df := range demoFlags {
		fl := fs.Lookup(df.flag)
		fl.Usage = strings.Join(demoUsers(df.field), ", ") + ": " + fl.Usage
	}
	return f
}

// printFlags lists the flags, for -h: netsim check's only those that
// apply to a scenario and to check.
func (f *runFlags) printFlags(w io.Writer) {
	show := flag.NewFlagSet(f.cmd, flag.ContinueOnError)
	f.fs.VisitAll(func(fl *flag.Flag) {
		if f.cmd == "check" && (fl.Name == "w" || slices.ContainsFunc(demoFlags, func(df demoFlag) bool { return df.flag == fl.Name })) {
			return
		}
		show.Var(fl.Value, fl.Name, fl.Usage)
	})
	printDefaults(w, show)
}

// printDefaults lists fs's flags as flag.PrintDefaults does, but spelled
// as the user types them and as every message of netsim names them
// (--delay, -w), not Go's -delay.
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	fs.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		b.WriteString("  " + dash(fl.Name))
		if name != "" {
			b.WriteString(" " + name)
		}
		if len(fl.Name) == 1 && name == "" {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch def := fl.DefValue; def {
		case "", "0", "false":
		default:
			if g, ok := fl.Value.(flag.Getter); ok {
				if _, isString := g.Get().(string); isString {
					def = strconv.Quote(def)
				}
			}
			fmt.Fprintf(&b, " (default %s)", def)
		}
		b.WriteString("\n")
	})
	io.WriteString(w, b.String())
}

// demoFlag is a flag that sets a field of [demo.Params].
type demoFlag struct{ flag, field string }

// demoFlags are the flags that set a field of [demo.Params] only some demos
// read ([demo.Demo.Uses] says which).
var demoFlags = []demoFlag{
	{"port", "Port"}, {"payload", "Payload"}, {"writes", "Writes"},
	{"size", "Size"}, {"conns", "Conns"}, {"hops", "Hops"}, {"6", "IPv6"},
}

// demoUsers names the demos that read the field of [demo.Params].
func demoUsers(field string) []string {
	var names []string
	for _, d := range demo.List() {
		if slices.Contains(d.Uses, field) {
			names = append(names, d.Name)
		}
	}
	return names
}

// demoFlagNames lists the flags d reads beyond the common ones, as the
// user types them.
func demoFlagNames(d demo.Demo) []string {
	var names []string
	for _, df := range demoFlags {
		if slices.Contains(d.Uses, df.field) {
			names = append(names, dash(df.flag))
		}
	}
	return names
}

// checkDemo checks that every flag the user set is one demo d reads. It
// returns an exit status, or -1.
func (f *runFlags) checkDemo(d demo.Demo, stderr io.Writer) int {
	var unused []string
	f.fs.Visit(func(fl *flag.Flag) {
		for _, df := range demoFlags {
			if df.flag == fl.Name && !slices.Contains(d.Uses, df.field) {
				unused = append(unused, fmt.Sprintf("%s is not used by demo %s (only by: %s)",
					dash(fl.Name), d.Name, strings.Join(demoUsers(df.field), ", ")))
			}
		}
		if fl.Name == "no-expect" {
			unused = append(unused, fmt.Sprintf("--no-expect is not used by demo %s (only by scenarios)", d.Name))
		}
	})
	if len(unused) > 0 {
		fmt.Fprintf(stderr, "netsim %s: %s\n", f.cmd, strings.Join(unused, "; "))
		return 2
	}
	return -1
}

// checkTarget finds what name names (see [findTarget]) and checks that
// every flag the user set applies to it. It returns an exit status, or -1.
func (f *runFlags) checkTarget(name string, stderr io.Writer) int {
	t, err := findTarget(name)
	if err != nil {
		fmt.Fprintf(stderr, "netsim %s: %v\n", f.cmd, err)
		return 2
	}
	f.target = t
	if t.demo != nil {
		if f.cmd == "check" {
			fmt.Fprintf(stderr, "netsim check: %s is a demo; check takes a scenario (a FILE.yaml or one of %s)\n", name, shippedNames())
			return 2
		}
		return f.checkDemo(*t.demo, stderr)
	}
	return f.checkScenario(stderr)
}

// parse parses args (the demo's or scenario's name may come first or after
// the flags) and checks every value. It returns the name, or an exit
// status.
func (f *runFlags) parse(args []string, stdout, stderr io.Writer) (string, int) {
	name, rest := splitCommandArg(args)
	err := f.fs.Parse(rest)
	if err == nil && name == "" && f.fs.NArg() > 0 {
		name = f.fs.Arg(0)
		err = f.fs.Parse(f.fs.Args()[1:])
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, f.usage)
		f.printFlags(stdout)
		return "", 0
	}
	fail := func(format string, a ...any) (string, int) {
		fmt.Fprintf(stderr, "netsim "+f.cmd+": "+format+"\n", a...)
		return "", 2
	}
	if err == nil {
		if msg := repeatedFlag(f.fs, args); msg != "" {
			return fail("%s", msg)
		}
		// -w "" is not "no -w", nor -F "" or -i "" their defaults.
		var empty []string
		f.fs.Visit(func(fl *flag.Flag) {
			if (fl.Name == "w" || fl.Name == "F" || fl.Name == "i") && fl.Value.String() == "" {
				empty = append(empty, dash(fl.Name))
			}
		})
		if len(empty) > 0 {
			return fail("%s \"\": empty (netsim %s -h lists the flags)", empty[0], f.cmd)
		}
	}
	if err == nil && f.fs.NArg() == 0 && name != "" {
		// A flag the demo does not read comes before its value's checks.
		if code := f.checkTarget(name, stderr); code >= 0 {
			return "", code
		}
	}
	switch {
	case err != nil:
		return fail("%s (netsim %s -h lists the flags)", flagError(err, f.fs), f.cmd)
	case f.fs.NArg() > 0:
		return fail("unexpected argument %q", f.fs.Arg(0))
	case f.target.demo != nil && f.size == 0 && visited(f.fs)["size"]:
		return fail("--size %s: nothing to send (1 byte or more; without --size, 1MiB)", f.fs.Lookup("size").Value)
	case f.port < 1 || f.port > 65535:
		return fail("--port %d: out of range 1-65535", f.port)
	case f.writes < 1 || f.writes > 1000:
		return fail("--writes %d: out of range 1-1000", f.writes)
	case f.conns < 1 || f.conns > demo.MaxConns:
		return fail("--conns %d: out of range 1-%d (%d ephemeral ports on each of the client's %d possible addresses)", f.conns, demo.MaxConns, demo.ConnsPerAddr, demo.MaxClientAddrs)
	case f.hops < 1 || f.hops > 200:
		return fail("--hops %d: out of range 1-200", f.hops)
	case f.ipv6 && f.link.MTU != 0 && f.link.MTU < 1280:
		return fail("--mtu %d: IPv6 needs at least 1280", f.link.MTU)
	case f.format != "" && f.format != "pcap" && f.format != "pcapng":
		return fail("-F %q: pcap or pcapng", f.format)
	case f.lang != "" && f.lang != "en" && f.lang != "ru":
		return fail("--lang %q: en or ru", f.lang)
	case name == "" && f.cmd == "check":
		return fail("name a scenario: netsim check FILE.yaml|NAME, where NAME is one of %s ('netsim list' says what each does)", shippedNames())
	case name == "":
		return fail("name a demo or a scenario: netsim run NAME|FILE.yaml [-w FILE.pcap], where NAME is a demo (%s) or a scenario (%s) ('netsim list' says what each does)", demoNames(), shippedNames())
	}
	if f.target.demo != nil && slices.Contains(f.target.demo.Uses, "Conns") {
		if msg := connsMemory(f.conns, memAvailable()); msg != "" {
			return fail("%s", msg)
		}
	}
	f.link.Delay, f.link.Jitter = f.delay, f.jitter
	if err := f.link.Validate(); err != nil {
		// LinkConfig.Validate is the one definition of a valid link.
		return fail("%s", linkFlagError(err))
	}
	return name, -1
}

// cmdRun runs a demo or a scenario and writes its capture.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newRunFlags("run")
	name, code := f.parse(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	if file := f.target.file; file != "" {
		for _, o := range []struct{ flag, name string }{{"-w", f.out}, {"-o", *f.ladder.out}} {
			if sameFile(o.name, file) {
				fmt.Fprintf(stderr, "netsim run: %s %s: is the scenario file being run (%s); write to another file\n", o.flag, o.name, file)
				return 2
			}
		}
	}
	if o := *f.ladder.out; o != "" && sameFile(o, f.out) {
		fmt.Fprintf(stderr, "netsim run: -o %s: is the file -w writes the capture to (%s); give the ladder another name\n", o, f.out)
		return 2
	}
	if code, stop := f.ladder.check("run", visited(f.fs), nil, f.out == "-", stdout, stderr); stop {
		return code
	}
	defer f.ladder.abort() // a ladder not written in full leaves nothing behind
	if f.target.demo == nil {
		return runScenario(f, stdin, stdout, stderr)
	}
	d := *f.target.demo // parse checked it

	p := demo.Params{
		Seed: f.seed, Port: f.port, Payload: f.payload, Writes: f.writes,
		Size: f.size, Conns: f.conns, Hops: f.hops, IPv6: f.ipv6, Link: f.link, Partition: f.partition,
		Out: stdout,
	}
	if f.size == 0 {
		p.Size = 1 << 20
	}
	if f.ifaces != "" {
		p.Interfaces = strings.Split(f.ifaces, ",")
	}
	if f.ifaces == "all" && d.Name != "transfer" {
		// transfer takes "all" (its default is the client's link); the
		// book's demos have one link, which no name (nil) captures.
		p.Interfaces = nil
	}
	switch {
	case f.format == "pcapng", f.format == "" && strings.HasSuffix(f.out, ".pcapng"):
		p.Format = capture.PCAPNG
	case f.format == "" && f.out == "" && f.ladder.on():
		p.Format = capture.PCAPNG // its comments say which frames were lost
	case f.format == "" && f.out == "" && (f.ifaces == "all" || strings.Contains(f.ifaces, ",")):
		p.Format = capture.PCAPNG // the listing's own buffer
	case f.ifaces == "all" || strings.Contains(f.ifaces, ","):
		return f.pcapOneLink(false, stderr)
	}
	if f.quiet {
		p.Out = io.Discard
	}
	explain, code := f.explainDemo(d, &p.Format, stderr)
	if code >= 0 {
		return code
	}
	if explain {
		p.Explain, p.Lang = true, f.lang
	}
	f.explained = explain

	capW, progOut, out, listing, code := f.openCapture(stdout, stderr, p.Out)
	if code >= 0 {
		return code
	}
	if out != nil {
		defer out.abort() // whatever happens, no temporary file is left
	}
	p.Capture, p.Out = f.ladder.tee(capW), progOut
	// Signals are caught from here on, not while opening the output: a
	// FIFO without a reader blocks its open, which Ctrl-C must still end.
	ctx, stopSignals := onSignal(out)
	defer stopSignals()
	p.Context = ctx
	start := time.Now()
	st, err := d.Run(p)
	wall := time.Since(start)
	if sig, ok := interruptedBy(ctx, err); ok {
		return interrupted(sig, st, f, out, listing, stdout, stderr)
	}
	if werr := out.writeErr(); werr != nil {
		return f.outputFailed(werr, st, out, stderr)
	}
	if err == nil && out != nil {
		err = out.commit()
	}
	if err != nil {
		if out != nil {
			out.abort()
		}
		fmt.Fprintf(stderr, "netsim run: %v\n", oneLine(err))
		return 1
	}
	if f.ladder.on() { // the ladder instead of the listing
		if listing = nil; f.ladder.write("run", stderr) != 0 {
			return 1
		}
	}
	if listing != nil && !f.quiet {
		if err := printListing(stdout, listing, f.explained); err != nil {
			fmt.Fprintf(stderr, "netsim run: %v\n", err)
			return 1
		}
	}
	if !f.quiet {
		printStats(stderr, name, st, f.counted.Frames(), wall, f.out != "")
	}
	return 0
}

// bookDemos are the demos whose frames are explained by default when the
// capture is pcapng: the book's exchanges, a lesson's material.
var bookDemos = []string{"tcp", "tcp-multi", "udp"}

// explainSet reports whether --explain was given.
func (f *runFlags) explainSet() bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == "explain" })
	return set
}

// explainDemo decides whether demo d's frames are explained: --explain if
// given, else on for the book's demos when the capture is pcapng (-F
// pcapng, -w FILE.pcapng; the listing without -w stays as it was).
// Without -w the listing's capture becomes pcapng (*format) so that it
// can carry them. It returns an exit status, or -1.
func (f *runFlags) explainDemo(d demo.Demo, format *capture.Format, stderr io.Writer) (bool, int) {
	on := f.explain
	if !f.explainSet() {
		on = slices.Contains(bookDemos, d.Name) && *format == capture.PCAPNG
	}
	return on, f.explainFormat(on, format, stderr)
}

// explainFormat checks that explanations (on) go to a pcapng capture: with
// no -w the listing's capture is made pcapng; with -w a pcap capture is an
// error (exit status 2). It returns an exit status, or -1.
func (f *runFlags) explainFormat(on bool, format *capture.Format, stderr io.Writer) int {
	if !on || *format == capture.PCAPNG {
		return -1
	}
	if f.out == "" && f.format == "" {
		*format = capture.PCAPNG // the listing's own buffer
		return -1
	}
	advice := "use -F pcapng, or -w FILE.pcapng"
	if f.format == "" && strings.HasSuffix(f.out, ".pcapng") {
		// A scenario whose file says format: pcap keeps it whatever -w's
		// name: only -F changes it.
		advice = "the scenario's file says format: pcap; use -F pcapng"
	}
	fmt.Fprintf(stderr, "netsim %s: --explain: explanations are pcapng comments, and this capture is pcap (%s)\n", f.cmd, advice)
	return 2
}

// pcapOneLink refuses -i naming several links (all, or a list) for a pcap
// capture: a pcap file has one link type and no interface per frame, and
// the library would capture only the first link that carries a frame.
// fileSaysPcap tells that a scenario's file chose pcap (-w's name does not
// change it). It returns exit status 2.
func (f *runFlags) pcapOneLink(fileSaysPcap bool, stderr io.Writer) int {
	what := "several links take"
	if f.ifaces == "all" {
		what = "every link takes"
	}
	advice := "use -F pcapng, or -w FILE.pcapng"
	if fileSaysPcap && f.format == "" {
		advice = "the scenario's file says format: pcap; use -F pcapng"
	}
	fmt.Fprintf(stderr, "netsim %s: -i %s: %s pcapng (a pcap file holds one link): %s\n", f.cmd, f.ifaces, what, advice)
	return 2
}

// printStats says what a run did: its frames (and, when it holds fewer,
// the capture's: captured, or -1 if unknown) and times, what the links did
// to frames, and, when a capture was written and the network has more than
// one link, which links it holds.
func printStats(w io.Writer, name string, st netsim.Stats, captured int, wall time.Duration, written bool) {
	ratio := ""
	if wall > 0 {
		ratio = fmt.Sprintf(" (simulated/wall %.3g)", st.LastFrame.Seconds()/wall.Seconds())
	}
	frames := fmt.Sprintf("%d frame(s)", st.Frames)
	if captured >= 0 && captured != st.Frames {
		frames = fmt.Sprintf("%d frame(s) on the network, %d captured,", st.Frames, captured)
	}
	fmt.Fprintf(w, "netsim: %s: %s over %v of simulated time, %v wall%s\n",
		name, frames, st.LastFrame, wall.Round(time.Microsecond), ratio)
	for _, d := range st.Impaired {
		fmt.Fprintf(w, "netsim: %s: %d frame(s) sent, %d lost, %d dropped by the queue, %d duplicated, %d reordered, %d corrupted\n",
			d.Dir, d.Sent, d.Lost, d.Dropped, d.Duplicated, d.Reordered, d.Corrupted)
	}
	if written && len(st.Links) > 1 {
		fmt.Fprintf(w, "netsim: captured %s (links: %s; -i NAME picks others, -i all every link in pcapng)\n",
			strings.Join(st.Captured, ", "), strings.Join(st.Links, ", "))
	}
}

// interrupted ends a run that a signal stopped: the frames captured so
// far are written out (a valid capture under the requested name, or the
// listing), stderr says so, and the exit status is the signal's.
func interrupted(sig signalError, st netsim.Stats, f *runFlags, out *output, listing *bytes.Buffer, stdout, stderr io.Writer) int {
	where := f.out
	switch {
	case out != nil:
		if err := out.commit(); err != nil {
			fmt.Fprintf(stderr, "netsim %s: interrupted after %d frames; %v\n", f.cmd, st.Frames, err)
			return sig.exitCode()
		}
		if out.isStdout {
			where = "standard output"
		}
	case listing != nil && f.ladder.on():
		where = "the ladder"
	case listing != nil:
		if !f.quiet {
			printListing(stdout, listing, f.explained)
		}
		where = "the listing"
	}
	if f.ladder.on() && f.ladder.write("run", stderr) != 0 {
		return sig.exitCode()
	}
	fmt.Fprintf(stderr, "netsim %s: interrupted after %d frames; wrote %s (partial)\n", f.cmd, st.Frames, where)
	return sig.exitCode()
}

// outputFailed ends a run that stopped because its capture could not be
// written: a regular file's replacement is dropped (the file stays as it
// was), and stderr says what failed and when. The exit status is 1.
func (f *runFlags) outputFailed(err error, st netsim.Stats, out *output, stderr io.Writer) int {
	out.abort()
	kept := "" // written in place: what was written stays
	if out.target != "" {
		kept = "; nothing written"
		if _, serr := os.Lstat(out.target); serr == nil {
			kept = "; " + out.target + " left as it was"
		}
	}
	fmt.Fprintf(stderr, "netsim %s: -w %s: %v; the run stopped after %d frames%s\n", f.cmd, f.out, pathErr(err), st.Frames, kept)
	return 1
}

// printListing prints a capture's frames, one summary line each, as
// `tshark -r` does; with comments, under each line the frame's comments
// (explanations, the wire's notes), indented, but the machine-readable
// sender state.
func printListing(w io.Writer, capture *bytes.Buffer, comments bool) error {
	r, err := pcapread.NewReader(capture)
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriter(w)
	d := dissect.New()
	d.SetMACNames(dissect.SystemMACNames(), true) // as tshark names them
	err = d.Scan(r, func(p *dissect.Packet) error {
		out.WriteString(dissect.Summary(p))
		out.WriteByte('\n')
		for _, c := range p.Comments {
			if comments && !strings.HasPrefix(c, "tcp sender:") {
				out.WriteString("        " + c + "\n")
			}
		}
		return nil
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
}

// flagError rewrites the flag package's messages in netsim's style, naming
// the flag as the user typed it: `--loss "200%": not between 0% and 100%`.
//
// fs, when given, is the flag set the error came from: an unknown flag
// then names the known one it is a typo of (--sise: did you mean --size?).
func flagError(err error, fs ...*flag.FlagSet) string {
	msg := err.Error()
	if m := invalidValue().FindStringSubmatch(msg); m != nil {
		switch m[3] {
		case "parse error": // strconv's, for an int flag
			m[3] = "not a whole number"
		}
		return fmt.Sprintf("%s %s: %s", dash(m[2]), m[1], m[3])
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if len(fs) > 0 {
			var names []string
			fs[0].VisitAll(func(fl *flag.Flag) {
				if len(fl.Name) > 1 { // not -w, -6: any one letter is one edit from them
					names = append(names, fl.Name)
				}
			})
			if near := nearest(name, names); near != "" {
				return fmt.Sprintf("unknown flag %s (did you mean %s?)", dash(name), dash(near))
			}
		}
		return "unknown flag " + dash(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return dash(name) + " needs a value"
	}
	return msg
}

// dash spells a flag's name as the user types it: -6, --size.
func dash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

var invalidValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^invalid (?:value|boolean value) ("[^"]*") for flag -([^:]+): (.*)$`)
})

// splitCommandArg takes the leading non-flag argument (the demo's name), so
// that both `run tcp -w f` and `run -w f tcp` work.
func splitCommandArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// cmdList names the demos.
func cmdList(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(stdout, "Usage: netsim list\n\nNames the demos and the shipped scenarios that 'netsim run NAME' runs.")
			return 0
		}
		fmt.Fprintf(stderr, "netsim list: unexpected argument %q\n", args[0])
		return 2
	}
	fmt.Fprintln(stdout, "Demos (netsim run DEMO [flags]):")
	listDemos(stdout)
	fmt.Fprintln(stdout, "\nScenarios (netsim run NAME, netsim check NAME; 'netsim help scenario' explains the files):")
	listScenarios(stdout)
	return 0
}

func listDemos(w io.Writer) {
	for _, d := range demo.List() {
		fmt.Fprintf(w, "  %-10s %s", d.Name, d.Summary)
		if flags := demoFlagNames(d); len(flags) > 0 {
			fmt.Fprintf(w, " (flags: %s)", strings.Join(flags, " "))
		}
		fmt.Fprintln(w)
	}
}

func demoNames() string {
	var names []string
	for _, d := range demo.List() {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

// oneLine puts an error's lines on one: "a:\n\tb\nc" is "a: b; c".
func oneLine(err error) string {
	var b strings.Builder
	for i, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case i == 0:
		case strings.HasSuffix(b.String(), ":"):
			b.WriteString(" ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(line)
	}
	return b.String()
}

// openCapture opens where a run's capture goes: -w's output, or, with no
// -w, a buffer whose frames are listed as tshark would list them at the
// end. progOut is where the programs print; it comes back as stderr when
// the capture takes standard output. A code of 0 or more is the exit
// status of a failure, already reported on stderr. The caller defers
// out.abort() when out is not nil, so that no temporary file is left.
func (f *runFlags) openCapture(stdout, stderr, progOut io.Writer) (capW, progOutNow io.Writer, out *output, listing *bytes.Buffer, code int) {
	if f.out == "" {
		listing = new(bytes.Buffer)
		f.counted = &frameCounter{w: listing}
		return f.counted, progOut, nil, listing, -1
	}
	out, err := openOutput(f.out, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "netsim %s: -w %s: %v\n", f.cmd, f.out, err)
		return nil, nil, nil, nil, 1
	}
	if out.isStdout && isTerminal(stdout) {
		// A capture is binary: on a terminal it is noise, and control
		// bytes that may change the terminal's state.
		out.abort()
		fmt.Fprintf(stderr, "netsim %s: -w %s: standard output is a terminal, and a capture is binary: pipe it (-w - | tshark -r -) or name a file\n", f.cmd, f.out)
		return nil, nil, nil, nil, 2
	}
	if out.isStdout && !f.quiet {
		progOut = stderr // keep standard output for the capture
	}
	f.counted = &frameCounter{w: out}
	return f.counted, progOut, out, listing, -1
}
