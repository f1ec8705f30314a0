package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// TestFlagMessages: the flags parsed by internal/units keep the messages
// they had when their parsers lived here, word for word.
func TestFlagMessages(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"tcp --delay 10", `--delay "10": missing unit, e.g. 10ms`},
		{"tcp --delay x", `--delay "x": not a duration, e.g. 10ms, 1.5s or 2m (units ns, us, ms, s, m, h)`},
		{"tcp --delay -1s", `--delay "-1s": negative`},
		{"tcp --delay 100000h", `--delay "100000h": too large (at most 24h0m0s)`},
		{"tcp --jitter =", `--jitter "": missing the duration, e.g. 10ms`},
		{"tcp --loss 200%", `--loss "200%": more than 100%`},
		{"tcp --loss 2", `--loss "2": more than 1 (a fraction: for 2 percent write 2%)`},
		{"tcp --loss abc", `--loss "abc": not a percentage, e.g. 2% or 0.02`},
		{"tcp --loss =", `--loss "": missing the number, e.g. 2% or 0.02`},
		{"tcp --dup -1%", `--dup "-1%": negative`},
		{"tcp --reorder NaN", `--reorder "NaN": not a percentage, e.g. 2% or 0.02`},
		{"tcp --corrupt %", `--corrupt "%": missing the number, e.g. 2% or 0.02`},
		{"tcp --rate 0", `--rate "0": below 1 bit/s (leave --rate out for no limit)`},
		{"tcp --rate fast", `--rate "fast": not a rate, e.g. 10Mbit, 500kbit or 64000 (bit/s)`},
		{"tcp --rate Mbit", `--rate "Mbit": missing the number, e.g. 10Mbit`},
		{"tcp --rate 11tbit", `--rate "11tbit": too large (at most 10Tbit)`},
		{"tcp --rate -1Mbit", `--rate "-1Mbit": negative`},
		{"tcp --partition soon", `--partition "soon": not FROM-TO, e.g. 1s-3s`},
		{"tcp --partition 1-3s", `--partition "1-3s": FROM: missing unit, e.g. 1ms`},
		{"tcp --partition 1s-", `--partition "1s-": TO: missing the duration, e.g. 10ms`},
		{"tcp --partition 3s-1s", `--partition "3s-1s": the end must come after the start, e.g. 1s-3s`},
		{"transfer --size 2TiB", `--size "2TiB": too large (at most 1TiB)`},
		{"transfer --size 1.5", `--size "1.5": not a whole number of bytes`},
		{"transfer --size lots", `--size "lots": not a size, e.g. 1MiB, 64KiB or 1500`},
		{"transfer --size =", `--size "": missing the number, e.g. 1MiB`},
		{"transfer --size -1k", `--size "-1k": negative`},
	} {
		args := strings.Fields("run " + c.args)
		if args[len(args)-1] == "=" {
			args[len(args)-1] = ""
		}
		var stdout, stderr bytes.Buffer
		code := mainArgs(args, nil, &stdout, &stderr)
		want := "netsim run: " + c.want + " (netsim run -h lists the flags)\n"
		if code != 2 || stderr.String() != want {
			t.Errorf("netsim %s: exit %d, stderr\n %q\nwant\n %q", c.args, code, stderr.String(), want)
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

// TestNearest: a mistyped command is matched to the command it is one
// edit (two, for longer names) away from, and nothing else is.
func TestNearest(t *testing.T) {
	names := append(commandNames(), "scenario", "book")
	for word, want := range map[string]string{
		"rn": "run", "raed": "read", "rea": "read", "hepl": "help", "verison": "version",
		"exce": "exec", "chek": "check", "lst": "list", "shwo": "show", "sweeep": "sweep",
		"scenaro": "scenario", "bok": "book", "RUN": "run",
		"frobnicate": "", "r": "", "x": "", "": "", "transfer": "",
	} {
		if got := nearest(word, names); got != want {
			t.Errorf("nearest(%q) = %q, want %q", word, got, want)
		}
	}
}

// TestConnsMemory: transfer's connections that cannot fit in the memory
// available are refused before the run (the kernel killed netsim some
// seconds into --conns 10000000 on a 23 GB machine); those that fit pass.
func TestConnsMemory(t *testing.T) {
	if msg := connsMemory(100000, 24e9); msg != "" {
		t.Errorf("100000 connections in 24 GB: %q, want none", msg)
	}
	want := "--conns 10000000: needs 204.8 GB of memory or more (some 20 KiB a connection), and this machine has 24.0 GB available; fewer connections, or a larger machine"
	if msg := connsMemory(10000000, 24e9); msg != want {
		t.Errorf("10000000 connections in 24 GB: %q, want %q", msg, want)
	}
	if msg := connsMemory(1000, 10e6); !strings.Contains(msg, "needs 20 MB of memory or more") || !strings.Contains(msg, "has 10 MB available") {
		t.Errorf("1000 connections in 10 MB: %q", msg)
	}
	if avail, ok := memAvailableOK(); ok && avail <= 0 {
		t.Errorf("memAvailable = %d", avail)
	}
}
