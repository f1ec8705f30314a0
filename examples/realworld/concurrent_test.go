package realworld_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// grpcConcurrent makes four unary calls at once on one ClientConn (after
// a first call has connected it), the k-th after k*stagger of fake time:
// HTTP/2 gives stream IDs in the order the goroutines reach gRPC.
func grpcConcurrent(t *testing.T, client, server *netsimHost, stagger time.Duration) {
	serveGRPC(t, server)
	cc := dialGRPC(t, client, "server:50051")
	defer cc.Close()
	tc := testgrpc.NewTestServiceClient(cc)
	ctx := context.Background()
	if _, err := tc.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Go(func() {
			time.Sleep(time.Duration(k) * stagger)
			resp, err := tc.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: int32(1000 * (k + 1)), Payload: payload(int32(100 * (k + 1)))})
			if err != nil || len(resp.Payload.Body) != 1000*(k+1) {
				t.Errorf("call %d: %v", k, err)
			}
		})
	}
	wg.Wait()
}

// redisConcurrent runs four SETs at once through one go-redis client, the
// k-th after k*stagger of fake time: the pool dials a connection for each
// from a goroutine of its own (with context.Background(), which
// netsim.WithLabel cannot reach); netsim orders those dials as the four
// goroutines were created, and the pool hands each caller the connection
// its own dial made.
func redisConcurrent(t *testing.T, client, server *netsimHost, stagger time.Duration) {
	serveRedis(t, server)
	rdb := redisClient(client, "server:6379")
	defer rdb.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Go(func() {
			time.Sleep(time.Duration(k) * stagger)
			if err := rdb.Set(ctx, fmt.Sprint("key", k), k, 0).Err(); err != nil {
				t.Errorf("SET %d: %v", k, err)
			}
		})
	}
	wg.Wait()
}
