package xmltext

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct {
		in      string
		oneLine bool
		want    string
	}{
		{`a<b & "c">`, false, `a&lt;b &amp; &quot;c&quot;&gt;`},
		{"tab\tnl\ncr\r", false, "tab\tnl\ncr\r"},
		{"tab\tnl\ncr\r", true, "tab nl cr "},
		{"nul\x00esc\x1b", false, "nul\ufffdesc\ufffd"},
		{"bad\xff\xfe", false, "bad\ufffd\ufffd"},
		{"\ufffe\uffff", false, "\ufffd\ufffd"},
		{"Привет, мир", false, "Привет, мир"},
	} {
		if got := Escape(c.in, c.oneLine); got != c.want {
			t.Errorf("Escape(%q, %v) = %q, want %q", c.in, c.oneLine, got, c.want)
		}
	}
}

// Whatever the bytes, the result parses as an XML text node and an
// attribute value.
func FuzzEscape(f *testing.F) {
	f.Add("a<b>&\"c\"\x00\xff\ufffe")
	f.Fuzz(func(t *testing.T, s string) {
		for _, oneLine := range []bool{false, true} {
			e := Escape(s, oneLine)
			doc := `<t a="` + e + `">` + e + `</t>`
			d := xml.NewDecoder(strings.NewReader(doc))
			for {
				_, err := d.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("Escape(%q, %v) = %q: %v", s, oneLine, e, err)
					}
					break
				}
			}
		}
	})
}
