package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"slices"
	"strings"
	"time"

	"netsim.dev/internal/units"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/proc"
	"netsim.dev/netsim/scenario"
)

const execUsage = `Usage: netsim exec [flags] -- [NAME][@HOST][+TIME]: PROGRAM [ARGS...] [-- ...]

Runs your own programs (Python scripts, unmodified) as processes whose
sockets, clocks and random numbers are netsim's: their TCP and UDP cross
the simulated network, every frame goes to the capture, time.sleep and
socket timeouts take virtual time, and the same command gives the same
capture, byte for byte, on every run. No root, no host network: a seccomp
filter refuses every socket but AF_UNIX to the programs themselves.

Programs are separated by --. An optional first word NAME@HOST+TIME:
(each part optional, the colon not) names the process (default: the
script's name), puts it on a host of the network (default: the first),
and starts it TIME of virtual time after the start (default: at once).
Each line a process prints is prefixed with its name. The run ends when
every process has exited; a server that never ends (serve_forever) is
named with --daemon: once the others have exited, it is killed. netsim
exits with the status of the first process that failed, or 1 if the run
deadlocked (naming each process and the call it waits in) or a process
kept control (--watchdog) without a call to netsim.

The network: without --net, the book's one machine, localhost (the
book's scripts on 127.0.0.1 give the captures of 'netsim run tcp' and
'netsim run udp'); when a process names a host, two hosts, client
(10.0.0.1, fd00::1) and server (10.0.0.2, fd00::2), on one link. --net
takes a scenario file or a shipped scenario's name: its network, its
programs (a file may have none) and its expectations.

What the programs can use: socket (AF_INET, AF_INET6; SOCK_STREAM,
SOCK_DGRAM), bind, listen, accept, connect (timeouts included),
send/sendall/sendto, recv (MSG_WAITALL, MSG_PEEK), recvfrom, recv_into,
shutdown, setsockopt (TCP_NODELAY, SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE,
SO_LINGER, IP_TTL applied; SO_REUSEADDR accepted), makefile,
create_connection, create_server, socketserver, getaddrinfo (the
network's host names), time, datetime, random and os.urandom (seeded).
Threads, fork, subprocess, select/selectors/asyncio and non-blocking
sockets raise an error at their first use.

Examples:
  netsim exec -w book.pcap -- python3 tcp_recv.py -- python3 tcp_send.py
  netsim exec -w udp.pcap -- python3 udp_recv.py -- python3 udp_send.py
  netsim exec --loss 20% -- python3 tcp_recv.py -- +1s: python3 tcp_send.py 3
  netsim exec -w pair.pcapng --daemon srv -- srv@server: python3 srv.py -- @client: python3 cli.py server
  netsim exec --net my.yaml -w my.pcapng -- @router: python3 probe.py

Flags:
`

// execFlags are the flags of netsim exec.
type execFlags struct {
	fs                      *flag.FlagSet
	out, format, ifaces     string
	net                     string
	seed                    int64
	link                    netsim.LinkConfig
	delay, jitter, watchdog time.Duration
	quiet, noSandbox        bool
	noExpect, explain       bool
	lang                    string
	daemons                 []string
}

