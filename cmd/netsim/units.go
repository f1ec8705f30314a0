package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"netsim.dev/netsim"
)

// The parsers below read the values of netsim run's flags. Each error says
// what is wrong and shows the form expected ("missing unit, e.g. 10ms");
// flagError puts the flag and the value in front. What a link may be is
// not theirs to say: LinkConfig.Validate says it, and linkFlagError maps
// its errors to flag names.

// parsePercent parses a probability written as a percentage ("2%",
// "0.1%") or as a fraction ("0.02").
func parsePercent(s string) (float64, error) {
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

// maxRate is the fastest link rate netsim run takes: 10 Tbit/s.
const maxRate = 1e13

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
	case r > maxRate:
		return 0, errors.New("too large (at most 10Tbit)")
	case r < 1:
		return 0, errors.New("below 1 bit/s (leave --rate out for no limit)")
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

// maxSize is the largest byte count netsim run takes.
const maxSize = 1 << 40

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
	case b > maxSize:
		return 0, errors.New("too large (at most 1TiB)")
	case b != math.Trunc(b):
		return 0, errors.New("not a whole number of bytes")
	}
	return int64(b), nil
}

// parseDuration parses a span of virtual time, from 0 to
// netsim.MaxDuration, as Go writes it: "20ms", "1.5s", "1m30s".
func parseDuration(s string) (time.Duration, error) {
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

// parseSpan parses --partition's FROM-TO ("1s-3s"): two durations, the end
// after the start.
func parseSpan(s string) ([2]time.Duration, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return [2]time.Duration{}, errors.New("not FROM-TO, e.g. 1s-3s")
	}
	a, err := parseDuration(from)
	if err != nil {
		return [2]time.Duration{}, fmt.Errorf("FROM: %v", err)
	}
	b, err := parseDuration(to)
	if err != nil {
		return [2]time.Duration{}, fmt.Errorf("TO: %v", err)
	}
	if b <= a {
		return [2]time.Duration{}, errors.New("the end must come after the start, e.g. 1s-3s")
	}
	return [2]time.Duration{a, b}, nil
}

// linkFlags names the flag that sets each LinkConfig field.
var linkFlags = map[string]string{
	"LinkConfig.Delay":     "--delay",
	"LinkConfig.Jitter":    "--jitter",
	"LinkConfig.Loss":      "--loss",
	"LinkConfig.LossBurst": "--loss-burst",
	"LinkConfig.Dup":       "--dup",
	"LinkConfig.Reorder":   "--reorder",
	"LinkConfig.Corrupt":   "--corrupt",
	"LinkConfig.Rate":      "--rate",
	"LinkConfig.Queue":     "--queue",
	"LinkConfig.MTU":       "--mtu",
	"LinkConfig.Down":      "--partition",
}

// linkFlagError rewrites an error of netsim.LinkConfig.Validate in the
// terms of netsim run's flags: "LinkConfig.Loss: 0.9 is more than bursts
// of 2 frames on average (LossBurst) can lose..." becomes "--loss 90%: more
// than bursts of 2 frames on average (--loss-burst) can lose...". Other
// errors keep their message.
func linkFlagError(err error) string {
	var ce *netsim.ConfigError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	flag, ok := linkFlags[ce.Field]
	if !ok {
		return err.Error()
	}
	value := fmt.Sprint(ce.Value)
	switch v := ce.Value.(type) {
	case float64:
		if flag != "--loss-burst" {
			value = strconv.FormatFloat(v*100, 'g', -1, 64) + "%"
		}
	case int64:
		if flag == "--rate" {
			value = fmt.Sprintf("%dbit", v)
		}
	}
	reason := ce.Reason
	for field, name := range linkFlags {
		reason = strings.ReplaceAll(reason, "("+strings.TrimPrefix(field, "LinkConfig.")+")", "("+name+")")
	}
	return flag + " " + value + ": " + reason
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
