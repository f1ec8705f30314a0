package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"netsim.dev/demo"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/scenario"
)

const checkUsage = `Usage: netsim check SCENARIO|FILE.yaml|- [flags]

Runs a scenario twice and compares the two captures byte for byte, then
checks the file's expectations against the first run. When the captures
are the same and the expectations met, it prints "FILE: 2 runs, same N
bytes (sha256 ...)" and exits 0; else it names the first frame that
differs, or the expectation not met, and exits 1. A scenario is a shipped
one's name, a file, or - for standard input.

It takes the flags of 'netsim run' that override a scenario (-F -i --seed
--no-expect and the link flags), so that a fixture can be checked under
the conditions it is made with; it writes no capture ('netsim run -w'
does).

Examples:
  netsim check my.yaml
  netsim check my.yaml --seed 7 --loss 2%

Flags:
`

// target is what netsim run or check runs: a demo, or a scenario (a file,
// standard input, or a shipped one).
type target struct {
	name    string     // as the user gave it
	demo    *demo.Demo // a demo, or nil
	file    string     // a scenario file's path, "-" for standard input
	shipped *shippedScenario
}

// findTarget says what name names. "-" is standard input; a name that
// ends in .yaml or .yml, or has a / in it, is a file; then come the
// demos' names, the shipped scenarios' names, and last a file that
// exists (so that a file called tcp does not hide the demo: ./tcp names
// the file).
func findTarget(name string) (target, error) {
	t := target{name: name}
	lower := strings.ToLower(name)
	switch {
	case name == "-":
		t.file = "-"
		return t, nil
	case strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") || strings.Contains(name, "/"):
		t.file = name
		return t, nil
	}
	if d, ok := demo.Lookup(name); ok {
		t.demo = &d
		return t, nil
	}
	if s, ok := lookupShipped(name); ok {
		t.shipped = &s
		return t, nil
	}
	if fi, err := os.Stat(name); err == nil && !fi.IsDir() {
		t.file = name
		return t, nil
	}
	return t, fmt.Errorf("unknown demo or scenario %q (demos: %s; scenarios: %s; or a FILE.yaml)", name, demoNames(), shippedNames())
}

// checkScenario checks that every flag the user set is one a scenario
// takes. It returns an exit status, or -1.
func (f *runFlags) checkScenario(stderr io.Writer) int {
	var unused []string
	f.fs.Visit(func(fl *flag.Flag) {
		for _, df := range demoFlags {
			if df.flag == fl.Name {
				unused = append(unused, fmt.Sprintf("%s is not used by scenarios (only by demos: %s)",
					dash(fl.Name), strings.Join(demoUsers(df.field), ", ")))
			}
		}
		switch {
		case fl.Name == "w" && f.cmd == "check":
			unused = append(unused, "-w is not used by check, which writes nothing ('netsim run -w' writes the capture)")
		}
	})
	if len(unused) > 0 {
		fmt.Fprintf(stderr, "netsim %s: %s\n", f.cmd, strings.Join(unused, "; "))
		return 2
	}
	return -1
}

// endOfInputKeys names the keys that end what a terminal reads.
func endOfInputKeys() string {
	if runtime.GOOS == "windows" {
		return "Ctrl-Z then Enter"
	}
	return "Ctrl-D on a line of its own"
}

// loadScenario reads and parses the scenario f.target names. On failure
// it says why on stderr and returns an exit status: 1 if the file cannot
// be read, 2 for parse errors, each on a line of its own as
// FILE:LINE:COL: what is wrong.
func (f *runFlags) loadScenario(stdin io.Reader, stderr io.Writer) (*scenario.Scenario, int) {
	t := f.target
	var s *scenario.Scenario
	var err error
	switch {
	case t.shipped != nil:
		s, err = t.shipped.load()
	default:
		var src []byte
		if t.file == "-" {
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			if isTerminal(stdin) && !f.quiet {
				// Else a user who typed "-" by mistake sees a run that
				// waits for nothing.
				fmt.Fprintf(stderr, "netsim %s: reading a scenario from standard input (the terminal); end it with %s\n", f.cmd, endOfInputKeys())
			}
			src, err = io.ReadAll(stdin)
		} else {
			src, err = os.ReadFile(t.file)
		}
		if err != nil {
			fmt.Fprintf(stderr, "netsim %s: %s: %v\n", f.cmd, fileLabel(t.file), pathErr(err))
			return nil, 1
		}
		s, err = scenario.Parse(t.file, src)
	}
	if err != nil {
		lines, ok := parseErrorLines(err)
		if !ok {
			// Not the file's fault as the parser sees it (a `file:` data
			// item that cannot be read, ...): one line, as other errors.
			fmt.Fprintf(stderr, "netsim %s: %s: %s\n", f.cmd, scenarioLabel(t, nil), lines[0])
			return nil, 1
		}
		for _, line := range lines {
			fmt.Fprintln(stderr, line)
		}
		return nil, 2
	}
	return s, -1
}

