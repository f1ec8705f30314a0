package netsimtest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// TestDefaultResolverInBubbles: inside Run, net.DefaultResolver answers
// from the simulated network, in two bubbles one after the other (the
// second used to kill the binary: "send on synctest channel from outside
// bubble"), and a name that is no host fails with a DNS error naming it.
func TestDefaultResolverInBubbles(t *testing.T) {
	for i := range 2 {
		n, _, _ := twoHosts(t, netsim.Options{Seed: int64(i)}, netsim.LinkConfig{Delay: time.Millisecond})
		netsimtest.Run(t, n, func(t *testing.T) {
			ctx := context.Background()
			addrs, err := net.DefaultResolver.LookupHost(ctx, "server")
			if err != nil || !slices.Equal(addrs, []string{"10.0.0.2"}) {
				t.Errorf("bubble %d: LookupHost(server) = %v, %v; want [10.0.0.2]", i+1, addrs, err)
			}
			ips, err := net.LookupIP("client")
			if err != nil || len(ips) != 1 || ips[0].String() != "10.0.0.1" {
				t.Errorf("bubble %d: LookupIP(client) = %v, %v; want [10.0.0.1]", i+1, ips, err)
			}
			_, err = net.DefaultResolver.LookupHost(ctx, "nosuch")
			var de *net.DNSError
			if !errors.As(err, &de) || !de.IsNotFound || de.Name != "nosuch" {
				t.Errorf("bubble %d: LookupHost(nosuch) = %v, want a not-found DNS error naming nosuch", i+1, err)
			}
		})
	}
}

// escapeEnv makes TestEscapeChild run (as a child of TestNoRealNetwork).
const escapeEnv = "NETSIM_TEST_ESCAPE"

// TestEscapeChild resolves names and dials through netsim in two bubbles,
// and in the second also dials and listens with the net package, which
// would go to the machine's network: by name, by IP address (one of the
// simulated network, one of the machine's loopback where nothing listens,
// whose connect would be refused at once), UDP, a listener, and net/http's
// default dialer, and a resolver of its own (which would ask the machine's
// DNS servers). While the second bubble runs, a goroutine outside it
// makes a real socket (a Unix one), which is no business of netsim's.
func TestEscapeChild(t *testing.T) {
	if os.Getenv(escapeEnv) == "" {
		t.Skip("run as a child process by TestNoRealNetwork")
	}
	// A socket of the machine outside every bubble, which strace must see.
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	// Another, made through the net package by a goroutine outside the
	// bubble while the bubble runs.
	start, made := make(chan struct{}), make(chan error, 1)
	go func() {
		<-start
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "outside.sock"))
		if err == nil {
			ln.Close()
		}
		made <- err
	}()
	for i := range 2 {
		n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
		netsimtest.Run(t, n, func(t *testing.T) {
			if _, err := net.LookupHost("server"); err != nil {
				t.Error(err)
			}
			ln, err := server.Listen("tcp", ":80")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c, err := client.Dial("tcp", "server:80")
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if i == 0 {
				return
			}
			// The second bubble: each failure fails the test.
			close(start)
			if err := <-made; err != nil {
				t.Errorf("a goroutine outside the bubble could not make a socket: %v", err)
			} else {
				t.Log("outside the bubble: a real socket was made")
			}
			logErr := func(what string, err error) {
				t.Helper()
				t.Logf("%s: %v (ErrRealNetwork: %v)", what, err, errors.Is(err, netsimtest.ErrRealNetwork))
			}
			_, err = net.Dial("tcp", "server:80")
			t.Logf("net.Dial by name: %v", err) // the resolver refuses it
			_, err = net.Dial("tcp", "10.0.0.2:80")
			logErr("net.Dial 10.0.0.2:80", err)
			_, err = net.DialTimeout("tcp", "127.0.0.1:1", time.Second)
			logErr("net.DialTimeout 127.0.0.1:1", err)
			_, err = net.Dial("udp", "10.0.0.2:53")
			logErr("net.Dial udp", err)
			_, err = net.ListenPacket("udp", ":0")
			logErr("net.ListenPacket", err)
			_, err = net.Listen("tcp", "127.0.0.1:0")
			logErr("net.Listen", err)
			hc := &http.Client{Transport: &http.Transport{}}
			_, err = hc.Get("http://10.0.0.2:80/")
			logErr("http.Client.Get", err)
			// A resolver of its own queries the machine's DNS servers.
			_, err = (&net.Resolver{PreferGo: true}).LookupHost(context.Background(), "example.com")
			t.Logf("own resolver: %v", err)
		})
	}
}

