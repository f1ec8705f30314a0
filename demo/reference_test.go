package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceCopies: the Linux reference captures that other packages keep
// beside their tests (so that their examples name a file in their own
// testdata) are byte-identical to testdata/reference, the one described in
// its README.md.
func TestReferenceCopies(t *testing.T) {
	refs, err := filepath.Glob(filepath.Join(referenceDir, "linux-lo-*"))
	if err != nil || len(refs) < 6 {
		t.Fatalf("%s: %d files (%v); want the three captures and their transcripts", referenceDir, len(refs), err)
	}
	copies := 0
	for _, dir := range []string{"../netsim/dfilter/testdata", "../netsim/pcapread/testdata"} {
		for _, ref := range refs {
			c, err := os.ReadFile(filepath.Join(dir, filepath.Base(ref)))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c, want) {
				t.Errorf("%s differs from %s: the reference captures are measurements, copy them, do not regenerate them", filepath.Join(dir, filepath.Base(ref)), ref)
			}
			copies++
		}
	}
	if copies < 6 {
		t.Errorf("found %d copies of the reference files in netsim/dfilter and netsim/pcapread, want at least 6", copies)
	}
}