// fileLabel is how messages name a scenario file.
func fileLabel(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// parseErrorLines puts each error of a parse on a line of its own, as
// compilers do: FILE:LINE:COL: what is wrong. It reports false, with the
// error's text as the one line, if err is no [scenario.ErrorList] or
// [*scenario.Error].
func parseErrorLines(err error) ([]string, bool) {
	var list scenario.ErrorList
	var one *scenario.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = scenario.ErrorList{one}
	default:
		return []string{oneLine(err)}, false
	}
	lines := make([]string, 0, len(list))
	for _, e := range list {
		lines = append(lines, errorAt(e.File, e.Pos, oneLine(e)))
	}
	return lines, true
}

// errorAt puts FILE:LINE:COL: in front of msg, unless msg starts with the
// file's name already.
func errorAt(file string, pos scenario.Pos, msg string) string {
	if file != "" && strings.HasPrefix(msg, file+":") {
		return msg
	}
	switch {
	case file == "":
		return msg
	case pos.Line == 0:
		return file + ": " + msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, pos.Line, pos.Col, msg)
}

// runOptions turns the flags the user set into a scenario's overrides.
func (f *runFlags) runOptions() scenario.RunOptions {
	o := scenario.RunOptions{NoExpect: f.noExpect, Partition: f.partition}
	f.fs.Visit(func(fl *flag.Flag) {
		im := &o.Impair
		switch fl.Name {
		case "F":
			format := capture.PCAP
			if f.format == "pcapng" {
				format = capture.PCAPNG
			}
			o.Format = &format
		case "i":
			o.Links = []string{} // all: every link (pcapng)
			if f.ifaces != "all" {
				o.Links = strings.Split(f.ifaces, ",")
			}
		case "seed":
			o.Seed = &f.seed
		case "delay":
			im.Delay = &f.delay
		case "jitter":
			im.Jitter = &f.jitter
		case "loss":
			im.Loss = &f.link.Loss
		case "loss-burst":
			im.LossBurst = &f.link.LossBurst
		case "dup":
			im.Dup = &f.link.Dup
		case "reorder":
			im.Reorder = &f.link.Reorder
		case "corrupt":
			im.Corrupt = &f.link.Corrupt
		case "rate":
			im.Rate = &f.link.Rate
		case "queue":
			im.Queue = &f.link.Queue
		case "mtu":
			im.MTU = &f.link.MTU
		case "explain":
			o.Explain = &f.explain
		}
	})
	o.Lang = f.lang
	return o
}

// explainScenario checks that a scenario whose frames are explained
// (--explain, or the file's capture.explain) has a pcapng capture: without
// -w, the listing's capture becomes pcapng; with -w and pcap, exit status
// 2. It returns an exit status, or -1.
func (f *runFlags) explainScenario(s *scenario.Scenario, o *scenario.RunOptions, stderr io.Writer) int {
	on := s.Capture.Explain
	if o.Explain != nil {
		on = *o.Explain
	}
	format := s.Capture.Format
	if !s.Capture.FormatSet {
		format = capture.PCAPNG
	}
	if o.Format != nil {
		format = *o.Format
	}
	if code := f.explainFormat(on, &format, stderr); code >= 0 {
		return code
	}
	several := strings.Contains(f.ifaces, ",") || f.ifaces == "all" && len(s.Hosts)+len(s.Links) > 1
	if format == capture.PCAP && several {
		if f.out != "" || f.format != "" {
			return f.pcapOneLink(s.Capture.FormatSet, stderr)
		}
		format = capture.PCAPNG // the listing's own buffer
		o.Format = &format
	}
	if on && format == capture.PCAPNG && (o.Format != nil || s.Capture.FormatSet) {
		o.Format = &format
	}
	f.explained = on
	return -1
}

