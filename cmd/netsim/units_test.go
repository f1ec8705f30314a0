package main

import "testing"

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"2%": 0.02, "0.1%": 0.001, "0.02": 0.02, "100%": 1, "0": 0, " 5 % ": 0.05} {
		if got, err := parsePercent(in); err != nil || got != want {
			t.Errorf("parsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "abc", "101%", "-1%", "2", "NaN", "inf%"} {
		if got, err := parsePercent(in); err == nil {
			t.Errorf("parsePercent(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{"10Mbit": 10e6, "1gbit": 1e9, "500kbit": 5e5, "64000": 64000, "1mbps": 8e6, "2.5Mbit": 2.5e6} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "0", "-1Mbit", "Mbit", "1e20"} {
		if got, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "64KiB": 64 << 10, "10MB": 10e6, "1500": 1500, "2k": 2048, "0": 0, "1.5KiB": 1536} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "big", "-1", "1.5", "2TiB", "MiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %v, want an error", in, got)
		}
	}
}

// FuzzUnits: the parsers of user input never panic, and what they accept is
// in range.
func FuzzUnits(f *testing.F) {
	for _, s := range []string{"2%", "10Mbit", "1MiB", "0.5", "1e300", "-0", "NaN", "%%", "kbit"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parsePercent(s); err == nil && (p < 0 || p > 1) {
			t.Errorf("parsePercent(%q) = %v", s, p)
		}
		if r, err := parseRate(s); err == nil && (r < 1 || r > 1e13) {
			t.Errorf("parseRate(%q) = %v", s, r)
		}
		if b, err := parseSize(s); err == nil && (b < 0 || b > 1<<40) {
			t.Errorf("parseSize(%q) = %v", s, b)
		}
	})
}
