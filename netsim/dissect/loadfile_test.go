package dissect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFilesRefuseOtherFiles: a MAC names file or a TLS key log that a
// user named and that holds no entry (a capture, /etc/passwd, an empty
// file) is a *NoEntriesError naming the file and its first line that is
// not an entry (they were accepted and named nothing); a file with one
// entry among junk lines is accepted, as Wireshark reads it.
func TestLoadFilesRefuseOtherFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	capture := "testdata/linklayer.pcap"
	passwd := write("passwd", "# users\n\nroot:x:0:0:root:/root:/bin/bash\n")
	empty := write("empty", "# nothing\n   \n")
	for _, c := range []struct {
		path, wantPrefix string
		line             int
	}{
		{passwd, passwd + ":3: no ", 3},
		{empty, empty + ": no ", 0},
		{capture, capture + ":", -1},
	} {
		_, merr := LoadMACNamesFile(c.path)
		_, terr := New().LoadTLSKeyLogFile(c.path)
		for _, err := range []error{merr, terr} {
			var ne *NoEntriesError
			if !errors.Is(err, ErrNoEntries) || !errors.As(err, &ne) || !strings.HasPrefix(err.Error(), c.wantPrefix) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v; want a one-line *NoEntriesError starting %q", c.path, err, c.wantPrefix)
				continue
			}
			if c.line >= 0 && ne.Line != c.line || c.line < 0 && ne.Line < 1 {
				t.Errorf("%s: line %d, want %d", c.path, ne.Line, c.line)
			}
		}
	}
	// One entry among junk lines: accepted.
	if n, err := LoadMACNamesFile(write("manuf", "junk line\n00:00:0C\tCisco\n")); err != nil || n.Vendor([]byte{0, 0, 0x0c, 1, 2, 3}) == "" {
		t.Errorf("a manuf with one entry: %v", err)
	}
	secret := "CLIENT_TRAFFIC_SECRET_0 " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 32) + "\n"
	if n, err := New().LoadTLSKeyLogFile(write("keylog", "junk\n"+secret)); err != nil || n != 1 {
		t.Errorf("a key log with one secret: %d, %v", n, err)
	}
	if _, err := LoadMACNamesFile(filepath.Join(dir, "none")); err == nil || errors.Is(err, ErrNoEntries) {
		t.Errorf("a missing file: %v, want the open error", err)
	}
}
