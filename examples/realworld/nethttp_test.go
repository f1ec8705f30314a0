package realworld_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// serveHTTP serves /hello on host's port 8080 with net/http (HTTP/1.1, and
// HTTP/2 without TLS when h2c is set) until the test's bubble ends.
func serveHTTP(t *testing.T, host *netsim.Host, h2c bool) {
	ln, err := host.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s over %s", r.URL.Query().Get("n"), r.Proto)
	})}
	if h2c {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("http.Server.Close: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http.Server.Serve: %v", err)
		}
	})
}

// httpGet GETs url with hc and checks the answer's start.
func httpGet(t *testing.T, hc *http.Client, url, want string) {
	resp, err := hc.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != want {
		t.Errorf("GET %s: %q, %v; want %q", url, b, err, want)
	}
}

// httpConcurrent makes four GETs at once through one net/http client whose
// dials are not labelled, the k-th after k*stagger of fake time: the
// Transport dials a connection for each from a goroutine of its own. With
// h2c the client speaks HTTP/2 without TLS and shares one connection
// (connected by a first GET) among the four.
func httpConcurrent(t *testing.T, client, server *netsimHost, h2c bool, stagger time.Duration) {
	serveHTTP(t, server, h2c)
	tr := &http.Transport{DialContext: client.DialContext}
	proto := "HTTP/1.1"
	if h2c {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
		proto = "HTTP/2.0"
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	if h2c {
		httpGet(t, hc, "http://server:8080/hello?n=first", "hello first over "+proto)
	}
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Go(func() {
			time.Sleep(time.Duration(k) * stagger)
			httpGet(t, hc, fmt.Sprint("http://server:8080/hello?n=", k), fmt.Sprintf("hello %d over %s", k, proto))
		})
	}
	wg.Wait()
}

// httpWorkers runs a worker pool: four workers, each with a net/http
// client of its own (so a connection of its own), GET eight URLs. Shared,
// the workers take the jobs from one channel in the order the scheduler
// picks (which job goes on which connection); partitioned, worker k takes
// jobs k and k+4, the fix Check's diagnosis proposes.
func httpWorkers(t *testing.T, client, server *netsimHost, partitioned bool) {
	serveHTTP(t, server, false)
	const workers, jobs = 4, 8
	shared := make(chan int, jobs)
	for j := range jobs {
		shared <- j
	}
	close(shared)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			tr := &http.Transport{DialContext: client.DialContext}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			get := func(j int) {
				httpGet(t, hc, fmt.Sprint("http://server:8080/job?n=", j), fmt.Sprintf("hello %d over HTTP/1.1", j))
			}
			if partitioned {
				for j := k; j < jobs; j += workers {
					get(j)
				}
				return
			}
			for j := range shared {
				get(j)
			}
		})
	}
	wg.Wait()
}
