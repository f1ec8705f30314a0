package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// connBytes is a lower bound of the memory one of transfer's connections
// takes: 5,000 connections of one byte peaked at 130 MB of RSS and 20,000
// at 474 MB (some 23 KiB each, the README's 100,000 in 2.4 GB agrees).
const connBytes = 20 << 10

// memAvailable returns how many bytes of memory the process may still
// take: /proc/meminfo's MemAvailable, or less under a cgroup (v2) limit;
// math.MaxInt64 when neither says (memAvailableOK's ok is false then).
func memAvailable() int64 {
	if avail, ok := memAvailableOK(); ok {
		return avail
	}
	return math.MaxInt64 // unknown: anything fits
}

func memAvailableOK() (avail int64, ok bool) {
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, found := strings.CutPrefix(sc.Text(), "MemAvailable:"); found {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err == nil {
					avail, ok = kb<<10, true
				}
			}
		}
		f.Close()
	}
	max, err1 := os.ReadFile("/sys/fs/cgroup/memory.max")
	cur, err2 := os.ReadFile("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil {
		m, errm := strconv.ParseInt(strings.TrimSpace(string(max)), 10, 64) // "max": no limit
		c, errc := strconv.ParseInt(strings.TrimSpace(string(cur)), 10, 64)
		if errm == nil && errc == nil && (!ok || m-c < avail) {
			avail, ok = max64(m-c, 0), true
		}
	}
	return avail, ok
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// connsMemory checks that transfer's conns connections fit in avail bytes
// of memory, at [connBytes] each: `--conns 10000000` (which the range
// allows) had a 23 GB machine's kernel kill netsim, and could take other
// processes with it, some seconds in. It returns "" when they fit.
func connsMemory(conns int, avail int64) string {
	need := int64(conns) * connBytes
	if need <= avail {
		return ""
	}
	return fmt.Sprintf("--conns %d: needs %s of memory or more (some 20 KiB a connection), and this machine has %s available; fewer connections, or a larger machine",
		conns, gigabytes(need), gigabytes(avail))
}

// gigabytes writes n bytes as GB with one decimal (MB below 1 GB).
func gigabytes(n int64) string {
	if n < 1e9 {
		return fmt.Sprintf("%d MB", n/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
