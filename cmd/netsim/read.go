package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// fieldList collects repeated -e flags.
type fieldList []string

func (f *fieldList) String() string     { return strings.Join(*f, ",") }
func (f *fieldList) Set(s string) error { *f = append(*f, s); return nil }

const readUsage = `Usage: netsim read -r FILE [-Y FILTER] [-c N] [-x] [-V] [-T fields -e FIELD ...]

Lists the frames of a pcap or pcapng capture as tshark does, optionally
only those that pass a Wireshark display filter.

Flags:
  -r FILE     capture to read ("-" reads standard input)
  -Y FILTER   display filter, e.g. 'tcp.flags.syn==1 and tcp.port==24000'
  -c N        stop after reading N frames
  -x          print each frame's bytes as a hex and ASCII dump
  -V          print each frame's protocol tree, line for line as tshark -V
  -T fields   print the fields named by -e, tab-separated, one line per frame
  -e FIELD    a field for -T fields (repeatable), e.g. -e tcp.seq -e tcp.ack
  -n          show MAC addresses as hex, not by vendor or well-known name
  --manuf FILE  MAC names from FILE (Wireshark's manuf format) instead of
              Wireshark's installed manuf, wka and ethers files (also
              $NETSIM_MANUF); without either, addresses show as hex
  --tls-keylog FILE  TLS secrets in the NSS key log format ($SSLKEYLOGFILE,
              crypto/tls's KeyLogWriter) to decrypt TLS 1.3 with, as tshark's
              -o tls.keylog_file:FILE; a pcapng capture's own secrets
              (Decryption Secrets Blocks) are used without it

Example:
  netsim run tcp -w - | netsim read -r - -Y 'tcp.flags.fin==1'
  netsim read -r tcp.pcap -Y 'tcp.len>0' -T fields -e frame.number -e tcp.payload
`

