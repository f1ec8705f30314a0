//go:build unix

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestScenarioOutputWriteFails: a scenario whose capture cannot be written
// stops with the same one line as a demo's (-w, why, after how many
// frames), exit 1; it printed the library's "flush capture: write ..."
// prefixed by the scenario's name.
func TestScenarioOutputWriteFails(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, name := range []string{"book-tcp", "arp-switch"} {
		var stdout, stderr bytes.Buffer
		code := mainArgs([]string{"run", name, "-q", "-w", "/dev/full"}, nil, &stdout, &stderr)
		m := stoppedLine.FindStringSubmatch(stderr.String())
		if code != 1 || m == nil || m[1] != "/dev/full" || m[2] != "no space left on device" || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("run %s -w /dev/full: exit %d, stderr %q; want 1 and one line saying the run stopped", name, code, stderr.String())
		}
	}
}
