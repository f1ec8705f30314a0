package tsg

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"netsim.dev/netsim/internal/xmltext"
)

// SVG writes the graph as an SVG picture of [Width]×[Height] pixels. Each
// segment's bar carries a tooltip (its frame number, time, sequence range,
// and why it is marked). The text asks for the Go font, then common sans
// fonts.
func (g *Graph) SVG(w io.Writer) error {
	p, _ := g.draw()
	return p.svg(w)
}

// PNG writes the graph as a PNG image drawn in Go, from the same drawing as
// [Graph.SVG], so that both look the same.
func (g *Graph) PNG(w io.Writer) error {
	p, _ := g.draw()
	return png.Encode(w, p.raster())
}

// Image returns the graph drawn as [Graph.PNG] draws it.
func (g *Graph) Image() *image.RGBA {
	p, _ := g.draw()
	return p.raster()
}

func num(v float64) string { return strconv.FormatFloat(round2(v), 'f', -1, 64) }

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// xmlEscape escapes text for the SVG (see [xmltext.Escape]).
func xmlEscape(s string) string { return xmltext.Escape(s, false) }

func (p *picture) svg(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Go, 'DejaVu Sans', Arial, Helvetica, sans-serif">
<title>%s</title>
`, p.w, p.h, p.w, p.h, xmlEscape(p.title))
	for _, s := range p.shapes {
		switch s.kind {
		case kFill:
			a, b := s.paths[0][0], s.paths[0][1]
			fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", num(a.X), num(a.Y), num(b.X-a.X), num(b.Y-a.Y), hexColor(s.color))
		case kStroke:
			var d strings.Builder
			for _, path := range s.paths {
				for i, q := range path {
					if i == 0 {
						d.WriteString("M")
					} else {
						d.WriteString(" L")
					}
					d.WriteString(num(q.X) + " " + num(q.Y))
				}
				d.WriteString(" ")
			}
			fmt.Fprintf(w, `<path d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linecap="square"`, strings.TrimSpace(d.String()), hexColor(s.color), num(s.width))
			if s.dash > 0 {
				fmt.Fprintf(w, ` stroke-dasharray="%s %s"`, num(s.dash), num(s.dash))
			}
			if s.tip != "" {
				fmt.Fprintf(w, "><title>%s</title></path>\n", xmlEscape(s.tip))
			} else {
				w.WriteString("/>\n")
			}
		case kText:
			q := s.paths[0][0]
			fmt.Fprintf(w, `<text x="%s" y="%s" font-size="%s" fill="%s"`, num(q.X), num(q.Y), num(s.size), hexColor(s.color))
			switch s.anchor {
			case anchorMiddle:
				w.WriteString(` text-anchor="middle"`)
			case anchorEnd:
				w.WriteString(` text-anchor="end"`)
			}
			if s.bold {
				w.WriteString(` font-weight="bold"`)
			}
			if s.vertical {
				fmt.Fprintf(w, ` transform="rotate(-90 %s %s)"`, num(q.X), num(q.Y))
			}
			fmt.Fprintf(w, ">%s</text>\n", xmlEscape(s.text))
		}
	}
	w.WriteString("</svg>\n")
	return w.Flush()
}

// raster draws the picture in Go: strokes as polygons filled by
// [vector.Rasterizer] (square caps, dashes cut as the SVG's), text in the
// Go font.
func (p *picture) raster() *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	fs := faces{}
	var z vector.Rasterizer
	for _, s := range p.shapes {
		switch s.kind {
		case kFill:
			a, b := s.paths[0][0], s.paths[0][1]
			r := image.Rect(int(math.Round(a.X)), int(math.Round(a.Y)), int(math.Round(b.X)), int(math.Round(b.Y)))
			draw.Draw(dst, r, image.NewUniform(s.color), image.Point{}, draw.Over)
		case kStroke:
			var quads [][4]pt
			for _, path := range s.paths {
				phase := 0.0 // the dash pattern runs on along a path, as in SVG
				for i := 0; i+1 < len(path); i++ {
					quads = append(quads, dashes(path[i], path[i+1], s.width, s.dash, &phase)...)
				}
			}
			fillQuads(&z, dst, quads, s.color)
		case kText:
			drawText(dst, fs, s)
		}
	}
	return dst
}

// dashes returns the quads that stroke the segment a-b with width w and
// square caps, cut into dashes and gaps of length dash (0: solid). phase
// is how far into the dash pattern a starts, updated to where b ends.
func dashes(a, b pt, w, dash float64, phase *float64) [][4]pt {
	dx, dy := b.X-a.X, b.Y-a.Y
	n := math.Hypot(dx, dy)
	if dash <= 0 || n == 0 {
		return [][4]pt{quad(a, b, w)}
	}
	var out [][4]pt
	ux, uy := dx/n, dy/n
	period := 2 * dash
	p := math.Mod(*phase, period)
	// t runs along a-b; the dash pattern is at p+t.
	for t := -p; t < n; t += period {
		s, e := math.Max(t, 0), math.Min(t+dash, n)
		if e > s {
			out = append(out, quad(pt{a.X + ux*s, a.Y + uy*s}, pt{a.X + ux*e, a.Y + uy*e}, w))
		}
	}
	*phase = p + n
	return out
}

// quad is the rectangle stroking a-b with width w, extended by w/2 at both
// ends (a square cap), wound the same way whatever the direction.
func quad(a, b pt, w float64) [4]pt {
	dx, dy := b.X-a.X, b.Y-a.Y
	n := math.Hypot(dx, dy)
	ux, uy := 1.0, 0.0
	if n > 0 {
		ux, uy = dx/n, dy/n
	}
	h := w / 2
	a = pt{a.X - ux*h, a.Y - uy*h}
	b = pt{b.X + ux*h, b.Y + uy*h}
	nx, ny := -uy*h, ux*h
	return [4]pt{{a.X + nx, a.Y + ny}, {b.X + nx, b.Y + ny}, {b.X - nx, b.Y - ny}, {a.X - nx, a.Y - ny}}
}

// fillQuads fills the union of quads with c, over what dst has.
func fillQuads(z *vector.Rasterizer, dst *image.RGBA, quads [][4]pt, c color.RGBA) {
	if len(quads) == 0 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range quads {
		for _, v := range q {
			minX, minY = math.Min(minX, v.X), math.Min(minY, v.Y)
			maxX, maxY = math.Max(maxX, v.X), math.Max(maxY, v.Y)
		}
	}
	r := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).Intersect(dst.Bounds())
	if r.Empty() {
		return
	}
	// The rasterizer's cost is the area it covers: a step line across the
	// plot is drawn piece by piece. (The colours are opaque, so pieces
	// that meet at a corner look the same as one path.)
	if len(quads) > 1 {
		area := 0.0
		for _, q := range quads {
			area += (math.Hypot(q[1].X-q[0].X, q[1].Y-q[0].Y) + 2) * (math.Hypot(q[3].X-q[0].X, q[3].Y-q[0].Y) + 2)
		}
		if float64(r.Dx()*r.Dy()) > 4*area {
			for i := range quads {
				fillQuads(z, dst, quads[i:i+1], c)
			}
			return
		}
	}
	z.Reset(r.Dx(), r.Dy())
	z.DrawOp = draw.Over
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	for _, q := range quads {
		// The same winding for every quad, so that overlaps add up
		// instead of cancelling.
		area := 0.0
		for i := range q {
			j := (i + 1) % 4
			area += q[i].X*q[j].Y - q[j].X*q[i].Y
		}
		if area < 0 {
			q[1], q[3] = q[3], q[1]
		}
		z.MoveTo(float32(q[0].X-ox), float32(q[0].Y-oy))
		for _, v := range q[1:] {
			z.LineTo(float32(v.X-ox), float32(v.Y-oy))
		}
		z.ClosePath()
	}
	z.Draw(dst, r, image.NewUniform(c), image.Point{})
}

// drawText draws a text shape in the Go font: the SVG's text-anchor by
// measuring, and vertical text drawn flat and turned a quarter left.
func drawText(dst *image.RGBA, fs faces, s shape) {
	face := fs.get(s.size, s.bold)
	q := s.paths[0][0]
	wd := fs.width(s.text, s.size, s.bold)
	shift := 0.0
	switch s.anchor {
	case anchorMiddle:
		shift = wd / 2
	case anchorEnd:
		shift = wd
	}
	src := image.NewUniform(s.color)
	if !s.vertical {
		d := font.Drawer{Dst: dst, Src: src, Face: face, Dot: fixed.Point26_6{X: fixed.Int26_6(math.Round((q.X - shift) * 64)), Y: fixed.Int26_6(math.Round(q.Y * 64))}}
		d.DrawString(s.text)
		return
	}
	m := face.Metrics()
	asc, desc := int(math.Ceil(fix(m.Ascent))), int(math.Ceil(fix(m.Descent)))
	flat := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(wd))+1, asc+desc))
	d := font.Drawer{Dst: flat, Src: src, Face: face, Dot: fixed.P(0, asc)}
	d.DrawString(s.text)
	// Turned -90°: flat's (fx, fy) lands at (x0+fy, y0-fx), with the
	// baseline (fy = asc) on the vertical line x = q.X and the text
	// centred as the anchor says.
	x0 := int(math.Round(q.X)) - asc
	y0 := int(math.Round(q.Y + shift))
	fb := flat.Bounds()
	for fy := 0; fy < fb.Dy(); fy++ {
		for fx := 0; fx < fb.Dx(); fx++ {
			c := flat.RGBAAt(fx, fy)
			if c.A == 0 {
				continue
			}
			x, y := x0+fy, y0-fx
			if !(image.Point{x, y}.In(dst.Bounds())) {
				continue
			}
			// flat holds premultiplied colour: composite over dst.
			o := dst.RGBAAt(x, y)
			a := 255 - uint32(c.A)
			dst.SetRGBA(x, y, color.RGBA{
				R: uint8(uint32(c.R) + uint32(o.R)*a/255),
				G: uint8(uint32(c.G) + uint32(o.G)*a/255),
				B: uint8(uint32(c.B) + uint32(o.B)*a/255),
				A: uint8(uint32(c.A) + uint32(o.A)*a/255),
			})
		}
	}
}