// TestNoRealNetwork: a dial or listen inside Run that bypasses netsim (by
// name or by IP address) fails the test with a message that names the
// call and says to dial through the host's DialContext, and no real
// socket is made: under strace (when installed; CI has it) the child
// process makes no socket(2) of an Internet family, nor a connect(2),
// while the Unix sockets it makes outside the bubbles are seen.
func TestNoRealNetwork(t *testing.T) {
	args := []string{os.Args[0], "-test.run=^TestEscapeChild$", "-test.v"}
	trace := ""
	if st, err := exec.LookPath("strace"); err == nil {
		trace = t.TempDir() + "/strace.txt"
		args = append([]string{st, "-f", "-qq", "-e", "trace=socket,connect,bind,listen,sendto,sendmsg", "-o", trace}, args...)
	} else if os.Getenv("CI") != "" {
		t.Fatal("strace is not installed; CI must have it (apt-get install strace)")
	} else {
		t.Log("strace is not installed: the child's sockets are not checked")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), escapeEnv+"=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err == nil {
		t.Fatalf("the child passed; its net.Dial should have failed it:\n%s", text)
	}
	wants := []string{
		netsimtest.ErrRealNetwork.Error(),
		`it resolves "server" through net.DefaultResolver`,
		"host.DialContext",
		"TestEscapeChild.func",
		"net.Dial by name: dial tcp: lookup server on ",
		`: netsim: a dial or listen inside netsimtest.Run went to the machine's network, not the simulated one (the lookup of "server" for it was refused`,
		"outside the bubble: a real socket was made",
	}
	if runtime.GOOS != "linux" {
		t.Log("real sockets by IP address are refused only on Linux")
	} else {
		wants = append(wants, realSocketWants...)
		if got := strings.Count(text, "no socket was made"); got != 7 {
			t.Errorf("the child reported %d real sockets, want 7 (net.Dial twice, DialTimeout, ListenPacket, Listen, http, a resolver):\n%s", got, text)
		}
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("the child's output does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "(ErrRealNetwork: false)") {
		t.Errorf("a real dial inside the bubble failed with another error:\n%s", text)
	}
	if trace == "" {
		return
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"socket(AF_UNIX, SOCK_DGRAM", "socket(AF_UNIX, SOCK_STREAM"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("strace did not see the child's %s) (made outside the bubbles):\n%s", want, data)
		}
	}
	if bad := realSockets(string(data)); len(bad) > 0 {
		t.Errorf("strace: the child made real sockets:\n%s\nall of strace's lines:\n%s", strings.Join(bad, "\n"), data)
	}
}

// realSocketWants are what the child says of its dials and listens by IP
// address: the test fails, naming the call and where it was made, and
// each call fails with ErrRealNetwork.
var realSocketWants = []string{
	"net.Dial, called from netsim.dev/netsim/netsimtest_test.TestEscapeChild.func",
	"asked for a real TCP/IPv4 socket of the machine; no socket was made",
	"net.Dial 10.0.0.2:80: dial tcp 10.0.0.2:80: socket: " + netsimtest.ErrRealNetwork.Error(),
	"net.DialTimeout, called from",
	"net.DialTimeout 127.0.0.1:1: dial tcp 127.0.0.1:1: socket: ",
	"asked for a real UDP/IPv4 socket",
	"net.Dial udp: dial udp 10.0.0.2:53: socket: ",
	"net.ListenPacket, called from",
	"net.ListenPacket: listen udp :0: socket: ",
	"net.Listen, called from",
	"net.Listen: listen tcp 127.0.0.1:0: socket: ",
	"net.(*Dialer).DialContext, called from net/http.(*Transport).dial at ",
	"(for netsim.dev/netsim/netsimtest_test.TestEscapeChild.func2 at ",
	`http.Client.Get: Get "http://10.0.0.2:80/": dial tcp 10.0.0.2:80: socket: `,
	"net.(*Resolver).LookupHost, called from netsim.dev/netsim/netsimtest_test.TestEscapeChild.func",
	"asked for a real UDP/IPv4 socket",
	"own resolver: lookup example.com",
	"(ErrRealNetwork: true)",
}

