package ladder

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"netsim.dev/netsim/internal/xmltext"
)

// SVG geometry, in pixels. Text is 12 px monospace, whose glyphs are
// about 0.6 em wide.
const (
	svgFont     = 12.0
	svgCharW    = 7.3
	svgPad      = 10.0
	svgHeadTop  = 10.0 // top of the hosts' boxes
	svgHeadH    = 24.0 // their height
	svgFirstRow = 70.0 // the first arrow's y
	svgRowH     = 30.0 // between arrows
	svgMinGap   = 140.0
	svgHead     = 9.0 // arrowhead length
	svgSelfW    = 30.0
	svgNoteH    = 15.0 // between the lines of a note
)

// Colours of the picture.
const (
	svgInk      = "#000000"
	svgArrow    = "#1a5fb4"
	svgLost     = "#c01c28"
	svgLifeline = "#9a9996"
	svgBox      = "#deddda"
)

// svgLayout is where the picture puts things; tests check the rendered
// image against it.
type svgLayout struct {
	timeX, frameX float64   // the time column's left edge, the frame column's right edge
	x             []float64 // each host's lifeline
	y             []float64 // each message's arrow
	noteX         float64   // the note column's left edge
	width, height float64
	lineBottom    float64 // where the lifelines end
}

func (l *Ladder) layoutSVG(opt Options) svgLayout {
	var lay svgLayout
	timeW, frameW := len("time"), len("frame")
	gap := svgMinGap
	noteW := 0
	for i := range l.Messages {
		m := &l.Messages[i]
		timeW = max(timeW, len(timeString(m.Time, m.Precision)))
		frameW = max(frameW, len(fmt.Sprint(m.Frame)))
		k := float64(max(abs(m.To-m.From), 1))
		gap = max(gap, (float64(runeLen(svgLabel(m)))*svgCharW+40)/k)
		if opt.Notes {
			for _, line := range noteLines(m.Comments, opt.NoteWidth) {
				noteW = max(noteW, runeLen(line))
			}
		}
	}
	for _, h := range l.Hosts {
		gap = max(gap, float64(runeLen(h))*svgCharW+30)
	}
	lay.timeX = svgPad
	lay.frameX = svgPad + float64(timeW+2+frameW)*svgCharW
	left := lay.frameX + 2*svgCharW
	first := left + 20
	if len(l.Hosts) > 0 {
		first = max(first, left+float64(runeLen(l.Hosts[0]))*svgCharW/2+12)
	}
	lay.x = make([]float64, len(l.Hosts))
	for i := range lay.x {
		lay.x[i] = first + float64(i)*gap
	}
	right := first
	if n := len(lay.x); n > 0 {
		right = lay.x[n-1] + float64(runeLen(l.Hosts[n-1]))*svgCharW/2 + 12
	}
	if len(lay.x) == 1 {
		right = first + gap
	}
	// A row is as tall as its notes need.
	lay.y = make([]float64, len(l.Messages))
	y := svgFirstRow
	for i := range lay.y {
		lay.y[i] = y
		y += svgRowH
		if opt.Notes {
			if n := len(noteLines(l.Messages[i].Comments, opt.NoteWidth)); n > 1 {
				y += float64(n-1) * svgNoteH
			}
		}
	}
	lay.lineBottom = y - 10
	lay.noteX = right + 10
	if n := len(lay.x); n > 0 {
		// Notes start below the hosts' boxes: only the arrows are in the way.
		lay.noteX = lay.x[n-1] + 24
	}
	lay.width = right + svgPad
	if noteW > 0 {
		lay.width = max(lay.width, lay.noteX+float64(noteW)*svgCharW+svgPad)
	}
	lay.height = lay.lineBottom + svgPad
	if l.hasLost() {
		lay.height += 20
	}
	// Whole pixels, as a renderer sizes its image.
	lay.width, lay.height = math.Ceil(lay.width), math.Ceil(lay.height)
	return lay
}

func (l *Ladder) hasLost() bool {
	for i := range l.Messages {
		if l.Messages[i].Lost {
			return true
		}
	}
	return false
}

