package netsimtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netsim.dev/netsim"
	"netsim.dev/netsim/internal/sim"
)

// Name resolution inside a bubble. Libraries resolve names through
// net.DefaultResolver (go-redis's NewClient does, and so does net.Dial
// with a host name): inside Run that would query the machine's DNS server,
// and the net package's resolv.conf state, made inside the first bubble
// that resolves a name, kills the test binary in the second ("send on
// synctest channel from outside bubble").
//
// So, when netsimtest is initialised, net.DefaultResolver becomes a
// pure-Go resolver (PreferGo) whose Dial is netsimtest's: outside Run's
// bubbles it dials the machine's DNS server as the standard resolver
// does; inside one it returns an in-memory DNS server that answers from
// the simulated network (the hosts' addresses; no such host for any
// other name). No socket is opened. The net package's resolver state is
// made then too, outside every bubble.
//
// A real dial or listen with a host name (net.Dial("tcp", "server:80"),
// a library's default dialer) resolves the name first: the in-memory
// server sees it among the bubble's goroutines, refuses the query, and
// fails the test with a message that names the address and says to dial
// through the host's DialContext. A dial of an IP address consults no
// resolver: the net package's socket call refuses it (realsocket.go).

// runs maps a synctest bubble's number ("3") to the run in it.
var runs sync.Map // string -> *bubbleRun

// bubbleRun is one Run's bubble: the network, the test, what the resolver
// has said already.
type bubbleRun struct {
	n  *netsim.Network
	t  *testing.T
	id string

	mu      sync.Mutex
	unknown map[string]bool // names logged as no host
	escapes map[string]bool // goroutines whose real dial was reported
	sockets map[string]bool // real socket calls reported (see realsocket.go)
}

// originalResolver is net.DefaultResolver as it was before netsimtest
// replaced it.
var originalResolver = net.DefaultResolver

func init() {
	// Make the net package's resolv.conf and nsswitch.conf state now,
	// outside every bubble, with a lookup that reaches no server.
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("netsim: no DNS server")
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	r.LookupHost(ctx, "netsim-init.invalid")
	cancel()
	net.DefaultResolver = &net.Resolver{
		PreferGo:     true,
		StrictErrors: originalResolver.StrictErrors,
		Dial:         dialDNS,
	}
}