// cmdRead implements "netsim read".
func cmdRead(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		file, filter, format string
		count                int
		hex, tree, noResolve bool
		manuf                string
		keyLog               string // --tls-keylog
		fields               fieldList
		outName              string     // -o: where --graph (or --ladder) writes
		graph                graphFlags // --graph, --stream, --dir: graph.go
	)
	var lad ladderFlags // --ladder, --ladder-notes, --ladder-width: ladder.go
	fs.StringVar(&file, "r", "", "")
	fs.StringVar(&filter, "Y", "", "")
	fs.IntVar(&count, "c", 0, "")
	fs.BoolVar(&hex, "x", false, "")
	fs.BoolVar(&tree, "V", false, "")
	fs.StringVar(&format, "T", "", "")
	fs.Var(&fields, "e", "")
	fs.BoolVar(&noResolve, "n", false, "")
	fs.StringVar(&manuf, "manuf", "", "")
	fs.StringVar(&keyLog, "tls-keylog", "", "")
	fs.StringVar(&outName, "o", "", "")
	graph.register(fs)
	lad.register(fs, &outName)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, readUsage+graphUsage+ladderUsage)
			return 0
		}
		fmt.Fprintf(stderr, "netsim read: %s (try 'netsim read -h')\n", flagError(err, fs))
		return 2
	}
	if msg := repeatedFlag(fs, args, "e"); msg != "" {
		fmt.Fprintf(stderr, "netsim read: %s\n", msg)
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["o"] && sameFile(outName, file) {
		// Checked before anything is opened: the picture would replace
		// the capture it is drawn from.
		fmt.Fprintf(stderr, "netsim read: -o %s: is the capture -r reads (%s); write the picture to another file\n", outName, file)
		return 2
	}
	for _, in := range []struct{ flag, name string }{{"--tls-keylog", keyLog}, {"--manuf", manuf}} {
		if set["o"] && sameFile(outName, in.name) {
			fmt.Fprintf(stderr, "netsim read: -o %s: is the file %s reads (%s); write the picture to another file\n", outName, in.flag, in.name)
			return 2
		}
	}
	if code, stop := lad.check("read", set, fs.Args(), false, stdout, stderr); stop {
		return code
	}
	defer lad.abort() // a ladder not written in full leaves nothing behind
	switch {
	case set["c"] && count < 1:
		fmt.Fprintf(stderr, "netsim read: -c %d: not a frame count (1 or more)\n", count)
		return 2
	case set["r"] && file == "":
		fmt.Fprintln(stderr, "netsim read: -r \"\": empty file name (- reads standard input)")
		return 2
	case set["manuf"] && manuf == "", set["tls-keylog"] && keyLog == "":
		name := "--manuf"
		if manuf != "" || !set["manuf"] {
			name = "--tls-keylog"
		}
		fmt.Fprintf(stderr, "netsim read: %s \"\": empty file name\n", name)
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "netsim read: unexpected argument %q (try 'netsim read -h')\n", fs.Arg(0))
		return 2
	case file == "":
		fmt.Fprintln(stderr, "netsim read: -r FILE is required (try 'netsim read -h')")
		return 2
	case format != "" && format != "fields":
		fmt.Fprintf(stderr, "netsim read: -T %s: only -T fields is supported\n", format)
		return 2
	case format == "fields" && len(fields) == 0:
		fmt.Fprintln(stderr, "netsim read: -T fields needs at least one -e FIELD")
		return 2
	case format != "fields" && len(fields) > 0:
		fmt.Fprintln(stderr, "netsim read: -e needs -T fields")
		return 2
	}
	if file == "-" && isTerminal(stdin) {
		// It would wait for a capture typed in.
		fmt.Fprintln(stderr, "netsim read: -r -: standard input is a terminal: pipe a capture into it (netsim run tcp -w - | netsim read -r -) or name a file")
		return 2
	}
	// A picture (--ladder, --graph) is written through a temporary file:
	// Ctrl-C or SIGTERM must not leave it behind. A listing needs nothing
	// of the kind, and keeps the signals' default (and SIGPIPE's).
	ctx := context.Background()
	if lad.on() || set["graph"] {
		var stop func()
		ctx, stop = onSignal()
		defer stop()
	}
	if code, ok := graph.run(ctx, file, outName, set, stdin, stdout, stderr); ok {
		return code
	}
	var fieldDefs []*dissect.Field
	for _, name := range fields {
		fd := dissect.Lookup(name)
		if fd == nil {
			fmt.Fprintf(stderr, "netsim read: -e %s: %q is not a valid protocol or protocol field\n", name, name)
			return 2
		}
		fieldDefs = append(fieldDefs, fd)
	}
	f, err := dfilter.Compile(filter)
	if err != nil {
		fmt.Fprintf(stderr, "netsim read: bad display filter: %v\n", err)
		return 2
	}

	names := dissect.SystemMACNames()
	if manuf != "" {
		if names, err = dissect.LoadMACNamesFile(manuf); err != nil {
			if errors.Is(err, dissect.ErrNoEntries) { // names the file
				fmt.Fprintf(stderr, "netsim read: --manuf: %v\n", err)
			} else {
				fmt.Fprintf(stderr, "netsim read: --manuf %s: %v\n", manuf, err)
			}
			return 2
		}
	} else if env := os.Getenv(dissect.ManufPathEnv); env != "" {
		// SystemMACNames would name nothing, silently, from a file that
		// is not there or cannot be read: the user asked for it.
		if names, err = dissect.LoadMACNames(env); err != nil {
			fmt.Fprintf(stderr, "netsim read: $%s %s: %v\n", dissect.ManufPathEnv, env, err)
			return 2
		}
	}

	var r *pcapread.Reader
	if file == "-" {
		r, err = pcapread.NewReader(ctxReader{ctx, stdin})
		if err != nil {
			err = fmt.Errorf("standard input: %w", err)
		}
	} else if fi, serr := os.Stat(file); serr == nil && fi.IsDir() {
		err = fmt.Errorf("%s: is a directory", file)
	} else {
		r, err = pcapread.Open(file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "netsim read: %v\n", err)
		return 1
	}
	defer r.Close()

	out := bufio.NewWriterSize(stdout, 256<<10)
	read := 0
	errStop := errors.New("stop")
	var lastShown int64 // time of the last frame printed, for -V
	shown := false
	d := dissect.New()
	d.SetMACNames(names, !noResolve)
	if keyLog != "" {
		if _, err := d.LoadTLSKeyLogFile(keyLog); err != nil {
			fmt.Fprintf(stderr, "netsim read: --tls-keylog: %v\n", err)
			return 2
		}
	}
	err = d.Scan(r, func(p *dissect.Packet) error {
		if lad.on() && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		read++
		if f.Match(p) {
			p.TimeDeltaDisplayed = 0
			if shown {
				p.TimeDeltaDisplayed = p.Time - lastShown
			}
			lastShown, shown = p.Time, true
			if lad.on() {
				lad.add(p)
			} else if err := printPacket(out, p, format, fieldDefs, hex, tree); err != nil {
				return err
			}
		}
		if count > 0 && read >= count {
			return errStop
		}
		return nil
	})
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	var se signalError
	if errors.As(err, &se) {
		lad.abort()
		fmt.Fprintf(stderr, "netsim read: interrupted (%s) after %d frames; nothing written (the ladder is drawn once every frame is read)\n", se.name(), read)
		return se.exitCode()
	}
	if err != nil && err != errStop {
		name := file
		if file == "-" {
			name = "standard input"
		}
		fmt.Fprintf(stderr, "netsim read: %s: %v\n", name, err)
		return 1
	}
	if lad.on() {
		return lad.write("read", stderr)
	}
	return 0
}

func printPacket(w *bufio.Writer, p *dissect.Packet, format string, fields []*dissect.Field, hex, tree bool) error {
	switch {
	case format == "fields":
		b := w.AvailableBuffer()
		for i, f := range fields {
			if i > 0 {
				b = append(b, '\t')
			}
			b = dissect.AppendField(b, p, f)
		}
		w.Write(append(b, '\n'))
	case tree:
		// Appended to the writer's free space: when the tree does not
		// fit there, append moves it to a new buffer (the next
		// AvailableBuffer has room again after the Write flushes).
		w.Write(dissect.AppendTree(w.AvailableBuffer(), p))
	case !hex:
		// Formatted straight into the writer's free space: no copy, no
		// allocation for the common frames.
		b := dissect.AppendSummary(w.AvailableBuffer(), p)
		w.Write(append(b, '\n'))
	}
	if hex {
		return dissect.HexDump(w, p.Frame)
	}
	return nil
}
