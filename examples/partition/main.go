// Command partition shows TCP riding out a network partition, in netsim's
// program mode. A client sends a line to a server every 500 ms for 10 s
// over one TCP connection. From 2 s to 6 s the link between them is down
// (Network.At changes it at those instants, Link.Set with Down: true). The
// client's Writes keep succeeding into its send buffer; TCP retransmits
// with exponential backoff (RTO 200 ms, 400, 800, 1.6 s, 3.2 s); the first
// retransmission after the link heals delivers everything that waited, and
// every line arrives, in order, once.
//
// It prints when the server got each line that the partition delayed, and a
// summary of the capture (partition.pcapng, or -w), counted with package
// dfilter.
//
//	go run ./examples/partition && wireshark partition.pcapng
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/pcapread"
)

func main() {
	out := flag.String("w", "partition.pcapng", "capture file to write")
	flag.Parse()
	if err := run(os.Stdout, *out); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, path string) error {
	var pcap bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 1, Capture: &pcap, CaptureFormat: capture.PCAPNG})
	if err != nil {
		return err
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	up := netsim.LinkConfig{Delay: 10 * time.Millisecond}
	link, err := n.Connect("wan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), up)
	if err != nil {
		return err
	}
	const cutAt, healAt = 2 * time.Second, 6 * time.Second
	down := netsim.LinkConfig{Delay: 10 * time.Millisecond, Down: true}
	n.At(cutAt, func() { link.Set(down, down) })
	n.At(healAt, func() { link.Set(up, up) })

	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		return err
	}
	start := n.Now()
	got := 0
	var late [][2]time.Duration // sent, arrived: lines that took over 100 ms
	n.Go(func() {               // the server notes when a line arrives late
		defer ln.Close()
		conn, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(w, err)
			return
		}
		defer conn.Close()
		lines := bufio.NewScanner(conn)
		for lines.Scan() {
			got++
			sent, err := time.ParseDuration(strings.TrimPrefix(lines.Text(), "sent at "))
			if err != nil {
				fmt.Fprintln(w, "server: bad line", lines.Text())
				return
			}
			if at := n.Now().Sub(start); at-sent > 100*time.Millisecond {
				late = append(late, [2]time.Duration{sent, at})
			}
		}
		if err := lines.Err(); err != nil {
			fmt.Fprintln(w, "server:", err)
		}
	})
	n.Go(func() { // the client sends a line every 500 ms
		conn, err := client.Dial("tcp", "server:9000")
		if err != nil {
			fmt.Fprintln(w, err)
			return
		}
		defer conn.Close()
		for i := 0; i < 20; i++ {
			if _, err := fmt.Fprintf(conn, "sent at %v\n", n.Now().Sub(start)); err != nil {
				fmt.Fprintln(w, "client:", err)
				return
			}
			n.Sleep(500 * time.Millisecond)
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
	fmt.Fprintf(w, "server got %d lines of 20\n", got)
	if len(late) > 0 {
		ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
		first, last := late[0], late[len(late)-1]
		fmt.Fprintf(w, "%d lines late: sent from %v to %v, arrived from %v to %v\n",
			len(late), ms(first[0]), ms(last[0]), ms(first[1]), ms(last[1]))
	}
	fmt.Fprintf(w, "link: %d frames, %d lost while down (%v to %v)\n", ab.Sent+ba.Sent, ab.Lost+ba.Lost, cutAt, healAt)
	retrans, err := dfilter.MatchFile(path, "tcp.analysis.retransmission")
	if err != nil {
		return err
	}
	frames, err := pcapread.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "capture: %d frames, %d TCP retransmissions, at:", len(frames), len(retrans))
	for _, num := range retrans {
		fmt.Fprintf(w, " %v", time.Duration(frames[num-1].Time-start.UnixNano()).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	return nil
}
