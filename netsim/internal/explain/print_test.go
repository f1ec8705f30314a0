package explain

import "testing"

func TestPrintBook(t *testing.T) {
	for _, l := range Langs {
		x := New(l)
		for _, f := range bookTCP() {
			t.Logf("%d %s", f.Number, x.Text(f))
		}
	}
}
