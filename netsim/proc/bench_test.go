package proc_test

import (
	"strconv"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// BenchmarkCall measures a proxied call (getsockopt: one request, one
// reply, no netsim step): the run of b.N calls less a run of none (the
// interpreter's start-up and the shim's), per call, reported as µs/call.
func BenchmarkCall(b *testing.B) {
	run := func(n int) time.Duration {
		start := time.Now()
		if _, out, _, err := runPy(b, proc.Config{}, netsim.LinkConfig{}, []string{"calls.py", strconv.Itoa(n)}); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		return time.Since(start)
	}
	base := run(0)
	b.ResetTimer()
	all := run(b.N)
	b.StopTimer()
	b.ReportMetric(float64((all-base).Microseconds())/float64(b.N), "µs/call")
	b.ReportMetric(float64(base.Milliseconds()), "ms/start")
}
