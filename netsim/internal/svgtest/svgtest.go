// Package svgtest renders SVG pictures with a real renderer, for tests that
// assert on what a person would see rather than on the SVG text alone.
//
// The renderer is rsvg-convert (Debian's librsvg2-bin package; $RSVG_CONVERT
// names another binary). When it is not installed, [Render] skips the test
// with a message, unless the environment sets NETSIM_REQUIRE_TSHARK=1 (CI
// does, see [RequireEnv]): then the test fails, so that a CI run without the
// renderer cannot pass by skipping.
//
// The helpers on images ([NotBlank], [HasColor], [CountColor], [Difference],
// [Similar]) work on any [image.Image], so the same assertions apply to a
// PNG drawn in Go and to the renderer's picture of the matching SVG.
package svgtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// RequireEnv is the environment variable that turns a missing renderer
// from a skip into a failure. It is the one that requires tshark too: CI
// sets it once for every outside tool the tests use.
const RequireEnv = "NETSIM_REQUIRE_TSHARK"

// RendererEnv is the environment variable that names the rsvg-convert
// binary to use instead of rsvg-convert on PATH.
const RendererEnv = "RSVG_CONVERT"

// Background is the colour [Render] paints under the picture: opaque white,
// so that pixels compare with a PNG drawn on white.
var Background = color.RGBA{255, 255, 255, 255}

// Path returns the rsvg-convert executable ($RSVG_CONVERT, else
// rsvg-convert on PATH), or skips the test when there is none; under
// NETSIM_REQUIRE_TSHARK=1 it fails instead.
func Path(t testing.TB) string {
	t.Helper()
	name := os.Getenv(RendererEnv)
	if name == "" {
		name = "rsvg-convert"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("svgtest: SVG renderer %s not found and %s=1: install it (apt-get install librsvg2-bin): %v", name, RequireEnv, err)
		}
		t.Skipf("svgtest: SVG renderer %s not installed (apt-get install librsvg2-bin), picture not checked; set %s=1 to make this a failure", name, RequireEnv)
	}
	return p
}

// Render renders svg at its own size (1 SVG user unit = 1 pixel, for an
// SVG whose width and height are in px) on [Background] and returns the
// picture. A renderer error fails the test with the renderer's message.
func Render(t testing.TB, svg []byte) *image.RGBA {
	t.Helper()
	return RenderZoom(t, svg, 1)
}

// RenderZoom is [Render] with every length multiplied by zoom.
func RenderZoom(t testing.TB, svg []byte, zoom float64) *image.RGBA {
	t.Helper()
	path := Path(t)
	img, err := render(path, svg, zoom)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func render(path string, svg []byte, zoom float64) (*image.RGBA, error) {
	cmd := exec.Command(path, "-f", "png", "-b", "white", "-z", strconv.FormatFloat(zoom, 'g', -1, 64))
	cmd.Stdin = bytes.NewReader(svg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("svgtest: %s: %v\n%s", filepath.Base(path), err, errb.String())
	}
	img, err := png.Decode(&out)
	if err != nil {
		return nil, fmt.Errorf("svgtest: %s wrote no PNG: %v\n%s", filepath.Base(path), err, errb.String())
	}
	return ToRGBA(img), nil
}

// ToRGBA returns img as an *image.RGBA with its bounds moved to start at
// (0, 0): img itself when it already is one at the origin.
func ToRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Bounds().Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return r
}

// Near reports whether colours a and b differ by at most tol (0-255) in
// each of red, green and blue, both taken as opaque over white.
func Near(a, b color.Color, tol int) bool {
	ar, ag, ab := overWhite(a)
	br, bg, bb := overWhite(b)
	return abs(ar-br) <= tol && abs(ag-bg) <= tol && abs(ab-bb) <= tol
}

// overWhite returns c's 8-bit red, green and blue composited over white.
func overWhite(c color.Color) (r, g, b int) {
	cr, cg, cb, ca := c.RGBA()
	w := 0xffff - ca
	return int((cr + w) >> 8), int((cg + w) >> 8), int((cb + w) >> 8)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// CountColor returns how many pixels of img inside r are [Near] c within
// tol. r is clipped to img's bounds.
func CountColor(img image.Image, r image.Rectangle, c color.Color, tol int) int {
	r = r.Intersect(img.Bounds())
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if Near(img.At(x, y), c, tol) {
				n++
			}
		}
	}
	return n
}

// HasColor fails the test unless some pixel of img inside r is [Near] c
// within tol; what names the thing looked for in the failure message.
func HasColor(t testing.TB, img image.Image, r image.Rectangle, c color.Color, tol int, what string) {
	t.Helper()
	if CountColor(img, r, c, tol) == 0 {
		t.Errorf("svgtest: %s: no pixel near %s (±%d) in %v of %v; colours there: %s; picture kept in %s", what, hex(c), tol, r, img.Bounds(), Colors(img, r, 5), keep(img))
	}
}

