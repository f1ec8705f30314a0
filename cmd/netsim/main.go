// Command netsim runs TCP and UDP conversations over a virtual network inside
// one process and writes every frame to a pcap file, and reads and filters
// captures with Wireshark's display-filter language.
//
// Usage:
//
//	netsim run DEMO -w FILE.pcap [flags]   run a demo and capture it
//	netsim run FILE.yaml -w FILE.pcap      run a scenario file (or a shipped one by name)
//	netsim sweep NAME|FILE.yaml --seeds 1-10000   run many seeds in worker processes; keep the failures
//	netsim exec -w F.pcap -- python3 a.py -- python3 b.py   run your own programs over it
//	netsim check FILE.yaml                 run a scenario twice, compare the captures
//	netsim list                            name the demos and shipped scenarios
//	netsim show NAME                       print a shipped scenario's file
//	netsim read -r FILE [-Y FILTER] ...    list, dump and filter a capture
//	netsim version                         netsim's, Go's and gVisor's versions
//	netsim help [COMMAND]                  explain a command
//	netsim help scenario                   every key of a scenario file
//	netsim help book [--lang ru]           the book's exercise, step by step
//
//go:debug cryptocustomrand=1
package main

// About the go:debug line above: scenarios may run TLS, with crypto/tls
// seeded through tls.Config.Rand so that a handshake's bytes repeat. From
// Go 1.26, crypto/tls and the other crypto packages ignore a caller's
// random source and read the system's unless cryptocustomrand=1: without
// the line, a TLS scenario would give other bytes on every run. The
// setting applies to this program only (a main package's go:debug lines
// do; go.mod's godebug would change every program built in the module);
// library users set it in their own main package or with GODEBUG.

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"netsim.dev/netsim/proc"
)

// command is one netsim subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run a demo or a scenario over the virtual network and write its capture", cmdRun},
		{"exec", "run your own programs (Python scripts) as processes over the simulated network", cmdExec},
		{"sweep", "run a demo or a scenario over many seeds in worker processes; keep the failures", cmdSweep},
		{"check", "run a scenario twice and say whether the captures are the same bytes", cmdCheck},
		{"list", "name the demos and the shipped scenarios", cmdList},
		{"show", "print a shipped scenario's file, to copy and change", cmdShow},
		{"read", "list, dump and filter a capture (a Wireshark-compatible display filter)", cmdRead},
		{"version", "print netsim's version, and the Go and gVisor versions it was built with", cmdVersion},
		{"help", "explain a command", cmdHelp},
	}
}

func main() {
	// A process that netsim exec starts passes through here first: the
	// launcher installs its seccomp filter and executes the program.
	proc.Launch()
	// The simulation takes one step at a time, so more than one P buys
	// nothing but hand-offs across cores with gVisor's TCP processor
	// goroutines (one per P and stack, paused and resumed at every step):
	// a frame of `run transfer --conns 10000` costs about 24 µs at
	// GOMAXPROCS=1 and 27-37 µs at 2. The bytes are the same either way,
	// and a GOMAXPROCS in the environment still decides.
	if os.Getenv("GOMAXPROCS") == "" && simulates(os.Args[1:]) {
		runtime.GOMAXPROCS(1)
	}
	stdout := &stdoutWriter{File: os.Stdout}
	os.Exit(stdout.status(mainArgs(os.Args[1:], os.Stdin, stdout, os.Stderr), os.Stderr))
}

// stdoutWriter is standard output, keeping its first write error: the
// commands that only print (help, list, version) do not check theirs, and
// `netsim help > /dev/full` must not exit 0 having printed nothing.
type stdoutWriter struct {
	*os.File
	err error
}

func (w *stdoutWriter) Write(b []byte) (int, error) {
	n, err := w.File.Write(b)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// status is the exit status of a command that returned code: 1, said on
// stderr, when it would have succeeded but a write to standard output
// failed.
func (w *stdoutWriter) status(code int, stderr io.Writer) int {
	if code == 0 && w.err != nil {
		fmt.Fprintf(stderr, "netsim: standard output: %v\n", pathErr(w.err))
		return 1
	}
	return code
}

// simulates reports whether the command line may run a simulation: the
// commands main sets GOMAXPROCS to 1 for. The others keep the runtime's
// default, since setting it stops the world and hands the other P's cached
// spans back to the heap: about 90 of the 630 page faults of `netsim
// version` (scripts/bench-start.sh measures process start).
func simulates(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "version", "list", "show", "help", "read", "-h", "-help", "--help":
		return false
	}
	return true
}

