package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/ladder"
	"netsim.dev/netsim/pcapread"
)

// ladderUsage is the part of `netsim read -h` and `netsim run -h` about
// --ladder.
const ladderUsage = `
Ladder diagrams (--ladder):
  --ladder        draw a ladder diagram (message sequence chart) instead of
                  listing frames: one column per host, one arrow per frame
                  with its flags, relative seq/ack and length, time and
                  frame number on the left; a frame the network lost ends
                  mid-way in an X
  --ladder=FORMAT text (default), svg (for web pages and lab sheets) or
                  mermaid (a sequenceDiagram for Markdown pages)
  -o FILE         where it goes (default or "-": standard output); with
                  plain --ladder, FILE.svg means svg, FILE.mmd mermaid
  --ladder-notes  add each frame's comments (netsim's explanations, the
                  network's notes) as a note column
  --ladder-width N  cap the text diagram at N characters (default 100);
                  -Y FILTER draws only the frames it selects

  netsim read -r tcp.pcap --ladder
  netsim read -r t.pcapng --ladder -o t.svg -Y 'tcp.port == 8000'
  netsim run tcp --loss 20% --seed 72 --ladder --ladder-notes
`

// ladderFlag is --ladder: a flag that takes no value (--ladder) or one
// after = (--ladder=svg).
type ladderFlag struct {
	on     bool
	format string // "" unless --ladder=FORMAT
}

func (v *ladderFlag) String() string { return v.format }

func (v *ladderFlag) Set(s string) error {
	switch s {
	case "true":
		v.on, v.format = true, ""
	case "false":
		v.on, v.format = false, ""
	default:
		v.on, v.format = true, s
	}
	return nil
}

// IsBoolFlag lets --ladder stand alone.
func (v *ladderFlag) IsBoolFlag() bool { return true }

// ladderFlags are the flags of --ladder, for netsim read and netsim run.
type ladderFlags struct {
	flag  ladderFlag
	notes bool
	width int
	out   *string // -o: read's own (shared with --graph), or run's

	format ladder.Format
	o      *output         // where the ladder goes, opened by check
	buf    *bytes.Buffer   // run: a copy of the capture
	b      *ladder.Builder // read: the frames the filter selects
}

// register adds --ladder, --ladder-notes and --ladder-width to fs; out is
// the -o flag's value.
func (l *ladderFlags) register(fs *flag.FlagSet, out *string) {
	fs.Var(&l.flag, "ladder", "draw a ladder diagram instead of listing frames: --ladder (text) or --ladder=FORMAT (text, svg or mermaid)")
	fs.BoolVar(&l.notes, "ladder-notes", false, "--ladder: add each frame's comments as a note column")
	fs.IntVar(&l.width, "ladder-width", ladder.DefaultWidth, "--ladder: cap the text diagram at `N` characters")
	l.out = out
}

// registerRun adds the ladder's flags and -o to netsim run's.
func (l *ladderFlags) registerRun(fs *flag.FlagSet) {
	out := new(string)
	fs.StringVar(out, "o", "", "--ladder: write the ladder to `FILE` (default: standard output)")
	l.register(fs, out)
}

// on reports whether --ladder was given.
func (l *ladderFlags) on() bool { return l != nil && l.flag.on }

