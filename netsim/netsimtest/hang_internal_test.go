package netsimtest

import (
	"strings"
	"testing"
	"time"
)

// TestHangTimeoutFlag: -netsim.hang's values and the messages of the bad
// ones. A negative duration is a duration: its message says what is wrong
// with it instead of "not a duration".
func TestHangTimeoutFlag(t *testing.T) {
	old := *flagHang
	t.Cleanup(func() { *flagHang = old })
	for _, c := range []struct {
		v    string
		want time.Duration
		err  string
	}{
		{"", DefaultHang, ""},
		{"0", 0, ""},
		{"off", 0, ""},
		{"90s", 90 * time.Second, ""},
		{"xyz", 0, `-netsim.hang=xyz: not a duration`},
		{"-1s", 0, `-netsim.hang=-1s: negative`},
	} {
		*flagHang = c.v
		t.Setenv(EnvHang, "")
		d, err := hangTimeout()
		switch {
		case c.err == "" && (err != nil || d != c.want):
			t.Errorf("-netsim.hang=%s: %v, %v; want %v", c.v, d, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("-netsim.hang=%s: error %v, want one containing %q", c.v, err, c.err)
		}
	}
}
