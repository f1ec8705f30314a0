package ladder

import (
	"bytes"
	"image/color"
	"os"
	"testing"

	"netsim.dev/netsim/internal/svgtest"
)

// kind classifies a rendered pixel by the colours the picture uses.
func kind(c color.Color) string {
	r, g, b, _ := c.RGBA()
	r, g, b = r>>8, g>>8, b>>8
	switch {
	case r > 235 && g > 235 && b > 235:
		return "white"
	case b > r+60 && b > g+20:
		return "blue"
	case r > g+60 && r > b+60:
		return "red"
	case r < 110 && g < 110 && b < 110:
		return "ink"
	}
	return "grey"
}

// TestSVGRendered renders the lossy capture's SVG and checks the image
// against the layout: every arrow's pixels are where the layout puts them,
// in the arrow's colour, a lost arrow stops half-way, the labels and the
// hosts' names are drawn, and the picture is not blank.
func TestSVGRendered(t *testing.T) {
	l, err := ReadFile("../../testdata/tcp-lossy.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Notes: true}
	var buf bytes.Buffer
	if err := l.WriteSVG(&buf, opt); err != nil {
		t.Fatal(err)
	}
	img := svgtest.Render(t, buf.Bytes())
	if *update {
		// The picture for README and for a person to look at; not a
		// golden (renderers differ by a pixel here and there).
		if err := svgtest.WritePNG("testdata/tcp-lossy.png", img); err != nil {
			t.Fatal(err)
		}
	}
	svgtest.NotBlank(t, img, 0.02)
	// The book's exchange, from its golden SVG: the other README picture.
	book, err := os.ReadFile("testdata/tcp.svg")
	if err != nil {
		t.Fatal(err)
	}
	bookImg := svgtest.Render(t, book)
	svgtest.NotBlank(t, bookImg, 0.02)
	if *update {
		if err := svgtest.WritePNG("testdata/tcp.png", bookImg); err != nil {
			t.Fatal(err)
		}
	}
	lay := l.layoutSVG(opt)
	bounds := img.Bounds()
	if bounds.Dx() != int(lay.width+0.5) || bounds.Dy() != int(lay.height+0.5) {
		t.Fatalf("image %v, want %.0fx%.0f", bounds.Size(), lay.width, lay.height)
	}
	at := func(x, y float64) string { return kind(img.At(int(x), int(y))) }
	counts := map[string]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			counts[kind(img.At(x, y))]++
		}
	}
	total := bounds.Dx() * bounds.Dy()
	if counts["white"] > total*98/100 || counts["ink"] < 500 || counts["blue"] < 500 || counts["red"] < 100 {
		t.Errorf("pixels by colour %v of %d: blank, or missing text, arrows or lost arrows", counts, total)
	}
	for i, m := range l.Messages {
		a, b, y := lay.x[m.From], lay.x[m.To], lay.y[i]
		want := "blue"
		if m.Lost {
			want = "red"
		}
		// The shaft: a quarter of the way from the sender.
		if got := at(a+(b-a)/4, y); got != want {
			t.Errorf("frame %d: pixel at a quarter of the arrow (%.0f,%.0f) is %s, want %s", m.Frame, a+(b-a)/4, y, got, want)
		}
		// Above the shaft at mid-span: the label is drawn there.
		ink := 0
		for dy := 8.0; dy <= 16; dy++ {
			for dx := -20.0; dx <= 20; dx++ {
				if k := at((a+b)/2+dx, y-dy); k == "ink" || k == "red" {
					ink++
				}
			}
		}
		if ink < 20 {
			t.Errorf("frame %d: %d drawn pixels in the label's place, want text", m.Frame, ink)
		}
		if m.Lost {
			// It stops half-way: nothing at three quarters, a cross at the half.
			if got := at(a+(b-a)*3/4, y); got != "white" {
				t.Errorf("lost frame %d: pixel at three quarters (%.0f,%.0f) is %s, want white", m.Frame, a+(b-a)*3/4, y, got)
			}
			if got := at(a+(b-a)/2+3, y+3); got != "red" {
				t.Errorf("lost frame %d: no cross at the half (%s)", m.Frame, got)
			}
			continue
		}
		// The arrowhead: filled just before the receiver's lifeline, above
		// and below the shaft.
		dir := sign(b - a)
		if got := at(b-dir*7, y+2); got != "blue" {
			t.Errorf("frame %d: arrowhead pixel (%.0f,%.0f) is %s, want blue", m.Frame, b-dir*7, y+2, got)
		}
		// Between arrows, no arrow.
		if got := at(a+(b-a)/4, y+svgRowH/2); got == "blue" {
			t.Errorf("frame %d: blue half-way to the next row", m.Frame)
		}
	}
	// The notes are drawn right of the last lifeline, on their frame's row.
	for i, m := range l.Messages {
		ink := 0
		for dx := 0.0; dx < 120; dx++ {
			for dy := -9.0; dy <= 4; dy++ {
				if at(lay.noteX+dx, lay.y[i]+dy) == "ink" {
					ink++
				}
			}
		}
		if len(m.Comments) > 0 && ink < 30 || len(m.Comments) == 0 && ink > 0 {
			t.Errorf("frame %d with %d comments: %d ink pixels where its note goes", m.Frame, len(m.Comments), ink)
		}
	}
	// The hosts' boxes hold their names.
	for i := range l.Hosts {
		ink := 0
		for dx := -30.0; dx <= 30; dx++ {
			for dy := -5.0; dy <= 5; dy++ {
				if at(lay.x[i]+dx, svgHeadTop+svgHeadH/2+dy) == "ink" {
					ink++
				}
			}
		}
		if ink < 30 {
			t.Errorf("host %d: %d ink pixels in its box, want its name", i, ink)
		}
	}
}
