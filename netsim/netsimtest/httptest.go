package netsimtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"netsim.dev/netsim"
)

// NewServer starts an [net/http/httptest.Server] whose listener lives on
// host, inside the simulated network, and whose Client dials from host
// through it: Go's httptest over real, simulated TCP, captured like any
// other traffic, with no socket of the machine opened. Call it inside
// [Run] (test mode).
//
// The server listens on every address of host, on a port the host's stack
// picks (the same on every run). URL is "http://ADDR:PORT", ADDR being the
// address host's name resolves to in the network: its first IPv4 address,
// else its first IPv6 address, else 127.0.0.1 for a host with loopback
// only. The Listener is netsim's. Client() dials from host: to the server
// (the URL's address, and example.com or *.example.com on any port, as
// httptest's client does) over host's loopback interface, and to any other
// address through the network. Use [Client] for a client on another host,
// and [netsim.Host.HTTPClient] for one that knows nothing of the server.
//
// As Go 1.27's httptest.NewTestServer does, a handler panic other than
// [net/http.ErrAbortHandler] fails the test, a nil handler answers 500 (not
// [net/http.DefaultServeMux]), and the server is closed when the test ends
// (before Run stops the network). Configure the server (Config, TLS,
// EnableHTTP2) before it starts with [NewUnstartedServer]; the client does
// not attempt HTTP/2 unless EnableHTTP2 is set, and HTTP/2 is not
// deterministic (see the package documentation).
func NewServer(t testing.TB, host *netsim.Host, handler http.Handler) *httptest.Server {
	t.Helper()
	s := NewUnstartedServer(t, host, handler)
	Start(t, s)
	return s
}

// NewTLSServer is [NewServer] over TLS: the server has httptest's test
// certificate (for example.com, 127.0.0.1 and ::1) and URL is
// "https://ADDR:PORT". Its Client trusts that certificate and verifies it
// for the name example.com whatever address it dials, so that URL works
// as it is. crypto/tls draws on crypto/rand: seed it with
// testing/cryptotest.SetGlobalRandom for the same capture on every run.
func NewTLSServer(t testing.TB, host *netsim.Host, handler http.Handler) *httptest.Server {
	t.Helper()
	s := NewUnstartedServer(t, host, handler)
	StartTLS(t, s)
	return s
}

// NewUnstartedServer returns a [net/http/httptest.Server] that listens on
// host, to be configured and then started with [Start] or [StartTLS] (not
// with its own Start or StartTLS methods, whose clients would dial the
// machine's network). Its listener is open from the call on: connections
// wait in the accept queue until the server starts. It is closed when the
// test ends.
func NewUnstartedServer(t testing.TB, host *netsim.Host, handler http.Handler) *httptest.Server {
	t.Helper()
	ln, err := host.Listen("tcp", ":0")
	if err != nil {
		t.Fatalf("netsimtest.NewServer: listen on host %s: %v", host.Name(), err)
	}
	s := &httptest.Server{
		Listener: ln,
		Config:   &http.Server{Handler: panicHandler{t: t, h: handler}},
	}
	servers.Store(s, &serverInfo{host: host})
	t.Cleanup(func() {
		s.Close()
		servers.Delete(s)
	})
	return s
}

// Start starts a server from [NewUnstartedServer] serving HTTP, with a
// Client that dials through the network from the server's host: call it
// in place of s.Start, httptest's own, whose client would dial the
// machine's network. (Not to be confused with [netsim.Network.Start],
// which [Run] calls for you.)
func Start(t testing.TB, s *httptest.Server) {
	t.Helper()
	start(t, s, false)
}

// StartTLS starts a server from [NewUnstartedServer] serving HTTPS (see
// [NewTLSServer]), with a Client that dials through the network from the
// server's host.
func StartTLS(t testing.TB, s *httptest.Server) {
	t.Helper()
	start(t, s, true)
}