func newExecFlags() *execFlags {
	f := &execFlags{fs: flag.NewFlagSet("exec", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.out, "w", "", "write the capture to `FILE` (- for standard output), as netsim run does")
	fs.StringVar(&f.format, "F", "", "capture `format`: pcap or pcapng (default: pcapng if FILE ends in .pcapng, else pcap; a scenario's own)")
	fs.StringVar(&f.ifaces, "i", "", "capture only the link(s) `NAME[,NAME]`, or all (pcapng)")
	fs.StringVar(&f.net, "net", "", "the network: a scenario `FILE.yaml` or a shipped scenario's name (default: the book's localhost, or client and server)")
	fs.Int64Var(&f.seed, "seed", 0, "seed for every random choice, the programs' random and os.urandom included (default: a scenario's own, else 0)")
	duration := func(name, usage string, d *time.Duration) {
		fs.Var(&funcValue{"0s", func(s string) (err error) { *d, err = units.Duration(s); return }}, name, usage)
	}
	duration("delay", "link: one-way delay (20ms)", &f.delay)
	duration("jitter", "link: delay varies by up to ± this much", &f.jitter)
	fs.Var(&funcValue{"0%", func(s string) (err error) { f.link.Loss, err = units.Percent(s); return }}, "loss", "link: probability a frame is lost (2%)")
	fs.Var(&funcValue{"", func(s string) (err error) { f.link.Rate, err = parseRate(s); return }}, "rate", "link: rate in bit/s (10Mbit)")
	fs.Var(&funcValue{"30s", func(s string) (err error) {
		if f.watchdog, err = units.Duration(s); err == nil && f.watchdog <= 0 {
			err = errors.New("must be positive")
		}
		return
	}}, "watchdog", "wall time a process may go without a call to netsim before it is killed")
	fs.Func("daemon", "servers that never end (processes `NAME[,NAME]`): once the others have exited, they are killed and their sockets closed", func(s string) error {
		f.daemons = append(f.daemons, strings.Split(s, ",")...)
		return nil
	})
	fs.BoolVar(&f.quiet, "q", false, "print nothing but errors and the programs' output")
	fs.BoolVar(&f.noSandbox, "no-sandbox", false, "do not install the seccomp filter that refuses the programs every socket but AF_UNIX")
	fs.BoolVar(&f.noExpect, "no-expect", false, "--net: do not check the scenario's expectations")
	fs.BoolVar(&f.explain, "explain", false, "a comment on every frame saying why it was sent (pcapng)")
	fs.StringVar(&f.lang, "lang", "", "the explanations' `language`: en (default) or ru")
	return f
}

// cmdExec runs programs as processes over the simulated network.
func cmdExec(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newExecFlags()
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "netsim exec: "+format+"\n", a...)
		return 2
	}
	err := f.fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, execUsage)
		printDefaults(stdout, f.fs)
		return 0
	}
	if err != nil {
		return fail("%s (netsim exec -h lists the flags)", flagError(err, f.fs))
	}
	if msg := repeatedFlag(f.fs, args, "daemon"); msg != "" {
		return fail("%s", msg)
	}
	// flag stops at the first "--" and drops it; anything before it that is
	// not a flag is a mistake.
	if n := len(args) - len(f.fs.Args()); n == 0 || args[n-1] != "--" {
		if f.fs.NArg() > 0 {
			return fail("unexpected argument %q: the programs come after --", f.fs.Arg(0))
		}
		return fail("no program: netsim exec [flags] -- PROGRAM [ARGS...] [-- PROGRAM ...]")
	}
	procs, err := proc.ParseArgs(f.fs.Args())
	if err != nil {
		return fail("%s", strings.TrimPrefix(err.Error(), "proc: bad process list: "))
	}
	names, err := proc.Names(procs)
	if err != nil {
		return fail("%s", strings.TrimPrefix(err.Error(), "proc: "))
	}
	for _, d := range f.daemons {
		i := slices.Index(names, d)
		if i < 0 {
			return fail("--daemon %s: no such process (processes: %s)", d, strings.Join(names, ", "))
		}
		procs[i].Daemon = true
	}
	for i, p := range procs {
		// Found before the run starts, with the shell's status (127 not
		// found, 126 not executable), rather than by the launcher in the
		// run, which would add a hint about Python that does not apply.
		if _, err := osexec.LookPath(p.Argv[0]); err != nil {
			code, why := 126, err
			var ee *osexec.Error
			if errors.As(err, &ee) {
				why = ee.Err // not its "exec: NAME: "
			}
			if errors.Is(err, osexec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
				code, why = 127, errors.New("not found")
				if !strings.Contains(p.Argv[0], "/") {
					why = errors.New("not found in $PATH")
				}
			}
			fmt.Fprintf(stderr, "netsim exec: process %s: %s: %v\n", names[i], p.Argv[0], why)
			return code
		}
	}
	if !slices.ContainsFunc(procs, func(p proc.Process) bool { return !p.Daemon }) {
		return fail("--daemon names every process: the run would never end (a daemon is killed once the others have exited)")
	}
	switch {
	case f.format != "" && f.format != "pcap" && f.format != "pcapng":
		return fail("-F %q: pcap or pcapng", f.format)
	case f.lang != "" && f.lang != "en" && f.lang != "ru":
		return fail("--lang %q: en or ru", f.lang)
	case f.fs.Lookup("w").Value.String() == "" && visited(f.fs)["w"]:
		return fail("-w \"\": empty")
	}
	f.link.Delay, f.link.Jitter = f.delay, f.jitter
	if err := f.link.Validate(); err != nil {
		return fail("%s", linkFlagError(err))
	}
	cfg := proc.Config{Stdout: stdout, Stderr: stderr, Watchdog: f.watchdog, Seed: f.seed}
	if !f.noSandbox {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "netsim exec: the seccomp launcher: %v (--no-sandbox runs without it)\n", err)
			return 1
		}
		cfg.Launcher = exe
	}
	if sameFile(f.out, f.net) {
		return fail("-w %s: is the scenario file --net reads (%s); write the capture to another file", f.out, f.net)
	}
	var s *scenario.Scenario
	if f.net != "" {
		var code int
		if s, code = loadExecNet(f.net, stderr); code >= 0 {
			return code
		}
	}
	rf := &runFlags{cmd: "exec", out: f.out, quiet: f.quiet, ifaces: f.ifaces, format: f.format}
	if f.format == "pcap" && (f.ifaces == "all" || strings.Contains(f.ifaces, ",")) {
		return rf.pcapOneLink(false, stderr)
	}
	capW, progOut, out, listing, code := rf.openCapture(stdout, stderr, stdout)
	if code >= 0 {
		return code
	}
	if out != nil {
		defer out.abort()
	}
	cfg.Stdout = progOut
	ctx, stopSignals := onSignal(out)
	defer stopSignals()

	format := capture.PCAP
	if f.format == "pcapng" || f.format == "" && (strings.HasSuffix(f.out, ".pcapng") || f.explain || f.ifaces == "all") {
		format = capture.PCAPNG
	}
	var ifaces []string
	if f.ifaces != "" && f.ifaces != "all" {
		ifaces = strings.Split(f.ifaces, ",")
	}
	start := time.Now()
	var st netsim.Stats
	label := "exec"
	if s == nil {
		pair := false
		for _, p := range procs {
			pair = pair || p.Host != "" && p.Host != proc.BookHost
		}
		var n *netsim.Network
		n, err = proc.DefaultNetwork(netsim.Options{Seed: f.seed, Capture: capW, CaptureFormat: format,
			CaptureInterfaces: ifaces, Explain: f.explain, Language: f.lang}, pair, f.link)
		if err != nil {
			fmt.Fprintf(stderr, "netsim exec: %v\n", oneLine(err))
			return 1
		}
		_, err = proc.Run(ctx, n, cfg, procs...)
		st = n.Stats()
	} else {
		label = scenarioLabel(target{file: f.net}, s)
		o := f.scenarioOptions(format, ifaces)
		o.Capture, o.Out, o.Context = capW, progOut, ctx
		var res *scenario.Result
		res, _, err = proc.RunScenario(s, o, cfg, procs...)
		if res != nil {
			st = res.Stats
		}
	}
	wall := time.Since(start)
	if sig, ok := interruptedBy(ctx, err); ok {
		return interrupted(sig, st, rf, out, listing, stdout, stderr)
	}
	if werr := out.writeErr(); werr != nil {
		return rf.outputFailed(werr, st, out, stderr)
	}
	var ee *proc.ExitError
	var unmet *scenario.UnmetError
	code = 0
	switch {
	case err == nil:
	case errors.As(err, &unmet):
		code = 1
		fmt.Fprintf(stderr, "netsim exec: %s\n", unmetLine(s, unmet))
	case errors.Is(err, proc.ErrNoHost), errors.Is(err, proc.ErrStart):
		if out != nil {
			out.abort()
		}
		fmt.Fprintf(stderr, "netsim exec: %s\n", strings.TrimPrefix(oneLine(err), "proc: "))
		return 2
	case errors.As(err, &ee):
		// A program's failure is the programs': the run went to its end.
		code = ee.Code
		fmt.Fprintf(stderr, "netsim exec: %s\n", oneLine(err))
	default:
		if out != nil {
			out.abort() // the run did not end: the target stays as it was
		}
		fmt.Fprintf(stderr, "netsim exec: %s\n", oneLine(err))
		return 1
	}
	if out != nil {
		if err := out.commit(); err != nil {
			fmt.Fprintf(stderr, "netsim exec: %v\n", err)
			return 1
		}
	}
	if listing != nil && !f.quiet {
		if err := printListing(stdout, listing, f.explain); err != nil {
			fmt.Fprintf(stderr, "netsim exec: %v\n", err)
			return 1
		}
	}
	if !f.quiet && code == 0 {
		printStats(stderr, label, st, rf.counted.Frames(), wall, f.out != "")
	}
	return code
}

