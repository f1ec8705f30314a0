package scenario

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; every error is an ErrorList of one-line
// errors at a position inside the input; what parses validates again,
// unchanged.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/parse/tcp.yaml", "testdata/parse/udp.yaml"} {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte(Example))
	for _, c := range badCases {
		f.Add([]byte(c.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// The name has no directory: `file:` data is looked for in the
		// package directory, which the fuzzer cannot write to.
		s, err := Parse("fuzz.yaml", src)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v (%T), want a non-empty ErrorList", src, err, err)
			}
			if len(list) > MaxErrors+1 {
				t.Fatalf("%d errors", len(list))
			}
			checkPositions(t, string(src), list)
			for _, e := range list {
				for _, c := range e.Error() {
					if c == '\n' {
						t.Fatalf("%q: a message of two lines: %q", src, e.Error())
					}
				}
			}
			return
		}
		if s == nil {
			t.Fatal("nil Scenario and nil error")
		}
		again := *s
		if err := again.Validate(); err != nil {
			t.Fatalf("%q parses, but Validate says: %v", src, err)
		}
		if !reflect.DeepEqual(&again, s) {
			t.Fatalf("%q: Validate changed what Parse returned", src)
		}
	})
}
