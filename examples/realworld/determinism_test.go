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

// scenarios are the libraries' scenarios, each a whole test body.
var scenarios = []struct {
	name string
	// racy: concurrent work at one instant, which no simulator can order
	// (gRPC's HTTP/2 stream IDs, go-redis's pool): measured, not required
	// to be deterministic.
	racy bool
	body func(t *testing.T, link netsim.LinkConfig)
}{
	{"grpc", false, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { grpcScenario(t, client, server) })
	}},
	{"redis", false, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { redisScenario(t, client, server) })
	}},
	{"websocket", false, func(t *testing.T, link netsim.LinkConfig) {
		cryptotest.SetGlobalRandom(t, 1) // the handshake's key, the client's masks
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { websocketScenario(t, client, server) })
	}},
	{"grpc-4-concurrent", true, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { grpcConcurrent(t, client, server, 0) })
	}},
	{"grpc-4-staggered", true, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { grpcConcurrent(t, client, server, time.Millisecond) })
	}},
	{"redis-4-concurrent", true, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { redisConcurrent(t, client, server, 0) })
	}},
	{"redis-4-staggered", false, func(t *testing.T, link netsim.LinkConfig) {
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { redisConcurrent(t, client, server, time.Millisecond) })
	}},
	{"quic", false, func(t *testing.T, link netsim.LinkConfig) {
		cryptotest.SetGlobalRandom(t, 1) // quic-go's connection IDs, TLS 1.3's keys
		srvTLS, cliTLS := quicTLS(t)
		n, client, server := twoHosts(t, 1, link)
		netsimtest.Run(t, n, func(t *testing.T) { quicScenario(t, client, server, srvTLS, cliTLS) })
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
				if sc.racy {
					check = netsimtest.Measure
				}
				r := check(t, runsFor(), func(t *testing.T) { sc.body(t, l.cfg) })
				t.Logf("%s over %s: %v", sc.name, l.name, r)
				if r.Diff != nil && sc.racy {
					t.Logf("%v", r.Diff)
				}
			})
		}
	}
}
