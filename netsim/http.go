package netsim

import (
	"net/http"
	"time"
)

// HTTPClient returns an HTTP client whose connections start at h and cross
// the simulated network: its Transport dials with [Host.DialContext], so it
// never opens a socket of the machine it runs on, and host names resolve
// inside the network ("http://server:8080/"). Each call returns a new
// client with a transport (and idle connections) of its own.
//
// The transport is [net/http.DefaultTransport]'s settings but for three:
// no proxy (HTTP_PROXY and the like name machines outside the network),
// HTTP/1.1 only (HTTP/2's frame scheduling is not deterministic, see
// package netsimtest), and the dialer. For https URLs it verifies servers
// against the system's roots: set Transport.(*http.Transport).TLSClientConfig
// for a test certificate, or use the client of
// [netsim.dev/netsim/netsimtest.NewTLSServer].
//
// net/http starts goroutines of its own, so the client is for test mode
// (inside netsimtest.Run), not for program mode's tasks. Call
// CloseIdleConnections when done, as with any client.
func (h *Host) HTTPClient() *http.Client {
	return &http.Client{Transport: h.httpTransport()}
}

// httpTransport returns a transport that dials from h, with
// http.DefaultTransport's timeouts and limits.
func (h *Host) httpTransport() *http.Transport {
	return &http.Transport{
		DialContext:           h.DialContext,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
}