// dialDNS is the replaced net.DefaultResolver's Dial.
func dialDNS(ctx context.Context, network, address string) (net.Conn, error) {
	if b := currentRun(); b != nil {
		return &dnsConn{b: b}, nil
	}
	if originalResolver.Dial != nil {
		return originalResolver.Dial(ctx, network, address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// currentRun returns the run of the calling goroutine's bubble, or nil.
func currentRun() *bubbleRun {
	_, bubble := sim.Current()
	if bubble == "" {
		return nil
	}
	if v, ok := runs.Load(bubble); ok {
		return v.(*bubbleRun)
	}
	return nil
}

// register records b as the run of the calling goroutine's bubble (Run's
// body, whose test is t) until the returned function is called.
func (b *bubbleRun) register(t *testing.T) (unregister func()) {
	_, bubble := sim.Current()
	b.mu.Lock()
	b.t, b.id = t, bubble
	b.mu.Unlock()
	runs.Store(bubble, b)
	running.Add(1)
	return func() {
		runs.Delete(bubble)
		running.Add(-1)
	}
}

// running counts the runs registered in runs: with none, a socket call
// (see realsocket.go) need not look at its goroutine.
var running atomic.Int64

// bubble returns the number of b's bubble, "" before Run's body started.
func (b *bubbleRun) bubble() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.id
}

// newRun returns the run of n, before its bubble starts.
func newRun(n *netsim.Network) *bubbleRun {
	return &bubbleRun{n: n, unknown: map[string]bool{}, escapes: map[string]bool{}, sockets: map[string]bool{}}
}

// realDials reports whether a goroutine of bubble b is resolving a name
// for a real dial or listen (net.Dialer, net.Listen, a library's default
// dialer), and returns those not reported yet, marking them reported.
func (b *bubbleRun) realDials() (any bool, fresh []sim.Goroutine) {
	for _, g := range sim.Stacks() {
		if sim.BubbleOf(g.State) != b.id || !strings.Contains(g.Stack, "net.(*Resolver).resolveAddrList(") {
			continue
		}
		any = true
		b.mu.Lock()
		seen := b.escapes[g.ID]
		b.escapes[g.ID] = true
		b.mu.Unlock()
		if !seen {
			fresh = append(fresh, g)
		}
	}
	return any, fresh
}

// ErrRealNetwork is the error a dial or listen inside [Run] that bypasses
// netsim (net.Dial, a library's default dialer) makes the test fail with,
// reported through t.Error: its message says to use the host's
// DialContext. A dial or listen by IP address also fails with an error
// that wraps it (errors.Is), on Linux.
var ErrRealNetwork = errors.New("netsim: a dial or listen inside netsimtest.Run went to the machine's network, not the simulated one")

// escape reports a real dial seen by the resolver.
func (b *bubbleRun) escape(g sim.Goroutine, name string) {
	b.t.Errorf("%v: it resolves %q through net.DefaultResolver to connect a real socket (net.Dial, net.Dialer, net.Listen, or a library's default dialer); the lookup was refused. Dial through the simulated host instead: host.DialContext (http.Transport.DialContext, grpc.WithContextDialer, redis.Options.Dialer), host.Listen, host.ListenPacket. The goroutine:\ngoroutine %s [%s]:\n%s",
		ErrRealNetwork, name, g.ID, g.State, g.Stack)
}

// dnsConn is an in-memory DNS server for one query exchange of the Go
// resolver: Write takes a query and queues its answer, Read returns it.
// It is a net.PacketConn too, so the resolver frames messages as UDP.
type dnsConn struct {
	b       *bubbleRun
	mu      sync.Mutex
	replies [][]byte
	closed  bool
}

var dnsAddr = net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.53:53"))

func (c *dnsConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if len(c.replies) == 0 {
		return 0, os.ErrDeadlineExceeded // the resolver then tries again
	}
	n := copy(p, c.replies[0])
	c.replies = c.replies[1:]
	return n, nil
}

func (c *dnsConn) Write(p []byte) (int, error) {
	reply, err := c.b.answer(p)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	c.replies = append(c.replies, reply)
	return len(p), nil
}

func (c *dnsConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, err := c.Read(p)
	return n, dnsAddr, err
}

func (c *dnsConn) WriteTo(p []byte, _ net.Addr) (int, error) { return c.Write(p) }

func (c *dnsConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

func (c *dnsConn) LocalAddr() net.Addr              { return dnsAddr }
func (c *dnsConn) RemoteAddr() net.Addr             { return dnsAddr }
func (c *dnsConn) SetDeadline(time.Time) error      { return nil }
func (c *dnsConn) SetReadDeadline(time.Time) error  { return nil }
func (c *dnsConn) SetWriteDeadline(time.Time) error { return nil }

// answer answers one DNS query from the simulated network's hosts.
func (b *bubbleRun) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, fmt.Errorf("netsim: in-memory DNS server: %w", err)
	}
	q, err := p.Question()
	if err != nil {
		return nil, fmt.Errorf("netsim: in-memory DNS server: %w", err)
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	resp := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	var answers []netip.Addr
	if real, fresh := b.realDials(); real {
		for _, g := range fresh {
			b.escape(g, name)
		}
		// An error, not a REFUSED answer: the resolver puts its text in
		// the DNS error the dial returns ("lookup server on …: netsim:
		// …"), where REFUSED reads "server misbehaving".
		return nil, fmt.Errorf("%w (the lookup of %q for it was refused: dial through the simulated host's DialContext)", ErrRealNetwork, name)
	} else if addrs, err := b.n.LookupHost(name); err != nil {
		resp.RCode = dnsmessage.RCodeNameError
		b.noHost(name)
	} else {
		for _, s := range addrs {
			a, err := netip.ParseAddr(s)
			if err != nil {
				continue
			}
			if (q.Type == dnsmessage.TypeA && a.Is4()) || (q.Type == dnsmessage.TypeAAAA && a.Is6()) {
				answers = append(answers, a)
			}
		}
	}
	bld := dnsmessage.NewBuilder(make([]byte, 0, 512), resp)
	bld.EnableCompression()
	if err := bld.StartQuestions(); err != nil {
		return nil, err
	}
	if err := bld.Question(q); err != nil {
		return nil, err
	}
	if err := bld.StartAnswers(); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	for _, a := range answers {
		if a.Is4() {
			err = bld.AResource(rh, dnsmessage.AResource{A: a.As4()})
		} else {
			err = bld.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
		if err != nil {
			return nil, err
		}
	}
	return bld.Finish()
}

// noHost logs, once per name, a lookup of a name that no host has. A name
// made of a host's name and a search domain of the machine's resolv.conf
// is the resolver trying that domain first: it is not logged.
func (b *bubbleRun) noHost(name string) {
	if first, _, ok := strings.Cut(name, "."); ok {
		if _, err := b.n.LookupHost(first); err == nil {
			return
		}
	}
	b.mu.Lock()
	seen := b.unknown[name]
	b.unknown[name] = true
	b.mu.Unlock()
	if !seen {
		b.t.Logf("netsim: %q is no host of the simulated network: its lookup through net.DefaultResolver inside netsimtest.Run fails with \"no such host\" (no real DNS server is asked)", name)
	}
}
