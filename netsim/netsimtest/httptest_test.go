package netsimtest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/netsimtest"
)

// hello answers "hello PATH over PROTO [TLS]".
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	sec := ""
	if r.TLS != nil {
		sec = " TLS"
	}
	fmt.Fprintf(w, "hello %s over %s%s", r.URL.Path, r.Proto, sec)
})

// get fetches url with c and returns "STATUS BODY", or the error.
func get(c *http.Client, url string) string {
	resp, err := c.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// hostSockets counts the sockets this process has open on the machine.
func hostSockets(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err) // not Linux
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

// TestNewServer: httptest.Server on a netsim host. Its URL is the host's
// address, its Client dials from the server's host (over the host's own
// stack), Client(t, s, client) from another host over the link, example.com
// reaches the server, and not one socket of the machine is opened.
func TestNewServer(t *testing.T) {
	before := hostSockets(t)
	// The count sees a socket of the machine (when one may be opened).
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		if got := hostSockets(t); got != before+1 {
			t.Errorf("hostSockets counts %d with a listener open, %d before", got, before)
		}
		ln.Close()
	}
	n, client, server := twoHosts(t, netsim.Options{Seed: 3}, netsim.LinkConfig{Delay: 10 * time.Millisecond})
	netsimtest.Run(t, n, func(t *testing.T) {
		s := netsimtest.NewServer(t, server, hello)
		if !strings.HasPrefix(s.URL, "http://10.0.0.2:") {
			t.Errorf("URL %q, want http://10.0.0.2:PORT", s.URL)
		}
		if got := get(s.Client(), s.URL+"/local"); got != "200 hello /local over HTTP/1.1" {
			t.Errorf("server's client: %s", got)
		}
		if got := get(s.Client(), "http://www.example.com/ex"); got != "200 hello /ex over HTTP/1.1" {
			t.Errorf("server's client to example.com: %s", got)
		}
		c := netsimtest.Client(t, s, client)
		start := time.Now()
		if got := get(c, s.URL+"/remote"); got != "200 hello /remote over HTTP/1.1" {
			t.Errorf("client host: %s", got)
		}
		// ARP, the handshake and the request: at least two round trips
		// of 20 ms over the link.
		if d := time.Since(start); d < 40*time.Millisecond {
			t.Errorf("the request from the client host took %v of fake time, want two round trips of 20 ms or more", d)
		}
		if got := get(c, "http://example.com:1234/"); got != "200 hello / over HTTP/1.1" {
			t.Errorf("client host to example.com: %s", got)
		}
		if got, want := hostSockets(t), before; got != want {
			t.Errorf("%d sockets of the machine open while serving, %d before", got, want)
		}
	})
	if got, want := hostSockets(t), before; got != want {
		t.Errorf("%d sockets of the machine open after the test, %d before", got, want)
	}
	path := netsimtest.CaptureFile(t, n)
	// The link carried the client host's two connections (the pool
	// keys them by URL host, and example.com:1234 is another), the
	// server's loopback its own client's.
	for expr, want := range map[string]int{
		`ip.src==10.0.0.1 and tcp.flags.syn==1 and tcp.flags.ack==0`:              2,
		`frame.interface_name=="client-server" and tcp.payload contains "GET "`:   2,
		`frame.interface_name=="server:lo" and tcp.payload contains "GET /local"`: 1,
		`frame.interface_name=="server:lo" and tcp.payload contains "GET /ex"`:    1,
	} {
		if err := dfilter.ExpectCount(path, expr, want); err != nil {
			t.Error(err)
		}
	}
}