// check checks the ladder's flags of command cmd (read or run), after
// parsing; set holds the flags given, args the arguments left. When
// --ladder is on it opens the output, which the caller must abort (a
// deferred l.abort()). It returns an exit status and true when the
// command must stop.
func (l *ladderFlags) check(cmd string, set map[string]bool, args []string, captureToStdout bool, stdout, stderr io.Writer) (int, bool) {
	fail := func(format string, a ...any) (int, bool) {
		fmt.Fprintf(stderr, "netsim "+cmd+": "+format+"\n", a...)
		return 2, true
	}
	if !l.on() {
		for _, name := range []string{"ladder-notes", "ladder-width"} {
			if set[name] {
				return fail("--%s needs --ladder", name)
			}
		}
		if set["o"] && !set["graph"] {
			if cmd == "read" {
				return fail("-o needs --ladder or --graph (-o FILE is where the picture goes)")
			}
			return fail("-o needs --ladder (-w FILE is where the capture goes)")
		}
		if set["ladder"] {
			return 0, false // --ladder=false
		}
		return 0, false
	}
	if len(args) > 0 {
		if _, err := ladder.ParseFormat(args[0]); err == nil {
			return fail("--ladder %s: write --ladder=%s (the format follows an =)", args[0], args[0])
		}
	}
	if set["graph"] {
		return fail("--ladder and --graph: one picture at a time")
	}
	for _, name := range []string{"x", "V", "T", "e"} {
		if set[name] {
			return fail("-%s is not used with --ladder (the ladder draws the frames instead of listing them)", name)
		}
	}
	if l.width < 20 {
		return fail("--ladder-width %d: too narrow (20 or more)", l.width)
	}
	out := ""
	if l.out != nil {
		out = *l.out
	}
	if set["o"] && out == "" {
		return fail("-o \"\": empty file name (- is standard output)")
	}
	if out == "" {
		out = "-"
	}
	// The name's extension says a format too: FILE.svg, FILE.mmd; one a
	// ladder cannot be (FILE.png), or another than --ladder=FORMAT's, would
	// give a file that its viewer cannot open. Any format is text: FILE.txt
	// or another name takes the one --ladder says (text by default).
	var given ladder.Format // --ladder=FORMAT's, or 0
	if l.flag.format != "" {
		f, err := ladder.ParseFormat(l.flag.format)
		if err != nil {
			return fail("--ladder=%s: unknown format (text, svg or mermaid)", l.flag.format)
		}
		given = f
	}
	ext := strings.ToLower(filepath.Ext(out))
	named := ladder.Format(0)
	switch ext {
	case ".svg":
		named = ladder.SVG
	case ".mmd", ".mermaid":
		named = ladder.Mermaid
	case ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".html", ".pcap", ".pcapng":
		if out != "-" {
			return fail("-o %s: a ladder is text, svg or mermaid (FILE.txt, FILE.svg, FILE.mmd)", out)
		}
	}
	switch {
	case given != 0:
		f := given
		if named != 0 && named != f {
			return fail("-o %s: the name says %s, --ladder=%s says %s (name it FILE%s, or leave the format to the name)", out, named, l.flag.format, f, map[ladder.Format]string{ladder.Text: ".txt", ladder.SVG: ".svg", ladder.Mermaid: ".mmd"}[f])
		}
		l.format = f
	case named != 0:
		l.format = named
	default:
		l.format = ladder.Text
	}
	if captureToStdout && out == "-" {
		return fail("--ladder: standard output takes the capture (-w -); write the ladder with -o FILE")
	}
	o, err := openOutput(out, stdout, stderr)
	if err != nil {
		return fail("-o %s: %v", out, err)
	}
	l.o = o
	return 0, false
}

// abort drops an unfinished ladder's output: nothing half-written is left.
func (l *ladderFlags) abort() {
	if l.o != nil {
		l.o.abort()
	}
}

// add draws p, for netsim read.
func (l *ladderFlags) add(p *dissect.Packet) {
	if l.b == nil {
		l.b = ladder.NewBuilder()
	}
	l.b.Add(p)
}

// tee returns w, or with --ladder a writer that also keeps a copy of the
// capture for the ladder, for netsim run.
func (l *ladderFlags) tee(w io.Writer) io.Writer {
	if !l.on() || w == nil {
		return w
	}
	l.buf = new(bytes.Buffer)
	return io.MultiWriter(w, l.buf)
}

// write draws the ladder (of the frames added, or of the capture run
// kept) and commits the output. It returns an exit status, and says what
// failed on stderr.
func (l *ladderFlags) write(cmd string, stderr io.Writer) int {
	if l.buf != nil {
		r, err := pcapread.NewReader(l.buf)
		if err == nil {
			err = dissect.Scan(r, func(p *dissect.Packet) error { l.add(p); return nil })
		}
		if err != nil {
			l.abort()
			fmt.Fprintf(stderr, "netsim %s: --ladder: reading the capture: %v\n", cmd, err)
			return 1
		}
	}
	if l.b == nil {
		l.b = ladder.NewBuilder()
	}
	lad := l.b.Ladder()
	w := bufio.NewWriterSize(l.o, 64<<10)
	err := lad.Write(w, l.format, ladder.Options{Width: l.width, Notes: l.notes})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		l.abort()
		fmt.Fprintf(stderr, "netsim %s: -o %s: %v\n", cmd, l.o.name, pathErr(err))
		return 1
	}
	if err := l.o.commit(); err != nil { // "write NAME: ..."
		fmt.Fprintf(stderr, "netsim %s: -o: %v\n", cmd, err)
		return 1
	}
	return 0
}

// visited returns the names of the flags given on the command line.
func visited(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}