// scenarioLabel is how messages name the scenario s: its file, or a
// shipped scenario's name.
func scenarioLabel(t target, s *scenario.Scenario) string {
	if t.shipped != nil {
		return t.shipped.name
	}
	if s != nil && s.Name != "" && t.file == "-" {
		return s.Name
	}
	return fileLabel(t.file)
}

// runScenario is netsim run for a scenario: parse it, run it with the
// flags' overrides, write the capture, check the expectations.
//
// A run that does not meet an expectation still writes its capture (it is
// the evidence of what happened) and exits 1 with one line naming the
// expectation. A run that fails (a step's error, a deadlock) writes
// nothing and exits 1, as a demo's does; a parse error exits 2 before
// anything is opened.
func runScenario(f *runFlags, stdin io.Reader, stdout, stderr io.Writer) int {
	s, code := f.loadScenario(stdin, stderr)
	if code >= 0 {
		return code
	}
	label := scenarioLabel(f.target, s)
	o := f.runOptions()
	if code := f.explainScenario(s, &o, stderr); code >= 0 {
		return code
	}
	o.Out = stdout
	if f.quiet {
		o.Out = io.Discard
	}
	capW, progOut, out, listing, code := f.openCapture(stdout, stderr, o.Out)
	if code >= 0 {
		return code
	}
	if out != nil {
		defer out.abort() // whatever happens, no temporary file is left
	}
	o.Capture, o.Out = f.ladder.tee(capW), progOut
	// A failed write to -w stops the run at once, as a demo's.
	ctx, stopSignals := onSignal(out)
	defer stopSignals()
	o.Context = ctx
	start := time.Now()
	res, err := s.Run(o)
	wall := time.Since(start)
	var st netsim.Stats
	if res != nil {
		st = res.Stats
	}
	if sig, ok := interruptedBy(ctx, err); ok {
		return interrupted(sig, st, f, out, listing, stdout, stderr)
	}
	if werr := out.writeErr(); werr != nil {
		return f.outputFailed(werr, st, out, stderr)
	}
	var unmet *scenario.UnmetError
	if errors.As(err, &unmet) {
		// The run went to its end: its capture is whole, and shows why.
		if out != nil {
			if cerr := out.commit(); cerr != nil {
				fmt.Fprintf(stderr, "netsim run: %v\n", cerr)
			}
		} else if !f.quiet && !f.ladder.on() {
			printListing(stdout, listing, f.explained)
		}
		if f.ladder.on() { // the ladder shows why too
			f.ladder.write("run", stderr)
		}
		fmt.Fprintf(stderr, "netsim run: %s\n", unmetLine(s, unmet))
		return 1
	}
	if err == nil && out != nil {
		err = out.commit()
	}
	if err != nil {
		if out != nil {
			out.abort()
		}
		msg := oneLine(err)
		if !strings.HasPrefix(msg, s.File+":") {
			msg = label + ": " + msg
		}
		fmt.Fprintf(stderr, "netsim run: %s\n", msg)
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
		printStats(stderr, label, st, f.counted.Frames(), wall, f.out != "")
		if n := expectations(s); n > 0 && !f.noExpect {
			fmt.Fprintf(stderr, "netsim: %s: %d expectation(s) met\n", label, n)
		}
	}
	return 0
}

// expectations counts the expectations of s.
func expectations(s *scenario.Scenario) int {
	n := len(s.Expect.Filters) + len(s.Expect.Received)
	if s.Expect.SHA256 != "" {
		n++
	}
	return n
}