// WriteSVG writes the ladder as a standalone SVG picture, for web pages
// and lab sheets: the hosts in boxes over their lifelines, one arrow per
// frame with its label above it, the time and frame number on the left. A
// lost frame's arrow is red and ends half-way in a cross. With
// [Options.Notes], each frame's comments are written to the right, wrapped
// at [Options.NoteWidth], the rows spaced to hold them.
// [Options.Width] does not apply: the picture is as wide as its labels need.
func (l *Ladder) WriteSVG(w io.Writer, opt Options) error {
	if err := l.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	lay := l.layoutSVG(opt)
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%g">`+"\n",
		f(lay.width), f(lay.height), f(lay.width), f(lay.height), svgFont)
	fmt.Fprintf(bw, `<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", f(lay.width), f(lay.height))
	// Titles and hosts.
	base := svgHeadTop + svgHeadH/2 + 4
	fmt.Fprintf(bw, `<text x="%s" y="%s">time</text>`+"\n", f(lay.timeX), f(base+26))
	fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="end">frame</text>`+"\n", f(lay.frameX), f(base+26))
	for i, h := range l.Hosts {
		x := lay.x[i]
		bw2 := float64(runeLen(h))*svgCharW + 16
		fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="%s" stroke="%s"/>`+"\n",
			f(x-bw2/2), f(svgHeadTop), f(bw2), f(svgHeadH), svgBox, svgLifeline)
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f(x), f(base), xmlEscape(h))
		fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1" stroke-dasharray="4 3"/>`+"\n",
			f(x), f(svgHeadTop+svgHeadH), f(x), f(lay.lineBottom), svgLifeline)
	}
	for i := range l.Messages {
		m := &l.Messages[i]
		y := lay.y[i]
		fmt.Fprintf(bw, `<g class="frame" id="frame-%d">`+"\n", m.Frame)
		fmt.Fprintf(bw, `<text x="%s" y="%s">%s</text>`+"\n", f(lay.timeX), f(y+4), timeString(m.Time, m.Precision))
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="end">%d</text>`+"\n", f(lay.frameX), f(y+4), m.Frame)
		col := svgArrow
		if m.Lost {
			col = svgLost
		}
		a, b := lay.x[m.From], lay.x[m.To]
		switch {
		case a == b:
			end := a
			if m.Lost {
				fmt.Fprintf(bw, `<path d="M%s %sh%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", f(a), f(y-6), f(svgSelfW), col)
				cross(bw, a+svgSelfW, y-6, col, f)
			} else {
				fmt.Fprintf(bw, `<path d="M%s %sh%sv12h-%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", f(a), f(y-6), f(svgSelfW), f(svgSelfW-svgHead), col)
				head(bw, end, y+6, -1, col, f)
			}
			fmt.Fprintf(bw, `<text x="%s" y="%s" fill="%s">%s</text>`+"\n", f(a+svgSelfW+6), f(y+4), svgInk, xmlEscape(m.Label))
		case m.Lost:
			e := a + (b-a)/2
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"/>`+"\n", f(a), f(y), f(e), f(y), col)
			cross(bw, e, y, col, f)
			fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" fill="%s">%s</text>`+"\n", f((a+b)/2), f(y-6), svgLost, xmlEscape(svgLabel(m)))
		default:
			dir := sign(b - a)
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"/>`+"\n", f(a), f(y), f(b-dir*svgHead), f(y), col)
			head(bw, b, y, dir, col, f)
			fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" fill="%s">%s</text>`+"\n", f((a+b)/2), f(y-6), svgInk, xmlEscape(m.Label))
		}
		if opt.Notes {
			for j, line := range noteLines(m.Comments, opt.NoteWidth) {
				fmt.Fprintf(bw, `<text x="%s" y="%s" fill="#5e5c64">%s</text>`+"\n", f(lay.noteX), f(y+4+float64(j)*svgNoteH), xmlEscape(line))
			}
		}
		bw.WriteString("</g>\n")
	}
	if l.hasLost() {
		fmt.Fprintf(bw, `<text x="%s" y="%s" fill="%s">✕ lost: the network dropped the frame (its capture comment says so)</text>`+"\n",
			f(lay.timeX), f(lay.lineBottom+20), svgLost)
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// svgLabel is the text over m's arrow.
func svgLabel(m *Message) string {
	if m.Lost {
		return m.Label + " (lost)"
	}
	return m.Label
}

// head draws an arrowhead whose tip is at (x, y), pointing right (dir 1)
// or left (-1).
func head(w io.Writer, x, y, dir float64, col string, f func(float64) string) {
	fmt.Fprintf(w, `<polygon points="%s,%s %s,%s %s,%s" fill="%s"/>`+"\n",
		f(x), f(y), f(x-dir*svgHead), f(y-4), f(x-dir*svgHead), f(y+4), col)
}

// cross draws an X centred at (x, y).
func cross(w io.Writer, x, y float64, col string, f func(float64) string) {
	const r = 5
	fmt.Fprintf(w, `<path d="M%s %sL%s %sM%s %sL%s %s" stroke="%s" stroke-width="2"/>`+"\n",
		f(x-r), f(y-r), f(x+r), f(y+r), f(x-r), f(y+r), f(x+r), f(y-r), col)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// xmlEscape escapes text for the SVG (see [xmltext.Escape]).
func xmlEscape(s string) string { return xmltext.Escape(s, true) }
