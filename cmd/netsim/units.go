package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parsePercent parses a probability written as a percentage ("2%",
// "0.1%") or as a fraction ("0.02").
func parsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if v, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(v), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a percentage (like 2%% or 0.02)")
	}
	p := v / scale
	if p < 0 || p > 1 {
		return 0, fmt.Errorf("not between 0%% and 100%%")
	}
	return p, nil
}

// rateUnits are tc's rate units: bit/s with SI prefixes, and bytes/s as
// "bps" (tc's own, confusing, spelling is kept: "mbps" is megabytes).
var rateUnits = []struct {
	suffix string
	mult   float64
}{
	{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
	{"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
}

// parseRate parses a link rate in bit/s: "10Mbit", "1gbit", "500kbit",
// "64000" (bit/s), or tc's byte-based "1mbps" (8 Mbit/s).
func parseRate(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range rateUnits {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a rate (like 10Mbit, 500kbit or 64000)")
	}
	r := v * mult
	if r < 1 || r > 1e13 {
		return 0, errors.New("out of range 1 bit/s-10 Tbit/s")
	}
	return int64(r), nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1},
}

// parseSize parses a byte count: "1MiB", "64KiB", "10MB", "1500", "2k".
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a size (like 1MiB, 64KiB or 1500)")
	}
	b := v * float64(mult)
	if b < 0 || b > 1<<40 || b != math.Trunc(b) {
		return 0, errors.New("out of range 0-1TiB or not a whole number of bytes")
	}
	return int64(b), nil
}

// funcValue is a flag.Value parsed by a function; it prints its text.
type funcValue struct {
	text  string
	parse func(string) error
}

func (f *funcValue) String() string { return f.text }

func (f *funcValue) Set(s string) error {
	if err := f.parse(s); err != nil {
		return err
	}
	f.text = s
	return nil
}
