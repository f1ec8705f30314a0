package netsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"

	"netsim.dev/netsim/internal/sock"
)

// defaultListenBacklog is the accept queue length of Listen, as Go's net
// package uses on Linux when it cannot read somaxconn.
const defaultListenBacklog = 4096

// TCPConn is what the net.Conn of a TCP connection has, from
// [Host.Dial], [Host.DialContext], [Host.DialFrom] or the Accept of
// [Host.Listen]'s listener: the methods of *net.TCPConn that make sense on
// a simulated socket, with the same signatures and meaning, and netsim's
// own SetTTL. Type-assert the connection to it, or to an interface with
// just the method you need:
//
//	c, err := h.Dial("tcp", "server:80")
//	...
//	c.(netsim.TCPConn).SetLinger(0) // Close will send RST
//	c.(interface{ SetKeepAlivePeriod(time.Duration) error }).SetKeepAlivePeriod(time.Second)
//
// Unlike package net, netsim does not turn keep-alive on for every
// connection: an idle connection sends nothing unless SetKeepAlive or
// SetKeepAliveConfig asks it to. Nagle's algorithm is off, as in package
// net. The methods that need a file descriptor (File, SyscallConn) and
// MultipathTCP are missing, and so are ReadFrom and WriteTo (io.Copy works
// without them).
type TCPConn interface {
	net.Conn
	// CloseRead shuts down the receiving side.
	CloseRead() error
	// CloseWrite shuts down the sending side: FIN, reads go on.
	CloseWrite() error
	// SetLinger sets SO_LINGER: sec == 0 makes Close abort with RST,
	// dropping unsent data; sec < 0 (the default) and sec > 0 send the
	// data, then FIN, in the background (Close does not wait).
	SetLinger(sec int) error
	// SetKeepAlive turns keep-alive probes on or off.
	SetKeepAlive(keepalive bool) error
	// SetKeepAlivePeriod sets the idle time before the first probe.
	SetKeepAlivePeriod(d time.Duration) error
	// SetKeepAliveConfig sets keep-alive's idle time, interval and count.
	SetKeepAliveConfig(config net.KeepAliveConfig) error
	// SetNoDelay controls Nagle's algorithm (noDelay true: off).
	SetNoDelay(noDelay bool) error
	// SetReadBuffer sets SO_RCVBUF, which bounds the advertised window.
	SetReadBuffer(bytes int) error
	// SetWriteBuffer sets SO_SNDBUF, which bounds the bytes in flight.
	SetWriteBuffer(bytes int) error
	// SetTTL sets the IPv4 TTL or IPv6 hop limit of the packets sent:
	// 1 to 255, or -1 for the default, 64.
	SetTTL(ttl int) error
}

// UDPConn is what the sockets of [Host.ListenPacket], and the net.Conn of
// [Host.Dial] and [Host.DialFrom] for UDP, have: both net.PacketConn and
// net.Conn (Read and Write on a connected socket), SetReadBuffer and
// SetWriteBuffer as in *net.UDPConn, and netsim's own SetTTL.
//
// As in package net, WriteTo on a socket of Dial or DialFrom fails with
// an error matching [net.ErrWriteToConnected]; a Read into an empty
// buffer returns 0, nil at once and leaves the datagrams queued, where a
// ReadFrom takes one; a datagram larger than ReadFrom's buffer is cut to
// it and the rest discarded.
type UDPConn interface {
	net.PacketConn
	net.Conn
	// SetReadBuffer sets SO_RCVBUF: datagrams that arrive while it is
	// full are dropped.
	SetReadBuffer(bytes int) error
	// SetWriteBuffer sets SO_SNDBUF.
	SetWriteBuffer(bytes int) error
	// SetTTL sets the IPv4 TTL or IPv6 hop limit of the datagrams sent:
	// 1 to 255, or -1 for the default, 64.
	SetTTL(ttl int) error
}

