package netsimtest_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
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
// and in the second also dials with net.Dial, which would go to the
// machine's network.
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
			if i == 1 { // the second bubble: a failure ends the test
				_, err = net.Dial("tcp", "server:80")
				t.Logf("net.Dial: %v", err)
			}
		})
	}
}

// TestNoRealNetwork: a net.Dial by name inside Run fails the test with a
// message that says to dial through the host's DialContext, and no real
// socket is made: under strace (when installed; CI has it) the child
// process makes no socket(2) of an Internet family, nor a connect(2).
func TestNoRealNetwork(t *testing.T) {
	args := []string{os.Args[0], "-test.run=^TestEscapeChild$", "-test.v"}
	trace := ""
	if st, err := exec.LookPath("strace"); err == nil {
		trace = t.TempDir() + "/strace.txt"
		args = append([]string{st, "-f", "-qq", "-e", "trace=socket,connect", "-o", trace}, args...)
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
	for _, want := range []string{
		netsimtest.ErrRealNetwork.Error(),
		`it resolves "server" through net.DefaultResolver`,
		"host.DialContext",
		"TestEscapeChild.func",
		"net.Dial: dial tcp: lookup server",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the child's output does not say %q:\n%s", want, text)
		}
	}
	if trace == "" {
		return
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "socket(AF_UNIX, SOCK_DGRAM") {
		t.Errorf("strace did not see the child's one socket(AF_UNIX, SOCK_DGRAM):\n%s", data)
	}
	inet := regexp.MustCompile(`socket\(AF_INET6?,|connect\(`)
	for _, line := range strings.Split(string(data), "\n") {
		if inet.MatchString(line) {
			t.Errorf("strace: the child made a real socket: %s", line)
		}
	}
}
