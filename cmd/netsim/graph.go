package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"netsim.dev/internal/units"
	"netsim.dev/netsim/tsg"
)

// graphUsage is the part of `netsim read -h` about --graph.
const graphUsage = `
Graphs (--graph):
  --graph tsg     draw a time-sequence graph (Stevens/tcptrace style) of one
                  TCP direction instead of listing frames: sequence number
                  against time, segments, the ACK and receive-window lines,
                  retransmissions, SYN/FIN, frames netsim lost, and the
                  sender's congestion window in netsim's own captures
  -o FILE         where the picture goes: FILE.svg (SVG) or FILE.png (PNG);
                  default or "-": SVG on standard output
  --stream N      the tcp.stream to draw (default: the one that carries most)
  --dir D         auto (the direction with more data), client or server
  --time FROM-TO  draw only that span of the capture (e.g. 50ms-150ms)

  ` + graphExample + `
`

// graphExample is the run in read's help whose graph shows losses: a fast
// retransmission, a lost FIN resent on its timer (the tests check that it
// makes netsim/tsg/testdata/transfer-loss.pcapng).
const graphExample = `netsim run transfer --size 32KiB --delay 5ms --loss 5% --seed 3 -w t.pcapng
  netsim read -r t.pcapng --graph tsg -o t.png`

// graphFlags are read's flags for --graph.
type graphFlags struct {
	name   string
	stream int
	dir    string
	span   string
}

// register adds --graph, --stream and --dir to fs.
func (g *graphFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.name, "graph", "", "")
	fs.IntVar(&g.stream, "stream", tsg.AnyStream, "")
	fs.StringVar(&g.dir, "dir", "auto", "")
	fs.StringVar(&g.span, "time", "", "")
}

// graphs are the known --graph names.
var graphs = map[string]bool{"tsg": true}

// run draws the graph when --graph was given: ok is false when it was not
// (and --stream, --dir were not either), and read lists frames as usual.
// file is -r's value, out -o's, set the flags given.
// A signal that cancels ctx stops it: nothing is written then.
func (g *graphFlags) run(ctx context.Context, file, out string, set map[string]bool, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	fail := func(status int, format string, a ...any) (int, bool) {
		fmt.Fprintf(stderr, "netsim read: "+format+"\n", a...)
		return status, true
	}
	if !set["graph"] {
		for _, f := range []string{"stream", "dir", "time"} {
			if set[f] {
				return fail(2, "--%s needs --graph tsg", f)
			}
		}
		return 0, false
	}
	if !graphs[g.name] {
		var known []string
		for k := range graphs {
			known = append(known, k)
		}
		sort.Strings(known)
		return fail(2, "--graph %q: unknown graph (known: %s)", g.name, strings.Join(known, ", "))
	}
	for _, f := range []string{"Y", "c", "x", "V", "T", "e"} {
		if set[f] {
			return fail(2, "-%s is not used with --graph (the graph draws one TCP stream of the whole capture; pick it with --stream)", f)
		}
	}
	dir, err := tsg.ParseDirection(g.dir)
	if err != nil {
		return fail(2, "--dir %q: want auto, client or server", g.dir)
	}
	if set["stream"] && g.stream < 0 {
		return fail(2, "--stream %d: not a tcp.stream index (0 or more)", g.stream)
	}
	opt := tsg.Options{Stream: g.stream, Direction: dir}
	if set["time"] {
		if strings.HasPrefix(g.span, "-") { // Span says "FROM: negative"; say what times count from
			return fail(2, "--time %q: a time before the capture's first frame (times count from it: 0 is the first frame)", g.span)
		}
		span, err := units.Span(g.span)
		if err != nil {
			return fail(2, "--time %q: %v", g.span, err)
		}
		opt.From, opt.To = span[0], span[1]
	}
	if out == "" {
		out = "-"
	}
	png := false
	if out != "-" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".png":
			png = true
		case ".svg":
		default:
			return fail(2, "-o %s: name the picture FILE.svg or FILE.png", out)
		}
	}

	var in io.Reader
	name := file
	if file == "-" {
		in, name = stdin, "standard input"
	} else if fi, serr := os.Stat(file); serr == nil && fi.IsDir() {
		return fail(1, "%s: is a directory", file)
	} else {
		f, err := os.Open(file)
		if err != nil {
			return fail(1, "%v", err)
		}
		defer f.Close()
		in = bufio.NewReaderSize(f, 64<<10)
	}
	gr, err := tsg.Read(ctxReader{ctx, in}, opt)
	var se signalError
	switch {
	case errors.As(context.Cause(ctx), &se):
		fmt.Fprintf(stderr, "netsim read: interrupted (%s); nothing written (the graph is drawn once the capture is read)\n", se.name())
		return se.exitCode(), true
	case errors.Is(err, tsg.ErrNoTCP):
		return fail(2, "--graph tsg: no TCP stream in %s", name)
	case errors.Is(err, tsg.ErrEmptySpan):
		return fail(2, "--time %q: %s: %s", g.span, name, strings.TrimPrefix(err.Error(), "tsg: "))
	case errors.Is(err, tsg.ErrNoStream):
		return fail(2, "--stream %d: %s: %s", g.stream, name, strings.TrimPrefix(err.Error(), "tsg: "))
	case err != nil:
		return fail(1, "%s: %v", name, err)
	}

	o, err := openOutput(out, stdout, stderr)
	if err != nil {
		return fail(2, "-o %s: %v", out, err)
	}
	defer o.abort() // no temporary file is left, whatever happens
	w := bufio.NewWriterSize(o, 64<<10)
	if png {
		err = gr.PNG(w)
	} else {
		err = gr.SVG(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if errors.As(context.Cause(ctx), &se) {
		o.abort()
		fmt.Fprintf(stderr, "netsim read: interrupted (%s); nothing written (the graph is drawn once the capture is read)\n", se.name())
		return se.exitCode(), true
	}
	if err == nil {
		err = o.commit()
	}
	if err != nil {
		return fail(1, "-o %s: %v", out, err)
	}
	return 0, true
}

// ctxReader reads from r until ctx is cancelled; then it returns the
// context's cause.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if c.ctx.Done() != nil && c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(b)
}
