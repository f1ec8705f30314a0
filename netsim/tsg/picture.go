package tsg

import (
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// picture is the drawing model both [Graph.SVG] and [Graph.PNG] render:
// shapes in pixel coordinates, painted in order.
type picture struct {
	w, h   int
	title  string
	shapes []shape
}

type shapeKind int

const (
	kStroke shapeKind = iota // polylines
	kFill                    // a filled rectangle: paths[0] = {min, max}
	kText
)

type pt struct{ X, Y float64 }

type anchor int

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// shape is one element of a picture.
type shape struct {
	kind  shapeKind
	paths [][]pt
	color color.RGBA
	width float64 // stroke width
	dash  float64 // dash and gap length; 0 for solid

	// text
	text     string
	size     float64
	anchor   anchor
	vertical bool // rotated -90°, reading upwards
	bold     bool

	tip string // SVG tooltip (<title>)
}

// Colours of the graph, chosen to be told apart on white, also by readers
// with red-green colour blindness (blue against red/orange, the lines
// dashed or solid).
var (
	colBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colText       = color.RGBA{0x20, 0x20, 0x20, 0xff}
	colSubtle     = color.RGBA{0x60, 0x60, 0x60, 0xff}
	colGrid       = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	colAxis       = color.RGBA{0x40, 0x40, 0x40, 0xff}
	colData       = color.RGBA{0x1f, 0x4e, 0xb4, 0xff} // blue
	colRetrans    = color.RGBA{0xd6, 0x27, 0x28, 0xff} // red
	colLost       = color.RGBA{0xff, 0x8c, 0x00, 0xff} // orange
	colSynFin     = color.RGBA{0x00, 0x89, 0x8a, 0xff} // teal
	colAck        = color.RGBA{0x2c, 0xa0, 0x2c, 0xff} // green
	colWindow     = color.RGBA{0xb8, 0x86, 0x0b, 0xff} // dark goldenrod (tcptrace's yellow, readable on white)
	colCwnd       = color.RGBA{0x94, 0x47, 0xc4, 0xff} // purple
	colSACK       = color.RGBA{0xc5, 0x1b, 0x7d, 0xff} // magenta
)

// fonts are the Go fonts, parsed once; [font.Face]s made from them are not
// safe for concurrent use, so each drawing makes its own.
var fonts struct {
	once          sync.Once
	regular, bold *opentype.Font
}

func loadFonts() {
	fonts.once.Do(func() {
		var err error
		if fonts.regular, err = opentype.Parse(goregular.TTF); err != nil {
			panic("tsg: Go regular font: " + err.Error()) // the embedded font is known good
		}
		if fonts.bold, err = opentype.Parse(gobold.TTF); err != nil {
			panic("tsg: Go bold font: " + err.Error())
		}
	})
}

// faces makes font faces by size and weight, for one drawing.
type faces map[[2]int]font.Face

func (fs faces) get(size float64, bold bool) font.Face {
	loadFonts()
	k := [2]int{int(size * 64), 0}
	f := fonts.regular
	if bold {
		k[1], f = 1, fonts.bold
	}
	if fc, ok := fs[k]; ok {
		return fc
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("tsg: font face: " + err.Error()) // sizes are this package's constants
	}
	fs[k] = fc
	return fc
}

// width returns the advance width of s in pixels.
func (fs faces) width(s string, size float64, bold bool) float64 {
	return fix(font.MeasureString(fs.get(size, bold), s))
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

// round2 rounds to hundredths, so that the SVG's numbers are short and the
// same on every platform.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// clip clips the polyline pts to the rectangle [x0,x1]×[y0,y1] and returns
// the visible pieces (Liang-Barsky per segment).
func clip(pts []pt, x0, y0, x1, y1 float64) [][]pt {
	var out [][]pt
	var cur []pt
	flush := func() {
		if len(cur) >= 2 {
			out = append(out, cur)
		}
		cur = nil
	}
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		if !finite(a) || !finite(b) {
			flush()
			continue
		}
		t0, t1 := 0.0, 1.0
		dx, dy := b.X-a.X, b.Y-a.Y
		ok := true
		for _, e := range [4][2]float64{{-dx, a.X - x0}, {dx, x1 - a.X}, {-dy, a.Y - y0}, {dy, y1 - a.Y}} {
			p, q := e[0], e[1]
			if p == 0 {
				if q < 0 {
					ok = false
					break
				}
				continue
			}
			r := q / p
			if p < 0 {
				if r > t1 {
					ok = false
					break
				}
				t0 = math.Max(t0, r)
			} else {
				if r < t0 {
					ok = false
					break
				}
				t1 = math.Min(t1, r)
			}
		}
		if !ok {
			flush()
			continue
		}
		ca := pt{a.X + t0*dx, a.Y + t0*dy}
		cb := pt{a.X + t1*dx, a.Y + t1*dy}
		if len(cur) == 0 || cur[len(cur)-1] != ca || t0 > 0 {
			flush()
			cur = []pt{ca}
		}
		cur = append(cur, cb)
		if t1 < 1 {
			flush()
		}
	}
	flush()
	return out
}

func finite(p pt) bool {
	return !math.IsNaN(p.X) && !math.IsInf(p.X, 0) && !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0)
}
