package dissect

import "testing"

func TestAddRange(t *testing.T) {
	var r [][2]int
	for _, x := range [][2]int{{10, 20}, {30, 40}, {0, 5}, {20, 30}, {5, 10}, {50, 60}, {45, 55}} {
		r = addRange(r, x[0], x[1])
	}
	want := [][2]int{{0, 40}, {45, 60}}
	if len(r) != len(want) || r[0] != want[0] || r[1] != want[1] {
		t.Fatalf("ranges %v, want %v", r, want)
	}
	if !covered(r, 40) || covered(r, 41) {
		t.Fatal("covered wrong")
	}
}