// TCPListener is what [Host.Listen] returns: a net.Listener with
// SetDeadline, as *net.TCPListener has, on the virtual clock. Unlike
// package net's on Linux, the Addr of a listener on every address (":80",
// "[::]:80"; the LocalAddr of such a UDP socket too) has no IP: it prints
// ":80" where package net prints "[::]:80" ("0.0.0.0:80" for "tcp4"); the
// errors of its calls, which scenario runs print, name it so. Dialing it
// from the same host works either way. Listen("tcp", "0.0.0.0:80") is an
// IPv4 socket here, where package net makes it take IPv6 too; a "tcp6"
// (or "udp6") socket on every address takes IPv4 too, where package net
// sets IPV6_V6ONLY (netsim exec's AF_INET6 sockets, dual-stack as on
// Linux, are "tcp6" sockets).
type TCPListener interface {
	net.Listener
	// SetDeadline sets the deadline of Accept: a pending or later Accept
	// fails with an error matching os.ErrDeadlineExceeded once it has
	// passed; the zero time means none.
	SetDeadline(t time.Time) error
}

var (
	_ TCPListener = (*sock.TCPListener)(nil)
	_ TCPConn     = (*sock.TCPConn)(nil)
	_ UDPConn     = (*sock.UDPConn)(nil)
)

// Listen announces on the host's address, as net.Listen does: network is
// "tcp", "tcp4" or "tcp6"; address is "host:port", where an empty host means
// every address and port 0 (or none) picks one. A port is a number or, as
// in package net, a service name ("http", "https", "ssh"; "domain" for
// UDP) from package net's built-in table: /etc/services is not read, so that
// a run does not depend on the machine. The listener is a [TCPListener];
// Accept returns a [TCPConn].
func (h *Host) Listen(network, address string) (net.Listener, error) {
	proto, fa, err := h.resolve("listen", network, "tcp", address, true)
	if err != nil {
		return nil, err
	}
	l, err := sock.ListenTCP(h.env, proto, fa, h.net.opts.ListenBacklog)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ListenBacklog is [Host.Listen] with the length of this listener's accept
// queue (listen(2)'s backlog, from 1 to 65535) instead of
// [Options.ListenBacklog]. gVisor's queue holds backlog connections
// (Linux's one more); while it is full, further SYNs get SYN cookies and
// their final ACK is dropped, so those clients believe they are connected
// until their data goes unanswered, as on Linux. A backlog out of range is
// a *net.OpError wrapping syscall.EINVAL.
func (h *Host) ListenBacklog(network, address string, backlog int) (net.Listener, error) {
	proto, fa, err := h.resolve("listen", network, "tcp", address, true)
	if err != nil {
		return nil, err
	}
	if backlog < 1 || backlog > 65535 {
		return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("backlog %d out of range 1-65535: %w", backlog, syscall.EINVAL)}
	}
	l, err := sock.ListenTCP(h.env, proto, fa, backlog)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Dial connects to address on the named network, as net.Dial does:
// "tcp", "tcp4", "tcp6", "udp", "udp4" or "udp6". The connection is a
// [TCPConn] or a [UDPConn]; [Host.DialFrom] chooses its local address.
func (h *Host) Dial(network, address string) (net.Conn, error) {
	return h.DialContext(context.Background(), network, address)
}

// DialContext is Dial with a context; the context's deadline is on the
// virtual clock (in program mode, make it with [Network.WithTimeout]). A
// TCP connect still unanswered at the deadline fails as [net.Dialer]'s
// does: a *net.OpError reading "i/o timeout", a [net.Error] whose Timeout
// is true, matching [context.DeadlineExceeded] (and
// [os.ErrDeadlineExceeded]). A cancelled context makes it fail with an
// error matching [context.Canceled].
func (h *Host) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var t dialTarget
	if err := h.target(&t, network, "", address); err != nil {
		return nil, err
	}
	return h.dial(ctx, &t)
}

// dialTarget is what DialContext and DialFrom dial, resolved.
type dialTarget struct {
	kind   string // "tcp" or "udp"
	proto  tcpip.NetworkProtocolNumber
	la, fa tcpip.FullAddress
}

// target resolves laddr ("" for none) and raddr for a dial on network
// into t. It runs apart from dial, so that the stack of a task waiting
// for a connect keeps none of its frame.
func (h *Host) target(t *dialTarget, network, laddr, raddr string) error {
	kind, err := transport("dial", network, raddr)
	if err != nil {
		return err
	}
	t.kind = kind
	if laddr == "" {
		t.proto, t.fa, err = h.resolve("dial", network, kind, raddr, false)
	} else {
		t.proto, t.la, t.fa, err = h.resolveFrom(network, kind, laddr, raddr)
	}
	return err
}

