package main

import (
	"strings"
	"testing"
)

// TestShowFlags: show -h prints show's usage wherever it stands, and a
// word that looks like a flag is an unknown flag (exit 2, one line, with
// a suggestion when one is near), not a scenario's name.
func TestShowFlags(t *testing.T) {
	for _, args := range [][]string{{"show", "-h"}, {"show", "book-tcp", "-h"}, {"show", "--help"}} {
		code, stdout, stderr := cli("", args...)
		if code != 0 || !strings.HasPrefix(stdout, "Usage: netsim show NAME") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want show's usage", args, code, stdout, stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "--bogus"}, "netsim show: unknown flag --bogus (show takes only a scenario's NAME, and -h)\n"},
		{[]string{"show", "book-tcp", "--hepl"}, "netsim show: unknown flag --hepl (did you mean --help?)\n"},
		{[]string{"show", "-w", "x.pcap", "book-tcp"}, "netsim show: unknown flag -w (show takes only a scenario's NAME, and -h)\n"},
		{[]string{"show", "--help=yes"}, "netsim show: --help takes no value\n"},
		{[]string{"show", "--", "-x"}, `netsim show: unknown scenario "-x"`},
	} {
		code, stdout, stderr := cli("", c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}