// TestNewServerNilAndPanic: a nil handler answers 500; a handler that
// panics fails the test (seen here through a testing.TB that records
// errors) and drops the connection, as Go 1.27's httptest.NewTestServer.
func TestNewServerNilAndPanic(t *testing.T) {
	n, client, server := twoHosts(t, netsim.Options{Seed: 3}, netsim.LinkConfig{})
	var rec *recordTB
	netsimtest.Run(t, n, func(t *testing.T) {
		s := netsimtest.NewServer(t, server, nil)
		if got := get(netsimtest.Client(t, s, client), s.URL); got != "500 " {
			t.Errorf("nil handler: %q, want 500", got)
		}
		rec = &recordTB{TB: t}
		p := netsimtest.NewServer(rec, server, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
		if got := get(netsimtest.Client(t, p, client), p.URL); !strings.HasPrefix(got, "error: ") {
			t.Errorf("panicking handler: %q, want an error", got)
		}
	})
	if errs := rec.errors(); len(errs) != 1 || !strings.Contains(errs[0], "panic in server handler: boom") {
		t.Errorf("the test's errors: %q, want one about the panic", errs)
	}
}

// recordTB records Errorf instead of failing the test.
type recordTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

// TestNewUnstartedServer: configure the server, then Start it.
func TestNewUnstartedServer(t *testing.T) {
	n, client, server := twoHosts(t, netsim.Options{Seed: 3}, netsim.LinkConfig{})
	netsimtest.Run(t, n, func(t *testing.T) {
		s := netsimtest.NewUnstartedServer(t, server, hello)
		s.Config.MaxHeaderBytes = 4096
		s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "configured")
		})
		netsimtest.Start(t, s)
		if got := get(netsimtest.Client(t, s, client), s.URL); got != "200 configured" {
			t.Errorf("got %q", got)
		}
	})
}

// httpsRun runs NewTLSServer with requests from both hosts on a fresh
// network, crypto's randomness seeded, and returns the capture's sha256
// and what the clients saw.
func httpsRun(t *testing.T, tls bool) (sum, out string) {
	var pcap bytes.Buffer
	n, client, server := twoHosts(t, netsim.Options{Seed: 5, Capture: &pcap, CaptureFormat: capture.PCAPNG},
		netsim.LinkConfig{Delay: 5 * time.Millisecond})
	netsimtest.Run(t, n, func(t *testing.T) {
		var s *httptest.Server
		if tls {
			s = netsimtest.NewTLSServer(t, server, hello)
		} else {
			s = netsimtest.NewServer(t, server, hello)
		}
		c := netsimtest.Client(t, s, client)
		var log []string
		for i := range 3 {
			log = append(log, get(c, fmt.Sprintf("%s/%d", s.URL, i)))
		}
		log = append(log, get(s.Client(), s.URL+"/self"))
		out = strings.Join(log, "\n")
	})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(pcap.Bytes())
	return hex.EncodeToString(h[:]), out
}

// TestServerDeterministic: NewServer and NewTLSServer (crypto seeded with
// cryptotest.SetGlobalRandom) give one capture over 5 runs each.
func TestServerDeterministic(t *testing.T) {
	for _, tls := range []bool{false, true} {
		sums, outs := map[string]int{}, map[string]int{}
		for i := range 5 {
			t.Run(fmt.Sprintf("tls=%v/run%d", tls, i), func(t *testing.T) {
				cryptotest.SetGlobalRandom(t, 7)
				sum, out := httpsRun(t, tls)
				sums[sum]++
				outs[out]++
			})
		}
		scheme := "HTTP/1.1"
		if tls {
			scheme = "HTTP/1.1 TLS"
		}
		for out := range outs {
			for _, want := range []string{"200 hello /0 over " + scheme, "200 hello /2 over " + scheme, "200 hello /self over " + scheme} {
				if !strings.Contains(out, want) {
					t.Errorf("tls=%v: the clients saw\n%s\nwant a line %q", tls, out, want)
				}
			}
		}
		t.Logf("tls=%v: 5 runs, captures %v", tls, sums)
		if len(sums) != 1 || len(outs) != 1 {
			t.Errorf("tls=%v: 5 runs gave %d captures and %d outputs, want 1 and 1", tls, len(sums), len(outs))
		}
	}
}