// dial opens t's socket: a UDP socket bound and connected, or a TCP
// connection.
func (h *Host) dial(ctx context.Context, t *dialTarget) (net.Conn, error) {
	if t.kind == "udp" {
		c, err := sock.ListenUDP(h.env, t.proto, t.la, t.fa)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	c, err := sock.DialTCP(ctx, h.env, t.proto, t.la, t.fa)
	if err != nil {
		return nil, dialErr(err)
	}
	return c, nil
}

// dialTimeoutError is the error of a TCP dial whose context's deadline (on
// the virtual clock) passed before the handshake completed. As package
// net's, it reads "i/o timeout", is a [net.Error] whose Timeout is true and
// matches [context.DeadlineExceeded]; as netsim's socket deadlines, it also
// matches [os.ErrDeadlineExceeded].
type dialTimeoutError struct{}

func (dialTimeoutError) Error() string   { return "i/o timeout" }
func (dialTimeoutError) Timeout() bool   { return true }
func (dialTimeoutError) Temporary() bool { return true }
func (dialTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded || target == os.ErrDeadlineExceeded
}

// dialErr gives a dial's timeout the error of package net's: a
// *net.OpError wrapping dialTimeoutError. Any other error is returned as
// it is.
func dialErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err == os.ErrDeadlineExceeded {
		e := *op
		e.Err = dialTimeoutError{}
		return &e
	}
	return err
}

// ListenPacket opens a UDP socket bound to address, as net.ListenPacket
// does: network is "udp", "udp4" or "udp6". The socket is a [UDPConn].
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	proto, fa, err := h.resolve("listen", network, "udp", address, true)
	if err != nil {
		return nil, err
	}
	c, err := sock.ListenUDP(h.env, proto, fa, tcpip.FullAddress{})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialFrom is DialContext from a given local address, as a net.Dialer with
// LocalAddr set: network is "tcp", "tcp4", "tcp6", "udp", "udp4" or "udp6";
// laddr is "ip:port", ":port" (any address of the host, that port) or ""
// (any address, an ephemeral port); raddr is what Dial takes, host names of
// the network included.
//
// A TCP socket is bound to laddr before its SYN is sent, so the SYN leaves
// from that port. A UDP socket is bound, then connected to raddr, as Dial's
// is: Read and Write exchange datagrams with that peer only, and an ICMP
// port unreachable from it makes the next Read or Write fail with
// syscall.ECONNREFUSED, as on Linux.
//
// An empty laddr makes DialFrom DialContext. A laddr that does not parse,
// or whose address family is not raddr's,
// fails with a *net.OpError (wrapping a *net.AddrError), before any socket
// call; an address the host does not have fails with EADDRNOTAVAIL, a port
// already in use with EADDRINUSE.
func (h *Host) DialFrom(ctx context.Context, network, laddr, raddr string) (net.Conn, error) {
	var t dialTarget
	if err := h.target(&t, network, laddr, raddr); err != nil {
		return nil, err
	}
	return h.dial(ctx, &t)
}

// services are the service names a port may be given by: package net's
// own table (net/lookup.go), which it uses where /etc/services is missing.
// netsim does not read /etc/services, so that a run does not depend on the
// machine.
var services = map[string]map[string]uint16{
	"udp": {"domain": 53},
	"tcp": {
		"ftp": 21, "ftps": 990, "gopher": 70, "http": 80, "https": 443, "imap2": 143, "imap3": 220,
		"imaps": 993, "pop3": 110, "pop3s": 995, "smtp": 25, "submissions": 465, "ssh": 22, "telnet": 23,
	},
}

