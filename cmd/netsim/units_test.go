package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
)

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"2%": 0.02, "0.1%": 0.001, "0.02": 0.02, "100%": 1, "0": 0, " 5 % ": 0.05, "1": 1} {
		if got, err := parsePercent(in); err != nil || got != want {
			t.Errorf("parsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":     "missing the number, e.g. 2% or 0.02",
		"%":    "missing the number, e.g. 2% or 0.02",
		"abc":  "not a percentage, e.g. 2% or 0.02",
		"NaN":  "not a percentage, e.g. 2% or 0.02",
		"inf%": "not a percentage, e.g. 2% or 0.02",
		"101%": "more than 100%",
		"-1%":  "negative",
		"2":    "more than 1 (a fraction: for 2 percent write 2%)",
	} {
		if got, err := parsePercent(in); err == nil || err.Error() != msg {
			t.Errorf("parsePercent(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{"10Mbit": 10e6, "1gbit": 1e9, "500kbit": 5e5, "64000": 64000, "1mbps": 8e6, "2.5Mbit": 2.5e6, "10tbit": 1e13, "1": 1} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":       "missing the number, e.g. 10Mbit",
		"Mbit":   "missing the number, e.g. 10Mbit",
		"fast":   "not a rate, e.g. 10Mbit, 500kbit or 64000 (bit/s)",
		"0":      "below 1 bit/s (leave --rate out for no limit)",
		"-1Mbit": "negative",
		"1e20":   "too large (at most 10Tbit)",
		"11tbit": "too large (at most 10Tbit)",
	} {
		if got, err := parseRate(in); err == nil || err.Error() != msg {
			t.Errorf("parseRate(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "64KiB": 64 << 10, "10MB": 10e6, "1500": 1500, "2k": 2048, "0": 0, "1.5KiB": 1536, "1TiB": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":     "missing the number, e.g. 1MiB",
		"MiB":  "missing the number, e.g. 1MiB",
		"big":  "not a size, e.g. 1MiB, 64KiB or 1500",
		"-1":   "negative",
		"1.5":  "not a whole number of bytes",
		"2TiB": "too large (at most 1TiB)",
		"1e30": "too large (at most 1TiB)",
	} {
		if got, err := parseSize(in); err == nil || err.Error() != msg {
			t.Errorf("parseSize(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10ms": 10 * time.Millisecond, "0": 0, " 1.5s ": 1500 * time.Millisecond, "24h": 24 * time.Hour, "1m30s": 90 * time.Second, "250us": 250 * time.Microsecond} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":        "missing the duration, e.g. 10ms",
		"10":      "missing unit, e.g. 10ms",
		"2.5":     "missing unit, e.g. 2.5ms",
		"10 ms":   "not a duration, e.g. 10ms, 1.5s or 2m (units ns, us, ms, s, m, h)",
		"10mbit":  "not a duration, e.g. 10ms, 1.5s or 2m (units ns, us, ms, s, m, h)",
		"soon":    "not a duration, e.g. 10ms, 1.5s or 2m (units ns, us, ms, s, m, h)",
		"-5ms":    "negative",
		"25h":     "too large (at most 24h0m0s)",
		"100000h": "too large (at most 24h0m0s)",
	} {
		if got, err := parseDuration(in); err == nil || err.Error() != msg {
			t.Errorf("parseDuration(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestParseSpan(t *testing.T) {
	if got, err := parseSpan("100ms-2s"); err != nil || got != [2]time.Duration{100 * time.Millisecond, 2 * time.Second} {
		t.Errorf("parseSpan(100ms-2s) = %v, %v", got, err)
	}
	for in, msg := range map[string]string{
		"soon":  "not FROM-TO, e.g. 1s-3s",
		"1-3s":  "FROM: missing unit, e.g. 1ms",
		"1s-":   "TO: missing the duration, e.g. 10ms",
		"3s-1s": "the end must come after the start, e.g. 1s-3s",
		"1s-1s": "the end must come after the start, e.g. 1s-3s",
	} {
		if got, err := parseSpan(in); err == nil || err.Error() != msg {
			t.Errorf("parseSpan(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

// TestLinkFlagError: LinkConfig.Validate's errors in the flags' terms.
func TestLinkFlagError(t *testing.T) {
	for _, c := range []struct {
		cfg  netsim.LinkConfig
		want string
	}{
		{netsim.LinkConfig{Loss: 0.9, LossBurst: 2}, "--loss 90%: more than bursts of 2 frames on average (--loss-burst) can lose: at most 2 in 3, as one frame at least gets through between two bursts"},
		{netsim.LinkConfig{LossBurst: -1}, "--loss-burst -1: negative"},
		{netsim.LinkConfig{LossBurst: math.NaN()}, "--loss-burst NaN: not a finite number"},
		{netsim.LinkConfig{Delay: 100000 * time.Hour}, "--delay 100000h0m0s: more than 24h0m0s"},
		{netsim.LinkConfig{Jitter: -time.Millisecond}, "--jitter -1ms: negative"},
		{netsim.LinkConfig{Queue: -1}, "--queue -1: negative"},
		{netsim.LinkConfig{MTU: 100}, "--mtu 100: out of range 576-65535"},
		{netsim.LinkConfig{Rate: -5}, "--rate -5bit: negative"},
		{netsim.LinkConfig{Corrupt: 1.5}, "--corrupt 150%: not between 0 and 1"},
	} {
		err := c.cfg.Validate()
		if err == nil {
			t.Errorf("%+v validated", c.cfg)
			continue
		}
		if got := linkFlagError(err); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.cfg, got, c.want)
		}
	}
	if got := linkFlagError(errTest("plain")); got != "plain" {
		t.Errorf("a plain error: %q", got)
	}
	// Every LinkConfig field that Validate can reject has a flag.
	for _, f := range []string{"Delay", "Jitter", "Loss", "LossBurst", "Dup", "Reorder", "Corrupt", "Rate", "Queue", "MTU"} {
		if linkFlags["LinkConfig."+f] == "" {
			t.Errorf("no flag for LinkConfig.%s", f)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// FuzzUnits: the parsers of user input never panic, what they accept is in
// range, and what they reject gets one line that is not empty.
func FuzzUnits(f *testing.F) {
	for _, s := range []string{"2%", "10Mbit", "1MiB", "0.5", "1e300", "-0", "NaN", "%%", "kbit", "10ms", "10", "1s-3s", "-1s", "2TiB", "24h", "1h-1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name string, err error) {
			if err != nil && (err.Error() == "" || strings.Contains(err.Error(), "\n")) {
				t.Errorf("%s(%q): error %q", name, s, err)
			}
		}
		p, err := parsePercent(s)
		if err == nil && !(p >= 0 && p <= 1) {
			t.Errorf("parsePercent(%q) = %v", s, p)
		}
		check("parsePercent", err)
		r, err := parseRate(s)
		if err == nil && (r < 1 || r > maxRate) {
			t.Errorf("parseRate(%q) = %v", s, r)
		}
		check("parseRate", err)
		b, err := parseSize(s)
		if err == nil && (b < 0 || b > maxSize) {
			t.Errorf("parseSize(%q) = %v", s, b)
		}
		check("parseSize", err)
		d, err := parseDuration(s)
		if err == nil && (d < 0 || d > netsim.MaxDuration) {
			t.Errorf("parseDuration(%q) = %v", s, d)
		}
		check("parseDuration", err)
		// What parseDuration accepts is a valid link delay and jitter.
		if err == nil {
			if err := (netsim.LinkConfig{Delay: d, Jitter: d}).Validate(); err != nil {
				t.Errorf("parseDuration(%q) = %v, which LinkConfig rejects: %v", s, d, err)
			}
		}
		span, err := parseSpan(s)
		if err == nil && !(0 <= span[0] && span[0] < span[1] && span[1] <= netsim.MaxDuration) {
			t.Errorf("parseSpan(%q) = %v", s, span)
		}
		check("parseSpan", err)
	})
}
