package tsg

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
)

// Width and Height are the size of the picture in pixels (SVG user units),
// for [Graph.SVG], [Graph.PNG] and [Graph.Image].
const (
	Width  = 960
	Height = 600
)

// The plot area inside the picture.
const (
	marginLeft   = 88
	marginRight  = 28
	marginTop    = 62
	marginBottom = 118
)

// Text sizes in pixels.
const (
	sizeTitle = 16
	sizeText  = 12
	sizeSmall = 11
)

// layout is a graph placed on the picture: the scales from capture units
// to pixels, kept for tests that look for a segment in the rendered image.
type layout struct {
	x0, y0, x1, y1 float64 // the plot area
	tbase          int64   // ns: times are drawn relative to it, so that no float loses them
	tmin, tmax     float64 // ns after tbase
	smin, smax     float64 // sequence numbers
	timeUnit       float64 // ns per tick-label unit
	timeUnitName   string
}

func (l *layout) x(t int64) float64 {
	return l.xf(float64(t - l.tbase))
}

// xf places a time given in ns after tbase.
func (l *layout) xf(t float64) float64 {
	return l.x0 + (t-l.tmin)/(l.tmax-l.tmin)*(l.x1-l.x0)
}

func (l *layout) y(s int64) float64 {
	return l.y1 - (float64(s)-l.smin)/(l.smax-l.smin)*(l.y1-l.y0)
}

