package main

import (
	"strings"
	"testing"
)

// TestReadRefusesOtherFiles: --manuf and --tls-keylog naming a file that
// is not one (a capture) are refused (exit 2, one line naming the flag,
// the file and its first line that is not an entry); they were accepted
// and named nothing.
func TestReadRefusesOtherFiles(t *testing.T) {
	capture := "../../testdata/tcp.pcap"
	for _, flag := range []string{"--manuf", "--tls-keylog"} {
		code, out, errs := runRead(t, nil, "-r", capture, flag, capture)
		want := "netsim read: " + flag + ": " + capture + ":"
		if code != 2 || out != "" || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "in the file; line ") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want 2 and one line starting %q", flag, capture, code, out, errs, want)
		}
	}
}
