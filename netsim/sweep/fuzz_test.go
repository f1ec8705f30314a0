package sweep

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseSeeds: ParseSeeds never panics; an error is one line matching
// ErrSeeds; a list holds at most MaxSeeds seeds, none twice, and each
// part of the text (a seed or a range) gives its seeds in order.
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"1-10000", "7", "1-100,137,500-600", "-5", "-5-5", "-10--1", "1-3,2", "", "1-", "9223372036854775807", "-9223372036854775808-9223372036854775807", " 1 - 3 ", "0-9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seeds, err := ParseSeeds(s)
		if err != nil {
			if !errors.Is(err, ErrSeeds) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(seeds) == 0 || len(seeds) > MaxSeeds {
			t.Fatalf("%q: %d seeds", s, len(seeds))
		}
		sorted := slices.Clone(seeds)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(seeds) {
			t.Fatalf("%q: a seed twice", s)
		}
	})
}

// FuzzRead: Read never panics, its error is a one-line *LedgerError (or
// none), and what a Writer writes of the records it read reads back the
// same.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"seed":1,"pass":true,"sha256":"ab","frames":9,"sim_ns":1,"wall_ns":2,"version":"v"}` + "\n"))
	f.Add([]byte(`{"name":"x (0123456789ab) --loss 5%","seed":-3,"pass":false,"failure":"f","crashed":true,"frames":0,"sim_ns":0,"wall_ns":0,"version":""}` + "\n\n"))
	f.Add([]byte(`{"seed":1,"pass":true}{"seed":2,"pass":true}` + "\n"))
	f.Add([]byte(`{"seed":21,"pass":tr`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _, err := Read("l.jsonl", bytes.NewReader(b))
		if err != nil {
			var le *LedgerError
			if !errors.As(err, &le) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %v (%T)", b, err, err)
			}
			return
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		again, torn, err := Read("again", &out)
		if err != nil || torn || !slices.Equal(again, recs) {
			t.Fatalf("%q: read %v, wrote and read back %v (torn %v, %v)", b, recs, again, torn, err)
		}
	})
}
