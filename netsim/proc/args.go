package proc

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"netsim.dev/internal/units"
)

// ErrUsage matches the errors of [ParseArgs]: a command line that does not
// say which processes to run.
var ErrUsage = errors.New("proc: bad process list")

// prefix is a process's optional first word: NAME, @HOST, +TIME, in that
// order, any of them, and a colon.
var prefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9_.#-]*)(?:@([A-Za-z0-9_.-]+))?(?:\+([0-9][0-9.a-zµ]*))?:$`)
})

// ParseArgs reads netsim exec's process list: programs separated by "--",
// each with an optional first word "NAME@HOST+TIME:" (every part
// optional, the colon not) that names the process, puts it on a host and
// starts it TIME of virtual time after the start (10ms, 1.5s):
//
//	python3 tcp_recv.py -- python3 tcp_send.py
//	recv@server: python3 srv.py -- @client+10ms: python3 cli.py 3
//
// A word "\--" stands for a literal "--" in a program's arguments.
func ParseArgs(args []string) ([]Process, error) {
	var procs []Process
	var cur []string
	end := func() error {
		if len(cur) == 0 {
			return fmt.Errorf("%w: an empty process between two --", ErrUsage)
		}
		p := Process{}
		if m := prefix().FindStringSubmatch(cur[0]); m != nil && cur[0] != ":" {
			p.Name, p.Host = m[1], m[2]
			if m[3] != "" {
				d, err := units.Duration(m[3])
				if err != nil {
					return fmt.Errorf("%w: %q: start time %q: %v", ErrUsage, cur[0], m[3], err)
				}
				p.At = d
			}
			cur = cur[1:]
			if len(cur) == 0 {
				return fmt.Errorf("%w: %q names no program", ErrUsage, m[0])
			}
		}
		for i, a := range cur {
			if a == `\--` {
				cur[i] = "--"
			}
		}
		p.Argv = cur
		procs = append(procs, p)
		cur = nil
		return nil
	}
	for _, a := range args {
		if a == "--" {
			if err := end(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) == 0 && len(procs) == 0 {
		return nil, fmt.Errorf("%w: no program (netsim exec [flags] -- PROGRAM [ARGS] [-- PROGRAM ...])", ErrUsage)
	}
	if err := end(); err != nil {
		return nil, err
	}
	return procs, nil
}

// String returns the process as netsim exec's command line gives it.
func (p Process) String() string {
	var b strings.Builder
	if p.Name != "" || p.Host != "" || p.At != 0 {
		b.WriteString(p.Name)
		if p.Host != "" {
			b.WriteString("@" + p.Host)
		}
		if p.At != 0 {
			b.WriteString("+" + p.At.String())
		}
		b.WriteString(": ")
	}
	b.WriteString(strings.Join(p.Argv, " "))
	return b.String()
}
