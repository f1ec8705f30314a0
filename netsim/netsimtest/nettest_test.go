package netsimtest_test

import (
	"net"
	"testing"
	"time"
	_ "unsafe" // for go:linkname

	"golang.org/x/net/nettest"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// golang.org/x/net/nettest.TestConn runs its checks as subtests (t.Run),
// which testing forbids inside a synctest bubble. Its checks are reached
// here by name, unmodified, each run in a bubble of its own.
var _ = nettest.TestConn // keeps the checks below in the binary

//go:linkname nettestBasicIO golang.org/x/net/nettest.testBasicIO
func nettestBasicIO(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestPingPong golang.org/x/net/nettest.testPingPong
func nettestPingPong(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestRacyRead golang.org/x/net/nettest.testRacyRead
func nettestRacyRead(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestRacyWrite golang.org/x/net/nettest.testRacyWrite
func nettestRacyWrite(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestReadTimeout golang.org/x/net/nettest.testReadTimeout
func nettestReadTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestWriteTimeout golang.org/x/net/nettest.testWriteTimeout
func nettestWriteTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestPastTimeout golang.org/x/net/nettest.testPastTimeout
func nettestPastTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestPresentTimeout golang.org/x/net/nettest.testPresentTimeout
func nettestPresentTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestFutureTimeout golang.org/x/net/nettest.testFutureTimeout
func nettestFutureTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestCloseTimeout golang.org/x/net/nettest.testCloseTimeout
func nettestCloseTimeout(t *testing.T, c1, c2 net.Conn)

//go:linkname nettestConcurrentMethods golang.org/x/net/nettest.testConcurrentMethods
func nettestConcurrentMethods(t *testing.T, c1, c2 net.Conn)

var conformance = []struct {
	name string
	f    func(t *testing.T, c1, c2 net.Conn)
}{
	{"BasicIO", nettestBasicIO},
	{"PingPong", nettestPingPong},
	{"RacyRead", nettestRacyRead},
	{"RacyWrite", nettestRacyWrite},
	{"ReadTimeout", nettestReadTimeout},
	{"WriteTimeout", nettestWriteTimeout},
	{"PastTimeout", nettestPastTimeout},
	{"PresentTimeout", nettestPresentTimeout},
	{"FutureTimeout", nettestFutureTimeout},
	{"CloseTimeout", nettestCloseTimeout},
	{"ConcurrentMethods", nettestConcurrentMethods},
}

// TestConnConformance runs nettest.TestConn's checks on netsim's TCP
// connections between two hosts: each check in a bubble of its own.
func TestConnConformance(t *testing.T) {
	for _, c := range conformance {
		t.Run(c.name, func(t *testing.T) {
			n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: 100 * time.Microsecond})
			netsimtest.Run(t, n, func(t *testing.T) {
				c1, c2, stop := tcpPipe(t, client, server)
				defer stop()
				c.f(t, c1, c2)
			})
		})
	}
}

// tcpPipe returns the two ends of a TCP connection from client to server.
func tcpPipe(t *testing.T, client, server *netsim.Host) (c1, c2 net.Conn, stop func()) {
	t.Helper()
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c1, err = client.Dial("tcp", "server:9000")
	if err != nil {
		t.Fatal(err)
	}
	c2 = <-accepted
	ln.Close()
	return c1, c2, func() { c1.Close(); c2.Close() }
}
