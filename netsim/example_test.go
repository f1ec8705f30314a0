package netsim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/pcapread"
)

// Two tasks talk TCP over a host's loopback interface: the server reads
// until the client closes, then prints what it got. Every frame crosses the
// simulated NIC once.
func ExampleNetwork() {
	n, err := netsim.New(netsim.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	h, _ := n.AddHost("localhost")

	ln, err := h.Listen("tcp", "127.0.0.1:24000")
	if err != nil {
		log.Fatal(err)
	}
	n.Go(func() { // server
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		got, _ := io.ReadAll(conn)
		fmt.Printf("server got %q\n", got)
		conn.Close()
		ln.Close()
	})
	n.Go(func() { // client
		conn, err := h.Dial("tcp", "127.0.0.1:24000")
		if err != nil {
			log.Fatal(err)
		}
		conn.Write([]byte("hello"))
		conn.Close()
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("frames:", n.Stats().Frames)
	// Output:
	// server got "hello"
	// frames: 9
}

// A UDP socket from ListenPacket is a net.PacketConn: one datagram per
// WriteTo, one per ReadFrom.
func ExampleHost_ListenPacket() {
	n, _ := netsim.New(netsim.Options{})
	defer n.Close()
	h, _ := n.AddHost("localhost")

	server, err := h.ListenPacket("udp", "127.0.0.1:24000")
	if err != nil {
		log.Fatal(err)
	}
	client, err := h.ListenPacket("udp", "127.0.0.1:24001")
	if err != nil {
		log.Fatal(err)
	}
	n.Go(func() {
		buf := make([]byte, 1500)
		k, from, _ := server.ReadFrom(buf)
		fmt.Printf("server: % x from %v\n", buf[:k], from)
		server.WriteTo([]byte("ok"), from)
		server.Close()
	})
	n.Go(func() {
		client.WriteTo([]byte{44, 55, 66}, server.LocalAddr())
		buf := make([]byte, 1500)
		k, from, _ := client.ReadFrom(buf)
		fmt.Printf("client: %q from %v\n", buf[:k], from)
		client.Close()
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("frames:", n.Stats().Frames)
	// Output:
	// server: 2c 37 42 from 127.0.0.1:24001
	// client: "ok" from 127.0.0.1:24000
	// frames: 2
}

// Time in a simulation is virtual: Sleep moves the clock without waiting,
// and tasks wake in the order of their deadlines.
func ExampleNetwork_Sleep() {
	n, _ := netsim.New(netsim.Options{})
	defer n.Close()
	start := n.Now()
	for _, d := range []time.Duration{3 * time.Hour, time.Second, 90 * time.Minute} {
		n.Go(func() {
			n.Sleep(d)
			fmt.Println("woke after", n.Now().Sub(start))
		})
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("start:", start.Format(time.RFC3339))
	// Output:
	// woke after 1s
	// woke after 1h30m0s
	// woke after 3h0m0s
	// start: 2000-01-01T00:00:00Z
}

// Deadlines are on the virtual clock: a Read that nobody answers times out
// after exactly its deadline, with the error package net gives, and the
// run takes no wall time.
func Example_readDeadline() {
	n, _ := netsim.New(netsim.Options{CallTime: -1}) // calls take no virtual time
	defer n.Close()
	h, _ := n.AddHost("localhost")
	ln, _ := h.Listen("tcp", "127.0.0.1:8080")

	n.Go(func() { // a server that accepts and says nothing for a minute
		conn, _ := ln.Accept()
		n.Sleep(time.Minute)
		conn.Close()
		ln.Close()
	})
	n.Go(func() {
		conn, err := h.Dial("tcp", "127.0.0.1:8080")
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		start := n.Now()
		conn.SetReadDeadline(start.Add(2 * time.Second))
		_, err = conn.Read(make([]byte, 100))
		fmt.Println("timeout:", errors.Is(err, os.ErrDeadlineExceeded))
		fmt.Println("after:", n.Now().Sub(start))
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// timeout: true
	// after: 2s
}

// Errors are package net's: a *net.OpError wrapping the errno a Linux
// socket call would give.
func ExampleHost_Dial() {
	n, _ := netsim.New(netsim.Options{})
	defer n.Close()
	h, _ := n.AddHost("localhost")
	n.Go(func() {
		_, err := h.Dial("tcp", "127.0.0.1:9") // nobody listens
		fmt.Println(err)
		fmt.Println("refused:", errors.Is(err, syscall.ECONNREFUSED))
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// dial tcp 127.0.0.1:9: connect: connection refused
	// refused: true
}

// A dial nobody answers (the link is down) gives up at its context's
// deadline, on the virtual clock: Network.WithTimeout makes such a context
// in program mode. The error is package net's dial timeout. (The 20 µs
// past the deadline are the call's own time, Options.CallTime.)
func ExampleHost_DialContext() {
	n, _ := netsim.New(netsim.Options{})
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Down: true})
	n.Go(func() {
		ctx, cancel := n.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := n.Now()
		_, err := client.DialContext(ctx, "tcp", "server:80")
		fmt.Println(err, "after", n.Now().Sub(start))
		var ne net.Error
		fmt.Println("timeout:", errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded))
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// dial tcp 10.0.0.2:80: i/o timeout after 3.00002s
	// timeout: true true
}

// The book's exchange, as `netsim run tcp` runs it: a receiver on
// 127.0.0.1:24000 accepts one connection and reads until the end of the
// stream; a sender connects, writes the bytes 44, 55, 66 and closes. The
// capture, read back with packages pcapread and dissect, lists the frames
// as tshark does: the handshake, the data and its ACK, and the teardown
// (gVisor acknowledges the sender's FIN in a frame of its own).
func Example() {
	var pcap bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 1, Capture: &pcap})
	if err != nil {
		log.Fatal(err)
	}
	h, err := n.AddHost("localhost") // lo: 127.0.0.1/8 and ::1
	if err != nil {
		log.Fatal(err)
	}
	ln, err := h.Listen("tcp", "127.0.0.1:24000")
	if err != nil {
		log.Fatal(err)
	}
	n.Go(func() { // the receiver
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		got, _ := io.ReadAll(conn)
		fmt.Printf("receiver: % x from %v\n", got, conn.RemoteAddr())
		conn.Close()
		ln.Close()
	})
	n.Go(func() { // the sender
		conn, err := h.Dial("tcp", "127.0.0.1:24000")
		if err != nil {
			log.Fatal(err)
		}
		conn.Write([]byte{44, 55, 66})
		conn.Close()
	})
	if err := n.Run(); err != nil { // until the tasks return and the connections close
		log.Fatal(err)
	}
	if err := n.Close(); err != nil { // flushes the capture
		log.Fatal(err)
	}

	r, err := pcapread.NewReader(&pcap)
	if err != nil {
		log.Fatal(err)
	}
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		line, _, _ := strings.Cut(dissect.Summary(p), " Win=") // tshark's line, to the window
		fmt.Println(strings.Join(strings.Fields(line), " "))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// receiver: 2c 37 42 from 127.0.0.1:60891
	// 1 0.000000 127.0.0.1 → 127.0.0.1 TCP 74 60891 → 24000 [SYN] Seq=0
	// 2 0.000010 127.0.0.1 → 127.0.0.1 TCP 74 24000 → 60891 [SYN, ACK] Seq=0 Ack=1
	// 3 0.000020 127.0.0.1 → 127.0.0.1 TCP 66 60891 → 24000 [ACK] Seq=1 Ack=1
	// 4 0.000040 127.0.0.1 → 127.0.0.1 TCP 69 60891 → 24000 [PSH, ACK] Seq=1 Ack=1
	// 5 0.000050 127.0.0.1 → 127.0.0.1 TCP 66 24000 → 60891 [ACK] Seq=1 Ack=4
	// 6 0.000060 127.0.0.1 → 127.0.0.1 TCP 66 60891 → 24000 [FIN, ACK] Seq=4 Ack=1
	// 7 0.000070 127.0.0.1 → 127.0.0.1 TCP 66 24000 → 60891 [ACK] Seq=1 Ack=5
	// 8 0.000090 127.0.0.1 → 127.0.0.1 TCP 66 24000 → 60891 [FIN, ACK] Seq=1 Ack=5
	// 9 0.000100 127.0.0.1 → 127.0.0.1 TCP 66 60891 → 24000 [ACK] Seq=5 Ack=2
}

// Two hosts joined by one link, with 25 ms of delay each way: resolving
// the server's MAC address (ARP) and the TCP handshake take a round trip
// of 50 ms each, an echo one more, all in virtual time (the run takes
// microseconds of wall time). Host names resolve inside the network.
func ExampleNetwork_Connect() {
	n, err := netsim.New(netsim.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	link, err := n.Connect("client-server",
		client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 25 * time.Millisecond}) // one config: both directions
	if err != nil {
		log.Fatal(err)
	}
	ln, err := server.Listen("tcp", ":7")
	if err != nil {
		log.Fatal(err)
	}
	n.Go(func() { // an echo server, for one connection
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(conn, conn)
		conn.Close()
		ln.Close()
	})
	n.Go(func() {
		start := n.Now()
		conn, err := client.Dial("tcp", "server:7")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("connected to", conn.RemoteAddr(), "after", n.Now().Sub(start).Round(time.Millisecond))
		start = n.Now()
		conn.Write([]byte("ping"))
		buf := make([]byte, 4)
		io.ReadFull(conn, buf)
		fmt.Printf("echo %q after %v\n", buf, n.Now().Sub(start).Round(time.Millisecond))
		conn.Close()
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	ab, ba := link.Stats()
	fmt.Printf("client→server: %d frames, server→client: %d frames\n", ab.Sent, ba.Sent)
	// Output:
	// connected to 10.0.0.2:7 after 100ms
	// echo "ping" after 50ms
	// client→server: 7 frames, server→client: 6 frames
}

// LinkConfig describes one direction of a link; Connect takes one for
// both directions or one for each. Here the client's direction loses 10%
// of its frames: TCP retransmits what was lost and delivers every byte,
// and the link's counts say what the network did. The same seed loses the
// same frames on every run.
func ExampleLinkConfig() {
	n, err := netsim.New(netsim.Options{Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	link, err := n.Connect("wan",
		client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.10}, // client → server
		netsim.LinkConfig{Delay: 10 * time.Millisecond})             // server → client
	if err != nil {
		log.Fatal(err)
	}
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		log.Fatal(err)
	}
	start := n.Now()
	n.Go(func() {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		k, _ := io.Copy(io.Discard, conn)
		fmt.Println("server received", k, "bytes after", n.Now().Sub(start).Round(time.Millisecond))
		conn.Close()
		ln.Close()
	})
	n.Go(func() {
		conn, err := client.Dial("tcp", "10.0.0.2:9000")
		if err != nil {
			log.Fatal(err)
		}
		conn.Write(make([]byte, 256<<10))
		conn.Close()
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
	ab, _ := link.Stats()
	fmt.Printf("client→server: %d frames sent, %d lost\n", ab.Sent, ab.Lost)
	// Output:
	// server received 262144 bytes after 735ms
	// client→server: 213 frames sent, 22 lost
}

// Host.HTTPClient gives stock net/http a client on a host of the network:
// its requests leave from that host and cross the links, and host names
// resolve inside the network. net/http runs goroutines of its own, so it
// runs in test mode, inside netsimtest.Run; an Example has no *testing.T
// to start one with, so this one is compiled but not run (TestHTTPClient
// runs the same exchange).
func ExampleHost_HTTPClient() {
	TestGet := func(t *testing.T) {
		n := netsimtest.New(t, netsim.Options{Seed: 1})
		client, _ := n.AddHost("client")
		server, _ := n.AddHost("server")
		_, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
			netsim.LinkConfig{Delay: 30 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		netsimtest.Run(t, n, func(t *testing.T) {
			ln, err := server.Listen("tcp", ":8080")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "hello")
			})}
			go srv.Serve(ln)
			defer srv.Close()

			c := client.HTTPClient()
			defer c.CloseIdleConnections()
			resp, err := c.Get("http://server:8080/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "hello" {
				t.Errorf("got %q", body)
			}
		})
	}
	_ = TestGet
}

// A run where every task waits for the other fails with a *DeadlockError
// naming the parked calls, instead of hanging: here a server and a client
// both Read, each waiting for the other to speak first. Close then ends
// the tasks, their Reads failing with net.ErrClosed.
func ExampleDeadlockError() {
	n, _ := netsim.New(netsim.Options{})
	h, _ := n.AddHost("localhost")
	ln, _ := h.Listen("tcp", "127.0.0.1:7")
	n.GoNamed("server", func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Read(make([]byte, 1))
	})
	n.GoNamed("client", func() {
		c, err := h.Dial("tcp", "127.0.0.1:7")
		if err != nil {
			return
		}
		c.Read(make([]byte, 1))
	})
	err := n.Run()
	var de *netsim.DeadlockError
	if errors.As(err, &de) {
		fmt.Println("deadlock:", errors.Is(err, netsim.ErrDeadlock), "at", de.At)
		for _, c := range de.Calls {
			fmt.Println(c.Task, "waits in", c.Call, "on", c.Socket)
		}
	}
	fmt.Println("close:", n.Close())
	// Output:
	// deadlock: true at 50µs
	// task 1 (server) waits in Read on tcp 127.0.0.1:7->127.0.0.1:32379
	// task 2 (client) waits in Read on tcp 127.0.0.1:32379->127.0.0.1:7
	// close: <nil>
}
