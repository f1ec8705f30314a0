package realworld_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
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
//     machine's network.
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
