package netsim_test

import (
	"fmt"
	"testing"

	"netsim.dev/netsim"
)

// TestForwardParallelNetworks: IPv4 transfers through a router in several
// networks at once. gVisor's IPv4 forwarding (ipv4.go,
// forwardPacketWithRoute) reads the TTL of the packet it forwards through a
// header slice taken before DeepCopyForForwarding, which moves the packet to
// a copy of its chunk and returns the old one to gVisor's process-wide pool:
// with pooled chunks another network could take that chunk and overwrite
// the TTL before it is read. Under -race this reported a data race between
// two networks; every forwarded segment must also leave with TTL 63.
//
// It fails about one -race run in three without the fix, so it is a
// full-suite test: go test -race -count=5 -run TestForwardParallelNetworks.
func TestForwardParallelNetworks(t *testing.T) {
	if testing.Short() {
		t.Skip("full suite only (-short is the fast tier)")
	}
	for i := range 4 {
		t.Run(fmt.Sprint("net", i), func(t *testing.T) {
			t.Parallel()
			tp := newTopo(t, netsim.Options{})
			nodes, _ := chain(tp, netsim.LinkConfig{}, netsim.LinkConfig{})
			transfer(t, tp.n, nodes[0], nodes[2], "tcp", "10.0.1.2:7000", 2000000, nil)
			tp.run()
			n := 0
			for _, p := range tp.on("r1-server") {
				if p.ip4 == nil || p.tcp == nil || p.ip4.SrcIP.String() != "10.0.0.1" {
					continue
				}
				n++
				if p.ip4.TTL != 63 {
					t.Errorf("forwarded %v with TTL %d, want 63", p, p.ip4.TTL)
				}
			}
			if n == 0 {
				t.Fatal("no forwarded segment on r1-server")
			}
		})
	}
}
