package netsimtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/netsimtest"
)

// twoHosts builds client 10.0.0.1 and server 10.0.0.2 on one link.
func twoHosts(t testing.TB, opts netsim.Options, link netsim.LinkConfig) (n *netsim.Network, client, server *netsim.Host) {
	t.Helper()
	n = netsimtest.New(t, opts)
	var err error
	if client, err = n.AddHost("client"); err != nil {
		t.Fatal(err)
	}
	if server, err = n.AddHost("server"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), link); err != nil {
		t.Fatal(err)
	}
	return n, client, server
}

// httpScenario runs stock net/http over the network: keep-alive requests,
// a request that times out, four concurrent clients, Server.Shutdown. It
// returns what the clients saw, in a fixed order.
func httpScenario(t *testing.T, client, server *netsim.Host) string {
	ln, err := server.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s at %s", r.URL.Query().Get("n"), time.Now().UTC().Format(time.RFC3339Nano))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
			fmt.Fprint(w, "slow")
		case <-r.Context().Done():
		}
	})
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	tr := &http.Transport{DialContext: client.DialContext}
	hc := &http.Client{Transport: tr}
	var log []string
	get := func(ctx context.Context, url string) string {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return "error: " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	for i := 0; i < 3; i++ { // keep-alive: one connection
		log = append(log, get(context.Background(), fmt.Sprintf("http://server:8080/hello?n=%d", i)))
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	log = append(log, get(ctx, "http://server:8080/slow"))
	cancel()

	// Four clients at the same instant, each dial labelled.
	results := make([]string, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{DialContext: client.DialContext}}
			req, _ := http.NewRequestWithContext(netsim.WithLabel(context.Background(), fmt.Sprint("client", i)), "GET", fmt.Sprintf("http://server:8080/hello?n=c%d", i), nil)
			resp, err := c.Do(req)
			if err != nil {
				results[i] = "error: " + err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			c.CloseIdleConnections()
			results[i] = fmt.Sprintf("%d %s", resp.StatusCode, b)
		}()
	}
	wg.Wait()
	log = append(log, results...)
	tr.CloseIdleConnections()

	shutdownCtx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	return strings.Join(log, "\n")
}

func TestHTTP(t *testing.T) {
	var pcap bytes.Buffer
	n, client, server := twoHosts(t, netsim.Options{Seed: 1, Capture: &pcap, CaptureFormat: capture.PCAPNG}, netsim.LinkConfig{Delay: time.Millisecond})
	var out string
	netsimtest.Run(t, n, func(t *testing.T) { out = httpScenario(t, client, server) })
	t.Logf("clients saw:\n%s", out)
	for _, want := range []string{"200 hello 0 at 2000-01-01T00:00:00.00", "200 hello 2", "context deadline exceeded", "200 hello c3"} {
		if !strings.Contains(out, want) {
			t.Errorf("clients' log lacks %q", want)
		}
	}
	n.Close()
	sum := sha256.Sum256(pcap.Bytes())
	t.Logf("capture: %d bytes, sha256 %s", pcap.Len(), hex.EncodeToString(sum[:]))
}

// runHTTP runs the scenario on a fresh network and returns the capture's
// sha256 and what the clients saw.
func runHTTP(t *testing.T, seed int64, link netsim.LinkConfig) (string, string) {
	var pcap bytes.Buffer
	n, client, server := twoHosts(t, netsim.Options{Seed: seed, Capture: &pcap, CaptureFormat: capture.PCAPNG}, link)
	var out string
	netsimtest.Run(t, n, func(t *testing.T) { out = httpScenario(t, client, server) })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pcap.Bytes())
	return hex.EncodeToString(sum[:]), out
}

// TestHTTPDeterministic: stock net/http, unmodified, gives one capture and
// one output over many runs, at GOMAXPROCS 1 and 8 (and under -race when
// the suite runs with it).
func TestHTTPDeterministic(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 4
	}
	link := netsim.LinkConfig{Delay: time.Millisecond}
	want, wantOut := runHTTP(t, 7, link)
	for i := 1; i < runs; i++ {
		procs := 1
		if i%2 == 0 {
			procs = 8
		}
		prev := runtime.GOMAXPROCS(procs)
		got, out := runHTTP(t, 7, link)
		runtime.GOMAXPROCS(prev)
		if got != want || out != wantOut {
			t.Fatalf("run %d (GOMAXPROCS %d): capture sha256 %s, run 0 %s\noutput:\n%s\nrun 0:\n%s", i, procs, got, want, out, wantOut)
		}
	}
	if other, _ := runHTTP(t, 8, link); other == want {
		t.Error("seeds 7 and 8 gave the same capture")
	}
}

// TestHTTPLossy: the same scenario under 5% loss and 50 ms delay each way
// still succeeds, deterministically.
func TestHTTPLossy(t *testing.T) {
	link := netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05}
	a, out := runHTTP(t, 3, link)
	b, _ := runHTTP(t, 3, link)
	if a != b {
		t.Fatalf("two lossy runs: %s and %s", a, b)
	}
	if strings.Count(out, "200 hello") != 7 {
		t.Errorf("under loss the clients saw:\n%s", out)
	}
}