// parsePort parses the port of an address on transport kind ("tcp" or
// "udp") as package net does: a decimal number from 0 to 65535, with an
// optional "+"; "" for 0; or a service name of [services], in any case. A
// number out of range is an "invalid port" *net.AddrError, an unknown name
// an "unknown port" *net.DNSError, as net.LookupPort gives them.
func parsePort(kind, s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	digits := strings.TrimPrefix(s, "+")
	if digits != "" && strings.Trim(digits, "0123456789") == "" {
		p, err := strconv.ParseUint(digits, 10, 16)
		if err != nil {
			return 0, &net.AddrError{Err: "invalid port", Addr: s}
		}
		return uint16(p), nil
	}
	if s[0] == '-' && strings.Trim(s[1:], "0123456789") == "" && len(s) > 1 {
		return 0, &net.AddrError{Err: "invalid port", Addr: s}
	}
	if p, ok := services[kind][strings.ToLower(s)]; ok {
		return p, nil
	}
	return 0, &net.DNSError{Err: "unknown port", Name: kind + "/" + s, IsNotFound: true}
}

// resolveFrom resolves DialFrom's laddr (non-empty) and raddr for network,
// of transport kind: raddr's family follows laddr's.
func (h *Host) resolveFrom(network, kind, laddr, raddr string) (proto tcpip.NetworkProtocolNumber, la, fa tcpip.FullAddress, err error) {
	lproto, la, err := h.resolve("dial", network, kind, laddr, true)
	if err != nil {
		return 0, la, fa, err
	}
	// A given local address picks the remote's family: a host name
	// resolves to an address of the local one's.
	rnet := network
	if la.Addr.Len() > 0 && len(network) == 3 {
		if lproto == ipv4.ProtocolNumber {
			rnet += "4"
		} else {
			rnet += "6"
		}
	}
	proto, fa, err = h.resolve("dial", rnet, kind, raddr, false)
	if err != nil {
		var ae *net.AddrError
		if oe, ok := err.(*net.OpError); ok {
			oe.Net = network
			if rnet != network && errors.As(err, &ae) && strings.HasPrefix(ae.Err, "address family does not match") {
				oe.Err = &net.AddrError{Err: "no suitable address found", Addr: laddr}
			}
		}
		return 0, la, fa, err
	}
	if la.Addr.Len() > 0 && lproto != proto {
		return 0, la, fa, &net.OpError{Op: "dial", Net: network, Err: &net.AddrError{Err: "no suitable address found", Addr: laddr}}
	}
	return proto, la, fa, nil
}

// transport returns "tcp" or "udp" for a network name.
func transport(op, network, address string) (string, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp", nil
	case "udp", "udp4", "udp6":
		return "udp", nil
	}
	return "", &net.OpError{Op: op, Net: network, Err: net.UnknownNetworkError(network)}
}

// resolve parses "host:port" for network (which must be of transport kind)
// into the stack's form. With passive set an empty host means any address.
func (h *Host) resolve(op, network, kind, address string, passive bool) (tcpip.NetworkProtocolNumber, tcpip.FullAddress, error) {
	fail := func(err error) (tcpip.NetworkProtocolNumber, tcpip.FullAddress, error) {
		return 0, tcpip.FullAddress{}, &net.OpError{Op: op, Net: network, Err: err}
	}
	if k, err := transport(op, network, address); err != nil {
		return 0, tcpip.FullAddress{}, err
	} else if k != kind {
		return fail(net.UnknownNetworkError(network))
	}
	hostPart, portPart, err := net.SplitHostPort(address)
	if err != nil {
		return fail(err)
	}
	port, err := parsePort(kind, portPart)
	if err != nil {
		return fail(err)
	}
	family := network[len(network)-1]
	var ip netip.Addr
	switch {
	case hostPart == "" && passive:
		// Any address: an IPv6 socket accepts IPv4 too, unless "tcp4".
		if family == '4' {
			return ipv4.ProtocolNumber, tcpip.FullAddress{Port: uint16(port)}, nil
		}
		return ipv6.ProtocolNumber, tcpip.FullAddress{Port: uint16(port)}, nil
	case hostPart == "":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case strings.EqualFold(hostPart, "localhost"):
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if family == '6' {
			ip = netip.IPv6Loopback()
		}
	default:
		ip, err = netip.ParseAddr(hostPart)
		if err != nil {
			var ok bool
			if ip, ok = h.net.lookup(hostPart, family); !ok {
				return fail(&net.DNSError{Err: "no such host", Name: hostPart, IsNotFound: true})
			}
		}
	}
	ip = ip.Unmap()
	if passive && ip == netip.IPv6Unspecified() && family != '4' {
		// "[::]:80" is every address, as an empty host is (the stack
		// cannot bind "::" itself: "cannot assign requested address").
		return ipv6.ProtocolNumber, tcpip.FullAddress{Port: uint16(port)}, nil
	}
	if !passive && ip == netip.IPv6Unspecified() {
		// Dialing "[::]:80" is dialing the local system, as in package
		// net: "tcp" connects to 127.0.0.1 (net picks IPv4 for a
		// wildcard), "tcp6" to ::1. (It went to "::": refused.)
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if family == '6' {
			ip = netip.IPv6Loopback()
		}
	}
	switch {
	case ip.Is4() && family == '6', ip.Is6() && family == '4':
		return fail(&net.AddrError{Err: fmt.Sprintf("address family does not match network %s", network), Addr: address})
	case ip.Is4():
		return ipv4.ProtocolNumber, tcpip.FullAddress{Addr: tcpip.AddrFrom4(ip.As4()), Port: uint16(port)}, nil
	default:
		return ipv6.ProtocolNumber, tcpip.FullAddress{Addr: tcpip.AddrFrom16(ip.As16()), Port: uint16(port)}, nil
	}
}

