package myproto_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

func TestGetOverALossyLink(t *testing.T) {
	n := netsimtest.New(t, netsim.Options{Seed: 1}) // built outside the bubble
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"),
		netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05})

	netsimtest.Run(t, n, func(t *testing.T) { // inside a synctest bubble
		ln, err := server.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		})}
		go srv.Serve(ln)
		defer srv.Close()

		c := &http.Client{Transport: &http.Transport{DialContext: client.DialContext}, Timeout: 10 * time.Second}
		resp, err := c.Get("http://server/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello" {
			t.Fatalf("got %q", body)
		}
	})
}