// realSockets returns the lines of strace's output (socket, connect, bind,
// listen, sendto, sendmsg) that show an Internet socket used for more
// than the net package's probes of what the kernel supports, which make a
// TCP socket of each family, bind two of them to port 0 of IPv6's
// loopback and IPv4's in IPv6, and make a Multipath TCP socket; the
// sockets of the net package's own dials and listens have protocol 0.
func realSockets(trace string) []string {
	var (
		inet    = regexp.MustCompile(`socket\(AF_INET6?, `)
		probe   = regexp.MustCompile(`socket\(AF_INET6?, SOCK_STREAM\|SOCK_CLOEXEC\|SOCK_NONBLOCK, IPPROTO_(TCP|MPTCP)\)`)
		bind    = regexp.MustCompile(`bind\(\d+, \{sa_family=AF_INET6?,`)
		loop    = regexp.MustCompile(`bind\(\d+, \{sa_family=AF_INET6, sin6_port=htons\(0\), .*inet_pton\(AF_INET6, "(::1|::ffff:127\.0\.0\.1)"`)
		sending = regexp.MustCompile(`(connect|sendto|sendmsg)\(`)
		listen  = regexp.MustCompile(`listen\(`)
	)
	var bad []string
	listens := 0
	for _, line := range strings.Split(trace, "\n") {
		switch {
		case inet.MatchString(line) && !probe.MatchString(line),
			bind.MatchString(line) && !loop.MatchString(line),
			sending.MatchString(line):
			bad = append(bad, line)
		case listen.MatchString(line):
			if listens++; listens > 1 { // the Unix socket's
				bad = append(bad, line)
			}
		}
	}
	return bad
}

// TestRealSocketsFilter: the filter of strace's lines above finds what it
// must, and lets the net package's probes pass.
func TestRealSocketsFilter(t *testing.T) {
	probes := `1461  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP) = 9
1461  socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP) = 9
1461  bind(9, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0
1461  bind(11, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0
1461  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_MPTCP) = 9
1461  socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 9
1461  bind(9, {sa_family=AF_UNIX, sun_path="/tmp/x/outside.sock"}, 50) = 0
1461  listen(9, 4096)                   = 0
`
	if bad := realSockets(probes); len(bad) != 0 {
		t.Errorf("the probes are taken for real sockets: %q", bad)
	}
	for _, line := range []string{
		`7  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 9`,
		`7  socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 9`,
		`7  connect(9, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)`,
		`7  bind(9, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}, 28) = 0`,
		`7  bind(9, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`,
		`7  sendto(9, "x", 1, 0, NULL, 0) = 1`,
		`7  listen(10, 4096)                   = 0`,
	} {
		if bad := realSockets(probes + line + "\n"); len(bad) != 1 {
			t.Errorf("%s: found %q, want that line", line, bad)
		}
	}
}

// TestResolverHostNamesAnyCase: a host whose name has capitals resolves
// through net.DefaultResolver, in any case and with a trailing dot, as DNS
// names do; the in-memory DNS server lowercases the question, and a host
// called "DB" used to be "no such host".
func TestResolverHostNamesAnyCase(t *testing.T) {
	n := netsimtest.New(t, netsim.Options{})
	client, _ := n.AddHost("Client")
	db, _ := n.AddHost("DB")
	if _, err := n.Connect("l", client.Iface("eth0", "10.0.0.1/24"), db.Iface("eth0", "10.0.0.2/24")); err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		for _, name := range []string{"DB", "db", "Db."} {
			addrs, err := net.DefaultResolver.LookupHost(context.Background(), name)
			if err != nil || !slices.Equal(addrs, []string{"10.0.0.2"}) {
				t.Errorf("LookupHost(%q) = %v, %v; want [10.0.0.2]", name, addrs, err)
			}
		}
	})
}
