package netsimtest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// h2cGets serves HTTP/2 without TLS (h2c) on server and GETs paths from
// client, one after the other on one connection.
func h2cGets(t *testing.T, client, server *netsim.Host, paths []string) {
	ln, err := server.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	}), Protocols: new(http.Protocols)}
	srv.Protocols.SetUnencryptedHTTP2(true)
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{DialContext: client.DialContext, Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	for _, p := range paths {
		resp, err := (&http.Client{Transport: tr}).Get("http://server:8080" + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(body) != "hello "+p {
			t.Fatalf("GET %s: %s %q", p, resp.Proto, body)
		}
	}
}

// sendEach dials server:9000 once per list of messages, one after the
// other, and sends each list's messages on its own connection, a virtual
// 10 ms apart (one segment each).
func sendEach(t *testing.T, client, server *netsim.Host, msgs [][]string) {
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range msgs {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	for _, m := range msgs {
		c, err := client.DialContext(context.Background(), "tcp", "server:9000")
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range m {
			if i > 0 {
				time.Sleep(10 * time.Millisecond)
			}
			io.WriteString(c, m)
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
	}
	<-done
}

// TestCheckDiagnosisOrders: Measure tells apart two orders netsim does not
// own by what the connections carry as a whole: the same HTTP/2 requests
// under other stream IDs (an HTTP/2 client numbering concurrent requests
// in goroutine order), and the same messages on other connections (a
// worker pool taking jobs from a shared queue). Each body makes the other
// order on purpose in its even runs.
func TestCheckDiagnosisOrders(t *testing.T) {
	for _, c := range []struct {
		name  string
		body  func(t *testing.T, run int, client, server *netsim.Host)
		wants []string
	}{
		{
			name: "h2-stream-ids",
			body: func(t *testing.T, run int, client, server *netsim.Host) {
				paths := []string{"/a", "/bb", "/ccc"}
				if run%2 == 0 {
					paths = []string{"/bb", "/a", "/ccc"}
				}
				h2cGets(t, client, server, paths)
			},
			wants: []string{
				"HTTP/2 requests under other stream IDs: run 1: stream 1 GET /a; stream 3 GET /bb; stream 5 GET /ccc; run 2: stream 1 GET /bb; stream 3 GET /a; stream 5 GET /ccc",
				"HTTP/2 stream IDs given in goroutine order", "gRPC's http2Client.NewStream",
				"from one goroutine",
			},
		},
		{
			name: "worker-pool",
			body: func(t *testing.T, run int, client, server *netsim.Host) {
				jobs := [][]string{{"job a"}, {"job bb"}, {"job ccc"}}
				if run%2 == 0 {
					jobs = [][]string{{"job bb"}, {"job a"}, {"job ccc"}}
				}
				sendEach(t, client, server, jobs)
			},
			wants: []string{
				"what the connections carry: connection 1 (10.0.0.1:",
				"carries in run 2 what connection 2 (10.0.0.1:",
				"carries in run 1 (6 bytes sent, 0 received); the 3 connections carry the same in both runs, on other connections",
				"jobs from a shared queue", "hand each worker its jobs by index",
			},
		},
		{
			name: "worker-pool-two-jobs-each",
			body: func(t *testing.T, run int, client, server *netsim.Host) {
				jobs := [][]string{{"job a", "job bb"}, {"job ccc", "job dddd"}}
				if run%2 == 0 {
					jobs = [][]string{{"job a", "job ccc"}, {"job bb", "job dddd"}}
				}
				sendEach(t, client, server, jobs)
			},
			wants: []string{
				`which connection carries which message: "job ccc" (7 bytes) goes on connection 1 (10.0.0.1:`,
				"in run 2 and on connection 2 (10.0.0.1:",
				"in run 1; the 2 connections carry the same messages in both runs, some on other connections",
				"jobs from a shared queue", "hand each worker its jobs by index",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := 0
			r := netsimtest.Measure(t, 3, func(t *testing.T) {
				run++
				n, client, server := twoHosts(t, netsim.Options{Seed: 1}, netsim.LinkConfig{Delay: time.Millisecond})
				netsimtest.Run(t, n, func(t *testing.T) { c.body(t, run, client, server) })
			})
			if r.Diff == nil || r.String() != "2 capture(s) in 3 runs (2+1)" {
				t.Fatalf("Measure = %v, want 2 captures in 3 runs (2+1)", r)
			}
			text := r.Diff.String()
			for _, want := range c.wants {
				if !strings.Contains(text, want) {
					t.Errorf("the diagnosis does not say %q:\n%s", want, text)
				}
			}
		})
	}
}
