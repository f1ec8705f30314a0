package sweep_test

import (
	"io"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// TestEchoSeeds is a Go test over many seeds: a client sends 1 KiB to an
// echo server across a link with 20 ms of delay and 2% loss, and must get
// it back within 5 s of simulated time. `go test ./examples/sweep` runs seed
// 1; `go test ./examples/sweep -netsim.seeds=1-1000` runs a thousand, and
// a failing seed logs the go test line that reproduces it.
func TestEchoSeeds(t *testing.T) {
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
			ln, err := server.Listen("tcp", ":7")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				io.Copy(c, c)
				c.Close()
			}()
			conn, err := client.Dial("tcp", "server:7")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			msg := make([]byte, 1024)
			if _, err := conn.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(conn, msg); err != nil {
				t.Fatalf("seed %d: the echo did not come back: %v", seed, err)
			}
		})
	})
}
