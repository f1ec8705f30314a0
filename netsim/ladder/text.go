package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text layout constants: an arrow's label sits between "|-- " and " -->|".
const (
	textArrowExtra = 8  // runes of an arrow around its label
	textMinGap     = 12 // narrowest column gap when labels are short
	textFloorGap   = 8  // narrowest column gap when the width is capped
	textSelfGap    = 30 // the gap of a one-column ladder
	textLostGap    = 10 // blanks between a lost arrow's X and the lifeline it misses
)

// textLayout is where the text diagram puts things.
type textLayout struct {
	timeW, frameW int   // widths of the time and frame columns
	x             []int // each host's lifeline, in runes from the left
	width         int   // the diagram's width, last lifeline included
}

// layoutText places the columns: one gap for all, wide enough for the
// longest label, capped so that the diagram fits in opt's width.
func (l *Ladder) layoutText(opt Options) textLayout {
	var lay textLayout
	lay.timeW, lay.frameW = len("time"), len("frame")
	need := textMinGap
	for i := range l.Messages {
		m := &l.Messages[i]
		lay.timeW = max(lay.timeW, len(timeString(m.Time, m.Precision)))
		lay.frameW = max(lay.frameW, len(fmt.Sprint(m.Frame)))
		k := max(abs(m.To-m.From), 1)
		w := runeLen(m.Label) + textArrowExtra
		if m.Lost {
			// The X after the label (half-way when the label is short), and
			// textLostGap blanks before the lifeline it misses.
			w = runeLen(m.Label) + 7 + textLostGap
		}
		need = max(need, (w+k-1)/k)
	}
	width := opt.Width
	if width <= 0 {
		width = DefaultWidth
	}
	left := lay.timeW + 2 + lay.frameW + 2
	n := len(l.Hosts)
	// Left of the first lifeline: the time and frame columns, and the first
	// name's left half; right of the last, the last name's right half.
	first, tail := left+1, 0
	if n > 0 {
		first = max(first, runeLen(l.Hosts[0])/2)
		tail = runeLen(l.Hosts[n-1]) - runeLen(l.Hosts[n-1])/2 - 1
	}
	gap := need
	if n > 1 {
		gap = min(gap, max((width-first-1-tail)/(n-1), textFloorGap))
	} else {
		gap = min(max(need, textSelfGap), max(width-first-1, textFloorGap))
	}
	lay.x = make([]int, n)
	for i := range lay.x {
		lay.x[i] = first + i*gap
	}
	lay.width = first + 1
	if n > 0 {
		lay.width = lay.x[n-1] + 1
	}
	if n == 1 {
		lay.width += gap
	}
	return lay
}

// WriteText writes the ladder as terminal text: the hosts' names over their
// lifelines, then one line per frame with its time (seconds since the first
// frame), its number and an arrow between the lifelines. A lost frame's
// arrow ends mid-way in an X. With [Options.Notes], each frame's comments
// follow on its line, wrapped at [Options.NoteWidth] onto the lines below.
//
// The diagram is at most [Options.Width] characters wide (not counting
// notes): labels that do not fit are shortened with "…". Two limits: host
// names are never shortened (they take more rows instead), and lifelines
// stay at least 8 characters apart, so a ladder of more hosts than fit is
// wider (draw fewer with a filter).
func (l *Ladder) WriteText(w io.Writer, opt Options) error {
	if err := l.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if len(l.Messages) == 0 {
		bw.WriteString("(no frames to draw)\n")
		return bw.Flush()
	}
	lay := l.layoutText(opt)
	for _, row := range l.headerRows(lay) {
		bw.WriteString(strings.TrimRight(row, " "))
		bw.WriteByte('\n')
	}
	lifelines := func() []rune {
		line := []rune(strings.Repeat(" ", lay.width))
		for _, x := range lay.x {
			line[x] = '|'
		}
		return line
	}
	titles := lifelines()
	copy(titles, []rune(fmt.Sprintf("%*s  %*s", lay.timeW, "time", lay.frameW, "frame")))
	bw.WriteString(strings.TrimRight(string(titles), " "))
	bw.WriteByte('\n')
	lost := false
	for i := range l.Messages {
		m := &l.Messages[i]
		line := lifelines()
		copy(line, []rune(fmt.Sprintf("%*s  %*d", lay.timeW, timeString(m.Time, m.Precision), lay.frameW, m.Frame)))
		drawArrow(line, lay, m)
		lost = lost || m.Lost
		var notes []string
		if opt.Notes {
			notes = noteLines(m.Comments, opt.NoteWidth)
		}
		s := string(line)
		if len(notes) > 0 {
			s += "  " + notes[0]
		}
		bw.WriteString(strings.TrimRight(s, " "))
		bw.WriteByte('\n')
		for _, note := range notes[min(1, len(notes)):] {
			bw.WriteString(string(lifelines()) + "  " + note)
			bw.WriteByte('\n')
		}
	}
	bw.WriteString(strings.TrimRight(string(lifelines()), " "))
	bw.WriteByte('\n')
	if lost {
		bw.WriteString("X: lost, the network dropped the frame (its capture comment says so)\n")
	}
	if l.Skipped > 0 {
		fmt.Fprintf(bw, "(%d frame(s) without addresses not drawn)\n", l.Skipped)
	}
	return bw.Flush()
}