func start(t testing.TB, s *httptest.Server, tls bool) {
	t.Helper()
	info := serverOf(s)
	if info == nil {
		t.Fatal("netsimtest.Start: the server was not made by netsimtest.NewUnstartedServer")
	}
	if info.started {
		t.Fatal("netsimtest.Start: the server has started already")
	}
	info.started = true
	addr, ok := s.Listener.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("netsimtest.Start: listener address %v is not TCP", s.Listener.Addr())
	}
	info.target = net.JoinHostPort(primaryAddr(info.host).String(), strconv.Itoa(addr.Port))
	if tls {
		s.StartTLS()
		s.URL = "https://" + info.target
	} else {
		s.Start()
		s.URL = "http://" + info.target
	}
	// httptest's Start made a client whose transport dials the machine's
	// network: make it dial from the server's host, through the network.
	route(s, info, s.Client().Transport.(*http.Transport), info.host)
}

// Client returns an HTTP client for a server from [NewServer] or
// [NewTLSServer] whose connections start at host from: the server's
// Client, moved to another machine of the network. It trusts the server's
// certificate and sends example.com to the server, as the server's Client
// does. Its idle connections are closed when the test ends.
func Client(t testing.TB, s *httptest.Server, from *netsim.Host) *http.Client {
	t.Helper()
	info := serverOf(s)
	if info == nil || !info.started {
		t.Fatal("netsimtest.Client: the server was not started by netsimtest (NewServer, NewTLSServer, Start, StartTLS)")
	}
	tr := s.Client().Transport.(*http.Transport).Clone()
	route(s, info, tr, from)
	c := &http.Client{Transport: tr}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// route makes tr dial from host through the network, sending example.com
// and its subdomains to the server. When the server's certificate is for
// example.com and not for the address in URL (httptest's test certificate
// is for example.com, 127.0.0.1 and ::1), the client verifies it for
// example.com.
//
// On the server's own host the client dials the server over the loopback
// interface (127.0.0.1), as httptest's does: netsim sends a packet for a
// host's own Ethernet address out on the link, where no one answers it.
func route(s *httptest.Server, info *serverInfo, tr *http.Transport, from *netsim.Host) {
	ip, port, _ := net.SplitHostPort(info.target)
	target := info.target
	if from == info.host {
		target = net.JoinHostPort("127.0.0.1", port)
	}
	tr.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(address); address == info.target ||
			err == nil && (host == "example.com" || strings.HasSuffix(host, ".example.com")) {
			address = target
		}
		return from.DialContext(ctx, network, address)
	}
	cert := s.Certificate()
	if tr.TLSClientConfig != nil && cert != nil && cert.VerifyHostname(ip) != nil && cert.VerifyHostname("example.com") == nil {
		tr.TLSClientConfig.ServerName = "example.com"
	}
}

// primaryAddr returns the address host's name resolves to in the network:
// its first IPv4 address, else its first IPv6 one, else 127.0.0.1.
func primaryAddr(host *netsim.Host) netip.Addr {
	addrs := host.Addrs()
	for _, a := range addrs {
		if a.Is4() {
			return a
		}
	}
	if len(addrs) > 0 {
		return addrs[0]
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// serverInfo is what netsimtest knows of a server it made.
type serverInfo struct {
	host    *netsim.Host
	started bool
	target  string // the server's "ADDR:PORT"
}

// servers maps each *httptest.Server made here to its serverInfo.
var servers sync.Map

func serverOf(s *httptest.Server) *serverInfo {
	v, ok := servers.Load(s)
	if !ok {
		return nil
	}
	return v.(*serverInfo)
}

// panicHandler fails the test when h panics with anything but
// http.ErrAbortHandler, as Go 1.27's httptest.NewTestServer does, and
// answers 500 when h is nil.
type panicHandler struct {
	t testing.TB
	h http.Handler
}

func (h panicHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if err := recover(); err != nil {
			if err != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				h.t.Errorf("netsimtest: panic in server handler: %v\n%s", err, buf)
			}
			// As ErrAbortHandler: the connection is dropped, and
			// http.Server logs nothing.
			panic(http.ErrAbortHandler)
		}
	}()
	if h.h == nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h.h.ServeHTTP(w, r)
}