// draw lays the graph out as a picture.
func (g *Graph) draw() (*picture, *layout) {
	fs := faces{}
	l := g.scales()
	p := &picture{w: Width, h: Height, title: g.Title}
	add := func(s shape) { p.shapes = append(p.shapes, s) }
	line := func(c color.RGBA, w, dash float64, tip string, pts ...pt) {
		for _, piece := range clip(pts, l.x0, l.y0, l.x1, l.y1) {
			add(shape{kind: kStroke, paths: [][]pt{piece}, color: c, width: w, dash: dash, tip: tip})
		}
	}
	text := func(x, y float64, s string, size float64, c color.RGBA, a anchor, bold bool) {
		add(shape{kind: kText, paths: [][]pt{{{x, y}}}, text: s, size: size, color: c, anchor: a, bold: bold})
	}

	add(shape{kind: kFill, paths: [][]pt{{{0, 0}, {Width, Height}}}, color: colBackground})

	// Grid and ticks.
	base := float64(l.tbase)
	tlo, thi := (base+l.tmin)/l.timeUnit, (base+l.tmax)/l.timeUnit
	tstep, tfirst := niceTicks(tlo, thi, 8)
	for i := 0; i < 50; i++ {
		v := tfirst + float64(i)*tstep
		if v > thi+tstep*1e-9 {
			break
		}
		x := crisp1(l.xf(v*l.timeUnit - base))
		add(shape{kind: kStroke, paths: [][]pt{{{x, l.y0}, {x, l.y1}}}, color: colGrid, width: 1})
		add(shape{kind: kStroke, paths: [][]pt{{{x, l.y1}, {x, l.y1 + 5}}}, color: colAxis, width: 1})
		text(x, l.y1+19, tickLabel(v, tstep), sizeText, colText, anchorMiddle, false)
	}
	// Sequence numbers in bytes, or in kB or MB (of 1000 and 1000000
	// bytes) when the labels would be long.
	sdiv, sunit := 1.0, "bytes"
	switch top := math.Max(math.Abs(l.smin), math.Abs(l.smax)); {
	case top >= 5e6:
		sdiv, sunit = 1e6, "MB, 1 MB = 1000000 bytes"
	case top >= 1e5:
		sdiv, sunit = 1e3, "kB, 1 kB = 1000 bytes"
	}
	sstep, sfirst := niceTicks(l.smin/sdiv, l.smax/sdiv, 8)
	if sstep*sdiv < 1 {
		sstep, sfirst = 1, math.Ceil(l.smin)
	}
	for i := 0; i < 50; i++ {
		v := sfirst + float64(i)*sstep
		if v > l.smax/sdiv+sstep*1e-9 {
			break
		}
		y := crisp1(l.y1 - (v*sdiv-l.smin)/(l.smax-l.smin)*(l.y1-l.y0))
		add(shape{kind: kStroke, paths: [][]pt{{{l.x0, y}, {l.x1, y}}}, color: colGrid, width: 1})
		add(shape{kind: kStroke, paths: [][]pt{{{l.x0 - 5, y}, {l.x0, y}}}, color: colAxis, width: 1})
		text(l.x0-8, y+4, tickLabel(v, sstep), sizeText, colText, anchorEnd, false)
	}
	add(shape{kind: kStroke, paths: [][]pt{{{crisp1(l.x0), l.y0}, {crisp1(l.x0), crisp1(l.y1)}, {l.x1, crisp1(l.y1)}}}, color: colAxis, width: 1})
	text((l.x0+l.x1)/2, l.y1+40, "time since the capture's first frame ("+l.timeUnitName+")", sizeText, colText, anchorMiddle, false)
	add(shape{kind: kText, paths: [][]pt{{{22, (l.y0 + l.y1) / 2}}}, text: "relative sequence number (" + sunit + ")", size: sizeText, color: colText, anchor: anchorMiddle, vertical: true})

	// Title and summary.
	text(Width/2, 26, g.Title, sizeTitle, colText, anchorMiddle, true)
	text(Width/2, 46, g.summary(), sizeText, colSubtle, anchorMiddle, false)

	// Lines: receive window, congestion window, ACKs.
	var legend []legendItem
	tend := l.tbase + int64(l.tmax)
	var acks []Ack
	lostAcks := 0
	for _, a := range g.Acks {
		if a.Lost != "" {
			lostAcks++
			continue
		}
		acks = append(acks, a)
	}
	if len(acks) > 0 {
		win := steps(l, acks, tend, func(a Ack) int64 { return a.Ack + a.Window })
		line(colWindow, 2, 0, "", win...)
		legend = append(legend, legendItem{kind: legLine, color: colWindow, text: "receive window (ACK + window)" + above(l, acks, func(a Ack) int64 { return a.Ack + a.Window })})
	}
	if len(acks) > 0 {
		line(colAck, 2, 0, "", steps(l, acks, tend, func(a Ack) int64 { return a.Ack })...)
		legend = append(legend, legendItem{kind: legLine, color: colAck, text: "ACK"})
	}
	// SACK blocks: what the receiver holds beyond the ACK, a bar just
	// right of the ACK's time (tcptrace draws them on it).
	nSACK := 0
	for _, a := range acks {
		x := l.x(a.Time) + 4
		if len(a.SACK) == 0 || x < l.x0 || x > l.x1 {
			continue
		}
		for _, b := range a.SACK {
			ya, yb := l.y(b[0]), l.y(b[1])
			if b[1] <= b[0] || ya < l.y0 || yb > l.y1 || yb < l.y0 && ya < l.y0 {
				continue
			}
			yb = math.Max(yb, l.y0)
			add(shape{kind: kStroke, paths: ibeam(x, ya, yb), color: colSACK, width: 2, tip: fmt.Sprintf("frame %d: SACK %d-%d (ACK %d)", a.Frame, b[0], b[1], a.Ack)})
			nSACK++
		}
	}
	if nSACK > 0 {
		legend = append(legend, legendItem{kind: legBar, color: colSACK, text: "SACK block"})
	}
	if len(g.Cwnd) > 0 {
		pts := steps(l, g.Cwnd, tend, func(c CwndSample) int64 { return c.Una + c.Cwnd })
		line(colCwnd, 2, 6, "", pts...)
		legend = append(legend, legendItem{kind: legDash, color: colCwnd, text: "cwnd (una + cwnd, from netsim's stack)" + above(l, g.Cwnd, func(c CwndSample) int64 { return c.Una + c.Cwnd })})
	}

	// Segments, tcptrace style: a vertical bar from Seq to End with
	// ticks at both ends; retransmissions in red, SYN and FIN in teal.
	var nData, nRetrans, nSynFin, nLost, nFrameLabels int
	labels := &labelSpace{max: 300}
	visible := func(t int64) bool { x := l.x(t); return x >= l.x0-0.5 && x <= l.x1+0.5 }
	for _, s := range g.Segments {
		if !visible(s.Time) {
			continue
		}
		x, ya, yb := l.x(s.Time), l.y(s.Seq), l.y(s.End)
		c := colData
		switch {
		case s.Retransmission:
			c, nRetrans = colRetrans, nRetrans+1
		case s.SYN || s.FIN:
			c = colSynFin
		default:
			nData++
		}
		add(shape{kind: kStroke, paths: ibeam(x, ya, yb), color: c, width: 2, tip: s.tip()})
		if s.SYN || s.FIN {
			nSynFin++
			label := "SYN"
			if s.FIN {
				label = "FIN"
			}
			text(x+5, yb-7, label, sizeSmall, c, anchorStart, true)
			labels.place(fs, x+5, yb-7, label, anchorStart, true)
		}
	}
	// Frame numbers left of the bars, where they do not crowd each
	// other: teachers and learners name segments by them. The marked
	// segments (retransmitted, lost, SYN, FIN) get theirs first.
	for pass := 0; pass < 2; pass++ {
		for _, s := range g.Segments {
			marked := s.Retransmission || s.Lost != "" || s.SYN || s.FIN
			if !visible(s.Time) || marked != (pass == 0) {
				continue
			}
			x, y := l.x(s.Time), (l.y(s.Seq)+l.y(s.End))/2+4
			label := "#" + strconv.Itoa(s.Frame)
			right := x + 5 // or, for a marked one, right of the bar (and of a lost ×)
			if s.Lost != "" {
				right = x + 14
			}
			switch {
			case labels.place(fs, x-5, y, label, anchorEnd, false):
				text(x-5, y, label, sizeSmall, colSubtle, anchorEnd, false)
			case marked && labels.place(fs, right, y, label, anchorStart, false):
				text(right, y, label, sizeSmall, colSubtle, anchorStart, false)
			default:
				continue
			}
			nFrameLabels++
		}
	}
	for _, s := range g.Segments {
		if s.Lost != "" && visible(s.Time) {
			nLost++
			add(shape{kind: kStroke, paths: cross(l.x(s.Time)+8, (l.y(s.Seq)+l.y(s.End))/2, 4), color: colLost, width: 2, tip: fmt.Sprintf("frame %d: %s", s.Frame, s.Lost)})
		}
	}
	for _, a := range g.Acks {
		if a.Lost != "" && visible(a.Time) {
			nLost++
			add(shape{kind: kStroke, paths: cross(l.x(a.Time), l.y(a.Ack), 4), color: colLost, width: 2, tip: fmt.Sprintf("frame %d: ACK %d, %s", a.Frame, a.Ack, a.Lost)})
		}
	}
	var segLegend []legendItem
	if nData > 0 {
		segLegend = append(segLegend, legendItem{kind: legBar, color: colData, text: "data segment"})
	}
	if nRetrans > 0 {
		segLegend = append(segLegend, legendItem{kind: legBar, color: colRetrans, text: "retransmission"})
	}
	if nSynFin > 0 {
		segLegend = append(segLegend, legendItem{kind: legBar, color: colSynFin, text: "SYN / FIN"})
	}
	if nLost > 0 {
		segLegend = append(segLegend, legendItem{kind: legCross, color: colLost, text: "lost by the network (netsim)"})
	}
	if nFrameLabels > 0 {
		segLegend = append(segLegend, legendItem{kind: legText, color: colSubtle, text: "frame number"})
	}
	legend = append(segLegend, legend...)
	drawLegend(p, fs, legend, l.x0, l.y1+62)
	return p, l
}

