package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"netsim.dev/internal/units"
	"netsim.dev/netsim"
)

// The values of netsim run's flags are parsed by netsim.dev/internal/units
// (scenario files read the same forms there); each of its errors says what
// is wrong and shows the form expected ("missing unit, e.g. 10ms"), and
// flagError puts the flag and the value in front. What a link may be is
// not theirs to say: LinkConfig.Validate says it, and linkFlagError maps
// its errors to flag names.

// parseRate is [units.Rate], its one message that names no flag put in the
// flag's terms ("leave --rate out").
func parseRate(s string) (int64, error) {
	r, err := units.Rate(s)
	if err != nil && strings.Contains(err.Error(), "leave the rate out") {
		return 0, errors.New(strings.Replace(err.Error(), "leave the rate out", "leave --rate out", 1))
	}
	return r, err
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

// repeatedFlag finds a flag whose value is missing, taken by the flag
// package from the flag that follows it (--lang -w x.pcap), or else the
// first flag of fs that args give twice, as the flag
// package would read them (up to "--"; other arguments are skipped, since
// netsim run takes its demo's name between flags), and says so in one
// line. The flag package keeps the last value silently: `-w a.pcap -w
// b.pcap` would write only b.pcap, `--seed 1 --seed 2` run seed 2. Flags
// named in multi may repeat (read's -e). It returns "" when none repeats.
func repeatedFlag(fs *flag.FlagSet, args []string, multi ...string) string {
	seen := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name := strings.TrimPrefix(a[1:], "-")
		name, _, hasValue := strings.Cut(name, "=")
		fl := fs.Lookup(name)
		if fl == nil {
			continue // the flag package says it is unknown
		}
		typed := a // as the user typed it: -w a.pcap, --explain=false
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
			i++
			typed = a + " " + args[i]
			// --lang -w x.pcap: the flag package takes -w for --lang's
			// value, and then x.pcap is "unexpected".
			if v := args[i]; len(v) > 1 && v[0] == '-' {
				vn, _, _ := strings.Cut(strings.TrimPrefix(v[1:], "-"), "=")
				if fs.Lookup(vn) != nil {
					return fmt.Sprintf("%s needs a value (%s, after it, is a flag; for that value, write %s=%s)", dash(name), v, dash(name), v)
				}
			}
		}
		if slices.Contains(multi, name) {
			continue
		}
		if first, ok := seen[name]; ok {
			if first == typed {
				return fmt.Sprintf("%s is given twice: give it once", typed)
			}
			return fmt.Sprintf("%s is given twice (%s, then %s): give it once", dash(name), first, typed)
		}
		seen[name] = typed
	}
	return ""
}
