package svgtest

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strings"
	"testing"
)

const picture = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="60" viewBox="0 0 100 60">
<rect x="10" y="10" width="30" height="20" fill="#d62728"/>
<line x1="50" y1="5" x2="50" y2="55" stroke="#1f77b4" stroke-width="4"/>
<text x="60" y="40" font-family="sans-serif" font-size="12" fill="black">Hi</text>
</svg>`

var (
	red  = color.RGBA{0xd6, 0x27, 0x28, 255}
	blue = color.RGBA{0x1f, 0x77, 0xb4, 255}
)

func TestRender(t *testing.T) {
	img := Render(t, []byte(picture))
	if got := img.Bounds(); got != image.Rect(0, 0, 100, 60) {
		t.Fatalf("bounds %v, want 100×60", got)
	}
	NotBlank(t, img, 0.05)
	HasColor(t, img, image.Rect(20, 15, 30, 25), red, 8, "red rectangle")
	HasColor(t, img, image.Rect(48, 20, 52, 40), blue, 8, "blue line")
	LacksColor(t, img, image.Rect(0, 0, 8, 8), red, 60, "top-left corner")
	if !Near(img.At(2, 2), Background, 0) {
		t.Errorf("corner %v, want the white background", img.At(2, 2))
	}
	if n := CountColor(img, image.Rect(55, 25, 100, 45), color.Black, 80); n == 0 {
		t.Errorf("no dark text pixels; colours: %s", Colors(img, image.Rect(55, 25, 100, 45), 5))
	}

	big := RenderZoom(t, []byte(picture), 2)
	if got := big.Bounds(); got != image.Rect(0, 0, 200, 120) {
		t.Fatalf("zoom 2 bounds %v, want 200×120", got)
	}
	HasColor(t, big, image.Rect(40, 30, 60, 50), red, 8, "red rectangle at zoom 2")
}

func TestRenderError(t *testing.T) {
	path := Path(t)
	if _, err := render(path, []byte("<svg not closed"), 1); err == nil {
		t.Fatal("broken SVG rendered without error")
	}
}

// TestDifference: the renderer's picture and the same shapes drawn in Go
// agree coarsely; a picture missing a shape does not.
func TestDifference(t *testing.T) {
	img := Render(t, []byte(picture))
	mine := image.NewRGBA(image.Rect(0, 0, 100, 60))
	draw.Draw(mine, mine.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	draw.Draw(mine, image.Rect(10, 10, 40, 30), image.NewUniform(red), image.Point{}, draw.Src)
	draw.Draw(mine, image.Rect(48, 5, 52, 55), image.NewUniform(blue), image.Point{}, draw.Src)
	if d := Difference(img, mine, 10); d > 0.03 {
		t.Errorf("difference %.4f between renderer and Go drawing of the same shapes, want ≤ 0.03", d)
	}
	Similar(t, img, mine, 10, 0.03)
	blank := image.NewRGBA(image.Rect(0, 0, 100, 60))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	if d := Difference(img, blank, 10); d < 0.05 {
		t.Errorf("difference %.4f between picture and blank, want ≥ 0.05", d)
	}
	if d := Difference(img, image.NewRGBA(image.Rect(0, 0, 10, 10)), 10); d != 1 {
		t.Errorf("difference of different sizes %v, want 1", d)
	}
	if got := ToRGBA(mine.SubImage(image.Rect(10, 10, 20, 20))); got.Bounds() != image.Rect(0, 0, 10, 10) || !Near(got.At(0, 0), red, 0) {
		t.Errorf("ToRGBA of a sub-image: bounds %v, corner %v", got.Bounds(), got.At(0, 0))
	}
}

// TestMissingRenderer: with no renderer the test is skipped, or failed
// under RequireEnv; never passes silently.
func TestMissingRenderer(t *testing.T) {
	t.Setenv(RendererEnv, "/nonexistent/rsvg-convert")
	for _, require := range []string{"", "1"} {
		t.Setenv(RequireEnv, require)
		ft := &fakeT{}
		func() {
			defer func() { _ = recover() }()
			Path(ft)
		}()
		if require == "1" && !ft.fatal {
			t.Errorf("%s=1: missing renderer did not fail", RequireEnv)
		}
		if require == "" && !ft.skipped {
			t.Errorf("missing renderer did not skip")
		}
	}
}

// fakeT records Fatal and Skip; both stop the caller by panicking, as
// runtime.Goexit would.
type fakeT struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Fatalf(string, ...any)          { f.fatal = true; panic(f) }
func (f *fakeT) Skipf(string, ...any)           { f.skipped = true; panic(f) }
func (f *fakeT) Errorf(format string, a ...any) { f.fatal = true; f.msg = fmt.Sprintf(format, a...) }
func (f *fakeT) Logf(string, ...any)            {}
func (f *fakeT) TempDir() string                { return "" }
func (f *fakeT) Setenv(k, v string)             {}
func (f *fakeT) Name() string                   { return "fake" }
func (f *fakeT) Cleanup(func())                 {}
func (f *fakeT) Failed() bool                   { return f.fatal }
func (f *fakeT) Skipped() bool                  { return f.skipped }
func (f *fakeT) Fatal(...any)                   { f.fatal = true; panic(f) }
func (f *fakeT) Skip(...any)                    { f.skipped = true; panic(f) }
func (f *fakeT) Error(...any)                   { f.fatal = true }
func (f *fakeT) Log(...any)                     {}
func (f *fakeT) SkipNow()                       { f.skipped = true; panic(f) }
func (f *fakeT) FailNow()                       { f.fatal = true; panic(f) }
func (f *fakeT) Fail()                          { f.fatal = true }

// TestFailureKeepsPicture: a failed check says what it saw and keeps the
// picture in a file that outlives the test.
func TestFailureKeepsPicture(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 20, 10))
	draw.Draw(img, img.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	ft := &fakeT{}
	HasColor(ft, img, img.Bounds(), red, 8, "red box")
	_, name, ok := strings.Cut(ft.msg, "picture kept in ")
	if !ft.fatal || !ok || !strings.Contains(ft.msg, "colours there: #ffffff×200") {
		t.Fatalf("HasColor on a white picture: failed %v, message %q", ft.fatal, ft.msg)
	}
	defer os.Remove(name)
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kept, err := png.Decode(f)
	if err != nil || kept.Bounds() != img.Bounds() {
		t.Errorf("kept picture: %v, %v", err, kept)
	}
}
