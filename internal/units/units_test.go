package units

import (
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
)

func TestPercent(t *testing.T) {
	for in, want := range map[string]float64{"2%": 0.02, "0.1%": 0.001, "0.02": 0.02, "100%": 1, "0": 0, " 5 % ": 0.05, "1": 1} {
		if got, err := Percent(in); err != nil || got != want {
			t.Errorf("Percent(%q) = %v, %v; want %v", in, got, err, want)
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
		if got, err := Percent(in); err == nil || err.Error() != msg {
			t.Errorf("Percent(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestRate(t *testing.T) {
	for in, want := range map[string]int64{"10Mbit": 10e6, "1gbit": 1e9, "500kbit": 5e5, "64000": 64000, "1mbps": 8e6, "2.5Mbit": 2.5e6, "10tbit": 1e13, "1": 1} {
		if got, err := Rate(in); err != nil || got != want {
			t.Errorf("Rate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":       "missing the number, e.g. 10Mbit",
		"Mbit":   "missing the number, e.g. 10Mbit",
		"fast":   "not a rate, e.g. 10Mbit, 500kbit or 64000 (bit/s)",
		"0":      "below 1 bit/s (leave the rate out for no limit)",
		"-1Mbit": "negative",
		"1e20":   "too large (at most 10Tbit)",
		"11tbit": "too large (at most 10Tbit)",
	} {
		if got, err := Rate(in); err == nil || err.Error() != msg {
			t.Errorf("Rate(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "64KiB": 64 << 10, "10MB": 10e6, "1500": 1500, "2k": 2048, "0": 0, "1.5KiB": 1536, "1TiB": 1 << 40} {
		if got, err := Size(in); err != nil || got != want {
			t.Errorf("Size(%q) = %v, %v; want %v", in, got, err, want)
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
		if got, err := Size(in); err == nil || err.Error() != msg {
			t.Errorf("Size(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10ms": 10 * time.Millisecond, "0": 0, " 1.5s ": 1500 * time.Millisecond, "24h": 24 * time.Hour, "1m30s": 90 * time.Second, "250us": 250 * time.Microsecond} {
		if got, err := Duration(in); err != nil || got != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", in, got, err, want)
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
		if got, err := Duration(in); err == nil || err.Error() != msg {
			t.Errorf("Duration(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

func TestSpan(t *testing.T) {
	if got, err := Span("100ms-2s"); err != nil || got != [2]time.Duration{100 * time.Millisecond, 2 * time.Second} {
		t.Errorf("Span(100ms-2s) = %v, %v", got, err)
	}
	for in, msg := range map[string]string{
		"soon":   "not FROM-TO, e.g. 1s-3s",
		"1-3s":   "FROM: missing unit, e.g. 1ms",
		"1s-":    "TO: missing the duration, e.g. 10ms",
		"3s-1s":  "the end must come after the start, e.g. 1s-3s",
		"1s-1s":  "the end must come after the start, e.g. 1s-3s",
		"-1s-2s": "FROM: negative",
		"1s--2s": "TO: negative",
		"-":      "not FROM-TO, e.g. 1s-3s",
	} {
		if got, err := Span(in); err == nil || err.Error() != msg {
			t.Errorf("Span(%q) = %v, %v; want the error %q", in, got, err, msg)
		}
	}
}

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
		p, err := Percent(s)
		if err == nil && !(p >= 0 && p <= 1) {
			t.Errorf("Percent(%q) = %v", s, p)
		}
		check("Percent", err)
		r, err := Rate(s)
		if err == nil && (r < 1 || r > MaxRate) {
			t.Errorf("Rate(%q) = %v", s, r)
		}
		check("Rate", err)
		b, err := Size(s)
		if err == nil && (b < 0 || b > MaxSize) {
			t.Errorf("Size(%q) = %v", s, b)
		}
		check("Size", err)
		d, err := Duration(s)
		if err == nil && (d < 0 || d > netsim.MaxDuration) {
			t.Errorf("Duration(%q) = %v", s, d)
		}
		check("Duration", err)
		// What Duration accepts is a valid link delay and jitter.
		if err == nil {
			if err := (netsim.LinkConfig{Delay: d, Jitter: d}).Validate(); err != nil {
				t.Errorf("Duration(%q) = %v, which LinkConfig rejects: %v", s, d, err)
			}
		}
		span, err := Span(s)
		if err == nil && !(0 <= span[0] && span[0] < span[1] && span[1] <= netsim.MaxDuration) {
			t.Errorf("Span(%q) = %v", s, span)
		}
		check("Span", err)
	})
}