// headerRows centres each host's name over its lifeline, on as many rows
// as it takes for names not to overlap.
func (l *Ladder) headerRows(lay textLayout) []string {
	var rows [][]rune
	var ends []int // per row: the first free rune
	for i, name := range l.Hosts {
		r := []rune(oneLine(name))
		start := max(lay.x[i]-len(r)/2, 0)
		row := -1
		for j, e := range ends {
			if start > e {
				row = j
				break
			}
		}
		if row < 0 {
			row = len(rows)
			rows = append(rows, nil)
			ends = append(ends, -1)
		}
		for len(rows[row]) < start+len(r) {
			rows[row] = append(rows[row], ' ')
		}
		copy(rows[row][start:], r)
		ends[row] = start + len(r)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = string(r)
	}
	return out
}

// drawArrow draws m's arrow into line.
func drawArrow(line []rune, lay textLayout, m *Message) {
	a, b := lay.x[m.From], lay.x[m.To]
	if a == b {
		// To itself: a short hook to the right, then the label.
		end := len(line)
		if m.From+1 < len(lay.x) {
			end = lay.x[m.From+1] - 1
		}
		put(line, a+1, "-+ ")
		if m.Lost {
			put(line, a+1, "-X ")
		}
		put(line, a+4, fit(m.Label, end-(a+4)))
		return
	}
	lo, hi := min(a, b), max(a, b)
	right := b > a
	if m.Lost {
		span := hi - lo
		reach := max(span/2, runeLen(m.Label)+7) // where the X is, from the sender
		reach = min(reach, span-3)
		label := fit(m.Label, reach-7)
		if right {
			e := lo + reach
			fill(line, lo+1, e, '-')
			line[e] = 'X'
			centre(line, lo+1, e, label)
		} else {
			e := hi - reach
			line[e] = 'X'
			fill(line, e+1, hi, '-')
			centre(line, e+1, hi, label)
		}
		return
	}
	fill(line, lo+1, hi, '-')
	label := fit(m.Label, hi-lo-textArrowExtra)
	if right {
		line[hi-1] = '>'
		centre(line, lo+1, hi-1, label)
	} else {
		line[lo+1] = '<'
		centre(line, lo+2, hi, label)
	}
}

// centre writes " s " centred in line[from:to], leaving at least two runes
// of arrow at each end.
func centre(line []rune, from, to int, s string) {
	if s == "" {
		return
	}
	n := runeLen(s) + 2
	start := from + (to-from-n)/2
	start = max(start, from+2)
	put(line, start, " "+s+" ")
}

// put writes s into line at i, clipped to the line.
func put(line []rune, i int, s string) {
	for _, r := range s {
		if i >= 0 && i < len(line) {
			line[i] = r
		}
		i++
	}
}

// fill sets line[from:to] to r.
func fill(line []rune, from, to int, r rune) {
	for i := max(from, 0); i < to && i < len(line); i++ {
		line[i] = r
	}
}

// fit shortens s to at most n runes, ending it in "…" when cut; control
// characters become spaces.
func fit(s string, n int) string {
	s = oneLine(s)
	if runeLen(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// noteText joins a frame's comments into one line.
func noteText(comments []string) string {
	return strings.Join(noteLines(comments, -1), " | ")
}

// noteLines returns the lines of a frame's notes: each comment on lines of
// its own, wrapped at width runes (width < 0: one line per comment; 0:
// [DefaultNoteWidth]). netsim's machine-readable sender state is left out.
func noteLines(comments []string, width int) []string {
	if width == 0 {
		width = DefaultNoteWidth
	}
	var lines []string
	for _, c := range comments {
		words := strings.Fields(c)
		if len(words) == 0 || strings.HasPrefix(c, "tcp sender:") {
			continue
		}
		if width < 0 {
			lines = append(lines, strings.Join(words, " "))
			continue
		}
		line := ""
		for _, w := range words {
			switch {
			case line == "":
				line = w
			case runeLen(line)+1+runeLen(w) <= width:
				line += " " + w
			default:
				lines = append(lines, line)
				line = w
			}
		}
		lines = append(lines, line)
	}
	return lines
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// oneLine replaces control characters with spaces, so that a label or a
// name stays on its line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, s)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// timeString formats ns as seconds with prec decimal digits, as tshark
// prints frame.time_relative.
func timeString(ns int64, prec int) string {
	neg := ns < 0
	if neg {
		ns = -ns
	}
	prec = min(max(prec, 0), 9)
	sec, frac := ns/1e9, ns%1e9
	for i := prec; i < 9; i++ {
		frac /= 10
	}
	s := fmt.Sprintf("%d.%0*d", sec, prec, frac)
	if prec == 0 {
		s = fmt.Sprint(sec)
	}
	if neg {
		s = "-" + s
	}
	return s
}
