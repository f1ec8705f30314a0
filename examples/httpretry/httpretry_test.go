package httpretry_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/netsimtest"
)

// getWithRetry GETs url up to 5 times, with a 1 s timeout per attempt and a
// doubling pause between attempts (100 ms, 200 ms, ...), retrying on errors
// and 5xx answers. It returns the body and a line per attempt.
func getWithRetry(ctx context.Context, hc *http.Client, url string) (body []byte, attempts []string, err error) {
	pause := 100 * time.Millisecond
	for i := 0; i < 5; i++ {
		if i > 0 {
			time.Sleep(pause) // on the bubble's fake clock: no wall time
			pause *= 2
		}
		actx, cancel := context.WithTimeout(ctx, time.Second)
		req, _ := http.NewRequestWithContext(actx, "GET", url, nil)
		start := time.Now()
		resp, err := hc.Do(req)
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		took := time.Since(start).Round(time.Millisecond)
		switch {
		case err != nil:
			attempts = append(attempts, fmt.Sprintf("error after %v (%s)", took, shortErr(err)))
		case resp.StatusCode >= 500:
			attempts = append(attempts, fmt.Sprintf("%s after %v", resp.Status, took))
		default:
			attempts = append(attempts, fmt.Sprintf("%s, %d bytes after %v", resp.Status, len(body), took))
			return body, attempts, nil
		}
	}
	return nil, attempts, fmt.Errorf("giving up after %d attempts", len(attempts))
}

func shortErr(err error) string {
	switch s := err.Error(); {
	case strings.Contains(s, "deadline exceeded"), strings.Contains(s, "Client.Timeout"):
		return "timeout"
	default:
		return s
	}
}

// TestHTTPRetry: the server fails its first two requests with 503, then
// serves 64 KiB; the link loses 5% of frames each way and delays them by
// 50 ms. Three GETs with retries all succeed, and the run, the capture and
// this summary are the same on every machine and at any GOMAXPROCS.
//
// It is a Test, not an Example: net/http needs a synctest bubble, and only
// a *testing.T can start one. The summary is checked as "// Output:" would.
func TestHTTPRetry(t *testing.T) {
	// 1. Build the network outside the bubble: two hosts, one lossy link.
	var pcap bytes.Buffer
	n := netsimtest.New(t, netsim.Options{Seed: 3, Capture: &pcap, CaptureFormat: capture.PCAPNG})
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	link, err := n.Connect("wan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05})
	if err != nil {
		t.Fatal(err)
	}

	// 2. Run unmodified net/http code in the bubble, on the hosts' sockets.
	var summary []string
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := server.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		requests := 0
		payload := bytes.Repeat([]byte("netsim "), 64<<10/7)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests++
			if requests <= 2 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			w.Write(payload)
		})}
		go srv.Serve(ln)
		defer srv.Close()

		hc := &http.Client{Transport: &http.Transport{DialContext: client.DialContext}}
		for i := 1; i <= 3; i++ {
			body, attempts, err := getWithRetry(context.Background(), hc, "http://server/data")
			if err != nil || !bytes.Equal(body, payload) {
				t.Errorf("GET %d: %v, %d bytes", i, err, len(body))
			}
			summary = append(summary, fmt.Sprintf("GET %d: %s", i, strings.Join(attempts, "; ")))
		}
		summary = append(summary, fmt.Sprintf("server saw %d requests", requests))
	})

	// 3. Check the capture with display filters, as in Wireshark.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "httpretry.pcapng")
	if err := os.WriteFile(path, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ab, ba := link.Stats()
	summary = append(summary, fmt.Sprintf("link: %d frames, %d lost", ab.Sent+ba.Sent, ab.Lost+ba.Lost))
	for _, f := range []string{"tcp.flags.syn == 1 and tcp.flags.ack == 0", "tcp.analysis.retransmission", `tcp.payload contains "HTTP/1.1 503"`} {
		count, err := dfilter.CountFile(path, f)
		if err != nil {
			t.Fatal(err)
		}
		summary = append(summary, fmt.Sprintf("capture: %d frames match %s", count, f))
	}
	got := strings.Join(summary, "\n")
	t.Logf("summary:\n%s", got)
	if got != wantSummary {
		t.Errorf("summary:\n%s\nwant:\n%s", got, wantSummary)
	}
}

// wantSummary is what every run prints (seed 3). Lost segments make the
// second GET's first attempt and the third GET's first two attempts time
// out (the answer's segments were lost and retransmitted too late); each
// retry opens a new connection (four SYNs in all).
const wantSummary = `GET 1: 503 Service Unavailable after 300ms; 503 Service Unavailable after 100ms; 200 OK, 65534 bytes after 425ms
GET 2: error after 1s (timeout); 200 OK, 65534 bytes after 500ms
GET 3: error after 1s (timeout); error after 1s (timeout); 200 OK, 65534 bytes after 300ms
server saw 7 requests
link: 338 frames, 16 lost
capture: 4 frames match tcp.flags.syn == 1 and tcp.flags.ack == 0
capture: 7 frames match tcp.analysis.retransmission
capture: 2 frames match tcp.payload contains "HTTP/1.1 503"`