// scenarioOptions turns the flags the user set into a scenario's
// overrides.
func (f *execFlags) scenarioOptions(format capture.Format, ifaces []string) scenario.RunOptions {
	o := scenario.RunOptions{NoExpect: f.noExpect, Lang: f.lang}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "F":
			o.Format = &format
		case "w":
			if strings.HasSuffix(f.out, ".pcapng") {
				o.Format = &format
			}
		case "i":
			o.Links = ifaces
			if ifaces == nil {
				o.Links = []string{} // all
			}
		case "seed":
			o.Seed = &f.seed
		case "delay":
			o.Impair.Delay = &f.delay
		case "jitter":
			o.Impair.Jitter = &f.jitter
		case "loss":
			o.Impair.Loss = &f.link.Loss
		case "rate":
			o.Impair.Rate = &f.link.Rate
		case "explain":
			o.Explain = &f.explain
		}
	})
	return o
}

// loadExecNet reads --net: a shipped scenario's name or a file, which may
// have no programs. It returns an exit status, or -1.
func loadExecNet(name string, stderr io.Writer) (*scenario.Scenario, int) {
	if sh, ok := lookupShipped(name); ok && !strings.ContainsAny(name, "/.") {
		s, err := sh.load()
		if err != nil {
			fmt.Fprintf(stderr, "netsim exec: --net %s: %v\n", name, oneLine(err))
			return nil, 1
		}
		return s, -1
	}
	src, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "netsim exec: --net %s: %v (a scenario file, or one of %s)\n", name, pathErr(err), shippedNames())
		return nil, 2
	}
	s, err := scenario.ParseNetwork(name, src)
	if err != nil {
		lines, _ := parseErrorLines(err)
		for _, line := range lines {
			fmt.Fprintln(stderr, line)
		}
		return nil, 2
	}
	return s, -1
}