// unmetLine is the one line that says which expectation a run did not
// meet: FILE:LINE:COL: expect: what.
func unmetLine(s *scenario.Scenario, e *scenario.UnmetError) string {
	msg := oneLine(e)
	if !strings.HasPrefix(msg, "expect:") && !strings.HasPrefix(msg, s.File+":") {
		msg = "expect: " + msg
	}
	return errorAt(s.File, e.Pos, msg)
}

// cmdCheck runs a scenario twice and compares the captures.
func cmdCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newRunFlags("check")
	if _, code := f.parse(args, stdout, stderr); code >= 0 {
		return code
	}
	s, code := f.loadScenario(stdin, stderr)
	if code >= 0 {
		return code
	}
	label := scenarioLabel(f.target, s)
	o := f.runOptions()
	if code := f.explainScenario(s, &o, stderr); code >= 0 {
		return code
	}
	sum := &hashCounter{h: sha256.New()}
	o.Capture = sum
	ctx, stopSignals := onSignal()
	defer stopSignals()
	o.Context = ctx
	err := s.Check(o)
	if sig, ok := interruptedBy(ctx, err); ok {
		fmt.Fprintf(stderr, "netsim check: %s: interrupted\n", label)
		return sig.exitCode()
	}
	var unmet *scenario.UnmetError
	switch {
	case errors.As(err, &unmet):
		fmt.Fprintf(stderr, "netsim check: %s\n", unmetLine(s, unmet))
		return 1
	case err != nil:
		msg := oneLine(err)
		if !strings.HasPrefix(msg, s.File+":") {
			msg = label + ": " + msg
		}
		fmt.Fprintf(stderr, "netsim check: %s\n", msg)
		return 1
	}
	fmt.Fprintf(stdout, "%s: 2 runs, same %d bytes (sha256 %s)\n", label, sum.n, hex.EncodeToString(sum.h.Sum(nil)))
	return 0
}

// hashCounter counts and hashes what is written to it.
type hashCounter struct {
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// helpScenario prints the scenario file reference.
func helpScenario(stdout io.Writer) int {
	fmt.Fprint(stdout, scenarioReference())
	return 0
}

// listScenarios names the shipped scenarios.
func listScenarios(w io.Writer) {
	list := shippedScenarios()
	if len(list) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	width := 10
	for _, s := range list {
		width = max(width, len(s.name))
	}
	for _, s := range list {
		fmt.Fprintf(w, "  %-*s %s\n", width, s.name, s.summary)
	}
}

// cmdShow prints a shipped scenario's file, to copy and change.
func cmdShow(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// show has no flag but -h: any other word that looks like a flag is a
	// usage error, not a scenario's name, wherever it stands (until --).
	var names []string
	for i, a := range args {
		if a == "--" {
			names = append(names, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			names = append(names, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if name == "h" || name == "help" {
			fmt.Fprint(stdout, "Usage: netsim show NAME\n\nPrints the file of the shipped scenario NAME ('netsim list' names them),\ncomments included: a start for a scenario of your own.\n\nExample:\n  netsim show book-tcp > my.yaml && netsim run my.yaml -w my.pcap\n")
			return 0
		}
		name, _, hasValue := strings.Cut(name, "=")
		msg := "unknown flag " + dash(name) + " (show takes only a scenario's NAME, and -h)"
		switch {
		case hasValue && (name == "h" || name == "help"):
			msg = dash(name) + " takes no value"
		case nearest(name, []string{"help"}) != "":
			msg = "unknown flag " + dash(name) + " (did you mean --help?)"
		}
		fmt.Fprintf(stderr, "netsim show: %s\n", msg)
		return 2
	}
	args = names
	if len(args) == 0 {
		fmt.Fprintf(stderr, "netsim show: name a scenario: netsim show NAME, where NAME is one of %s\n", shippedNames())
		return 2
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "netsim show: unexpected argument %q\n", args[1])
		return 2
	}
	s, ok := lookupShipped(args[0])
	if !ok {
		fmt.Fprintf(stderr, "netsim show: unknown scenario %q (scenarios: %s)\n", args[0], shippedNames())
		return 2
	}
	if _, err := stdout.Write(s.source); err != nil {
		fmt.Fprintf(stderr, "netsim show: %v\n", err)
		return 1
	}
	return 0
}
