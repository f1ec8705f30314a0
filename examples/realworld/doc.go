// Package realworld proves netsim's test mode with code no one here wrote:
// gRPC, go-redis against miniredis, a WebSocket library and quic-go, each
// unmodified, over a simulated network inside netsimtest.Run.
package realworld
