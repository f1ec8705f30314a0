package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"netsim/demo"
)

const runUsage = `Usage: netsim run DEMO [-w FILE] [flags]

Runs a demo over the virtual network and writes every frame to a pcap file.
The same flags give the same capture, byte for byte, on any machine.

Examples:
  netsim run tcp -w tcp.pcap                 the book's TCP exchange
  netsim run tcp -w - | tshark -r -          pipe the capture to tshark
  netsim run udp --payload 68656c6c6f -w udp.pcap
  netsim run tcp-multi --writes 5 --seed 7 -w multi.pcap

'netsim list' names the demos.

Flags:
`

// cmdRun runs a demo and writes its capture.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("w", "", "write the capture to `FILE` (- for standard output)")
	seed := fs.Int64("seed", 0, "seed for every random choice (ephemeral port, ISN)")
	port := fs.Int("port", demo.DefaultPort, "the receiver's `port`")
	payload := fs.String("payload", hex.EncodeToString(demo.DefaultPayload), "what the sender sends, as `hex`")
	writes := fs.Int("writes", 3, "tcp-multi: how many writes the sender makes")
	quiet := fs.Bool("q", false, "print nothing but errors")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	name, rest := splitCommandArg(args)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name, rest = fs.Arg(0), fs.Args()[1:]
		if err := fs.Parse(rest); err != nil {
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "netsim run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if name == "" {
		fmt.Fprintln(stderr, "netsim run: name a demo (netsim run DEMO -w FILE.pcap):")
		listDemos(stderr)
		return 2
	}
	d, ok := demo.Lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "netsim run: unknown demo %q (demos: %s)\n", name, demoNames())
		return 2
	}
	data, err := hex.DecodeString(strings.NewReplacer(":", "", " ", "").Replace(*payload))
	if err != nil {
		fmt.Fprintf(stderr, "netsim run: --payload %q: not hex: %v\n", *payload, err)
		return 2
	}
	if *port < 1 || *port > 65535 {
		fmt.Fprintf(stderr, "netsim run: --port %d: out of range 1-65535\n", *port)
		return 2
	}
	if *writes < 1 || *writes > 1000 {
		fmt.Fprintf(stderr, "netsim run: --writes %d: out of range 1-1000\n", *writes)
		return 2
	}
	if len(data) == 0 {
		fmt.Fprintln(stderr, "netsim run: --payload: empty")
		return 2
	}
	p := demo.Params{Seed: *seed, Port: *port, Payload: data, Writes: *writes, Out: stdout}
	if *quiet {
		p.Out = io.Discard
	}

	var sink *outputFile
	switch *out {
	case "":
	case "-":
		p.Capture = stdout
		if !*quiet {
			p.Out = stderr // keep standard output for the pcap
		}
	default:
		sink, err = createAtomic(*out)
		if err != nil {
			fmt.Fprintf(stderr, "netsim run: -w %s: %v\n", *out, err)
			return 1
		}
		p.Capture = sink
	}
	start := time.Now()
	st, err := d.Run(p)
	wall := time.Since(start)
	if err == nil && sink != nil {
		err = sink.commit()
	}
	if err != nil {
		if sink != nil {
			sink.abort()
		}
		fmt.Fprintf(stderr, "netsim run: %v\n", oneLine(err))
		return 1
	}
	if !*quiet {
		ratio := ""
		if wall > 0 {
			ratio = fmt.Sprintf(" (simulated/wall %.3g)", st.LastFrame.Seconds()/wall.Seconds())
		}
		fmt.Fprintf(stderr, "netsim: %s: %d frame(s) over %v of simulated time, %v wall%s\n",
			name, st.Frames, st.LastFrame, wall.Round(time.Microsecond), ratio)
	}
	return 0
}

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
			fmt.Fprintln(stdout, "Usage: netsim list\n\nNames the demos that 'netsim run DEMO' runs.")
			return 0
		}
		fmt.Fprintf(stderr, "netsim list: unexpected argument %q\n", args[0])
		return 2
	}
	listDemos(stdout)
	return 0
}

func listDemos(w io.Writer) {
	for _, d := range demo.List() {
		fmt.Fprintf(w, "  %-10s %s\n", d.Name, d.Summary)
	}
}

func demoNames() string {
	var names []string
	for _, d := range demo.List() {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// outputFile is a capture file written under a temporary name and renamed
// into place only when the run succeeds, so that a failed run leaves nothing
// that looks like a capture.
type outputFile struct {
	*os.File
	path string
}

func createAtomic(path string) (*outputFile, error) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("is a directory")
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("cannot create a file in %s: %v", dir, pe.Err)
		}
		return nil, err
	}
	return &outputFile{File: f, path: path}, nil
}

func (o *outputFile) commit() error {
	if err := o.Chmod(0o644); err != nil {
		o.abort()
		return err
	}
	if err := o.Close(); err != nil {
		os.Remove(o.Name())
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := os.Rename(o.Name(), o.path); err != nil {
		os.Remove(o.Name())
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

func (o *outputFile) abort() {
	o.Close()
	os.Remove(o.Name())
}