// tip is a segment's tooltip in the SVG.
func (s Segment) tip() string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d, %s: ", s.Frame, formatTime(s.Time))
	switch {
	case s.SYN:
		fmt.Fprintf(&b, "SYN, seq %d", s.Seq)
	case s.FIN && s.Len == 0:
		fmt.Fprintf(&b, "FIN, seq %d", s.Seq)
	default:
		fmt.Fprintf(&b, "seq %d-%d (%d bytes)", s.Seq, s.Seq+int64(s.Len), s.Len)
		if s.FIN {
			b.WriteString(", FIN")
		}
	}
	if s.Retransmission {
		b.WriteString(", retransmission")
	}
	if s.Lost != "" {
		b.WriteString(", " + s.Lost)
	}
	return b.String()
}

// formatTime writes ns as seconds with nine decimals, as tshark's
// frame.time_relative.
func formatTime(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e9, 'f', 9, 64) + " s"
}

// summary is the line under the title.
func (g *Graph) summary() string {
	var data, retrans, lost int
	for _, s := range g.Segments {
		if s.Len > 0 {
			data++
		}
		if s.Retransmission {
			retrans++
		}
		if s.Lost != "" {
			lost++
		}
	}
	for _, a := range g.Acks {
		if a.Lost != "" {
			lost++
		}
	}
	parts := []string{
		plural(int(g.Bytes), "payload byte"),
		plural(data, "data segment"),
		plural(retrans, "retransmission"),
	}
	if lost > 0 {
		parts = append(parts, plural(lost, "frame")+" lost")
	}
	if g.To > g.From {
		parts = append(parts, fmt.Sprintf("showing %v to %v", time.Duration(g.From), time.Duration(g.To)))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// scales computes the plot's ranges from the graph's data.
func (g *Graph) scales() *layout {
	l := &layout{x0: marginLeft, y0: marginTop, x1: Width - marginRight, y1: Height - marginBottom}
	var tlo, thi int64
	seen := false
	smin, smax := math.Inf(1), math.Inf(-1)
	see := func(t int64, s ...int64) {
		if !seen || t < tlo {
			tlo = t
		}
		if !seen || t > thi {
			thi = t
		}
		seen = true
		for _, v := range s {
			smin, smax = math.Min(smin, float64(v)), math.Max(smax, float64(v))
		}
	}
	view := g.To > g.From
	in := func(t int64) bool { return !view || (t >= g.From && t <= g.To) }
	// seeLevels takes in a step line's levels: those of the window's items
	// and the one in force when the window starts.
	seeLevels := func(n int, at func(int) int64, level func(int) int64, use func(int) bool) {
		last := -1
		for i := 0; i < n; i++ {
			if !use(i) {
				continue
			}
			if in(at(i)) {
				see(at(i), level(i))
			} else if view && at(i) < g.From {
				last = i
			}
		}
		if last >= 0 {
			v := level(last)
			smin, smax = math.Min(smin, float64(v)), math.Max(smax, float64(v))
		}
	}
	for _, s := range g.Segments {
		if in(s.Time) {
			see(s.Time, s.Seq, s.End)
		}
	}
	seeLevels(len(g.Acks), func(i int) int64 { return g.Acks[i].Time }, func(i int) int64 { return g.Acks[i].Ack }, func(int) bool { return true })
	seeLevels(len(g.Cwnd), func(i int) int64 { return g.Cwnd[i].Time }, func(i int) int64 { return g.Cwnd[i].Una }, func(int) bool { return true })
	if view {
		tlo, thi, seen = g.From, g.To, true
	}
	if math.IsInf(smin, 1) {
		smin, smax = 0, 1
	}
	l.tbase = tlo
	tmin, tmax := 0.0, float64(uint64(thi-tlo)) // unsigned: a span past 2^63 ns stays positive
	// The windows' edges are shown when they are not far above the data:
	// a 3 MiB receive window over a 32 KiB transfer would flatten it.
	limit := smax + (smax-smin)*0.6
	for _, a := range g.Acks {
		if a.Lost == "" && in(a.Time) {
			if v := float64(a.Ack + a.Window); v <= limit {
				smax = math.Max(smax, v)
			}
		}
	}
	for _, c := range g.Cwnd {
		if v := float64(c.Una + c.Cwnd); v <= limit && in(c.Time) {
			smax = math.Max(smax, v)
		}
	}
	if tmax-tmin < 1000 {
		tmax = tmin + 1000 // 1 µs at least
	}
	if smax-smin < 4 {
		smax = smin + 4
	}
	pad := (tmax - tmin) * 0.03
	if view {
		pad = 0
	}
	l.tmin, l.tmax = tmin-pad, tmax+pad
	if !view && tlo >= 0 && float64(tlo) < pad {
		// The axis starts at the capture's first frame (a little before,
		// so that the y axis does not cover a segment there).
		l.tmin = -float64(tlo) - pad/2
	}
	pad = (smax - smin) * 0.05
	l.smin, l.smax = smin-pad, smax+pad
	span := l.tmax - l.tmin
	switch {
	case span < 2e3:
		l.timeUnit, l.timeUnitName = 1, "ns"
	case span < 2e6:
		l.timeUnit, l.timeUnitName = 1e3, "µs"
	case span < 2e9:
		l.timeUnit, l.timeUnitName = 1e6, "ms"
	default:
		l.timeUnit, l.timeUnitName = 1e9, "s"
	}
	return l
}

// above says how far above the plot a window's edge goes, when it does:
// of the levels in view (those of the items drawn, and the one in force at
// the left edge).
func above[T stepper](l *layout, items []T, v func(T) int64) string {
	top := int64(math.MinInt64)
	for i, it := range items {
		x := l.x(it.at())
		next := math.Inf(1)
		if i+1 < len(items) {
			next = l.x(items[i+1].at())
		}
		if x <= l.x1+0.5 && next >= l.x0-0.5 {
			top = max(top, v(it))
		}
	}
	if top == math.MinInt64 || float64(top) <= l.smax {
		return ""
	}
	return fmt.Sprintf(" (above the plot, up to %d)", top)
}

// stepper is anything with a time.
type stepper interface{ at() int64 }

func (a Ack) at() int64        { return a.Time }
func (c CwndSample) at() int64 { return c.Time }

// steps returns a step line through items: level v(item) from its time to
// the next item's, the last level held until tend.
func steps[T stepper](l *layout, items []T, tend int64, v func(T) int64) []pt {
	var pts []pt
	for i, it := range items {
		x, y := math.Round(l.x(it.at())), math.Round(l.y(v(it)))
		if i > 0 {
			pts = append(pts, pt{x, pts[len(pts)-1].Y})
		}
		pts = append(pts, pt{x, y})
	}
	if len(pts) > 0 {
		pts = append(pts, pt{l.x(tend), pts[len(pts)-1].Y})
	}
	// Drop points that repeat the one before (an unchanged level).
	out := pts[:0]
	for i, p := range pts {
		if i > 0 && p == out[len(out)-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ibeam is a segment's bar: a vertical line from ya to yb at x with short
// ticks at both ends (tcptrace's), when it is tall enough for them.
func ibeam(x, ya, yb float64) [][]pt {
	const t = 3
	x, ya, yb = math.Round(x), math.Round(ya), math.Round(yb)
	if math.Abs(ya-yb) < 2 {
		// At least 2 px long: a renderer may draw nothing for a
		// zero-length line (librsvg does not cap one).
		yb = ya - 2
	}
	if math.Abs(ya-yb) < 6 {
		// Too short for ticks: they would make a blob.
		return [][]pt{{{x, ya}, {x, yb}}}
	}
	return [][]pt{{{x, ya}, {x, yb}}, {{x - t, ya}, {x + t, ya}}, {{x - t, yb}, {x + t, yb}}}
}

// cross is an × of half-size r centred on (x, y).
func cross(x, y, r float64) [][]pt {
	x, y = math.Round(x), math.Round(y)
	return [][]pt{{{x - r, y - r}, {x + r, y + r}}, {{x - r, y + r}, {x + r, y - r}}}
}

// niceTicks returns a tick step (1, 2 or 5 times a power of ten) giving
// about n ticks over [lo, hi], and the first tick at or above lo.
func niceTicks(lo, hi float64, n int) (step, first float64) {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return 1, lo
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		step = p
	case f <= 2:
		step = 2 * p
	case f <= 5:
		step = 5 * p
	default:
		step = 10 * p
	}
	return step, math.Ceil(lo/step-1e-9) * step
}

// tickLabel formats a tick value with as many decimals as its step needs.
func tickLabel(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step*1e-6 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// Legend.

type legendKind int

const (
	legBar legendKind = iota
	legLine
	legDash
	legCross
	legText
)

type legendItem struct {
	kind  legendKind
	color color.RGBA
	text  string
}

// drawLegend lays the items out in rows from (x, y) (the first row's
// baseline), wrapping at the plot's right edge.
func drawLegend(p *picture, fs faces, items []legendItem, x, y float64) {
	const swatch, gap = 26, 22
	right := float64(Width - marginRight)
	cx := x
	for _, it := range items {
		// Room for wider fonts than Go's (an SVG viewer may not have it).
		w := swatch + 6 + 1.15*fs.width(it.text, sizeText, false)
		if cx > x && cx+w > right {
			cx, y = x, y+22
		}
		sy, sx := math.Round(y-4), math.Round(cx)
		switch it.kind {
		case legBar:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: ibeam(sx+swatch/2, sy+7, sy-7), color: it.color, width: 2})
		case legLine:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: [][]pt{{{sx, sy}, {sx + swatch, sy}}}, color: it.color, width: 2})
		case legDash:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: [][]pt{{{sx, sy}, {sx + swatch, sy}}}, color: it.color, width: 2, dash: 6})
		case legCross:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: cross(sx+swatch/2, sy, 4), color: it.color, width: 2})
		case legText:
			p.shapes = append(p.shapes, shape{kind: kText, paths: [][]pt{{{sx + swatch, y}}}, text: "#N", size: sizeSmall, color: it.color, anchor: anchorEnd})
		}
		p.shapes = append(p.shapes, shape{kind: kText, paths: [][]pt{{{cx + swatch + 6, y}}}, text: it.text, size: sizeText, color: colText})
		cx += w + gap
	}
}

