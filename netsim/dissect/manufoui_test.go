package dissect

import (
	"strings"
	"testing"
)

// TestMACNamesOUIOrder checks the vendor table against what a map
// assigned in file order gives: unsorted prefixes, a prefix given twice
// (the later wins), and a later file overriding an earlier one.
func TestMACNamesOUIOrder(t *testing.T) {
	n := NewMACNames()
	if err := n.Parse(strings.NewReader("00:00:03\tC\n00:00:02\tB\tFirst B\n00:00:01\tA\n00:00:02\tB2\tSecond B\n"), "one"); err != nil {
		t.Fatal(err)
	}
	if err := n.Parse(strings.NewReader("00:00:01\tZ\tZed\n00:00:04 D\n"), "two"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mac        []byte
		name, long string
	}{
		{[]byte{0, 0, 1, 9, 8, 7}, "Z_09:08:07", "Zed"},
		{[]byte{0, 0, 2, 9, 8, 7}, "B2_09:08:07", "Second B"},
		{[]byte{0, 0, 3, 9, 8, 7}, "C_09:08:07", "C"},
		{[]byte{0, 0, 4, 9, 8, 7}, "D_09:08:07", "D"},
		{[]byte{1, 0, 4, 9, 8, 7}, "D_09:08:07", ""}, // the group bit cleared for the name only
		{[]byte{0, 0, 5, 9, 8, 7}, "00:00:05:09:08:07", ""},
	} {
		if got := n.Name(c.mac); got != c.name {
			t.Errorf("Name(% x) = %q, want %q", c.mac, got, c.name)
		}
		if got := n.Vendor(c.mac); got != c.long {
			t.Errorf("Vendor(% x) = %q, want %q", c.mac, got, c.long)
		}
	}
}
