package realworld_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// serveRedis starts miniredis on host's port 6379: each connection the
// netsim listener accepts is served by miniredis (no real socket).
func serveRedis(t *testing.T, host *netsim.Host) *miniredis.Miniredis {
	t.Helper()
	ln, err := host.Listen("tcp", ":6379")
	if err != nil {
		t.Fatal(err)
	}
	m := miniredis.NewMiniRedis()
	c, err := m.Dial() // starts miniredis without a listener of its own
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.Server().ServeConn(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); m.Close() })
	return m
}

// redisClient is go-redis's client of host, dialling through netsim. The
// maintenance notifications handshake is off: go-redis holds a lock across
// it that a second connection's set-up then waits for, and a goroutine
// waiting for a lock stops a synctest bubble's clock (the handshake's
// reply never comes: TestRedisTrap shows the report).
func redisClient(host *netsim.Host, addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                     addr,
		Dialer:                   host.DialContext, // the adapter: go-redis dials through the simulated host
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// redisScenario: SET, GET, INCR, a pipeline, a blocking BLPOP that times
// out on fake time, and a PING per pooled connection.
func redisScenario(t *testing.T, client, server *netsim.Host) string {
	serveRedis(t, server)
	rdb := redisClient(client, "server:6379")
	defer rdb.Close()
	ctx := context.Background()
	var out string
	if err := rdb.Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	v, err := rdb.Get(ctx, "greeting").Result()
	if err != nil || v != "hello" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	out += v
	for range 3 {
		n, err := rdb.Incr(ctx, "counter").Result()
		if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprint(" ", n)
	}
	pipe := rdb.Pipeline()
	incr := pipe.IncrBy(ctx, "counter", 10)
	pipe.Expire(ctx, "counter", time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	out += fmt.Sprint(" ", incr.Val())
	start := time.Now()
	if _, err := rdb.BLPop(ctx, 2*time.Second, "empty").Result(); err != redis.Nil {
		t.Errorf("BLPOP = %v, want redis.Nil", err)
	}
	out += fmt.Sprint(" blpop ", time.Since(start).Round(time.Millisecond))
	return out
}

// TestRedis: go-redis against miniredis over netsim, unmodified; in two
// bubbles one after the other (go-redis's NewClient resolves the address
// through net.DefaultResolver, which used to kill the binary in the second
// bubble), on a LAN and under 50 ms delay and 5% loss.
func TestRedis(t *testing.T) {
	for i, link := range []netsim.LinkConfig{lan, lossy} {
		n, client, server := twoHosts(t, int64(i+1), link)
		netsimtest.Run(t, n, func(t *testing.T) {
			got := redisScenario(t, client, server)
			if want := "hello 1 2 3 13 blpop 2."; !strings.HasPrefix(got, want) {
				t.Errorf("got %q, want %q… (BLPOP returns after its 2 s of fake time, plus a round trip)", got, want)
			}
			t.Log(got)
			// go-redis's own lookup of "server" answers from the network.
			addrs, err := net.DefaultResolver.LookupHost(context.Background(), "server")
			if err != nil || len(addrs) != 1 || addrs[0] != "10.0.0.2" {
				t.Errorf("LookupHost(server) = %v, %v", addrs, err)
			}
		})
	}
}