// crisp1 moves a 1-pixel line's centre to the middle of a pixel, so that
// it covers one row or column of pixels instead of blurring over two.
func crisp1(v float64) float64 { return math.Floor(v) + 0.5 }

// labelSpace keeps the boxes of the labels placed so far, so that frame
// numbers are written only where they crowd nothing. It gives up after max
// labels, which no reader could tell apart anyway.
type labelSpace struct {
	boxes []box
	max   int
}

type box struct{ x0, y0, x1, y1 float64 }

// place reserves the box of a label of size sizeSmall at (x, y) with
// anchor a, and reports whether it was free.
func (ls *labelSpace) place(fs faces, x, y float64, s string, a anchor, bold bool) bool {
	if len(ls.boxes) >= ls.max {
		return false
	}
	// Room for wider fonts than Go's, as in the legend.
	w := 1.15 * fs.width(s, sizeSmall, bold)
	b := box{x, y - sizeSmall, x + w, y + 3}
	if a == anchorEnd {
		b.x0, b.x1 = x-w, x
	}
	if b.x0 < marginLeft || b.x1 > Width-marginRight || b.y0 < marginTop-10 || b.y1 > Height-marginBottom {
		return false
	}
	for _, o := range ls.boxes {
		if b.x0 < o.x1+2 && o.x0 < b.x1+2 && b.y0 < o.y1 && o.y0 < b.y1 {
			return false
		}
	}
	ls.boxes = append(ls.boxes, b)
	return true
}
