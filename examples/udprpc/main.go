// Command udprpc is a UDP request/response protocol over a lossy link, in
// netsim's program mode: a server that answers each request in upper case,
// and a client that sends five requests, each with a sequence number, and
// resends a request when no answer comes within 250 ms (of virtual time),
// ignoring stale answers to earlier tries.
//
// Program mode needs no testing/synctest: the simulator runs the tasks
// started with Network.Go one at a time, and each blocks only in netsim's
// socket calls and Sleep, so the run is deterministic. It prints what the
// client saw and a summary of the capture it wrote (udprpc.pcapng, or -w).
//
//	go run ./examples/udprpc && wireshark udprpc.pcapng
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
)

func main() {
	out := flag.String("w", "udprpc.pcapng", "capture file to write")
	flag.Parse()
	if err := run(os.Stdout, *out); err != nil {
		log.Fatal(err)
	}
}

// run runs the protocol, writes the capture to path, and prints what the
// client saw and a summary of the capture to w.
func run(w io.Writer, path string) error {
	var pcap bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 5, Capture: &pcap, CaptureFormat: capture.PCAPNG})
	if err != nil {
		return err
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	link, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 20 * time.Millisecond, Loss: 0.15})
	if err != nil {
		return err
	}

	pc, err := server.ListenPacket("udp", ":7000")
	if err != nil {
		return err
	}
	n.Go(func() { // the server: "SEQ text" -> "SEQ TEXT", until it is closed
		buf := make([]byte, 1500)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(bytes.ToUpper(buf[:k]), from)
		}
	})
	n.Go(func() { // the client
		defer pc.Close()
		conn, err := client.Dial("udp", "server:7000")
		if err != nil {
			fmt.Fprintln(w, err)
			return
		}
		defer conn.Close()
		buf := make([]byte, 1500)
		for seq, word := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
			tries, start := 0, n.Now()
		retry:
			for tries < 10 {
				tries++
				fmt.Fprintf(conn, "%d %s", seq, word)
				conn.SetReadDeadline(n.Now().Add(250 * time.Millisecond))
				for {
					k, err := conn.Read(buf)
					if errors.Is(err, os.ErrDeadlineExceeded) {
						continue retry
					}
					if err != nil {
						fmt.Fprintln(w, err)
						return
					}
					got, text, _ := strings.Cut(string(buf[:k]), " ")
					if got == strconv.Itoa(seq) { // else a late answer to an earlier try
						fmt.Fprintf(w, "%s -> %s (tries %d, %v)\n", word, text, tries, n.Now().Sub(start))
						break retry
					}
				}
			}
		}
	})
	if err := n.Run(); err != nil {
		return err
	}
	if err := n.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, pcap.Bytes(), 0o644); err != nil {
		return err
	}
	ab, ba := link.Stats()
	fmt.Fprintf(w, "link: %d frames sent, %d lost\n", ab.Sent+ba.Sent, ab.Lost+ba.Lost)
	for _, f := range []string{"udp.dstport == 7000", "udp.srcport == 7000", `frame.comment contains "lost"`} {
		count, err := dfilter.CountFile(path, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "capture: %2d frames match %s\n", count, f)
	}
	return nil
}
