package realworld_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// websocketScenario: coder/websocket's server (an http.Handler) and client
// over netsim: five text messages echoed, a ping, a close handshake.
func websocketScenario(t *testing.T, client, server *netsim.Host) []string {
	ln, err := server.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, append([]byte("echo "), msg...)); err != nil {
				return
			}
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The adapter: an http.Client whose Transport dials through netsim.
	hc := &http.Client{Transport: &http.Transport{DialContext: client.DialContext}}
	c, _, err := websocket.Dial(ctx, "ws://server:8080/", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var out []string
	for i := range 5 {
		if err := c.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "message %d", i)); err != nil {
			t.Fatal(err)
		}
		_, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(msg))
		time.Sleep(10 * time.Millisecond)
	}
	// Ping needs a reader: the server's echo loop reads, CloseRead reads here.
	pctx := c.CloseRead(ctx)
	if err := c.Ping(pctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	return append(out, "closed")
}

// TestWebSocket: coder/websocket, unmodified, on a LAN and under 50 ms
// delay and 5% loss.
func TestWebSocket(t *testing.T) {
	for i, link := range []netsim.LinkConfig{lan, lossy} {
		n, client, server := twoHosts(t, int64(i+1), link)
		netsimtest.Run(t, n, func(t *testing.T) {
			got := fmt.Sprint(websocketScenario(t, client, server))
			if want := "[echo message 0 echo message 1 echo message 2 echo message 3 echo message 4 closed]"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}
