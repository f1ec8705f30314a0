package netsim_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"syscall"
	"time"

	"netsim.dev/netsim"
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
