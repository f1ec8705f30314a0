package netsim_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// TestHTTPClient: Host.HTTPClient's requests leave from its host, cross
// the link (one round trip of 2 x 30 ms at least for the handshake, one
// for the request), resolve host names inside the network, speak
// HTTP/1.1 and use no proxy, whatever the environment says.
func TestHTTPClient(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://10.0.0.99:3128")
	t.Setenv("http_proxy", "http://10.0.0.99:3128")
	n := netsimtest.New(t, netsim.Options{Seed: 1})
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	if _, err := n.Connect("lan", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := server.Listen("tcp", ":8080")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s from %s", r.Proto, r.RemoteAddr[:len("10.0.0.1")])
		})}
		go srv.Serve(ln)
		defer srv.Close()

		c := client.HTTPClient()
		defer c.CloseIdleConnections()
		if c == client.HTTPClient() || c.Transport == client.HTTPClient().Transport {
			t.Error("HTTPClient returned the same client or transport twice")
		}
		if tr := c.Transport.(*http.Transport); tr.Proxy != nil || tr.ForceAttemptHTTP2 {
			t.Errorf("transport: a proxy function %v, ForceAttemptHTTP2 %v; want none and false", tr.Proxy != nil, tr.ForceAttemptHTTP2)
		}
		start := time.Now()
		resp, err := c.Get("http://server:8080/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "HTTP/1.1 from 10.0.0.1" || resp.Proto != "HTTP/1.1" {
			t.Errorf("got %q over %s", body, resp.Proto)
		}
		if d := time.Since(start); d < 120*time.Millisecond {
			t.Errorf("the request took %v of fake time, want two round trips of 60 ms or more", d)
		}
	})
}
