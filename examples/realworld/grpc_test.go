package realworld_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// testServer is gRPC's interop TestService, served as the interop cases
// expect: payloads of the sizes asked for; a unary call asking for a
// negative size sleeps until its deadline.
type testServer struct {
	testgrpc.UnimplementedTestServiceServer
}

func payload(n int32) *testgrpc.Payload {
	return &testgrpc.Payload{Body: bytes.Repeat([]byte{'x'}, int(n))}
}

func (testServer) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if req.ResponseSize < 0 {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &testgrpc.SimpleResponse{Payload: payload(req.ResponseSize)}, nil
}

func (testServer) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testgrpc.StreamingOutputCallResponse]) error {
	for _, p := range req.ResponseParameters {
		time.Sleep(time.Duration(p.IntervalUs) * time.Microsecond)
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: payload(p.Size)}); err != nil {
			return err
		}
	}
	return nil
}

func (testServer) FullDuplexCall(stream grpc.BidiStreamingServer[testgrpc.StreamingOutputCallRequest, testgrpc.StreamingOutputCallResponse]) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range req.ResponseParameters {
			if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: payload(p.Size)}); err != nil {
				return err
			}
		}
	}
}

// serveGRPC serves the TestService on host's port 50051 until the test
// ends.
func serveGRPC(t *testing.T, host *netsim.Host) {
	ln, err := host.Listen("tcp", ":50051")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(s, testServer{})
	go s.Serve(ln)
	t.Cleanup(s.Stop)
}

// dialGRPC is the adapter: a ClientConn of host whose connections go
// through the simulated network (the passthrough resolver hands the
// address to the dialer as it is).
func dialGRPC(t *testing.T, host *netsim.Host, addr string) *grpc.ClientConn {
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return host.DialContext(ctx, "tcp", addr)
		}),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// grpcScenario runs the interop cases over one connection, one after the
// other: large unary, server streaming with intervals, ping-pong (bidi),
// and a unary call that exceeds its deadline. It returns what the client
// saw.
func grpcScenario(t *testing.T, client, server *netsim.Host) []string {
	serveGRPC(t, server)
	cc := dialGRPC(t, client, "server:50051")
	defer cc.Close()
	tc := testgrpc.NewTestServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []string

	resp, err := tc.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 314159, Payload: payload(271828)})
	if err != nil {
		t.Fatalf("large unary: %v", err)
	}
	out = append(out, "unary "+itoa(len(resp.Payload.Body)))

	stream, err := tc.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{
		{Size: 31415, IntervalUs: 10000}, {Size: 9, IntervalUs: 10000}, {Size: 2653, IntervalUs: 10000}, {Size: 58979, IntervalUs: 10000},
	}})
	if err != nil {
		t.Fatalf("server streaming: %v", err)
	}
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("server streaming: %v", err)
		}
		out = append(out, "stream "+itoa(len(r.Payload.Body)))
	}

	bidi, err := tc.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("ping-pong: %v", err)
	}
	for _, size := range []int32{31415, 9, 2653, 58979} {
		if err := bidi.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: size}}, Payload: payload(size / 2)}); err != nil {
			t.Fatalf("ping-pong send: %v", err)
		}
		r, err := bidi.Recv()
		if err != nil {
			t.Fatalf("ping-pong recv: %v", err)
		}
		out = append(out, "pong "+itoa(len(r.Payload.Body)))
	}
	bidi.CloseSend()
	if _, err := bidi.Recv(); err != io.EOF {
		t.Fatalf("ping-pong end: %v", err)
	}

	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	start := time.Now()
	_, err = tc.UnaryCall(dctx, &testgrpc.SimpleRequest{ResponseSize: -1})
	dcancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("sleeping server: %v, want DeadlineExceeded", err)
	}
	out = append(out, "deadline exceeded after "+time.Since(start).String())
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGRPC: gRPC's interop cases, unmodified gRPC client and server, on a
// LAN and under 50 ms delay and 5% loss.
func TestGRPC(t *testing.T) {
	want := []string{"unary 314159", "stream 31415", "stream 9", "stream 2653", "stream 58979", "pong 31415", "pong 9", "pong 2653", "pong 58979", "deadline exceeded after 1s"}
	for i, link := range []netsim.LinkConfig{lan, lossy} {
		n, client, server := twoHosts(t, int64(i+1), link)
		netsimtest.Run(t, n, func(t *testing.T) {
			got := grpcScenario(t, client, server)
			if len(got) != len(want) {
				t.Fatalf("got %q, want %q", got, want)
			}
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("case %d: got %q, want %q", k, got[k], want[k])
				}
			}
		})
	}
}
