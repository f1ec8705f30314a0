package tsg

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// Size of the picture in pixels (SVG user units).
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
	tmin, tmax     float64 // ns
	smin, smax     float64 // sequence numbers
	timeUnit       float64 // ns per tick-label unit
	timeUnitName   string
}

func (l *layout) x(t int64) float64 {
	return l.x0 + (float64(t)-l.tmin)/(l.tmax-l.tmin)*(l.x1-l.x0)
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
	tstep, tfirst := niceTicks(l.tmin/l.timeUnit, l.tmax/l.timeUnit, 8)
	for v := tfirst; v <= l.tmax/l.timeUnit+tstep*1e-9; v += tstep {
		x := l.x(int64(math.Round(v * l.timeUnit)))
		add(shape{kind: kStroke, paths: [][]pt{{{x, l.y0}, {x, l.y1}}}, color: colGrid, width: 1})
		add(shape{kind: kStroke, paths: [][]pt{{{x, l.y1}, {x, l.y1 + 5}}}, color: colAxis, width: 1})
		text(x, l.y1+19, tickLabel(v, tstep), sizeText, colText, anchorMiddle, false)
	}
	sstep, sfirst := niceTicks(l.smin, l.smax, 8)
	if sstep < 1 {
		sstep, sfirst = 1, math.Ceil(l.smin)
	}
	for v := sfirst; v <= l.smax+sstep*1e-9; v += sstep {
		y := l.y(int64(math.Round(v)))
		add(shape{kind: kStroke, paths: [][]pt{{{l.x0, y}, {l.x1, y}}}, color: colGrid, width: 1})
		add(shape{kind: kStroke, paths: [][]pt{{{l.x0 - 5, y}, {l.x0, y}}}, color: colAxis, width: 1})
		text(l.x0-8, y+4, tickLabel(v, sstep), sizeText, colText, anchorEnd, false)
	}
	add(shape{kind: kStroke, paths: [][]pt{{{l.x0, l.y0}, {l.x0, l.y1}, {l.x1, l.y1}}}, color: colAxis, width: 1})
	text((l.x0+l.x1)/2, l.y1+40, "time since the capture's first frame ("+l.timeUnitName+")", sizeText, colText, anchorMiddle, false)
	add(shape{kind: kText, paths: [][]pt{{{22, (l.y0 + l.y1) / 2}}}, text: "relative sequence number (bytes)", size: sizeText, color: colText, anchor: anchorMiddle, vertical: true})

	// Title and summary.
	text(Width/2, 26, g.Title, sizeTitle, colText, anchorMiddle, true)
	text(Width/2, 46, g.summary(), sizeText, colSubtle, anchorMiddle, false)

	// Lines: receive window, congestion window, ACKs.
	var legend []legendItem
	tend := int64(l.tmax)
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
		line(colWindow, 1.5, 0, "", win...)
		legend = append(legend, legendItem{kind: legLine, color: colWindow, text: "receive window (ACK + window)" + above(l, acks, func(a Ack) int64 { return a.Ack + a.Window })})
	}
	if len(g.Cwnd) > 0 {
		pts := steps(l, g.Cwnd, tend, func(c CwndSample) int64 { return c.Una + c.Cwnd })
		line(colCwnd, 2, 6, "", pts...)
		legend = append(legend, legendItem{kind: legDash, color: colCwnd, text: "cwnd (una + cwnd, from netsim's stack)" + above(l, g.Cwnd, func(c CwndSample) int64 { return c.Una + c.Cwnd })})
	}
	if len(acks) > 0 {
		line(colAck, 1.5, 0, "", steps(l, acks, tend, func(a Ack) int64 { return a.Ack })...)
		legend = append(legend, legendItem{kind: legLine, color: colAck, text: "ACK"})
	}

	// Segments, tcptrace style: a vertical bar from Seq to End with
	// ticks at both ends; retransmissions in red, SYN and FIN in teal.
	var nData, nRetrans, nSynFin, nLost int
	for _, s := range g.Segments {
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
		add(shape{kind: kStroke, paths: ibeam(x, ya, yb), color: c, width: 1.5, tip: s.tip()})
		if s.SYN || s.FIN {
			nSynFin++
			label := "SYN"
			if s.FIN {
				label = "FIN"
			}
			text(x+5, yb-4, label, sizeSmall, c, anchorStart, true)
		}
	}
	for _, s := range g.Segments {
		if s.Lost != "" {
			nLost++
			add(shape{kind: kStroke, paths: cross(l.x(s.Time)+7, (l.y(s.Seq)+l.y(s.End))/2, 4), color: colLost, width: 2, tip: fmt.Sprintf("frame %d: %s", s.Frame, s.Lost)})
		}
	}
	for _, a := range g.Acks {
		if a.Lost != "" {
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
	tmin, tmax := math.Inf(1), math.Inf(-1)
	smin, smax := math.Inf(1), math.Inf(-1)
	see := func(t int64, s ...int64) {
		tmin, tmax = math.Min(tmin, float64(t)), math.Max(tmax, float64(t))
		for _, v := range s {
			smin, smax = math.Min(smin, float64(v)), math.Max(smax, float64(v))
		}
	}
	for _, s := range g.Segments {
		see(s.Time, s.Seq, s.End)
	}
	for _, a := range g.Acks {
		see(a.Time, a.Ack)
	}
	for _, c := range g.Cwnd {
		see(c.Time, c.Una)
	}
	if math.IsInf(tmin, 1) {
		tmin, tmax, smin, smax = 0, 1, 0, 1
	}
	// The windows' edges are shown when they are not far above the data:
	// a 3 MiB receive window over a 32 KiB transfer would flatten it.
	limit := smax + (smax-smin)*0.6
	for _, a := range g.Acks {
		if a.Lost == "" {
			if v := float64(a.Ack + a.Window); v <= limit {
				smax = math.Max(smax, v)
			}
		}
	}
	for _, c := range g.Cwnd {
		if v := float64(c.Una + c.Cwnd); v <= limit {
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
	l.tmin, l.tmax = tmin-pad, tmax+pad
	if l.tmin < 0 && tmin >= 0 {
		l.tmin = math.Min(0, tmin-pad/3)
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

// above says how far above the plot a window's edge goes, when it does.
func above[T any](l *layout, items []T, v func(T) int64) string {
	top := int64(math.MinInt64)
	for _, it := range items {
		top = max(top, v(it))
	}
	if float64(top) <= l.smax {
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
		x, y := l.x(it.at()), l.y(v(it))
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
// ticks at both ends.
func ibeam(x, ya, yb float64) [][]pt {
	const t = 2.5
	return [][]pt{{{x, ya}, {x, yb}}, {{x - t, ya}, {x + t, ya}}, {{x - t, yb}, {x + t, yb}}}
}

// cross is an × of half-size r centred on (x, y).
func cross(x, y, r float64) [][]pt {
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
		w := swatch + 6 + fs.width(it.text, sizeText, false)
		if cx > x && cx+w > right {
			cx, y = x, y+22
		}
		sy := y - 4
		switch it.kind {
		case legBar:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: ibeam(cx+swatch/2, sy+7, sy-7), color: it.color, width: 1.5})
		case legLine:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: [][]pt{{{cx, sy}, {cx + swatch, sy}}}, color: it.color, width: 1.5})
		case legDash:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: [][]pt{{{cx, sy}, {cx + swatch, sy}}}, color: it.color, width: 2, dash: 6})
		case legCross:
			p.shapes = append(p.shapes, shape{kind: kStroke, paths: cross(cx+swatch/2, sy, 4), color: it.color, width: 2})
		}
		p.shapes = append(p.shapes, shape{kind: kText, paths: [][]pt{{{cx + swatch + 6, y}}}, text: it.text, size: sizeText, color: colText})
		cx += w + gap
	}
}
