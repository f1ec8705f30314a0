// Package units parses the values people write for link settings and
// sizes: durations ("10ms", "1.5s", "250us"), probabilities ("2%" or
// 0.02), rates in tc's units ("10Mbit", "500kbit"), byte counts ("1MiB",
// "1500") and spans of time ("1s-3s"). netsim run's flags and scenario
// files both read them here, so the two accept the same forms and give the
// same messages.
//
// Each error is one line that says what is wrong and shows the form
// expected ("missing unit, e.g. 10ms"); the caller puts the flag or the key
// and the value in front. What a link may be is not theirs to say:
// [netsim.LinkConfig.Validate] says it.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"netsim.dev/netsim"
)

// Percent parses a probability written as a percentage ("2%",
// "0.1%") or as a fraction ("0.02").
func Percent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := false
	if v, ok := strings.CutSuffix(t, "%"); ok {
		t, pct = strings.TrimSpace(v), true
	}
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case t == "":
		return 0, errors.New("missing the number, e.g. 2% or 0.02")
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, errors.New("not a percentage, e.g. 2% or 0.02")
	case v < 0:
		return 0, errors.New("negative")
	case pct && v > 100:
		return 0, errors.New("more than 100%")
	case !pct && v > 1:
		return 0, fmt.Errorf("more than 1 (a fraction: for %g percent write %g%%)", v, v)
	}
	if pct {
		return v / 100, nil
	}
	return v, nil
}

// rateUnits are tc's rate units: bit/s with SI prefixes, and bytes/s as
// "bps" (tc's own, confusing, spelling is kept: "mbps" is megabytes).
var rateUnits = []struct {
	suffix string
	mult   float64
}{
	{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
	{"tbps", 8e12}, {"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
}

// MaxRate is the fastest link rate [Rate] takes: 10 Tbit/s.
const MaxRate = 1e13

// Rate parses a link rate in bit/s: "10Mbit", "1gbit", "500kbit",
// "64000" (bit/s), or tc's byte-based "1mbps" (8 Mbit/s).
func Rate(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range rateUnits {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case t == "":
		return 0, errors.New("missing the number, e.g. 10Mbit")
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, errors.New("not a rate, e.g. 10Mbit, 500kbit or 64000 (bit/s)")
	case v < 0:
		return 0, errors.New("negative")
	}
	r := v * mult
	switch {
	case r > MaxRate:
		return 0, errors.New("too large (at most 10Tbit)")
	case r < 1:
		return 0, errors.New("below 1 bit/s (leave the rate out for no limit)")
	}
	return int64(r), nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"tib", 1 << 40}, {"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"tb", 1e12}, {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3},
	{"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1},
}

// MaxSize is the largest byte count [Size] takes: 1 TiB.
const MaxSize = 1 << 40

// Size parses a byte count: "1MiB", "64KiB", "10MB", "1500", "2k".
func Size(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case t == "":
		return 0, errors.New("missing the number, e.g. 1MiB")
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, errors.New("not a size, e.g. 1MiB, 64KiB or 1500")
	case v < 0:
		return 0, errors.New("negative")
	}
	b := v * float64(mult)
	switch {
	case b > MaxSize:
		return 0, errors.New("too large (at most 1TiB)")
	case b != math.Trunc(b):
		return 0, errors.New("not a whole number of bytes")
	}
	return int64(b), nil
}

// Duration parses a span of virtual time, from 0 to
// netsim.MaxDuration, as Go writes it: "20ms", "1.5s", "1m30s".
func Duration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("missing the duration, e.g. 10ms")
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		if _, ferr := strconv.ParseFloat(t, 64); ferr == nil {
			return 0, fmt.Errorf("missing unit, e.g. %sms", t)
		}
		// time.ParseDuration's unknown unit, and any other mistake.
		return 0, errors.New("not a duration, e.g. 10ms, 1.5s or 2m (units ns, us, ms, s, m, h)")
	}
	switch {
	case d < 0:
		return 0, errors.New("negative")
	case d > netsim.MaxDuration:
		return 0, fmt.Errorf("too large (at most %v)", netsim.MaxDuration)
	}
	return d, nil
}

// Span parses a FROM-TO span ("1s-3s"): two durations, the end
// after the start. A '-' that begins the span is FROM's sign, which
// Duration refuses ("FROM: negative"), not the separator.
func Span(s string) ([2]time.Duration, error) {
	sep := -1
	if len(s) > 1 {
		if i := strings.Index(s[1:], "-"); i >= 0 {
			sep = i + 1
		}
	}
	from, to, ok := "", "", sep >= 0
	if ok {
		from, to = s[:sep], s[sep+1:]
	}
	if !ok {
		return [2]time.Duration{}, errors.New("not FROM-TO, e.g. 1s-3s")
	}
	a, err := Duration(from)
	if err != nil {
		return [2]time.Duration{}, fmt.Errorf("FROM: %v", err)
	}
	b, err := Duration(to)
	if err != nil {
		return [2]time.Duration{}, fmt.Errorf("TO: %v", err)
	}
	if b <= a {
		return [2]time.Duration{}, errors.New("the end must come after the start, e.g. 1s-3s")
	}
	return [2]time.Duration{a, b}, nil
}
