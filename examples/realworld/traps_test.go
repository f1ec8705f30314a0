package realworld_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"netsim.dev/netsim/netsimtest"
)

// trapEnv makes TestTrapChild fall into a trap (as a child process of
// TestTraps).
const trapEnv = "REALWORLD_TRAP"

// TestTrapChild falls into a trap of test mode with real libraries:
//   - grpc-leak: a gRPC ClientConn left open when the test returns;
//   - redis-lock: go-redis's default client (maintenance notifications on)
//     making four connections at once: it holds a lock across a handshake
//     that another connection's set-up waits for;
//   - redis-default-dialer: go-redis with no Dialer, which would dial the
//     machine's network;
//   - redis-ip: the same with the server's IP address, which no resolver
//     sees: the net package's socket call is refused;
//   - grpc-ip: gRPC with no dialer of its own, to an IP address.
func TestTrapChild(t *testing.T) {
	mode := os.Getenv(trapEnv)
	if mode == "" {
		t.Skip("run as a child process by TestTraps")
	}
	n, client, server := twoHosts(t, 1, lan)
	netsimtest.Run(t, n, func(t *testing.T) {
		ctx := context.Background()
		switch mode {
		case "grpc-leak":
			serveGRPC(t, server)
			cc := dialGRPC(t, client, "server:50051") // never closed
			if _, err := testgrpc.NewTestServiceClient(cc).UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 10}); err != nil {
				t.Fatal(err)
			}
		case "redis-lock":
			serveRedis(t, server)
			rdb := redis.NewClient(&redis.Options{Addr: "server:6379", Dialer: client.DialContext})
			defer rdb.Close()
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { rdb.Ping(ctx) })
			}
			wg.Wait()
		case "redis-default-dialer":
			serveRedis(t, server)
			rdb := redis.NewClient(&redis.Options{Addr: "server:6379"})
			defer rdb.Close()
			t.Logf("PING: %v", rdb.Ping(ctx).Err())
		case "redis-ip":
			serveRedis(t, server)
			rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.2:6379"})
			defer rdb.Close()
			t.Logf("PING: %v", rdb.Ping(ctx).Err())
		case "grpc-ip":
			serveGRPC(t, server)
			cc, err := grpc.NewClient("passthrough:///10.0.0.2:50051", grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err = testgrpc.NewTestServiceClient(cc).UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 10})
			t.Logf("UnaryCall: %v", err)
		}
	})
}

// TestTraps: each trap fails the test with netsim's report (what happened,
// the goroutines, what to change, the capture), not synctest's panic, a
// silent hang or a real connection.
func TestTraps(t *testing.T) {
	for mode, wants := range map[string][]string{
		"grpc-leak":            {"still blocked after the test returned", "grpc.ClientConn.Close", "google.golang.org/grpc", "capture: "},
		"redis-lock":           {"no progress for", "waits for a lock (sync.RWMutex.Lock)", "disableMaintNotificationsUpgrades", "parked calls:", "Read tcp 10.0.0.1:", "capture: ", "the bubble is left behind"},
		"redis-default-dialer": {"went to the machine's network", `it resolves "server"`, "redis.Options.Dialer", "PING: dial tcp: lookup server"},
		"redis-ip":             {"went to the machine's network", "net.(*Dialer).DialContext, called from github.com/redis/go-redis/v9", "asked for a real TCP/IPv4 socket of the machine; no socket was made", "redis.Options.Dialer", "PING: dial tcp 10.0.0.2:6379: socket: netsim: "},
		"grpc-ip":              {"went to the machine's network", "net.(*Dialer).DialContext, called from google.golang.org/grpc", "asked for a real TCP/IPv4 socket of the machine; no socket was made", "grpc.WithContextDialer", "UnaryCall: rpc error: code = "},
	} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTrapChild$", "-test.v", "-test.timeout=2m", "-netsim.hang=1s")
			cmd.Env = append(os.Environ(), trapEnv+"="+mode, netsimtest.CaptureDirEnv+"="+t.TempDir())
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err == nil {
				t.Fatalf("the child passed:\n%s", text)
			}
			for _, want := range append(wants, "--- FAIL: TestTrapChild") {
				if !strings.Contains(text, want) {
					t.Errorf("the output does not say %q:\n%s", want, text)
				}
			}
			for _, bad := range []string{"panic:", "test timed out", "fatal error"} {
				if strings.Contains(text, bad) {
					t.Errorf("the output says %q:\n%s", bad, text)
				}
			}
		})
	}
}
