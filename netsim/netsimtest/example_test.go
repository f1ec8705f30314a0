package netsimtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// A complete test, ready to paste into a _test.go file: an echo server and
// a client on two hosts joined by a 25 ms link, in a synctest bubble. The
// round trip takes 50 ms of fake time and no wall time; `go test
// -artifacts` keeps the capture, and a failing test says where it is.
//
// An Example function has no *testing.T, and only a *testing.T can start a
// synctest bubble, so this example is compiled but not run; the same code
// runs as TestExampleRun below.
func ExampleRun() {
	TestEcho := func(t *testing.T) {
		// Build the network outside the bubble.
		n := netsimtest.New(t, netsim.Options{Seed: 1})
		client, _ := n.AddHost("client")
		server, _ := n.AddHost("server")
		_, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
			netsim.LinkConfig{Delay: 25 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		// Run any code inside it: goroutines, time.Sleep, deadlines.
		netsimtest.Run(t, n, func(t *testing.T) {
			ln, err := server.Listen("tcp", ":7")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() { io.Copy(c, c); c.Close() }()
				}
			}()
			conn, err := client.Dial("tcp", "server:7") // names resolve inside the network
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now() // fake time: 2000-01-01 plus the ARP and handshake
			conn.Write([]byte("ping"))
			buf := make([]byte, 4)
			conn.SetReadDeadline(start.Add(time.Second))
			if _, err := io.ReadFull(conn, buf); err != nil {
				t.Fatal(err)
			}
			if rtt := time.Since(start); rtt < 50*time.Millisecond || rtt > 51*time.Millisecond {
				t.Errorf("round trip %v, want 50 ms and the calls' few µs", rtt)
			}
		})
	}
	_ = TestEcho
}

// TestExampleRun is ExampleRun's test, run.
func TestExampleRun(t *testing.T) {
	n := netsimtest.New(t, netsim.Options{Seed: 1})
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	_, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 25 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := server.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(c, c); c.Close() }()
			}
		}()
		conn, err := client.Dial("tcp", "server:7")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		conn.Write([]byte("ping"))
		buf := make([]byte, 4)
		conn.SetReadDeadline(start.Add(time.Second))
		if _, err := io.ReadFull(conn, buf); err != nil {
			t.Fatal(err)
		}
		rtt := time.Since(start)
		t.Logf("echo %q after %v, at %v", buf, rtt, time.Now().UTC().Format(time.RFC3339Nano))
		if rtt < 50*time.Millisecond || rtt > 51*time.Millisecond {
			t.Errorf("round trip %v, want 50 ms and the calls' few µs", rtt)
		}
	})
}

// Go's httptest over netsim: the server's listener lives on a host of the
// network, and its clients dial through it, over real simulated TCP, on
// fake time, captured, with no socket of the machine opened. s.URL is
// http://10.0.0.2:PORT (the port the host's stack picked, the same on
// every run); s.Client() dials from the server's own host and
// netsimtest.Client(t, s, host) from any other. NewTLSServer serves HTTPS
// the same way, its clients trusting its certificate.
//
// Like ExampleRun, this needs a *testing.T, so it is compiled but not
// run; TestExampleNewServer runs the same code.
func ExampleNewServer() {
	TestHello := func(t *testing.T) {
		n := netsimtest.New(t, netsim.Options{Seed: 1})
		client, _ := n.AddHost("client")
		server, _ := n.AddHost("server")
		_, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
			netsim.LinkConfig{Delay: 20 * time.Millisecond, Loss: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		netsimtest.Run(t, n, func(t *testing.T) {
			s := netsimtest.NewServer(t, server, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "hello %s", r.RemoteAddr)
			})) // closed when the test ends
			c := netsimtest.Client(t, s, client)
			resp, err := c.Get(s.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.HasPrefix(string(body), "hello 10.0.0.1:") {
				t.Errorf("got %q", body)
			}
		})
	}
	_ = TestHello
}

// TestExampleNewServer is ExampleNewServer's test, run.
func TestExampleNewServer(t *testing.T) {
	n := netsimtest.New(t, netsim.Options{Seed: 1})
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	_, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 20 * time.Millisecond, Loss: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		s := netsimtest.NewServer(t, server, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s", r.RemoteAddr)
		}))
		c := netsimtest.Client(t, s, client)
		resp, err := c.Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s: %q", s.URL, body)
		if !strings.HasPrefix(string(body), "hello 10.0.0.1:") {
			t.Errorf("got %q", body)
		}
	})
}

// A test over many seeds: each seed is a subtest, seed=N, with its own
// network. `go test` runs seed 1; `go test ./pkg -netsim.seeds=1-500` runs
// 500 (`NETSIM_SEEDS=1-500 go test ./...` over many packages), and
// -netsim.shard=I/N one shard of them. A failing seed logs the command that
// reproduces it alone:
//
//	go test -run '^TestUpload$/^seed=137$' example.com/user/myproto -netsim.seed=137
//
// Like ExampleRun, this needs a *testing.T, so it is compiled but not run;
// TestExampleSeeds runs the same code.
func ExampleSeeds() {
	TestUpload := func(t *testing.T) {
		netsimtest.Seeds(t, func(t *testing.T, seed int64) {
			n := netsimtest.New(t, netsim.Options{Seed: seed}) // the seed drives loss, ports, sequence numbers
			client, _ := n.AddHost("client")
			server, _ := n.AddHost("server")
			_, err := n.Connect("wan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
				netsim.LinkConfig{Delay: 20 * time.Millisecond, Loss: 0.02})
			if err != nil {
				t.Fatal(err)
			}
			netsimtest.Run(t, n, func(t *testing.T) {
				ln, err := server.Listen("tcp", ":9000")
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				got := make(chan int64, 1)
				go func() {
					c, err := ln.Accept()
					if err != nil {
						got <- -1
						return
					}
					k, _ := io.Copy(io.Discard, c)
					c.Close()
					got <- k
				}()
				conn, err := client.Dial("tcp", "server:9000")
				if err != nil {
					t.Fatal(err)
				}
				conn.Write(make([]byte, 64<<10))
				conn.Close()
				if k := <-got; k != 64<<10 {
					t.Errorf("seed %d: the server got %d bytes, want 65536", seed, k)
				}
			})
		})
	}
	_ = TestUpload
}

// TestExampleSeeds is ExampleSeeds's test, run (over the seeds the flags
// give, seed 1 by default).
func TestExampleSeeds(t *testing.T) {
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		n := netsimtest.New(t, netsim.Options{Seed: seed})
		client, _ := n.AddHost("client")
		server, _ := n.AddHost("server")
		_, err := n.Connect("wan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
			netsim.LinkConfig{Delay: 20 * time.Millisecond, Loss: 0.02})
		if err != nil {
			t.Fatal(err)
		}
		netsimtest.Run(t, n, func(t *testing.T) {
			ln, err := server.Listen("tcp", ":9000")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := make(chan int64, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- -1
					return
				}
				k, _ := io.Copy(io.Discard, c)
				c.Close()
				got <- k
			}()
			conn, err := client.Dial("tcp", "server:9000")
			if err != nil {
				t.Fatal(err)
			}
			conn.Write(make([]byte, 64<<10))
			conn.Close()
			if k := <-got; k != 64<<10 {
				t.Errorf("seed %d: the server got %d bytes, want 65536", seed, k)
			}
		})
	})
}