// LacksColor fails the test if any pixel of img inside r is [Near] c
// within tol.
func LacksColor(t testing.TB, img image.Image, r image.Rectangle, c color.Color, tol int, what string) {
	t.Helper()
	if n := CountColor(img, r, c, tol); n > 0 {
		t.Errorf("svgtest: %s: %d pixels near %s (±%d) in %v, want none; picture kept in %s", what, n, hex(c), tol, r, keep(img))
	}
}

// NotBlank fails the test unless at least minFraction of img's pixels
// differ from [Background] (within a tolerance of 16), and at least two
// colours other than the background appear.
func NotBlank(t testing.TB, img image.Image, minFraction float64) {
	t.Helper()
	b := img.Bounds()
	if b.Empty() {
		t.Errorf("svgtest: empty image %v", b)
		return
	}
	total := b.Dx() * b.Dy()
	ink := total - CountColor(img, b, Background, 16)
	if f := float64(ink) / float64(total); f < minFraction {
		t.Errorf("svgtest: image %v nearly blank: %.4f of pixels drawn, want at least %.4f", b, f, minFraction)
	}
	seen := map[[3]int]bool{}
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 3; y++ {
		for x := b.Min.X; x < b.Max.X && len(seen) < 3; x++ {
			r, g, bl := overWhite(img.At(x, y))
			seen[[3]int{r >> 5, g >> 5, bl >> 5}] = true
		}
	}
	if len(seen) < 3 {
		t.Errorf("svgtest: image %v has fewer than two colours besides the background", b)
	}
}

// Colors lists up to max of the most common colours in img inside r, with
// their pixel counts, for failure messages.
func Colors(img image.Image, r image.Rectangle, max int) string {
	r = r.Intersect(img.Bounds())
	count := map[[3]int]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb := overWhite(img.At(x, y))
			count[[3]int{cr, cg, cb}]++
		}
	}
	type kv struct {
		c [3]int
		n int
	}
	var all []kv
	for c, n := range count {
		all = append(all, kv{c, n})
	}
	// Selection of the top max by count, ties by colour, deterministic.
	var s string
	for i := 0; i < max && len(all) > 0; i++ {
		best := 0
		for j := range all {
			if all[j].n > all[best].n || (all[j].n == all[best].n && less(all[j].c, all[best].c)) {
				best = j
			}
		}
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("#%02x%02x%02x×%d", all[best].c[0], all[best].c[1], all[best].c[2], all[best].n)
		all = append(all[:best], all[best+1:]...)
	}
	if s == "" {
		return "(none)"
	}
	return s
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func hex(c color.Color) string {
	r, g, b := overWhite(c)
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// Difference compares two pictures of the same size coarsely: both are cut
// into block×block squares, each square's mean colour (over white) is
// compared, and the result is the mean absolute difference per channel,
// from 0 (same) to 1 (black against white everywhere). Averaging over
// blocks forgives anti-aliasing and font differences between renderers
// while still seeing a line, bar or label that is missing or moved. Images
// of different sizes give 1.
func Difference(a, b image.Image, block int) float64 {
	if block < 1 {
		block = 1
	}
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() || ab.Empty() {
		return 1
	}
	var sum float64
	n := 0
	for y := 0; y < ab.Dy(); y += block {
		for x := 0; x < ab.Dx(); x += block {
			ma := mean(a, image.Rect(x, y, x+block, y+block).Add(ab.Min))
			mb := mean(b, image.Rect(x, y, x+block, y+block).Add(bb.Min))
			for i := range ma {
				d := ma[i] - mb[i]
				if d < 0 {
					d = -d
				}
				sum += d
			}
			n += 3
		}
	}
	return sum / float64(n) / 255
}

func mean(img image.Image, r image.Rectangle) [3]float64 {
	r = r.Intersect(img.Bounds())
	var m [3]float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb := overWhite(img.At(x, y))
			m[0] += float64(cr)
			m[1] += float64(cg)
			m[2] += float64(cb)
		}
	}
	if n := float64(r.Dx() * r.Dy()); n > 0 {
		for i := range m {
			m[i] /= n
		}
	}
	return m
}

// Similar fails the test when [Difference](a, b, block) exceeds max,
// keeping both pictures in files (named in the message) for a person to
// look at.
func Similar(t testing.TB, a, b image.Image, block int, max float64) {
	t.Helper()
	if d := Difference(a, b, block); d > max {
		t.Errorf("svgtest: pictures differ: %.4f > %.4f (blocks of %d px, sizes %v and %v); see %s and %s", d, max, block, a.Bounds(), b.Bounds(), keep(a), keep(b))
	}
}

// keep writes img to a new file in the system's temporary directory, which
// outlives the test (a test's own TempDir is removed when it ends), and
// returns its name, for a failure message.
func keep(img image.Image) string {
	f, err := os.CreateTemp("", "svgtest-*.png")
	if err != nil {
		return "(not kept: " + err.Error() + ")"
	}
	name := f.Name()
	f.Close()
	if err := WritePNG(name, img); err != nil {
		return "(not kept: " + err.Error() + ")"
	}
	return name
}

// WritePNG writes img to path as PNG, to keep a picture for a person to
// look at (in a temporary directory: tests write nothing into the
// repository).
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