// lookup resolves a host's name inside the network, without the machine's
// resolver: the first address of the host's interfaces, IPv4 before IPv6
// unless family is '6' (or only IPv6 if '6', only IPv4 if '4').
func (n *Network) lookup(name string, family byte) (netip.Addr, bool) {
	h := n.hostNamed(name)
	if h == nil {
		return netip.Addr{}, false
	}
	addrs := h.Addrs()
	for _, want4 := range []bool{true, false} {
		if (want4 && family == '6') || (!want4 && family == '4') {
			continue
		}
		for _, a := range addrs {
			if a.Is4() == want4 {
				return a, true
			}
		}
	}
	if family != '6' {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), len(addrs) == 0
	}
	return netip.IPv6Loopback(), len(addrs) == 0
}

// hostNamed returns the host called name as a DNS name says it: in any
// case (the exact name first, then the first host added whose name differs
// only in case), with or without one trailing dot. nil if none.
func (n *Network) hostNamed(name string) *Host {
	if h := n.byName[name]; h != nil {
		return h
	}
	if s, ok := strings.CutSuffix(name, "."); ok && s != "" && !strings.HasSuffix(s, ".") {
		name = s
		if h := n.byName[name]; h != nil {
			return h
		}
	}
	for _, h := range n.hosts {
		if strings.EqualFold(h.name, name) {
			return h
		}
	}
	return nil
}

// LookupHost returns the addresses of the host called name, as
// [net.LookupHost] would inside the simulated network: its Ethernet
// addresses in the order given (the loopback's, 127.0.0.1 and ::1, for a
// host with none). A host name matches in any case and with a trailing dot,
// as a DNS name does; an IP address is returned as it is, and "localhost"
// (unless a host has that name) gives the loopback's addresses. Any other
// name fails with a *net.DNSError whose IsNotFound is true.
func (n *Network) LookupHost(name string) ([]string, error) {
	if ip, err := netip.ParseAddr(name); err == nil {
		return []string{ip.String()}, nil
	}
	h := n.hostNamed(name)
	if h == nil && strings.EqualFold(strings.TrimSuffix(name, "."), "localhost") {
		return []string{"127.0.0.1", "::1"}, nil
	}
	if h == nil {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	var out []string
	for _, a := range h.Addrs() {
		out = append(out, a.String())
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1", "::1"}
	}
	return out, nil
}

// WithLabel returns a context that labels the Dials made with it. In test
// mode, goroutines that dial the same address at the same virtual instant
// are ordered by label first; without one, by the dialling goroutine's
// stack, creation site and creation order, which tells apart goroutines
// started in a loop but not goroutines that take work from a shared queue.
// A label per goroutine (a client's number, say) gives each connection the
// same ephemeral port and initial sequence number on every run whatever
// goroutine dials it. net/http passes a request's context to
// Transport.DialContext, so labelling the request's context labels its
// connection.
func WithLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, sock.LabelKey{}, label)
}
