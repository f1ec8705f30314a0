package realworld_test

import (
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// twoHosts returns a network for t with hosts client (10.0.0.1) and
// server (10.0.0.2) joined by one link.
func twoHosts(t testing.TB, seed int64, link netsim.LinkConfig) (n *netsim.Network, client, server *netsim.Host) {
	t.Helper()
	n = netsimtest.New(t, netsim.Options{Seed: seed})
	var err error
	if client, err = n.AddHost("client"); err != nil {
		t.Fatal(err)
	}
	if server, err = n.AddHost("server"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), link); err != nil {
		t.Fatal(err)
	}
	return n, client, server
}

// netsimHost is a simulated host.
type netsimHost = netsim.Host

// lan is a link with a little delay; lossy adds 50 ms and 5% loss.
var (
	lan   = netsim.LinkConfig{Delay: time.Millisecond}
	lossy = netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05}
)