// mainArgs runs the command line args and returns the exit status: 0 on
// success, 1 on a failure, 2 on bad usage.
func mainArgs(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	if hint, ok := flagCommands[name]; ok {
		fmt.Fprintf(stderr, "netsim: unknown command %q: it is a flag: %s\n", name, hint)
		return 2
	}
	if near := nearest(name, commandNames()); near != "" {
		fmt.Fprintf(stderr, "netsim: unknown command %q (did you mean %q? 'netsim help' lists the commands)\n", name, near)
		return 2
	}
	fmt.Fprintf(stderr, "netsim: unknown command %q (try 'netsim help')\n", name)
	return 2
}

// flagCommands are the features the README names that are flags of a
// command, not commands: what a user who types them as one should write.
var flagCommands = map[string]string{
	"explain": "netsim run DEMO --explain (or -w FILE.pcapng: the book's demos explain by default)",
	"ladder":  "netsim read -r FILE --ladder, or netsim run DEMO --ladder",
	"graph":   "netsim read -r FILE --graph tsg -o FILE.svg",
	"tsg":     "netsim read -r FILE --graph tsg -o FILE.svg",
}

// commandNames names the commands.
func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// nearest returns the one of names closest to a mistyped word, or "" when
// none is close: at most one edit away from a name of up to four letters
// ("rn" for run, "raed" for read), two from a longer one ("verison",
// "sweeep"), a swap of neighbours counting as one edit.
func nearest(word string, names []string) string {
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(strings.ToLower(word), n)
		limit := 1
		if len(n) > 4 {
			limit = 2
		}
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "netsim runs TCP and UDP over a virtual network in one process and captures every frame.")
	fmt.Fprintln(w, "\nUsage: netsim COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nHelp topics:\n  scenario the scenario file: every key, step and expectation ('netsim help scenario')")
	fmt.Fprintln(w, "  book     the book chapter netsim follows, step by step: its figures, its nine filters,")
	fmt.Fprintln(w, "           what differs on gVisor ('netsim help book', in Russian: --lang ru)")
	fmt.Fprintln(w, "  ladder   read's and run's --ladder: a capture as a ladder diagram ('netsim help ladder')")
	fmt.Fprintln(w, "  graph    read's --graph tsg: a time-sequence graph ('netsim help graph')")
	fmt.Fprintln(w, "\nExamples:\n  netsim run tcp -w tcp.pcap && netsim read -r tcp.pcap -Y 'tcp.flags.fin==1'")
	fmt.Fprintln(w, "  netsim run tcp --loss 20% --seed 72 -w lossy.pcapng   the SYN is lost, sent again 1 s later")
	fmt.Fprintln(w, "  netsim run tcp-rto --explain --lang ru      every frame with why it was sent, in Russian")
	fmt.Fprintln(w, "  netsim read -r lossy.pcapng --ladder        the capture as a ladder diagram")
	fmt.Fprintln(w, "  netsim read -r lossy.pcapng --graph tsg -o lossy.svg   a time-sequence graph")
	fmt.Fprintln(w, "  netsim run my.yaml -w my.pcapng && netsim check my.yaml")
	fmt.Fprintln(w, "  netsim sweep tcp --seeds 1-1000 --loss 5%   1000 seeds of the lossy exchange, failures kept")
	fmt.Fprintln(w, "  netsim help book             the book's exercise, step by step (--lang ru: in Russian)")
	fmt.Fprintln(w, "\n'netsim help COMMAND' or 'netsim COMMAND -h' explains a command.")
}

func cmdHelp(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	switch args[0] {
	case "book":
		return helpBook(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		args[0] = "help"
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "netsim help: unexpected argument %q (netsim help COMMAND explains one command)\n", args[1])
		return 2
	}
	switch args[0] {
	case "scenario":
		return helpScenario(stdout)
	case "help":
		usage(stdout)
		return 0
	case "ladder":
		fmt.Fprint(stdout, strings.TrimPrefix(ladderUsage, "\n"))
		return 0
	case "graph", "tsg":
		fmt.Fprint(stdout, strings.TrimPrefix(graphUsage, "\n"))
		return 0
	case "explain":
		fmt.Fprintf(stdout, "--explain is a flag: %s\n", flagCommands["explain"])
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run([]string{"-h"}, stdin, stdout, stderr)
		}
	}
	if near := nearest(args[0], append(commandNames(), "scenario", "book", "ladder", "graph", "explain")); near != "" {
		fmt.Fprintf(stderr, "netsim help: unknown command %q (did you mean %q?)\n", args[0], near)
		return 2
	}
	fmt.Fprintf(stderr, "netsim help: unknown command %q\n", args[0])
	return 2
}
