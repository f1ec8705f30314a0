package realworld_test

import (
	"testing"
	"testing/cryptotest"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// runsFor is how many runs each determinism figure takes: 20, 4 with
// -short; -netsim.check=N overrides it.
func runsFor() int {
	if testing.Short() {
		return 4
	}
	return 20
}

// scenarios are the libraries' scenarios, each run inside Run on a new
// network of two hosts.
var scenarios = []struct {
	name string
	// racy: measured, not required to be deterministic: concurrent work
	// at one instant that no simulator can order (gRPC's and HTTP/2's
	// stream IDs on a shared connection), or a library whose own
	// goroutines race to write (gRPC's handlers and its HTTP/2 writer,
	// quic-go's run loop and a stream's writer), which shows under -race
	// on a loaded machine.
	racy bool
	// racyUnderRace: deterministic, but the order rests on goroutine ids
	// (goroutines alike, told apart by the order they were made), which a
	// binary built with -race gets out of order now and then (the runtime
	// hands ids out from per-processor caches): measured under -race.
	racyUnderRace bool
	// seeded: crypto's randomness comes from cryptotest.SetGlobalRandom.
	seeded bool
	body   func(t *testing.T, client, server *netsim.Host)
}{
	{"grpc", true, false, false, func(t *testing.T, c, s *netsim.Host) { grpcScenario(t, c, s) }},
	{"redis", false, false, false, func(t *testing.T, c, s *netsim.Host) { redisScenario(t, c, s) }},
	{"websocket", false, false, true, func(t *testing.T, c, s *netsim.Host) { websocketScenario(t, c, s) }},
	{"grpc-4-concurrent", true, false, false, func(t *testing.T, c, s *netsim.Host) { grpcConcurrent(t, c, s, 0) }},
	{"grpc-4-staggered", true, false, false, func(t *testing.T, c, s *netsim.Host) { grpcConcurrent(t, c, s, time.Millisecond) }},
	{"redis-4-concurrent", false, true, false, func(t *testing.T, c, s *netsim.Host) { redisConcurrent(t, c, s, 0) }},
	{"redis-4-staggered", false, false, false, func(t *testing.T, c, s *netsim.Host) { redisConcurrent(t, c, s, time.Millisecond) }},
	{"http-4-unlabelled", false, true, false, func(t *testing.T, c, s *netsim.Host) { httpConcurrent(t, c, s, false, 0) }},
	{"http-4-unlabelled-staggered", false, false, false, func(t *testing.T, c, s *netsim.Host) { httpConcurrent(t, c, s, false, time.Millisecond) }},
	{"h2c-4-concurrent", true, false, false, func(t *testing.T, c, s *netsim.Host) { httpConcurrent(t, c, s, true, 0) }},
	{"h2c-4-staggered", true, false, false, func(t *testing.T, c, s *netsim.Host) { httpConcurrent(t, c, s, true, time.Millisecond) }},
	{"http-workers-shared-queue", true, false, false, func(t *testing.T, c, s *netsim.Host) { httpWorkers(t, c, s, false) }},
	{"http-workers-partitioned", false, true, false, func(t *testing.T, c, s *netsim.Host) { httpWorkers(t, c, s, true) }},
	{"quic", true, false, true, func(t *testing.T, c, s *netsim.Host) {
		srvTLS, cliTLS := quicTLS(t) // the same key in every run, from the seeded randomness
		quicScenario(t, c, s, srvTLS, cliTLS)
	}},
}

// TestDeterminism: each library's scenario, on a LAN and under loss, over
// runsFor() runs alternating GOMAXPROCS 1 and 8 (and under -race when the
// tests run with it), gives one capture: netsimtest.Check fails the test
// otherwise, naming the first differing frame. The racy scenarios are
// measured (netsimtest.Measure) and logged: go test -v shows the figures.
func TestDeterminism(t *testing.T) {
	for _, sc := range scenarios {
		for _, l := range []struct {
			name string
			cfg  netsim.LinkConfig
		}{{"lan", lan}, {"lossy", lossy}} {
			t.Run(sc.name+"/"+l.name, func(t *testing.T) {
				check := netsimtest.Check
				if sc.racy || sc.racyUnderRace && raceBuild {
					check = netsimtest.Measure
				}
				r := check(t, runsFor(), func(t *testing.T) {
					if sc.seeded {
						// The handshakes' keys, quic-go's connection IDs,
						// the WebSocket key and masks.
						cryptotest.SetGlobalRandom(t, 1)
					}
					n, client, server := twoHosts(t, 1, l.cfg)
					netsimtest.Run(t, n, func(t *testing.T) { sc.body(t, client, server) })
				})
				t.Logf("%s over %s: %v", sc.name, l.name, r)
				if r.Diff != nil && (sc.racy || sc.racyUnderRace && raceBuild) {
					t.Logf("%v", r.Diff)
				}
			})
		}
	}
}
